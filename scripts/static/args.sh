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

# cmake_configure SRC BUILD [-DOPTION=VALUE...]: CMake for CC, a MinSizeRel build with
# STATIC_OPT, installing into prefix. Across, CMake is told the target system
# (CMAKE_CROSSCOMPILING: it runs nothing it builds). Libraries are looked for in prefix only
# (CMAKE_FIND_ROOT_PATH), never in the build machine's /usr: those are glibc's, and
# build/probe-static is linked with musl. The output goes to BUILD/configure.log.
cmake_configure() {
    cm_src=$1 cm_build=$2
    shift 2
    cmake -S "$cm_src" -B "$cm_build" -G "Unix Makefiles" \
        -DCMAKE_C_COMPILER="$CC" \
        ${HOST:+-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="${HOST%%-*}"} \
        -DCMAKE_FIND_ROOT_PATH="$prefix" -DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY \
        -DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY \
        -DCMAKE_BUILD_TYPE=MinSizeRel \
        -DCMAKE_C_FLAGS_MINSIZEREL="$STATIC_OPT -DNDEBUG" \
        -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
        "$@" >"$cm_build/configure.log" 2>&1 || { tail -40 "$cm_build/configure.log" >&2; exit 1; }
}
