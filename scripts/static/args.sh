# args.sh: sourced by each scripts/static/build-*.sh, after `set -eu`, with its arguments:
#   . "$(dirname "$0")/args.sh" "$@"
# Checks for SRC BUILDDIR PREFIX and sets src (absolute), build, prefix (absolute, created),
# and the settings mk/static.mk passes: CC (gcc), HOST (the GNU triplet when cross-compiling,
# mk/arch.mk; empty natively), STATIC_OPT (the optimisation), jobs (every core: the calling
# make's jobserver descriptors are not passed to these scripts, so its flags are dropped).
# shellcheck shell=sh

[ $# -eq 3 ] || { echo "usage: $0 SRC BUILDDIR PREFIX" >&2; exit 2; }
src=$(cd "$1" && pwd)
build=$2
prefix=$(mkdir -p "$3" && cd "$3" && pwd)
: "${CC:=gcc}"
: "${HOST:=}"
: "${STATIC_OPT:=-Os -ffunction-sections -fdata-sections}"
unset MAKEFLAGS MFLAGS
jobs="-j$(nproc)"
