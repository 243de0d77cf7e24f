#!/bin/sh
# build-lib.sh SRC BUILDDIR PREFIX
#
# One of the small libraries build/probe-static links that use no OpenSSL: libev, c-ares,
# libyaml, jansson, libnghttp2 (SRC's .debian-source names which). build/probe-static is
# linked with musl (mk/static.mk: glibc's static start-up alone, its CPU and cache probing,
# took longer than /bin/true), and Debian's static libraries are glibc's, built with
# _FORTIFY_SOURCE, so these are built here from the same Debian source packages, static only,
# without their programs, tests and documentation.
# Installs PREFIX/lib/libNAME.a, its headers under PREFIX/include, and its .pc file.
# HOST=TRIPLET (aarch64-linux-gnu) cross-compiles with CC for that system (mk/arch.mk).
set -eu

. "$(dirname "$0")/args.sh" "$@"
pkg=$(cut -d' ' -f1 "$src/.debian-source")

rm -rf "$build"
mkdir -p "$build"
echo "static: building $pkg ($(cat "$src/.debian-source"))" >&2
case $pkg in
    libev)
        # The only one without CMake. Its configure finds epoll, eventfd, signalfd, timerfd
        # and inotify in musl; linux-aio and io_uring need kernel headers it is not given.
        (cd "$build" && "$src/configure" CC="$CC" CFLAGS="$STATIC_OPT" ${HOST:+--host="$HOST"} \
            --prefix="$prefix" --libdir="$prefix/lib" --disable-shared --enable-static \
            --disable-dependency-tracking) >"$build/configure.log" 2>&1 ||
            { tail -40 "$build/configure.log" >&2; exit 1; }
        make "$jobs" -C "$build" >"$build/make.log" 2>&1 || { tail -40 "$build/make.log" >&2; exit 1; }
        make -C "$build" install-libLTLIBRARIES install-includeHEADERS >>"$build/make.log" 2>&1
        ;;
    c-ares)
        cmake_configure "$src" "$build" -DCARES_STATIC=ON -DCARES_SHARED=OFF \
            -DCARES_BUILD_TOOLS=OFF -DCARES_BUILD_TESTS=OFF ;;
    libyaml)
        cmake_configure "$src" "$build" -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
            -DINSTALL_CMAKE_DIR=lib/cmake/yaml ;;
    jansson)
        cmake_configure "$src" "$build" -DJANSSON_BUILD_SHARED_LIBS=OFF -DJANSSON_EXAMPLES=OFF \
            -DJANSSON_WITHOUT_TESTS=ON -DJANSSON_BUILD_DOCS=OFF ;;
    nghttp2)
        cmake_configure "$src" "$build" -DENABLE_LIB_ONLY=ON -DENABLE_STATIC_LIB=ON \
            -DENABLE_SHARED_LIB=OFF -DENABLE_DOC=OFF -DENABLE_FAILMALLOC=OFF ;;
    *)
        echo "build-lib.sh: $pkg is not one of libev, c-ares, libyaml, jansson, nghttp2" >&2
        exit 2 ;;
esac
[ "$pkg" = libev ] || {
    make "$jobs" -C "$build" >"$build/make.log" 2>&1 || { tail -40 "$build/make.log" >&2; exit 1; }
    make -C "$build" install >>"$build/make.log" 2>&1 || { tail -40 "$build/make.log" >&2; exit 1; }
}
