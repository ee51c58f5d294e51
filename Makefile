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
# One include root: every include names its module ("toolstack/rpc/rpc.h").
# No path of this tree reaches a binary, not even its debug information.
CPPFLAGS += -D_GNU_SOURCE -I.
ALL_CFLAGS = $(CFLAGS) $(WARN) $(CPPFLAGS) -ffile-prefix-map=$(SRCDIR)=.

COMMON_SRC := $(wildcard toolstack/common/*.c)
RPC_SRC    := $(wildcard toolstack/rpc/*.c)
TLS_SRC    := $(wildcard toolstack/tls/*.c)
CLIENT_SRC := $(wildcard toolstack/client/*.c)
MIG_SRC    := $(wildcard toolstack/mig/*.c)
# blanket bench: its model, workloads, statistics and report; the CLI runs
# L0's workloads, blanketd L1's, the benchmark guest L2's.
BENCH_SRC  := $(wildcard toolstack/bench/*.c)
# The block backend (drivers/blk): its pure parts (requests, the ring,
# images, dirty tracking, the handshake's decisions) go into the tests
# too; the process (xenstore, grants, event channels) into blanket-blk.
BLK_XEN    := drivers/blk/blk_batch.c drivers/blk/blk_disk.c \
              drivers/blk/blk_grant.c
BLK_SRC    := $(filter-out drivers/blk/main.c $(BLK_XEN), \
                $(wildcard drivers/blk/*.c))
# What blanketd takes of it: for live storage migration, the backends'
# control channel and the image hash; for `blanket info`, the names of
# the backends' states.
BLK_MIGRATE := drivers/blk/blk_ctl.c drivers/blk/blk_dirty.c \
               drivers/blk/blk_mirror.c \
               drivers/blk/blk_hashes.c drivers/blk/blk_image.c \
               drivers/blk/blk_xenbus.c
# The hypervisor module: hv.c (names) is everyone's; hv_libxl.c (the only
# libxl caller) goes into blanketd alone; xl.cfg parsing and the test driver
# (they build libxl types) into blanketd and the tests.
HV_SRC     := toolstack/hv/hv_xlcfg.c toolstack/hv/hv_policy.c \
              toolstack/hv/hv_cmdline.c \
              toolstack/hv/hv_fake.c
HV_LIBXL   := toolstack/hv/hv_libxl.c
XEN_LIBS   := -lxlutil -lxenlight -lxentoollog -lxenstore
# The command-table machinery, shared by blanket and blanket-lab.
CMD_SRC    := toolstack/blanket/cmd.c
CLI_SRC    := $(filter-out toolstack/blanket/main.c $(CMD_SRC), \
                $(wildcard toolstack/blanket/*.c))
DAEMON_SRC := $(wildcard toolstack/blanketd/*.c)
NODE_SRC   := $(wildcard blanket/*.c)
LAB_SRC    := lab/cli.c lab/ctl.c lab/ctl_client.c lab/node.c lab/state.c \
              lab/lab.c lab/enroll.c
AGENT_SRC  := lab/agent/agent.c lab/ctl.c
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
# What the unit tests and fuzzers link: every source but the programs'
# main() and blanketd's libxl driver.
LIB_SRC     = $(NODE_SRC) $(CLI_SRC) $(CMD_SRC) $(CLIENT_SRC) $(RPC_SRC) \
              $(TLS_SRC) $(BENCH_SRC) $(LAB_SRC) $(MIG_SRC) $(BLK_SRC) toolstack/hv/hv.c \
              $(COMMON_SRC)
SSL_LIBS   := -lssl -lcrypto
UNIT_SRC   := $(wildcard tests/unit/*.c)
C_SOURCES   = $(LIB_SRC) $(HV_SRC) $(HV_LIBXL) toolstack/blanket/main.c \
              drivers/blk/main.c $(BLK_XEN) \
              lab/main.c $(DAEMON_SRC) lab/agent/agent.c lab/guest/heartbeat.c \
              lab/guest/diskwriter.c lab/guest/netecho.c \
              lab/guest/benchguest.c lab/guest/l0probe.c \
              drivers/l0/l0_core.c drivers/l0/l0_xenbus.c drivers/l0/l0_grant.c \
              drivers/l0/l0_device.c drivers/l0/l0_blkfront.c \
              drivers/l0/l0_netfront.c \
              lab/stamp/stamp.c tests/bench/mig_pipeline.c $(UNIT_SRC) \
              $(FUZZ_SRC)
HEADERS    := $(wildcard toolstack/*/*.h drivers/*/*.h lab/*.h lab/guest/*.h \
              blanket/*.h tests/unit/*.h)

BLANKET    := $(BUILD)/bin/blanket
BLANKETD   := $(BUILD)/bin/blanketd
LAB        := $(BUILD)/bin/blanket-lab
AGENT      := $(BUILD)/bin/blanket-lab-agent
STAMP      := $(BUILD)/bin/blanket-lab-stamp
BLK        := $(BUILD)/bin/blanket-blk
HEARTBEAT  := $(BUILD)/lab/heartbeat
DISKWRITER := $(BUILD)/lab/diskwriter
NETECHO    := $(BUILD)/lab/netecho
BENCHGUEST := $(BUILD)/lab/benchguest
L0PROBE    := $(BUILD)/lab/l0probe
L0_MODULE  := $(BUILD)/lab/blanket-l0.ko
UNIT_TESTS := $(BUILD)/tests/unit-tests
DOM0_IMAGE := $(BUILD)/lab/vmlinuz $(BUILD)/lab/dom0.cpio.gz
LAB_IMAGE  := $(BUILD)/lab/xen $(DOM0_IMAGE)
# The blanket hypervisor, kept per version of its inputs.
XEN_INPUTS := config/xen-blanket.config $(wildcard patches/xen/*.patch) \
              blanket/xen/build
XEN_ID     := $(shell cat $(XEN_INPUTS) | sha256sum | cut -c1-12)
XEN        := $(BUILD)/xen/$(XEN_ID)/xen

.PHONY: all setup xen lab-image lab-image-l0-xen demo check check-format check-binaries \
        unit-test lab-test chaos-check chaos chaos-lab \
        host-test fuzz fuzz-check bench bench-disk bench-disk-migrate \
        bench-net bench-nesting bench-downtime bench-l0-xen l0-xen-test format install install-xen deb \
        install-test \
        clean
.DELETE_ON_ERROR:

all: $(BLANKET) $(BLANKETD) $(BLK) $(LAB) $(AGENT) $(STAMP)

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

$(BUILD)/obj/%.o: %.c $(HEADERS) Makefile | $(SETUP_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# The node's CLI: nothing of the lab, nothing of the migration codec.
$(BLANKET): $(call obj,toolstack/blanket/main.c $(CLI_SRC) $(CMD_SRC) \
		$(NODE_SRC) $(CLIENT_SRC) $(RPC_SRC) $(TLS_SRC) $(BENCH_SRC) \
		toolstack/hv/hv.c $(COMMON_SRC))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SSL_LIBS) -lm

$(LAB): $(call obj,lab/main.c $(LAB_SRC) $(CMD_SRC) $(CLIENT_SRC) \
		$(RPC_SRC) $(TLS_SRC) $(COMMON_SRC))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SSL_LIBS)

$(BLANKETD): $(call obj,$(DAEMON_SRC) toolstack/hv/hv.c $(HV_SRC) \
		$(HV_LIBXL) $(NODE_SRC) $(CLIENT_SRC) $(MIG_SRC) $(RPC_SRC) \
		$(TLS_SRC) $(BLK_MIGRATE) $(BENCH_SRC) $(COMMON_SRC))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SSL_LIBS) $(XEN_LIBS) -lz -lzstd -lm

$(BLK): $(call obj,drivers/blk/main.c $(BLK_XEN) $(BLK_SRC) $(COMMON_SRC))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lxenstore -lxengnttab -lxenevtchn -lcrypto

$(AGENT): $(call obj,$(AGENT_SRC) $(COMMON_SRC))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^

$(STAMP): $(call obj,lab/stamp/stamp.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^

# The test guests' only programs: static, they run as /init.
$(BUILD)/lab/%: lab/guest/%.c lab/guest/guest_init.h | $(SETUP_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -static -o $@ $<

# netecho pings with blanket bench's ICMP echo: one copy of it, linked in.
NETECHO_SRC := lab/guest/netecho.c toolstack/bench/workload.c \
               toolstack/bench/net.c
$(NETECHO): $(NETECHO_SRC) lab/guest/guest_init.h lab/guest/guest_net.h \
		toolstack/bench/workload.h toolstack/common/err.h | $(SETUP_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -static -o $@ $(NETECHO_SRC)

# blanket bench's L2 guest (docs/bench.md): the workloads blanket and
# blanketd run on L0 and L1, linked in.
BENCHGUEST_SRC := lab/guest/benchguest.c toolstack/bench/bench.c \
                  toolstack/bench/workload.c toolstack/bench/net.c
$(BENCHGUEST): $(BENCHGUEST_SRC) lab/guest/guest_init.h lab/guest/guest_net.h \
		toolstack/bench/bench.h toolstack/bench/workload.h \
		toolstack/common/err.h | $(SETUP_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -static -o $@ $(BENCHGUEST_SRC)

# Node image: Debian packages (cached in $(BUILD)/cache), then the images.
$(BUILD)/lab/debs.list: config/lab-packages.txt lab/image/fetch-debs | $(SETUP_STAMP)
	@mkdir -p $(@D)
	lab/image/fetch-debs $< $(BUILD)/cache/debs >$@.new
	mv $@.new $@

$(BUILD)/lab/heartbeat.cpio.gz: $(HEARTBEAT) lab/image/mkguest
	lab/image/mkguest $(HEARTBEAT) $@

# The disk guest loads blkfront, the network guest netfront, from the
# node's kernel package.
$(BUILD)/lab/xen-%front.ko: $(BUILD)/lab/debs.list
	dpkg-deb --fsys-tarfile $$(grep /linux-image- $<) | \
		tar -xO --wildcards '*/xen-$*front.ko' >$@.new
	mv $@.new $@

$(BUILD)/lab/diskwriter.cpio.gz: $(DISKWRITER) $(BUILD)/lab/xen-blkfront.ko \
		lab/image/mkguest
	lab/image/mkguest $(DISKWRITER) $@ $(BUILD)/lab/xen-blkfront.ko

$(BUILD)/lab/netecho.cpio.gz: $(NETECHO) $(BUILD)/lab/xen-netfront.ko \
		lab/image/mkguest | $(SETUP_STAMP)
	lab/image/mkguest $(NETECHO) $@ $(BUILD)/lab/xen-netfront.ko \
		/usr/bin/iperf3 /usr/bin/busybox

$(BUILD)/lab/benchguest.cpio.gz: $(BENCHGUEST) $(BUILD)/lab/xen-blkfront.ko \
		$(BUILD)/lab/xen-netfront.ko lab/image/mkguest
	lab/image/mkguest $(BENCHGUEST) $@ $(BUILD)/lab/xen-blkfront.ko \
		$(BUILD)/lab/xen-netfront.ko

# The blanket drivers (drivers/l0; docs/l0-xen.md): out-of-tree modules for
# the lab dom0's kernel, built in the build folder against Debian's headers
# for that very kernel (installed here if missing: Debian's meta package
# may name a newer one than the lab's cached image).
L0_MODULE_SRC := $(wildcard drivers/l0/*.[ch]) drivers/l0/Kbuild
$(L0_MODULE): $(L0_MODULE_SRC) $(BUILD)/lab/debs.list
	rm -rf $(BUILD)/drivers/l0
	mkdir -p $(BUILD)/drivers/l0
	cp $(L0_MODULE_SRC) $(BUILD)/drivers/l0/
	kver=$$(sed -n 's|.*/linux-image-\([^_]*\)_.*|\1|p' $(BUILD)/lab/debs.list); \
	kdir=/usr/src/linux-headers-$$kver; \
	[ -d "$$kdir" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "linux-headers-$$kver" >/dev/null || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y \
		-qq --no-install-recommends "linux-headers-$$kver" >/dev/null; } || exit 1; \
	$(MAKE) -C "$$kdir" M=$(BUILDDIR)/drivers/l0 modules
	cp $(BUILD)/drivers/l0/blanket-l0.ko $@

xen: $(XEN)
$(XEN): $(XEN_INPUTS) | $(SETUP_STAMP)
	blanket/xen/build config/xen-blanket.config patches/xen \
		$(BUILD)/cache/xen-src $(@D)

$(BUILD)/lab/xen: $(XEN)
	@mkdir -p $(@D)
	cp $< $@

# Blanket's programs that run in every node's dom0.
NODE_PROGRAMS = $(AGENT) $(BLANKET) $(BLANKETD) $(BLK) $(STAMP)

GUEST_FILES = $(BUILD)/lab/heartbeat.cpio.gz lab/guest/heartbeat.cfg \
              $(BUILD)/lab/diskwriter.cpio.gz lab/guest/diskwriter.cfg \
              $(DISKWRITER) \
              $(BUILD)/lab/netecho.cpio.gz lab/guest/netecho.cfg \
              $(BUILD)/lab/benchguest.cpio.gz

$(DOM0_IMAGE) &: $(BUILD)/lab/debs.list $(NODE_PROGRAMS) $(GUEST_FILES) \
		$(wildcard lab/image/*) drivers/blk/blanket-blk-hotplug \
		$(wildcard drivers/net/*)
	lab/image/mkdom0 $(BUILD)/lab/debs.list $(BUILD)/lab $(GUEST_FILES) \
		-- $(NODE_PROGRAMS)

lab-image: $(LAB_IMAGE)

# A xen-hvm lab node (docs/lab.md): Debian's hypervisor as its L0 (HVM and
# HAP, as a Xen cloud runs it), and that L0's dom0 image, which starts the
# node as its PVH guest.
L0_LAB_IMAGE := $(BUILD)/lab/l0-xen $(BUILD)/lab/l0-dom0.cpio.gz
$(BUILD)/lab/l0-xen: | $(SETUP_STAMP)
	mkdir -p $(BUILD)/cache/l0-xen
	cd $(BUILD)/cache/l0-xen && { ls xen-hypervisor-4.17-amd64_*.deb \
		>/dev/null 2>&1 || apt-get download -q xen-hypervisor-4.17-amd64; }
	dpkg-deb --fsys-tarfile $(BUILD)/cache/l0-xen/xen-hypervisor-4.17-amd64_*.deb | \
		tar -xO --wildcards './boot/xen-4.17-amd64.gz' | gunzip >$@.new
	mv $@.new $@

$(BUILD)/lab/l0-dom0.cpio.gz: $(BUILD)/lab/xen $(DOM0_IMAGE) $(L0_MODULE) \
		lab/image/mkl0dom0 lab/image/l0-start-node blanket/xen/pvh-pack
	lab/image/mkl0dom0 $@ $(BUILD)/lab/xen $(DOM0_IMAGE) $(L0_MODULE)

lab-image-l0-xen: $(LAB_IMAGE) $(L0_LAB_IMAGE)

demo: all lab-image
	PATH=$(BUILDDIR)/bin:$$PATH lab/demo

# Tests: format, unit (CUnit), fuzz (short runs), host integration (two
# blanketd with the test hypervisor, real TLS), lab (real Xen under QEMU).
check: check-format check-binaries unit-test fuzz-check host-test chaos-check \
	lab-test

check-format: | $(SETUP_STAMP)
	clang-format --dry-run --Werror $(C_SOURCES) $(HEADERS)
	@# Layering: what a node runs never includes the lab or the tests.
	@! grep -n '#include "\(lab\|tests\)/' $$(find toolstack blanket \
		$(wildcard drivers) -name '*.[ch]') || \
		{ echo "check-format: production code includes lab/ or tests/"; exit 1; }

format:
	clang-format -i $(C_SOURCES) $(HEADERS)

# What a node installs knows nothing of the lab or of this tree: blanket
# defines no symbol of the lab's or the migration codec's objects, and no
# binary holds this folder's path.
check-binaries: all
	@nm --defined-only $(call obj,$(LAB_SRC) $(MIG_SRC)) | \
		awk 'NF == 3 && $$2 ~ /[TDRB]/ {print $$3}' | sort -u >$(BUILD)/lab.syms
	@nm --defined-only $(BLANKET) | awk '{print $$3}' | sort -u | \
		comm -12 - $(BUILD)/lab.syms >$(BUILD)/leaked.syms
	@if [ -s $(BUILD)/leaked.syms ]; then \
		echo "check-binaries: blanket carries lab or migration symbols:"; \
		cat $(BUILD)/leaked.syms; exit 1; fi
	@if strings $(BLANKET) $(BLANKETD) $(BLK) $(LAB) | grep -F "$(SRCDIR)"; then \
		echo "check-binaries: a binary holds the build path $(SRCDIR)"; \
		exit 1; fi
	@echo "check-binaries: blanket has none of the lab's $$(wc -l <$(BUILD)/lab.syms) symbols; no binary names $(SRCDIR)"

$(UNIT_TESTS): $(call obj,$(UNIT_SRC) $(LIB_SRC) $(HV_SRC) \
		toolstack/blanketd/ledger.c toolstack/blanketd/access.c \
		toolstack/blanketd/disk_send.c toolstack/blanketd/disk_recv.c \
		toolstack/blanketd/overlay.c toolstack/blanketd/peer.c \
		toolstack/blanketd/dhcp.c toolstack/blanketd/converge.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lcunit $(SSL_LIBS) $(XEN_LIBS) -lz -lzstd -lm

unit-test: $(UNIT_TESTS)
	$(UNIT_TESTS)

# Fuzzers (libFuzzer): tests/fuzz/fuzz_NAME.c with its corpus in
# tests/fuzz/corpus/NAME/; crashers found become unit-test cases.
FUZZ_SECONDS ?= 20
FUZZERS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=undefined $(WARN) $(CPPFLAGS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(HV_SRC) $(HEADERS) | $(SETUP_STAMP)
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(HV_SRC) $(SSL_LIBS) $(XEN_LIBS) -lz -lzstd -lm

# The request dispatcher's fuzzer takes blanketd's sessions too.
SESSION_SRC := $(filter-out toolstack/blanketd/main.c,$(DAEMON_SRC))
$(BUILD)/fuzz/fuzz_session: tests/fuzz/fuzz_session.c $(LIB_SRC) $(HV_SRC) \
		$(SESSION_SRC) $(HEADERS) | $(SETUP_STAMP)
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(HV_SRC) $(SESSION_SRC) \
		$(SSL_LIBS) $(XEN_LIBS) -lz -lzstd -lm

fuzz: $(FUZZERS)

fuzz-check: $(FUZZERS)
	@for f in $(FUZZERS); do \
		name=$$(basename $$f); corpus=tests/fuzz/corpus/$${name#fuzz_}; \
		mkdir -p $(BUILD)/fuzz/new-$$name; \
		echo "fuzz: $$name for $(FUZZ_SECONDS) s on $$corpus"; \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/new-$$name $$corpus \
			2>$(BUILD)/fuzz/$$name.log || { tail -n 30 $(BUILD)/fuzz/$$name.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|stat::peak_rss' $(BUILD)/fuzz/$$name.log; \
	done

host-test: all
	PATH=$(BUILDDIR)/bin:$$PATH tests/host/run

lab-test: all lab-image
	PATH=$(BUILDDIR)/bin:$$PATH tests/lab/run

# The chaos campaign (tests/chaos/run): a guest runs exactly once under
# random operations and faults. A new seed each time; a violation prints it.
CHAOS_STEPS ?= 2000
chaos-check: all
	PATH=$(BUILDDIR)/bin:$$PATH tests/chaos/run --steps $(CHAOS_STEPS)

chaos: all
	PATH=$(BUILDDIR)/bin:$$PATH tests/chaos/run --steps 20000

# Against real Xen: a lab of its own, the heartbeat guests, real faults.
chaos-lab: all lab-image
	PATH=$(BUILDDIR)/bin:$$PATH tests/chaos/lab

# Loopback, then a link shaped like one between clouds.
bench: all lab-image
	PATH=$(BUILDDIR)/bin:$$PATH lab/bench/migrate
	PATH=$(BUILDDIR)/bin:$$PATH LINK="100mbit 10ms" lab/bench/migrate

bench-disk: all lab-image
	PATH=$(BUILDDIR)/bin:$$PATH lab/bench/disk

bench-disk-migrate: all lab-image
	PATH=$(BUILDDIR)/bin:$$PATH lab/bench/disk-migrate

bench-net: all lab-image
	PATH=$(BUILDDIR)/bin:$$PATH lab/bench/net

bench-nesting: all lab-image
	PATH=$(BUILDDIR)/bin:$$PATH lab/bench/nesting

bench-downtime: all lab-image
	PATH=$(BUILDDIR)/bin:$$PATH lab/bench/downtime

# An L0 Xen in the lab, and the blanket hypervisor as its PVH guest.
bench-l0-xen: all lab-image $(BUILD)/lab/l0-xen $(L0PROBE) $(L0_MODULE)
	PATH=$(BUILDDIR)/bin:$$PATH BUILD=$(BUILDDIR) lab/bench/l0-xen

# The same run as a test (.ci/run): it fails unless the L1 dom0 reaches the
# L0's services, disk and NIC (issue 18, steps 2 and 3); its report stays in
# the build folder.
l0-xen-test: all lab-image $(BUILD)/lab/l0-xen $(L0PROBE) $(L0_MODULE)
	PATH=$(BUILDDIR)/bin:$$PATH BUILD=$(BUILDDIR) \
		BENCH_OUT=$(BUILDDIR)/l0-xen-test lab/bench/l0-xen

# The migration stream codec on the host (tests/bench/mig-pipeline runs it).
$(BUILD)/bench/mig_pipeline: $(call obj,tests/bench/mig_pipeline.c \
		tests/unit/payload.c $(MIG_SRC) toolstack/common/stream_fd.c \
		toolstack/common/fdio.c toolstack/common/err.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lz -lzstd

# What a node gets (the Debian packages' contents, debian/): `make install
# DESTDIR=...` the toolstack, `make install-xen` the blanket hypervisor.
install: $(BLANKET) $(BLANKETD) $(BLK)
	install -D -m 755 $(BLANKET) $(DESTDIR)/usr/bin/blanket
	install -D -m 755 $(BLANKETD) $(DESTDIR)/usr/sbin/blanketd
	install -D -m 755 $(BLK) $(DESTDIR)/usr/sbin/blanket-blk
	install -D -m 755 drivers/net/blanket-overlay \
		$(DESTDIR)/usr/lib/blanket/blanket-overlay
	install -D -m 755 drivers/net/blanket-dhcp \
		$(DESTDIR)/usr/lib/blanket/blanket-dhcp
	install -D -m 755 drivers/blk/blanket-blk-hotplug \
		$(DESTDIR)/etc/xen/scripts/blanket-blk
	install -D -m 755 drivers/net/blanket-vif-hotplug \
		$(DESTDIR)/etc/xen/scripts/blanket-vif
	install -D -m 644 config/blanketd.service \
		$(DESTDIR)/lib/systemd/system/blanketd.service
	install -D -m 644 config/blanket-node-ready.service \
		$(DESTDIR)/lib/systemd/system/blanket-node-ready.service
	for prog in node-install node-ready node-uninstall; do \
		install -D -m 755 blanket/install/$$prog \
			$(DESTDIR)/usr/lib/blanket/$$prog || exit 1; \
	done
	install -D -m 644 blanket/install/install-lib \
		$(DESTDIR)/usr/lib/blanket/install-lib
	for page in blanket.1 blanketd.8 blanket-blk.8 cluster.conf.5 \
			node.conf.5; do \
		install -D -m 644 docs/man/$$page \
			$(DESTDIR)/usr/share/man/man$${page##*.}/$$page || exit 1; \
	done

# Not /boot/xen-*: Debian's GRUB script (20_linux_xen) would make an entry
# of it, and installing the package must change nothing until the node is
# enabled (docs/install.md).
install-xen: $(XEN)
	install -d $(DESTDIR)/boot/blanket
	gzip -9n <$(XEN) >$(DESTDIR)/boot/blanket/xen.gz
	install -D -m 644 $(dir $(XEN))VERSION \
		$(DESTDIR)/usr/share/blanket-xen/VERSION
	install -D -m 644 $(dir $(XEN))xen.config \
		$(DESTDIR)/usr/share/blanket-xen/xen.config
	install -D -m 755 config/grub/25_blanket \
		$(DESTDIR)/etc/grub.d/25_blanket

# Debian packages (debian/), built from a copy of the packaging in
# $(BUILD)/deb with dpkg-buildflags' hardening, then checked with lintian.
deb: $(XEN) | $(SETUP_STAMP)
	rm -rf $(BUILD)/deb
	mkdir -p $(BUILD)/deb/src
	cp -a debian $(BUILD)/deb/src/
	BLANKET_SRC=$(SRCDIR) BLANKET_BUILD=$(BUILDDIR)/deb/build \
		BLANKET_XEN=$(abspath $(XEN)) \
		sh -c 'cd $(BUILD)/deb/src && dpkg-buildpackage -b -uc -us'
	lintian --fail-on error,warning $(BUILD)/deb/*.changes
	ls -l $(BUILD)/deb/*.deb

# A plain Debian 12 cloud instance becomes a node on first boot, from the
# packages (tests/install/run; docs/install.md). The instance's disk image
# is made once per version of its recipe.
CLOUD_IMAGE := $(BUILD)/install/debian-12.img
$(CLOUD_IMAGE): lab/install/mkcloudimage | $(SETUP_STAMP)
	lab/install/mkcloudimage $(BUILD)/install

install-test: deb all lab-image $(CLOUD_IMAGE)
	PATH=$(BUILDDIR)/bin:$$PATH tests/install/run $(BUILDDIR)/deb \
		$(BUILDDIR)/install $(BUILDDIR)/lab

# Keeps the hypervisors and downloads (build/xen, build/cache).
clean:
	rm -rf $(BUILD)/obj $(BUILD)/bin $(BUILD)/tests $(BUILD)/lab
