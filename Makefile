# wrp — build, test, fuzz, install.
#
#   make                       build build/bin/wrp-agentd and build/bin/wrp-controller
#   make check                 install missing packages (as root), build, run every test
#   make check SANITIZE=address,undefined
#   make fuzz [FUZZ_TIME=60]   run every libFuzzer harness for FUZZ_TIME seconds each
#   make bench                 benchmarks (see bench/ and docs/PERFORMANCE.md)
#   make check-real            build the real Chimaera runtime (../shared/third_party) and run tests/real/
#   make bench-real            the real-runtime bench row (bench/real.sh)
#   make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc]
#   make deb                   Debian packages wrp-agent and wrp-controller in build/deb/

PREFIX   ?= /usr/local
DESTDIR  ?=
SYSCONFDIR ?= /etc
MANDIR   ?= $(PREFIX)/share/man
CC       ?= cc
SANITIZE ?=
FUZZ_TIME ?= 60

PKGS := libczmq libzmq yaml-0.1 libsystemd libsodium libmicrohttpd

# Packages make check needs on a fresh Debian 12 machine.
APT_PKGS := build-essential pkg-config libczmq-dev libzmq3-dev libyaml-dev \
            libsystemd-dev libsodium-dev clang clang-format libclang-rt-14-dev iproute2 util-linux \
            python3 python3-yaml python3-jsonschema procps systemd \
            debhelper lintian groff man-db bash-completion \
            libmicrohttpd-dev prometheus chromium curl openssl

ifeq ($(SANITIZE),)
BUILD ?= build
SANFLAGS :=
else
BUILD ?= build/sanitize
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 -Wall -Wextra -Werror -D_GNU_SOURCE -DWRP_DATADIR=\"$(PREFIX)/share/wrp\" \
           $(PKG_CFLAGS) $(SANFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS)
LDLIBS  += $(PKG_LIBS) -lm

SYSTEMD_UNIT_DIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)

# Every .c in a directory belongs to it; main.c is the program, the rest its classes.
LIB_SRC   := $(wildcard common/*.c proto/*.c)
AGENT_SRC := $(filter-out agent/main.c, $(wildcard agent/*.c))
CTL_SRC   := $(filter-out controller/main.c, $(wildcard controller/*.c))
TESTBIN_SRC := $(wildcard tests/runtime/*.c)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBWRP    := $(BUILD)/lib/libwrp.a
LIBAGENT  := $(BUILD)/lib/libwrp_agent.a
LIBCTL    := $(BUILD)/lib/libwrp_controller.a
AGENTD    := $(BUILD)/bin/wrp-agentd
CTL       := $(BUILD)/bin/wrp-controller
SELFTEST  := $(BUILD)/bin/selftest
TESTBINS  := $(patsubst tests/runtime/%.c,$(BUILD)/test-bin/%,$(TESTBIN_SRC))
REPLAYS   := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz-replay/%,$(FUZZ_SRC))
FUZZERS   := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))

.PHONY: all check check-unit check-fuzz check-integration check-real bench-real deps fuzz bench install deb clean format

all: $(AGENTD) $(CTL)

# Each directory sees only the headers below it: proto < common < agent, controller.
INC_proto      := -Iproto
INC_common     := -Icommon -Iproto
INC_agent      := -Iagent -Icommon -Iproto
INC_controller := -Icontroller -Icommon -Iproto
INC_tests      := -Iagent -Icontroller -Icommon -Iproto

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_$(firstword $(subst /, ,$*))) -c -o $@ $<

$(LIBWRP): $(call obj,$(LIB_SRC))
$(LIBAGENT): $(call obj,$(AGENT_SRC))
$(LIBCTL): $(call obj,$(CTL_SRC))
$(LIBWRP) $(LIBAGENT) $(LIBCTL):
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(AGENTD): $(call obj,agent/main.c) $(LIBAGENT) $(LIBWRP)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(CTL): $(call obj,controller/main.c) $(LIBCTL) $(LIBWRP)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Objects that bake in the install prefix are rebuilt when PREFIX changes.
PREFIX_STAMP := $(BUILD)/gen/prefix-$(subst /,_,$(PREFIX))
$(PREFIX_STAMP):
	@mkdir -p $(dir $@) && rm -f $(BUILD)/gen/prefix-* && touch $@
$(call obj,controller/wrp_cli.c controller/wrp_index.c): $(PREFIX_STAMP)

# The self-test runner calls every `void wrp_x_test (bool verbose);` a header declares.
$(BUILD)/gen/selftests.h: $(wildcard common/*.h proto/*.h agent/*.h controller/*.h)
	@mkdir -p $(dir $@)
	grep -ho 'wrp_[a-z0-9_]*_test (bool verbose)' $^ | sed 's/_test (bool verbose)//' \
	    | sort -u | sed 's/.*/WRP_SELFTEST (&)/' > $@

$(BUILD)/obj/tests/selftest.o: tests/selftest.c $(BUILD)/gen/selftests.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_tests) -I$(BUILD)/gen -c -o $@ $<

$(SELFTEST): $(BUILD)/obj/tests/selftest.o $(LIBAGENT) $(LIBCTL) $(LIBWRP)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Test programs (the stand-in runtime and its stop binary, helpers).
$(BUILD)/test-bin/%: $(call obj,tests/runtime/%.c) $(LIBWRP)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Fuzz harnesses built with the normal compiler and a replay main, for make check.
$(BUILD)/fuzz-replay/%: $(call obj,tests/fuzz/%.c) $(call obj,tests/fuzz/replay.c) $(LIBAGENT) $(LIBCTL) $(LIBWRP)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Real libFuzzer builds (clang only).
FUZZ_CFLAGS = -std=c17 -g -O1 -D_GNU_SOURCE -Icommon -Iproto -Iagent -Icontroller $(PKG_CFLAGS) \
              -fsanitize=fuzzer,address,undefined
build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(AGENT_SRC) $(CTL_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) $(AGENT_SRC) $(CTL_SRC) $(PKG_LIBS) -lm

deps:
	@sh tests/deps.sh $(APT_PKGS)

check: deps
	$(MAKE) --no-print-directory all $(SELFTEST) $(TESTBINS) $(REPLAYS)
	$(MAKE) --no-print-directory check-unit check-fuzz check-integration

check-unit: $(SELFTEST)
	$(SELFTEST)

check-fuzz: $(REPLAYS)
	@set -e; for r in $(REPLAYS); do \
	    n=$$(basename $$r); \
	    $$r tests/fuzz/corpus/$${n#fuzz_}; \
	done

check-integration: all $(TESTBINS)
	BUILD=$(BUILD) bash tests/run.sh $(TESTS)

# The real Chimaera runtime, built from the source archives beside the
# checkout into build/real (rebuilt only when the archives change), under the
# suite tests/real/. Skipped, saying why, where the archives are absent.
REAL_SRC ?= $(CURDIR)/../shared/third_party
check-real: deps
	$(MAKE) --no-print-directory all $(TESTBINS)
	@rc=0; bash tests/real/build.sh "$(REAL_SRC)" build/real 2 || rc=$$?; \
	if [ $$rc -eq 77 ]; then echo "check-real: SKIPPED: the real-runtime suite needs the runtime's sources"; exit 0; fi; \
	[ $$rc -eq 0 ] || exit $$rc; \
	BUILD=$(BUILD) TEST_TIMEOUT=300 bash tests/run.sh $(or $(TESTS),tests/real/t_real_*.sh)

# The real-runtime bench row (start/stop at 16 and 64 nodes vs parallel-ssh).
bench-real: all $(TESTBINS)
	-@bash tests/real/build.sh "$(REAL_SRC)" build/real 2
	BUILD=$(BUILD) bash bench/real.sh

fuzz: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do \
	    n=$$(basename $$f); c=tests/fuzz/corpus/$${n#fuzz_}; mkdir -p $$c build/fuzz/new/$$n; \
	    echo "== $$n for $(FUZZ_TIME)s"; \
	    $$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 build/fuzz/new/$$n $$c 2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' ; \
	done

bench: all $(TESTBINS)
	BUILD=$(BUILD) bash bench/run.sh

# The main job on this machine: an agent on loopback, the basic pipeline
# through start, status, stop, clean (tests/demo.sh; leaves nothing running).
.PHONY: demo
demo: deps
	$(MAKE) --no-print-directory all $(TESTBINS)
	BUILD=$(BUILD) bash tests/demo.sh

# The version, from its one place in the tree (for the man pages).
VERSION := $(shell sed -n 's/^\#define WRP_VERSION "\(.*\)"/\1/p' common/wrp_version.h)
MAN_PAGES := $(wildcard man/*.[158])

# wrp-agentd is a daemon (sbin, section 8); the unit names where it is.
# /etc/wrp/agentd.yaml is installed once: an operator's edits are never
# overwritten (the new default goes next to it as agentd.yaml.dist).
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(SYSTEMD_UNIT_DIR) \
	    $(DESTDIR)$(PREFIX)/share/wrp/pipelines $(DESTDIR)$(PREFIX)/share/wrp/examples \
	    $(DESTDIR)$(SYSCONFDIR)/wrp/authorized_keys \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(AGENTD) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0755 $(CTL) $(DESTDIR)$(PREFIX)/bin/
	for u in systemd/*.service; do \
	    sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@BINDIR@|$(PREFIX)/bin|g' \
	        -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $$u > $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$(basename $$u); \
	    chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$(basename $$u); \
	done
	install -m 0644 pipelines/*.yaml $(DESTDIR)$(PREFIX)/share/wrp/pipelines/
	install -m 0644 systemd/agentd.yaml $(DESTDIR)$(PREFIX)/share/wrp/examples/agentd.yaml
	if [ -e $(DESTDIR)$(SYSCONFDIR)/wrp/agentd.yaml ]; then \
	    install -m 0644 systemd/agentd.yaml $(DESTDIR)$(SYSCONFDIR)/wrp/agentd.yaml.dist; \
	    echo "kept $(DESTDIR)$(SYSCONFDIR)/wrp/agentd.yaml; the new default is agentd.yaml.dist"; \
	else install -m 0644 systemd/agentd.yaml $(DESTDIR)$(SYSCONFDIR)/wrp/agentd.yaml; fi
	install -m 0644 completion/wrp-controller.bash \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/wrp-controller
	for m in $(MAN_PAGES); do \
	    s=$${m##*.}; \
	    sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@DATADIR@|$(PREFIX)/share/wrp|g' $$m \
	        > $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$m); \
	    chmod 0644 $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$m); \
	done

# The packages are built from a copy of the tree (less build/) in build/deb/src
# (dpkg-buildpackage writes its results to the parent directory and cleans
# the tree it builds in), so the .debs land in build/deb/.
deb:
	rm -rf build/deb && mkdir -p build/deb/src
	tar -c --exclude=./build --exclude=./.git . | tar -x -C build/deb/src
	cd build/deb/src && dpkg-buildpackage -us -uc -b
	ls build/deb/*.deb

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
