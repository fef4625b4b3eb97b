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
#   make bench         rtun against tun.ko, measured in one boot (BASE=<commit>: and that
#                      commit's rtun, in the same boot)
#   make profile       instructions per packet per function, tun.ko against rtun, exact
#                      (a QEMU plugin under -icount; PROFILE_MODES, PROFILE_READ_RUNS,
#                      PROFILE_RUNS)
#   make check-upstream  the kernel's BPF selftests that drive a tun/tap, and the LSM
#                      hooks, on tun.ko and rtun (a kernel with BTF and BPF LSM, cached)
#   make intree        the patch series adding rtun to a kernel tree (KSRC=<source tree>)
#   make check-intree  that series applied to the test kernel's source, built with
#                      CONFIG_RTUN=m, booted, the test suite run on its rtun.ko
#   make fuzz          the fuzzer on the debug kernel: rtun in rounds to >= 10^6 syscalls,
#                      then tun.ko for comparison (FUZZ_SEED, FUZZ_ROUNDS, FUZZ_SECONDS, ...)
#   make load          selftests/load.c at full size: 4096 devices, a 1024-queue TAP, in
#                      rounds, memory back to the start (LOAD_DEVICES, LOAD_ROUNDS, ...)
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
# INLINE=1 (the default): the kernels and the module built with LLVM 22 and the C helpers
# inlined into Rust; INLINE=0: LLVM 19, no inlining (see scripts/toolchain.sh, which the
# scripts read; the two must agree).
INLINE ?= 1
export RTUN_INLINE := $(INLINE)
LLVM_SUFFIX := $(if $(filter 1,$(INLINE)),-22,-19)
# KDIR=<tree>: the LLVM that tree was built with, whatever INLINE says (a module's compiler
# must be its kernel's; with the tree's CONFIG_RUST_INLINE_HELPERS, the bitcode's too).
KDIR_CLANG := $(if $(KDIR),$(shell sed -n 's/^CONFIG_CLANG_VERSION=\([0-9]*\)$$/\1/p' \
	$(KDIR)/.config 2>/dev/null))
ifneq ($(KDIR_CLANG),)
LLVM_SUFFIX := -$(shell expr $(KDIR_CLANG) / 10000)
endif
KMAKE := LLVM=$(LLVM_SUFFIX) RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc BINDGEN=$(BINDGEN) \
	CLIPPY_DRIVER=/usr/bin/clippy-driver RUSTFMT=/usr/bin/rustfmt \
	LIBCLANG_PATH=/usr/lib/llvm$(LLVM_SUFFIX)/lib

# The kernel build tree: given as KDIR=, or the cached test kernel for this configuration.
# Evaluated in the recipes, after `deps` has installed the toolchain the cache key hashes.
GET_KDIR := $(if $(KDIR),$(KDIR),$$($(SCRIPTS)/kernel.sh $(KERNEL_FLAGS) --print-dir))
KSRC := $(RTUN_CACHE)/src/linux-source-7.3
BUILD := $(PWD_)/build$(if $(filter 1,$(DEBUG)),/debug)$(if $(filter 1,$(UPSTREAM)),/upstream)

.PHONY: all module kernel deps samples selftests check check-upstream check-upstream-run demo \
	demo-qemu vm bench profile fmt clippy clean intree intree-ci check-intree fuzz fuzz-run fuzzer \
	load

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

# The fuzzer goes with the selftests: guest-check.sh runs it briefly on the debug kernel.
selftests: kernel
	$(MAKE) -C selftests KSRC=$(KSRC) KDIR="$(GET_KDIR)" OUT=$(BUILD)/selftests
	$(MAKE) -C fuzz KSRC=$(KSRC) KDIR="$(GET_KDIR)" OUT=$(BUILD)/selftests/fuzz

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

# The fuzzer (fuzz/rtun_fuzz.c, scripts/guest-fuzz.sh), always on the debug kernel. rtun
# alone as /dev/net/tun, FUZZ_ROUNDS rounds (module loaded, FUZZ_PROGRAMS programs of
# FUZZ_THREADS threads with seed FUZZ_SEED+round, FUZZ_JOBS programs at a time, module
# unloaded), no new round after FUZZ_SECONDS (0: no limit). A program mostly waits (RTNL,
# RCU grace periods, netns teardown: seconds a call under TCG), so programs side by side
# make more calls. A round of the defaults made 76,000 to 160,000 syscalls (measured: 5
# minutes alone on the 2-core host, 250 syscalls a second; 23 to 33 minutes with three
# other VMs), so the default 14 rounds make about 10^6, and FUZZ_SYSCALLS adds rounds
# until they have.
# A splat, KASAN or kmemleak report, hang or module
# that will not unload fails it. Then tun.ko the same way for FUZZ_TUN_ROUNDS rounds in a
# second boot, for comparison only (0: skipped).
FUZZ_SEED ?= 1
FUZZ_ROUNDS ?= 14
# ... and then more rounds (at most FUZZ_ROUNDS more) until this many syscalls (0: none).
FUZZ_SYSCALLS ?= 1000000
FUZZ_PROGRAMS ?= 12
FUZZ_THREADS ?= 6
FUZZ_CALLS ?= 100
FUZZ_JOBS ?= 2
FUZZ_SECONDS ?= 0
FUZZ_TUN_ROUNDS ?= 1
# More kernel parameters for the fuzzing boots (say, rcupdate.rcu_expedited=1).
FUZZ_APPEND ?=
FUZZ_ARGS = --seed $(FUZZ_SEED) --programs $(FUZZ_PROGRAMS) --threads $(FUZZ_THREADS) \
	--calls $(FUZZ_CALLS) --jobs $(FUZZ_JOBS) --seconds $(FUZZ_SECONDS)

fuzz:
	$(MAKE) fuzz-run DEBUG=1

fuzzer: kernel
	$(MAKE) -C fuzz KSRC=$(KSRC) KDIR="$(GET_KDIR)" OUT=$(BUILD)/fuzzer

fuzz-run: module fuzzer
	@[ "$(DEBUG)" = 1 ] || { echo "fuzz-run: use make fuzz" >&2; exit 2; }
	@rc=0; \
	RTUN_VM_APPEND="$(FUZZ_APPEND)" RTUN_VM_TIMEOUT=$${RTUN_VM_TIMEOUT:-28800} $(SCRIPTS)/vm.sh --kdir "$(GET_KDIR)" \
		--results $(BUILD)/fuzz --module $(PWD_)/rtun.ko --tap \
		--exec "$(SCRIPTS)/guest-fuzz.sh $(BUILD)/fuzzer/rtun_fuzz --drivers rtun \
		--rounds $(FUZZ_ROUNDS) --min-syscalls $(FUZZ_SYSCALLS) $(FUZZ_ARGS)" || rc=$$?; \
	if [ "$(FUZZ_TUN_ROUNDS)" != 0 ]; then \
		echo "== tun.ko, for comparison (its result does not count)"; \
		RTUN_VM_APPEND="$(FUZZ_APPEND)" RTUN_VM_TIMEOUT=$${RTUN_VM_TIMEOUT:-14400} $(SCRIPTS)/vm.sh --kdir "$(GET_KDIR)" \
			--results $(BUILD)/fuzz-tun --module $(PWD_)/rtun.ko --raw \
			--exec "$(SCRIPTS)/guest-fuzz.sh $(BUILD)/fuzzer/rtun_fuzz --drivers tun \
			--rounds $(FUZZ_TUN_ROUNDS) $(FUZZ_ARGS)" >$(BUILD)/fuzz-tun.console 2>&1; \
		grep -E '^(# fuzz tun|(not )?ok 1 fuzz|HANG|SPLAT|CRASH)' $(BUILD)/fuzz-tun.console; \
		grep -hE 'WARNING:|BUG:|KASAN|unreferenced object' $(BUILD)/fuzz-tun/fuzz.tun.splat*.txt \
			$(BUILD)/fuzz-tun/kmemleak.fuzz.tun.txt 2>/dev/null | head -20; \
	fi; \
	grep -hE '^(ok|not ok) 1 fuzz' $(BUILD)/fuzz/fuzz.rtun.tap; \
	exit $$rc

# selftests/load.c at full size (scripts/guest-load.sh): LOAD_DEVICES devices and a
# multiqueue TAP with LOAD_QUEUES queues (default: 1024 on rtun, 256 on tun.ko, each
# driver's maximum), LOAD_ROUNDS rounds after a warm-up, memory back to the start, on
# tun.ko and rtun in one boot; `make check` runs it with the program's smaller default.
# Results in build/load.
LOAD_DEVICES ?= 4096
LOAD_ROUNDS ?= 3
LOAD_QUEUES ?=
load: module selftests
	RTUN_VM_TIMEOUT=$${RTUN_VM_TIMEOUT:-7200} $(SCRIPTS)/vm.sh --kdir "$(GET_KDIR)" \
		--results $(BUILD)/load --module $(PWD_)/rtun.ko --selftests $(BUILD)/selftests --tap \
		--exec "LOAD_DEVICES=$(LOAD_DEVICES) LOAD_ROUNDS=$(LOAD_ROUNDS) \
		$(if $(LOAD_QUEUES),LOAD_QUEUES=$(LOAD_QUEUES)) $(SCRIPTS)/guest-load.sh"

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
# BASE=<commit>: that commit's rtun measured too, in the same boots (the "base" columns):
# checked out in a temporary worktree, $(BUILD)/bench/base-src, built there by its own
# Makefile against the same kernel with this tree's toolchain (KMAKE: an older tree may
# name another LLVM), the worktree removed afterwards, failed or not.
RTUN_KO ?= $(PWD_)/rtun.ko
BASE ?=
BENCH_BASE_SRC := $(BUILD)/bench/base-src
bench: kernel
	@$(SCRIPTS)/bench.sh --kdir "$(GET_KDIR)" --module $(RTUN_KO) --check-module || $(MAKE) module
	$(MAKE) -C bench OUT=$(BUILD)/bench/bin
ifeq ($(BASE),)
	$(SCRIPTS)/bench.sh --kdir "$(GET_KDIR)" --module $(RTUN_KO) --bin $(BUILD)/bench/bin \
		--out $(BUILD)/bench
else
	@set -e; kdir="$(GET_KDIR)"; src="$(BENCH_BASE_SRC)"; \
	drop_base() { \
		git -C "$(PWD_)" worktree remove --force "$$src" 2>/dev/null || rm -rf "$$src"; \
		git -C "$(PWD_)" worktree prune; \
	}; \
	drop_base; trap drop_base EXIT; trap 'exit 130' INT TERM; \
	rev=$$(git -C "$(PWD_)" rev-parse --verify --quiet --short "$(BASE)^{commit}") || \
		{ echo "bench: BASE=$(BASE) is not a commit" >&2; exit 2; }; \
	label="$(BASE)"; [ "$$label" = "$$rev" ] || label="$$label ($$rev)"; \
	echo "bench: base $$label, built in $$src"; \
	git -C "$(PWD_)" worktree add --detach "$$src" "$$rev" >/dev/null; \
	$(MAKE) -C "$$src" module KDIR="$$kdir" KMAKE="$(KMAKE)"; \
	$(SCRIPTS)/bench.sh --kdir "$$kdir" --module $(RTUN_KO) --bin $(BUILD)/bench/bin \
		--out $(BUILD)/bench --base "$$src/rtun.ko" --base-rev "$$label"
endif

# Where the instructions of make bench's -icount rows go (scripts/profile.sh): the test kernel
# booted once under -icount shift=0 with the insnprof QEMU plugin (tools/insnprof/, built
# with gcc), which counts every guest instruction's executions and writes a snapshot at
# each `sync` the guest runs; each benchmark of PROFILE_MODES runs small and big on both
# drivers (scripts/guest-profile.sh), and scripts/profile-report.py prints per function
# the instructions per packet of each, the differences and the totals:
# $(BUILD)/profile/<mode>/report.txt, summary.txt, the raw snapshots in raw/. read runs
# PROFILE_READ_RUNS times (medians: its window holds pktgen's polling noise), write and
# rtt PROFILE_RUNS times.
PROFILE_MODES ?= read write rtt
PROFILE_READ_RUNS ?= 3
PROFILE_RUNS ?= 1
profile: module
	$(MAKE) -C bench OUT=$(BUILD)/bench/bin
	$(SCRIPTS)/profile.sh --kdir "$(GET_KDIR)" --module $(RTUN_KO) --bin $(BUILD)/bench/bin \
		--out $(BUILD)/profile --modes "$(PROFILE_MODES)" --read-runs $(PROFILE_READ_RUNS) \
		--runs $(PROFILE_RUNS)

clean:
	$(MAKE) -C "$(GET_KDIR)" M=$(PWD_) $(KMAKE) clean
	rm -rf build rust/bindings/generated.rs
