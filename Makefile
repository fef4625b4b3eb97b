# SPDX-License-Identifier: GPL-2.0
#
# rtun: the TUN/TAP driver in Rust, built out of tree.
#
#   make               build rtun.ko against the cached test kernel (or KDIR=<build tree>)
#   make kernel        build (or reuse) the cached Rust-enabled test kernel
#   make check         everything from scratch if needed, then the test suite in a VM
#   make demo          boot a VM that shows rtun carrying traffic
#   make demo-qemu     QEMU in the VM: multiqueue virtio-net with vhost-net, on tun.ko and rtun
#   make vm CMD='…'    boot the test kernel, run CMD in the guest (no CMD: a shell)
#   make bench         rtun against tun.ko, measured in one boot
#   make check-upstream  the kernel's BPF selftests that drive a tun/tap, and the LSM
#                      hooks, on tun.ko and rtun (a kernel with BTF and BPF LSM, cached)
#   make intree        the patch series adding rtun to a kernel tree (KSRC=<source tree>)
#   make check-intree  that series applied to the test kernel's source, built with
#                      CONFIG_RTUN=m, booted, the test suite run on its rtun.ko
#   make fmt / clippy  rustfmt check / build with CLIPPY=1
#
# DEBUG=1 selects the debug kernel (KASAN, lockdep, PROVE_RCU, kmemleak, ...).

SHELL := /bin/bash
PWD_ := $(CURDIR)
SCRIPTS := $(PWD_)/scripts
DEBUG ?= 0
UPSTREAM ?= 0
KERNEL_FLAGS := $(strip $(if $(filter 1,$(DEBUG)),--debug) $(if $(filter 1,$(UPSTREAM)),--upstream))
RTUN_CACHE ?= $(HOME)/.cache/rtun
export RTUN_CACHE
BINDGEN ?= $(HOME)/.cargo/bin/bindgen
KMAKE := LLVM=-19 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc BINDGEN=$(BINDGEN) \
	CLIPPY_DRIVER=/usr/bin/clippy-driver RUSTFMT=/usr/bin/rustfmt \
	LIBCLANG_PATH=/usr/lib/llvm-19/lib

# The kernel build tree: given as KDIR=, or the cached test kernel for this configuration.
# Evaluated in the recipes, after `deps` has installed the toolchain the cache key hashes.
GET_KDIR := $(if $(KDIR),$(KDIR),$$($(SCRIPTS)/kernel.sh $(KERNEL_FLAGS) --print-dir))
KSRC := $(RTUN_CACHE)/src/linux-source-7.3
BUILD := $(PWD_)/build$(if $(filter 1,$(DEBUG)),/debug)$(if $(filter 1,$(UPSTREAM)),/upstream)

.PHONY: all module kernel deps samples selftests check check-upstream check-upstream-run demo \
	demo-qemu vm bench fmt clippy clean intree intree-ci check-intree

all: module

deps:
	$(SCRIPTS)/install-deps.sh

kernel: deps
ifeq ($(KDIR),)
	$(SCRIPTS)/kernel.sh $(KERNEL_FLAGS)
endif

module: kernel
	$(MAKE) -C "$(GET_KDIR)" M=$(PWD_) $(KMAKE) $(if $(CLIPPY),CLIPPY=1) modules

clippy:
	$(MAKE) module CLIPPY=1

fmt: deps
	/usr/bin/rustfmt --config-path $(KSRC)/.rustfmt.toml --check \
		$(shell find rust -name '*.rs' ! -name generated.rs)

selftests: kernel
	$(MAKE) -C selftests KSRC=$(KSRC) KDIR="$(GET_KDIR)" OUT=$(BUILD)/selftests

check: module selftests intree-ci
	$(SCRIPTS)/vm.sh --kdir "$(GET_KDIR)" --results $(BUILD)/check --module $(PWD_)/rtun.ko \
		--selftests $(BUILD)/selftests --tap --exec $(SCRIPTS)/guest-check.sh

# rtun as a kernel patch series (scripts/intree.sh): build/intree/series, a cover letter
# and the patches adding drivers/net/rtun/, its selftests and documentation to KSRC.
intree:
	$(SCRIPTS)/intree.sh --ksrc $(KSRC) --out $(BUILD)/intree
	@echo "intree: series in $(BUILD)/intree/series"

# Part of make check, about a minute: the series applies with git am to the pristine
# files, rtun.rst parses, checkpatch finds no error, the patched drivers/net/rtun/ builds
# with M= against the test kernel (scripts/intree-ci.sh).
intree-ci: kernel
	$(SCRIPTS)/intree-ci.sh --ksrc $(KSRC) --kdir "$(GET_KDIR)" --out $(BUILD)/intree-ci

# The series in a full kernel build (scripts/check-intree.sh: the patched source built
# with CONFIG_RTUN=m from a copy of the test kernel's build, so only what the series
# changes is rebuilt), booted with its own rtun.ko for the test suite.
check-intree: kernel
	$(SCRIPTS)/check-intree.sh --out $(BUILD)/check-intree

# The upstream-test kernel (scripts/config/upstream.config: BTF, BPF LSM) with its own
# build of the kernel's BPF selftests (scripts/bpf-selftests.sh), both cached; rtun.ko is
# rebuilt for it. Results in build/upstream/check-upstream.
check-upstream:
	$(MAKE) check-upstream-run UPSTREAM=1

check-upstream-run: module selftests
	@[ "$(UPSTREAM)" = 1 ] || { echo "check-upstream-run: use make check-upstream" >&2; exit 2; }
	$(SCRIPTS)/bpf-selftests.sh --kdir "$(GET_KDIR)"
	$(SCRIPTS)/vm.sh --kdir "$(GET_KDIR)" --results $(BUILD)/check-upstream \
		--module $(PWD_)/rtun.ko --selftests $(BUILD)/selftests --tap \
		--exec "$(SCRIPTS)/guest-upstream.sh $$($(SCRIPTS)/bpf-selftests.sh --kdir "$(GET_KDIR)" --print-dir)"

samples:
	$(MAKE) -C samples OUT=$(BUILD)/samples

demo: module samples
	RTUN_SAMPLES=$(BUILD)/samples $(SCRIPTS)/vm.sh --kdir "$(GET_KDIR)" --results $(BUILD)/demo \
		--module $(PWD_)/rtun.ko --exec $(SCRIPTS)/guest-demo.sh

# A nested QEMU (TCG) in the test VM boots a small kernel of its own (scripts/guest-kernel.sh,
# cached like the test kernel) with a 2-queue-pair virtio-net NIC on a tap, vhost=on and
# off, on tun.ko then on rtun (scripts/guest-qemu.sh); the nested consoles land in
# $(BUILD)/demo-qemu.
demo-qemu: module
	$(SCRIPTS)/guest-kernel.sh
	$(SCRIPTS)/qemu-initramfs.sh --out $(BUILD)/qemu-guest
	$(SCRIPTS)/vm.sh --kdir "$(GET_KDIR)" --results $(BUILD)/demo-qemu --module $(PWD_)/rtun.ko \
		--exec "$(SCRIPTS)/guest-qemu.sh $$($(SCRIPTS)/guest-kernel.sh --print-dir) \
		$(BUILD)/qemu-guest/initramfs.cpio"

vm: kernel
	$(SCRIPTS)/vm.sh --kdir "$(GET_KDIR)" --results $(BUILD)/vm --raw $(if $(CMD),--exec "$(CMD)")

# tun.ko against rtun in one boot per view (scripts/bench.sh); results in $(BUILD)/bench.
# rtun.ko is built when missing or built for another kernel, else measured as it is (`make
# module` first to measure fresh changes); RTUN_KO=<file> measures that module instead.
RTUN_KO ?= $(PWD_)/rtun.ko
bench: kernel
	@$(SCRIPTS)/bench.sh --kdir "$(GET_KDIR)" --module $(RTUN_KO) --check-module || $(MAKE) module
	$(MAKE) -C bench OUT=$(BUILD)/bench/bin
	$(SCRIPTS)/bench.sh --kdir "$(GET_KDIR)" --module $(RTUN_KO) --bin $(BUILD)/bench/bin \
		--out $(BUILD)/bench

clean:
	$(MAKE) -C "$(GET_KDIR)" M=$(PWD_) $(KMAKE) clean
	rm -rf build rust/bindings/generated.rs
