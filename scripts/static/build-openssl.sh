#!/bin/sh
# build-openssl.sh SRC BUILDDIR PREFIX
#
# libcrypto.a and libssl.a for build/probe-static only (issue 14): Debian's openssl source
# package, configured as the TLS 1.2/1.3 client that verifies certificates which probe is, and
# nothing else. Debian's libcrypto.a is 3.3 MiB of the static binary, most of it algorithms
# that the default provider's tables reference, so --gc-sections cannot drop them; here they
# are not built. What stays is what the libraries linked into probe-static use:
#   TLS 1.2 and 1.3 (no SSL3, TLS 1.0/1.1 or DTLS: OpenSSL 3 refuses those at its default
#     security level anyway), AES-GCM/CCM/CBC, ChaCha20-Poly1305, SHA-1/2/3, MD5 (TLS 1.2's
#     MD5+SHA1 and the MySQL/PostgreSQL md5 logins), HMAC, HKDF, PBKDF2 (SCRAM), RSA, ECDSA,
#     Ed25519, ECDH/X25519, DH, X.509 verification with its error strings;
#   RIPEMD-160 (Connector/C's hash table names it) and the APIs OpenSSL 3.0 deprecated
#     (libpq 15's HMAC_CTX, the low-level RSA/DH/EC), hence --api=1.1.1 with no-deprecated:
#     what 1.1.1 or earlier deprecated is gone, what only 3.0 deprecated stays.
# Gone: engines, the legacy provider and loadable modules, the config file autoload (a scratch
# image has none; curl is configured the same way), the UI console (no passphrase prompts:
# probe refuses encrypted keys), SRP, PSK, SRTP, NPN, CT, OCSP, CMS, TS, CMP, compression,
# IDEA/RC2/RC4/RC5/DES/Blowfish/CAST/Camellia/ARIA/SEED/SM2-4/GOST/MD4/MDC2/Whirlpool/BLAKE2,
# DSA, SipHash, SIV, OCB, CMAC, scrypt, the async jobs, file names in error records.
# No unwind tables in C objects (the C code of a static binary needs none; see mk/static.mk).
# Installs PREFIX/lib/libcrypto.a, PREFIX/lib/libssl.a, PREFIX/include/openssl/ and the .pc
# files (curl's configure reads them).
# HOST=TRIPLET (aarch64-linux-gnu) cross-compiles with CC for that system (mk/arch.mk).
set -eu

. "$(dirname "$0")/args.sh" "$@"

# OpenSSL's own name for the system.
case ${HOST:-$(gcc -dumpmachine)} in
    x86_64-*) target=linux-x86_64 ;;
    aarch64-*) target=linux-aarch64 ;;
    *) echo "build-openssl.sh: no OpenSSL target for ${HOST:-this machine}" >&2; exit 1 ;;
esac

rm -rf "$build"
mkdir -p "$build"
cd "$build"
echo "static: configuring OpenSSL for $target ($(cat "$src/.debian-source" 2>/dev/null || echo "$src"))" >&2
# OPENSSLDIR is Debian's, so a file OpenSSL looks for by default is where Debian has it; the CA
# defaults are Debian's real paths (scripts/static/ssl_defaults.c).
# shellcheck disable=SC2086 # STATIC_OPT is a list of flags
"$src/Configure" "$target" \
    CC="$CC" AR="${HOST:+$HOST-}ar" RANLIB="${HOST:+$HOST-}ranlib" \
    --prefix="$prefix" --libdir=lib --openssldir=/usr/lib/ssl \
    --api=1.1.1 no-deprecated \
    no-shared no-module no-pic no-tests no-engine no-dynamic-engine no-legacy \
    no-autoload-config no-ui-console no-async no-uplink no-filenames \
    no-afalgeng no-capieng no-padlockeng no-devcryptoeng \
    no-ssl3 no-tls1 no-tls1_1 no-dtls no-dtls1 no-dtls1_2 no-sctp no-weak-ssl-ciphers \
    no-srp no-psk no-srtp no-nextprotoneg no-ct no-ocsp no-cms no-ts no-cmp no-rfc3779 \
    no-comp no-zlib no-ssl-trace no-multiblock \
    no-idea no-rc2 no-rc4 no-rc5 no-des no-bf no-cast no-camellia no-aria no-seed \
    no-sm2 no-sm3 no-sm4 no-gost no-md4 no-mdc2 no-whirlpool no-blake2 no-dsa \
    no-siphash no-siv no-ocb no-cmac no-scrypt no-ec2m no-dgram \
    $STATIC_OPT -fno-asynchronous-unwind-tables -fno-unwind-tables -DNDEBUG \
    >configure.log 2>&1 || { tail -40 configure.log >&2; exit 1; }
echo "static: building OpenSSL (libcrypto, libssl)" >&2
make "$jobs" build_libs >make.log 2>&1 || { tail -40 make.log >&2; exit 1; }
make install_dev >>make.log 2>&1 || { tail -40 make.log >&2; exit 1; }
