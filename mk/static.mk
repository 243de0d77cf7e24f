# Issue #4: `make static` builds build/probe-static, one fully static executable that runs in
# an empty root with only /etc/hosts, /etc/resolv.conf and a CA bundle; `make test-static`
# proves it in a chroot against real servers on loopback.
#
# Debian's libcurl.a drags in Kerberos, LDAP, IDN..., Debian's libmariadb.a has only
# mysql_native_password built in (the other authentication plugins are dlopen()ed), and
# Debian's libpq.a needs GSSAPI and LDAP (no static libraries) and libpgcommon/libpgport (not
# shipped), so all three are built here from Debian's source packages (`apt-get source`, patches applied), once, under
# build/static/; the rest are Debian's own static libraries. scripts/static/ says how.

STATIC_DIR     := $(BUILD)/static
STATIC_PREFIX  := $(STATIC_DIR)/prefix
STATIC_OPT     := -Os -ffunction-sections -fdata-sections
STATIC_CFLAGS  := -std=c11 -D_GNU_SOURCE $(WARN) $(STATIC_OPT) \
                  -I$(STATIC_PREFIX)/include -I$(STATIC_PREFIX)/include/mariadb $(HIREDIS_CFLAGS)
STATIC_OBJS    := $(SRCS:probe/%.c=$(STATIC_DIR)/obj/%.o) $(STATIC_DIR)/obj/ssl_defaults.o
STATIC_CURL    := $(STATIC_PREFIX)/lib/libcurl.a
STATIC_MARIADB := $(STATIC_PREFIX)/lib/libmariadbclient.a
STATIC_LIBPQ   := $(STATIC_PREFIX)/lib/libpq.a
STATIC_LIBS    := $(STATIC_CURL) $(STATIC_MARIADB) $(STATIC_LIBPQ) \
                  $(STATIC_PREFIX)/lib/libpgcommon_shlib.a $(STATIC_PREFIX)/lib/libpgport_shlib.a \
                  $(HIREDIS_LIBS) -lev -lcares -lyaml -ljansson -lnghttp2 -lssl -lcrypto \
                  -lz -lm -lpthread
# --wrap: OpenSSL's default CA file is Debian's real path (scripts/static/ssl_defaults.c).
STATIC_LDFLAGS := -static -Wl,--gc-sections -Wl,-O1 \
                  -Wl,--wrap=X509_get_default_cert_file -Wl,--wrap=X509_get_default_cert_dir
# glibc warns that these need its shared NSS/dl libraries at run time in a static binary. probe
# hands every library numeric addresses and ports, so none of them is asked to look a name
# up; getservbyport_r comes with c-ares' getnameinfo, getpwuid with Connector/C's default
# user and getpwuid_r with libpq's (a URL without a user), and NSS "files" is built into
# static glibc 2.36 (tests/static/run.sh runs these paths in an empty root). Any other
# function glibc warns about is still shown.
STATIC_LINK_OK := getaddrinfo|gethostbyname|getservbyname|getservbyport_r|getpwuid|getpwuid_r|dlopen

PKGS_STATIC      := gcc make libc6-dev libev-dev libc-ares-dev libyaml-dev \
                    libssl-dev libnghttp2-dev libjansson-dev zlib1g-dev ca-certificates dpkg-dev cmake \
                    xz-utils binutils
PKGS_STATIC_TEST := $(sort $(PKGS_STATIC) $(PKGS_BUILD) file redis-server mariadb-server \
                    postgresql openssl iproute2 python3-grpcio)
PKGS_STATIC_TEST += memcached

.PHONY: static test-static clean-static deps-static deps-static-test

static: deps-static
	$(MAKE) $(BUILD)/probe-static

# The Makefile's deps-* recipe, run with this target's package list.
deps-static deps-static-test:
	@$(MAKE) --no-print-directory deps-build PKGS_BUILD='$(PKGS_$(shell echo $(@:deps-%=%) | tr a-z- A-Z_))'

# Debian's sources, patched, unpacked once (scripts/static/fetch-source.sh).
$(STATIC_DIR)/src/curl/.debian-source: | deps-static
	sh scripts/static/fetch-source.sh $(STATIC_DIR) curl $(STATIC_DIR)/src/curl

$(STATIC_DIR)/src/libmariadb/.debian-source: | deps-static
	sh scripts/static/fetch-source.sh $(STATIC_DIR) mariadb $(STATIC_DIR)/src/libmariadb libmariadb

$(STATIC_DIR)/src/postgresql/.debian-source: | deps-static
	sh scripts/static/fetch-source.sh $(STATIC_DIR) postgresql-15 $(STATIC_DIR)/src/postgresql

$(STATIC_LIBPQ): $(STATIC_DIR)/src/postgresql/.debian-source scripts/static/build-libpq.sh
	CC='$(CC)' STATIC_OPT='$(STATIC_OPT)' \
	  sh scripts/static/build-libpq.sh $(STATIC_DIR)/src/postgresql $(STATIC_DIR)/libpq-build \
	  $(STATIC_PREFIX)

$(STATIC_CURL): $(STATIC_DIR)/src/curl/.debian-source scripts/static/build-curl.sh
	CC='$(CC)' STATIC_OPT='$(STATIC_OPT)' \
	  sh scripts/static/build-curl.sh $(STATIC_DIR)/src/curl $(STATIC_DIR)/curl-build $(STATIC_PREFIX)

$(STATIC_MARIADB): $(STATIC_DIR)/src/libmariadb/.debian-source scripts/static/build-mariadb.sh
	CC='$(CC)' STATIC_OPT='$(STATIC_OPT)' \
	  sh scripts/static/build-mariadb.sh $(STATIC_DIR)/src/libmariadb $(STATIC_DIR)/mariadb-build \
	  $(STATIC_PREFIX)

# Headers come from the libraries built above, never from Debian's -dev packages.
$(STATIC_DIR)/obj/%.o: probe/%.c | $(STATIC_CURL) $(STATIC_MARIADB) $(STATIC_LIBPQ) $(HIREDIS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -MMD -MP -c $< -o $@

$(STATIC_DIR)/obj/ssl_defaults.o: scripts/static/ssl_defaults.c | deps-static
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -c $< -o $@

# Kept unstripped for `nm` (test-static checks which MySQL plugins are in) and size analysis.
$(STATIC_DIR)/probe-static.unstripped: $(STATIC_OBJS) $(STATIC_CURL) $(STATIC_MARIADB) $(STATIC_LIBPQ) \
                                      $(HIREDIS_STAMP)
	$(CC) $(STATIC_OPT) $(STATIC_LDFLAGS) -o $@ $(STATIC_OBJS) $(STATIC_LIBS) 2>$@.log; \
	  rc=$$?; awk -v ok='$(STATIC_LINK_OK)' -f scripts/static/link-warnings.awk $@.log >&2; exit $$rc

$(BUILD)/probe-static: $(STATIC_DIR)/probe-static.unstripped
	strip --strip-all -R .comment -o $@ $<
	@echo "$@: $$(stat -c %s $@) bytes"

# A fake MySQL 8 server that offers only caching_sha2_password (MariaDB cannot).
$(STATIC_DIR)/test/mysql_sha2: tests/static/mysql_sha2.c | deps-static-test
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $< -lcrypto

test-static: deps-static-test
	$(MAKE) $(BUILD)/probe-static $(BUILD)/probe $(STATIC_DIR)/test/mysql_sha2
	PROBE_STATIC=$(CURDIR)/$(BUILD)/probe-static \
	  PROBE_STATIC_UNSTRIPPED=$(CURDIR)/$(STATIC_DIR)/probe-static.unstripped \
	  PROBE_DYNAMIC=$(CURDIR)/$(BUILD)/probe MYSQL_SHA2=$(CURDIR)/$(STATIC_DIR)/test/mysql_sha2 \
	  sh tests/static/run.sh

# Everything static, the downloaded sources included.
clean-static:
	rm -rf $(STATIC_DIR) $(BUILD)/probe-static

-include $(STATIC_OBJS:.o=.d)
