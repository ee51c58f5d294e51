# Blanket: a plain Makefile. `make demo` and `make check` are the README's two
# commands; both start with `setup`, which installs what a fresh Debian 12
# machine lacks.

BUILD    ?= build
SRCDIR   := $(CURDIR)
BUILDDIR := $(abspath $(BUILD))

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wimplicit-fallthrough -Werror
CPPFLAGS += -D_GNU_SOURCE -Itoolstack/common -Ilab -Itoolstack/blanket -Iblanket \
            -Itests/unit \
            -DBLANKET_SRCDIR='"$(SRCDIR)"' -DBLANKET_BUILDDIR='"$(BUILDDIR)"'
ALL_CFLAGS = $(CFLAGS) $(WARN) $(CPPFLAGS)

COMMON_SRC := toolstack/common/err.c toolstack/common/log.c \
              toolstack/common/fdio.c
LAB_SRC    := lab/ctl.c lab/ctl_client.c lab/node.c lab/state.c lab/lab.c
CLI_SRC    := $(wildcard toolstack/blanket/*.c)
NODE_SRC   := $(wildcard blanket/*.c)
AGENT_SRC  := lab/agent/agent.c lab/ctl.c
UNIT_SRC   := $(wildcard tests/unit/*.c)
C_SOURCES   = $(COMMON_SRC) $(LAB_SRC) $(CLI_SRC) $(NODE_SRC) lab/agent/agent.c \
              lab/guest/heartbeat.c $(UNIT_SRC)
HEADERS    := $(wildcard toolstack/*/*.h lab/*.h blanket/*.h tests/unit/*.h)

BLANKET    := $(BUILD)/bin/blanket
AGENT      := $(BUILD)/bin/blanket-lab-agent
HEARTBEAT  := $(BUILD)/lab/heartbeat
UNIT_TESTS := $(BUILD)/tests/unit-tests
DOM0_IMAGE := $(BUILD)/lab/vmlinuz $(BUILD)/lab/dom0.cpio.gz
LAB_IMAGE  := $(BUILD)/lab/xen $(DOM0_IMAGE)
# The blanket hypervisor, kept per version of its inputs.
XEN_INPUTS := config/xen-blanket.config $(wildcard patches/xen/*.patch) \
              blanket/xen/build
XEN_ID     := $(shell cat $(XEN_INPUTS) | sha256sum | cut -c1-12)
XEN        := $(BUILD)/xen/$(XEN_ID)/xen

.PHONY: all setup xen lab-image demo check check-format unit-test lab-test \
        bench format clean
.DELETE_ON_ERROR:

all: $(BLANKET) $(AGENT)

# Host packages: install only what is missing (apt-get update first, once).
SETUP_STAMP := $(BUILD)/.setup-done
setup: $(SETUP_STAMP)
$(SETUP_STAMP): config/host-packages.txt
	@pkgs=$$(grep -v -E '^\s*(#|$$)' $<); \
	missing=$$(for p in $$pkgs; do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "setup: installing" $$missing; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
	@mkdir -p $(@D) && touch $@

$(BUILD)/obj/%.o: %.c $(HEADERS) | $(SETUP_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

$(BLANKET): $(call obj,$(CLI_SRC) $(NODE_SRC) $(LAB_SRC) $(COMMON_SRC))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^

$(AGENT): $(call obj,$(AGENT_SRC) $(COMMON_SRC))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^

# The guest's only program: static, it runs as /init.
$(HEARTBEAT): lab/guest/heartbeat.c | $(SETUP_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -static -o $@ $<

# Node image: Debian packages (cached in $(BUILD)/cache), then the images.
$(BUILD)/lab/debs.list: config/lab-packages.txt lab/image/fetch-debs | $(SETUP_STAMP)
	@mkdir -p $(@D)
	lab/image/fetch-debs $< $(BUILD)/cache/debs >$@.new
	mv $@.new $@

$(BUILD)/lab/heartbeat.cpio.gz: $(HEARTBEAT) lab/image/mkguest
	lab/image/mkguest $(HEARTBEAT) $@

xen: $(XEN)
$(XEN): $(XEN_INPUTS) | $(SETUP_STAMP)
	blanket/xen/build config/xen-blanket.config patches/xen \
		$(BUILD)/cache/xen-src $(@D)

$(BUILD)/lab/xen: $(XEN)
	@mkdir -p $(@D)
	cp $< $@

$(DOM0_IMAGE) &: $(BUILD)/lab/debs.list $(AGENT) $(BUILD)/lab/heartbeat.cpio.gz \
		lab/guest/heartbeat.cfg $(wildcard lab/image/*)
	lab/image/mkdom0 $(BUILD)/lab/debs.list $(BUILD)/lab $(AGENT) \
		$(BUILD)/lab/heartbeat.cpio.gz lab/guest/heartbeat.cfg

lab-image: $(LAB_IMAGE)

demo: all lab-image
	PATH=$(BUILDDIR)/bin:$$PATH lab/demo

# Tests: format, unit (CUnit), lab (real Xen under QEMU).
check: check-format unit-test lab-test

check-format: | $(SETUP_STAMP)
	clang-format --dry-run --Werror $(C_SOURCES) $(HEADERS)

format:
	clang-format -i $(C_SOURCES) $(HEADERS)

$(UNIT_TESTS): $(call obj,$(UNIT_SRC) $(NODE_SRC) $(LAB_SRC) $(COMMON_SRC))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lcunit

unit-test: $(UNIT_TESTS)
	$(UNIT_TESTS)

lab-test: all lab-image
	PATH=$(BUILDDIR)/bin:$$PATH tests/lab/run

bench: all lab-image
	PATH=$(BUILDDIR)/bin:$$PATH lab/bench/xl-migrate

# Keeps the hypervisors and downloads (build/xen, build/cache).
clean:
	rm -rf $(BUILD)/obj $(BUILD)/bin $(BUILD)/tests $(BUILD)/lab
