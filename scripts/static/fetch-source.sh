#!/bin/sh
# fetch-source.sh WORK PKG DEST [SUBDIR]
#
# Unpacks Debian's source package PKG, with Debian's patches applied (dpkg-source -x), into
# DEST; with SUBDIR, only that directory of it is kept (libmariadb/ of the mariadb package).
# DEST/.debian-source records the package and version.
#
# FETCH_SUITE=CODENAME (e.g. trixie) takes the package from that release instead of the
# machine's own: the deb-src copies name CODENAME wherever the system's entries name its own
# release (bookworm-updates becomes trixie-updates), same mirrors and keys. Give such a fetch
# its own WORK, since the lists under WORK/apt are then that release's.
#
# apt runs with a private configuration under WORK/apt: a deb-src copy of the system's own
# entries (whatever mirror, suites and keys the machine uses; no address is written here),
# private lists and no caches. The system's apt configuration is not touched, so this needs
# no root. The newest version listed is taken; when a mirror has dropped its files, the next
# older one is tried.
set -eu

[ $# -ge 3 ] || { echo "usage: $0 WORK PKG DEST [SUBDIR]" >&2; exit 2; }
work=$(mkdir -p "$1" && cd "$1" && pwd)
pkg=$2
dest=$3
subdir=${4:-}
apt="$work/apt"
suite=${FETCH_SUITE:-}

note() { printf 'static: %s\n' "$*" >&2; }

# The deb-src twin of every enabled deb entry. apt reads only *.list and *.sources.
write_sources() {
    mkdir -p "$apt/sources.list.d" "$apt/lists/partial"
    : >"$apt/sources.list"
    n=0
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        sed -n 's/^[[:space:]]*deb\([[:space:]]\)/deb-src\1/p' "$f" >"$apt/sources.list.d/src$n.list"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        # deb822: a stanza whose Types names deb gets Types: deb-src; other stanzas are dropped.
        awk 'BEGIN { RS = ""; ORS = "\n\n" }
             {
                 keep = 0; out = ""
                 nl = split($0, line, "\n")
                 for (i = 1; i <= nl; i++) {
                     if (line[i] ~ /^Types:/) {
                         if (line[i] ~ /[[:space:]]deb([[:space:]]|$)/) keep = 1
                         line[i] = "Types: deb-src"
                     }
                     out = out line[i] "\n"
                 }
                 if (keep) printf "%s\n", out
             }' "$f" >"$apt/sources.list.d/src$n.sources"
    done
    if [ -n "$suite" ]; then
        own=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
        [ -n "$own" ] || { echo "static: no VERSION_CODENAME in /etc/os-release" >&2; exit 1; }
        for f in "$apt"/sources.list.d/*; do
            sed -i "/^[[:space:]]*#/!s/\\b$own\\b/$suite/g" "$f"
        done
    fi
    cat >"$apt/apt.conf" <<EOF
Dir::Etc::SourceList "$apt/sources.list";
Dir::Etc::SourceParts "$apt/sources.list.d";
Dir::State::Lists "$apt/lists";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Sandbox::User "$(id -un)";
Acquire::Languages "none";
EOF
}

# Newest first, in Debian's version order (an insertion sort: there are a handful).
versions_newest_first() {
    sorted=""
    for v in $(apt-cache showsrc --only-source "$pkg" 2>/dev/null | sed -n 's/^Version: //p'); do
        out="" placed=""
        for w in $sorted; do
            [ "$v" = "$w" ] && placed=dup
            if [ -z "$placed" ] && dpkg --compare-versions "$v" gt "$w"; then
                out="$out $v"
                placed=yes
            fi
            out="$out $w"
        done
        [ -n "$placed" ] || out="$out $v"
        sorted=$out
    done
    # shellcheck disable=SC2086 # one version a line
    printf '%s\n' $sorted
}

# Two packages may be fetched at once (make -j): set up and update under one lock. The lists
# are refreshed when older than 6 hours (a fetch runs only when build/static lacks a source).
export APT_CONFIG="$apt/apt.conf"
mkdir -p "$apt"
(
    flock 9
    [ -f "$apt/apt.conf" ] || write_sources
    if [ -z "$(find "$apt/lists" -maxdepth 1 -name '*Sources*' -mmin -360 2>/dev/null)" ]; then
        note "apt-get update (deb-src lists, private to $apt)"
        apt-get update -qq >"$apt/update.log" 2>&1 || { cat "$apt/update.log" >&2; exit 1; }
    fi
) 9>"$apt/lock"

versions=$(versions_newest_first)
[ -n "$versions" ] || { echo "static: no source package $pkg in the deb-src lists" >&2; exit 1; }

dl="$work/dl/$pkg"
got=""
for v in $versions; do
    rm -rf "$dl"
    mkdir -p "$dl"
    note "apt-get source --download-only $pkg=$v"
    if (cd "$dl" && apt-get source --download-only -qq "$pkg=$v") >"$work/dl/$pkg.log" 2>&1; then
        got=$v
        break
    fi
    note "$pkg $v: $(grep -m1 '^E:' "$work/dl/$pkg.log" || echo 'download failed'); trying an older version"
done
[ -n "$got" ] || { cat "$work/dl/$pkg.log" >&2; exit 1; }

tmp="$work/unpack-$pkg"
rm -rf "$tmp" "$dest"
mkdir -p "$tmp"
note "dpkg-source -x $pkg $got"
dpkg-source -x "$dl"/*.dsc "$tmp/src" >"$work/dl/$pkg.unpack.log" 2>&1 ||
    { cat "$work/dl/$pkg.unpack.log" >&2; exit 1; }
mkdir -p "$(dirname "$dest")"
if [ -n "$subdir" ]; then
    mv "$tmp/src/$subdir" "$dest"
else
    mv "$tmp/src" "$dest"
fi
printf '%s %s\n' "$pkg" "$got" >"$dest/.debian-source"
rm -rf "$tmp" "$dl"
