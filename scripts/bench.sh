#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: boot the test kernel twice with tun.ko and rtun side by side and run
# scripts/guest-bench.sh in each (which ends with the vhost-net rows, each driver in turn
# at /dev/net/tun), then print the report (scripts/bench-report.py) and draw it
# (scripts/bench-plot.py: bench.svg).
#
#   bench.sh --kdir DIR --module KO --bin DIR --out DIR [--base KO [--base-rev REV]]
#   bench.sh --kdir DIR --module KO --check-module   (status 0: KO exists and fits DIR)
#
# --base KO: an older build of rtun (`make bench BASE=<commit>` builds one) measured in the
# same boots as a third driver, "base": copied with its rtun_vhost.ko to OUT/base/, swapped
# in for the current rtun around each of its measurements (scripts/guest-bench.sh).
# REV names it in the report.
#
# OUT/toolchain.txt (key=value, read by bench-report.py into bench.json's "toolchain"): the
# rustc, clang (the LLVM= of KMAKE_FLAGS) and bindgen that build the kernel and modules,
# whether the kernel inlines its Rust helpers (CONFIG_RUST_INLINE_HELPERS) and whether the
# module's own C helpers are inlined into its Rust (make INLINE=1).
#
# Boot 1, the wall-clock view: multi-threaded TCG with RTUN_VM_CPUS vCPUs (default 2), all
#   rows including queue scaling and memory. Absolute rates say little about real hardware
#   here; the ratio of the two drivers measured in the same boot is the result.
# Boot 2, the deterministic view: QEMU -icount shift=0,sleep=off on single-threaded TCG with
#   RTUN_BENCH_ICOUNT_CPUS vCPUs (default 1). The guest clock then advances one ns per
#   guest instruction and idle time is skipped, so a rate measured with the guest's own
#   clock is an instruction count per packet, independent of the host's load.
#
# The memory view (BENCH_VIEWS=mem, not in the default): only the memory rows (mem_q1,
#   mem_q16, mem_q256, and the same with rtun loaded with max_queues=1024: *_max1024), in a
#   boot like the wall view's (RTUN_VM_CPUS vCPUs: per-cpu memory depends on the count),
#   without the wall view's long wall-clock rows. The wall view runs the same rows unless
#   the mem view runs too (BENCH_MEM=0 for it then), so each row is measured in one boot.
#
# Modeled on vm.sh (same guest environment), which takes no extra QEMU options.
# BENCH_ROUNDS (5), BENCH_SECS (2), BENCH_VIEWS ("wall icount"; also "mem") tune the run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/toolchain.sh"
. "$here/vng-boot.sh"

kdir= module= bin= out= check=0 base= base_rev=
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) kdir=$2; shift ;;
	--module) module=$2; shift ;;
	--check-module) check=1 ;;
	--bin) bin=$2; shift ;;
	--out) out=$2; shift ;;
	--base) base=$2; shift ;;
	--base-rev) base_rev=$2; shift ;;
	*) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

# this_module_size KO: the size of the module's struct module, which differs between kernel
# configurations (a DEBUG=1 kernel's is larger) even where the vermagic string does not.
this_module_size() {
	readelf -S -W "$1" 2>/dev/null |
		awk '{ for (i = 1; i <= NF; i++) if ($i == ".gnu.linkonce.this_module") print $(i + 4) }'
}

# module_fits KO: KO exists and was built for this kernel, as far as insmod will judge:
# the same vermagic and struct module as the kernel's own tun.ko.
module_fits() {
	local ko=$1 ref=$kdir/drivers/net/tun.ko
	if [ ! -f "$ko" ]; then
		echo "bench: $ko is missing"
	elif [ "$(modinfo -F vermagic "$ko" 2>/dev/null)" != "$(modinfo -F vermagic "$ref")" ] ||
		[ "$(this_module_size "$ko")" != "$(this_module_size "$ref")" ]; then
		echo "bench: $ko was built for another kernel (DEBUG=1?) than $kdir"
	else
		return 0
	fi
	return 1
}

[ -n "$kdir" ] && [ -n "$module" ] ||
	{ echo "bench.sh: --kdir and --module are required" >&2; exit 2; }
[ $check = 1 ] && { module_fits "$module"; exit; }
[ -n "$bin" ] && [ -n "$out" ] || { echo "bench.sh: --bin and --out are required" >&2; exit 2; }
export PATH="$RTUN_VENV/bin:$PATH"
kernel=$kdir/arch/x86/boot/bzImage
# The report reads every view's results: none may be left from an earlier run.
rm -rf "$out/wall" "$out/icount" "$out/mem" "$out/bench.json" "$out/bench.csv" "$out/bench.svg" \
	"$out/base" "$out/toolchain.txt"
mkdir -p "$out"

# copy_module KO DEST: a copy of KO at DEST, taken only once it is a whole module that fits
# the kernel (the module may be rebuilt while we run: not caught halfway through a link).
copy_module() {
	local ko=$1 dest=$2 try
	for try in $(seq 30); do
		cp "$ko" "$dest" && cmp -s "$ko" "$dest" && module_fits "$dest" >/dev/null && return 0
		[ "$try" = 30 ] && { module_fits "$dest" >&2; return 1; }
		sleep 10
	done
}

# inlined_helpers KO: whether the module's own C helpers (rust/bindings/helpers.c) were
# linked into its Rust object as bitcode and inlined (Kbuild, with
# CONFIG_RUST_INLINE_HELPERS), told by one of them, rtun_dev_hold: a global function
# (linked as an object), a local one (linked as bitcode, not inlined everywhere), or gone.
inlined_helpers() {
	local sym
	if ! nm "$1" >/dev/null 2>&1; then
		echo unknown
		return
	fi
	sym=$(nm "$1" | awk '$3 == "rtun_dev_hold" { print $2 }')
	case $sym in
	T) echo no ;;
	t) echo "linked, not inlined" ;;
	"") echo yes ;;
	*) echo unknown ;;
	esac
}

# The toolchain, as the kernel and module builds call it (toolchain.sh's KMAKE_FLAGS).
llvm=$(sed -n 's/.*\bLLVM=\([^ ]*\).*/\1/p' <<<"$KMAKE_FLAGS")
case $llvm in
-*) clang=clang$llvm ;;          # LLVM=-19: clang-19
*/) clang=${llvm}clang ;;        # LLVM=/usr/lib/llvm-19/bin/: that directory's clang
*) clang=clang ;;                # LLVM=1
esac
inline=absent
if grep -q '^CONFIG_RUST_INLINE_HELPERS=y$' "$kdir/.config" 2>/dev/null; then
	inline=y
elif grep -q '^# CONFIG_RUST_INLINE_HELPERS is not set$' "$kdir/.config" 2>/dev/null; then
	inline=n
fi
{
	echo "rustc=$(/usr/bin/rustc --version 2>&1 | head -n 1)"
	echo "clang=$("$clang" --version 2>&1 | head -n 1)"
	echo "bindgen=$("$BINDGEN" --version 2>&1 | head -n 1)"
	echo "kernel_rust_inline_helpers=$inline"
	echo "module_helpers_inlined=$(inlined_helpers "$module")"
	[ -n "$base" ] && echo "base_helpers_inlined=$(inlined_helpers "$base")"
} >"$out/toolchain.txt"
# Measure a copy, the same one in both boots.
copy_module "$module" "$out/rtun.ko" || exit 1
echo "bench: rtun.ko built $(date -r "$module" '+%F %T'), sha256 $(sha256sum "$out/rtun.ko" | cut -c1-12)"
# Its companion for vhost-net (vhost/rtun_vhost.c), built with it: next to the copy, where
# guest-bench.sh looks. Without it the vhost-net rows are left out.
rm -f "$out/rtun_vhost.ko"
companion=$(dirname "$module")/rtun_vhost.ko
module_fits "$companion" >/dev/null && cp "$companion" "$out/rtun_vhost.ko" ||
	echo "bench: no usable $companion: the vhost-net rows are left out"
module=$out/rtun.ko
# The base module, as OUT/base/rtun.ko with its companion (next to it, or in vhost/ as an
# older tree may have built it); without a companion, base has no vhost-net rows.
base_module=
if [ -n "$base" ]; then
	mkdir -p "$out/base"
	copy_module "$base" "$out/base/rtun.ko" || exit 1
	base_module=$out/base/rtun.ko
	{
		echo "rev=${base_rev:-$base}"
		echo "sha256=$(sha256sum "$base_module" | cut -c1-12)"
	} >"$out/base/info.txt"
	echo "bench: base rtun.ko ${base_rev:+of $base_rev, }sha256 $(sha256sum "$base_module" | cut -c1-12)"
	for companion in "$(dirname "$base")/rtun_vhost.ko" "$(dirname "$base")/vhost/rtun_vhost.ko" ""; do
		[ -n "$companion" ] && module_fits "$companion" >/dev/null && break
	done
	if [ -n "$companion" ]; then
		cp "$companion" "$out/base/rtun_vhost.ko"
	else
		echo "bench: no usable rtun_vhost.ko for the base: it has no vhost-net rows"
	fi
fi
echo "bench: toolchain: $(paste -sd ' ' "$out/toolchain.txt")"

# A base adds a third driver to every measurement: half as much time again.
vm_timeout=${RTUN_VM_TIMEOUT:-$([ -n "$base" ] && echo 1800 || echo 1200)}

# boot VIEW CPUS [QEMU_OPTS]: one VM running guest-bench.sh; results in $out/VIEW.
boot() {
	local view=$1 cpus=$2 qopts=${3:-} res=$out/$1 genv wrapped
	rm -rf "$res"
	mkdir -p "$res"
	genv="RTUN_KDIR=$kdir RTUN_RESULTS=$res RTUN_MODULE=$module RTUN_SCRIPTS=$here"
	[ -n "$base_module" ] && genv="$genv RTUN_BASE_MODULE=$base_module"
	genv="$genv BENCH_BIN=$bin BENCH_VIEW=$view BENCH_ROUNDS=${BENCH_ROUNDS:-5}"
	genv="$genv BENCH_SECS=${BENCH_SECS:-2} BENCH_MEM=$bench_mem"
	genv="$genv PATH=/usr/sbin:/usr/bin:/sbin:/bin"
	echo "$here/guest-bench.sh" >"$res/cmd.sh"
	wrapped="env $genv bash $res/cmd.sh >$res/guest.log 2>&1; echo \$? > $res/status;"
	wrapped="$wrapped dmesg > $res/dmesg.txt"
	local args=(--run "$kernel" --force-9p --cpus "$cpus" --memory "${RTUN_VM_MEM:-2G}"
		--rwdir "$res" --disable-kvm --exec "$wrapped")
	[ -n "$qopts" ] && args+=(--qemu-opts="$qopts")
	echo "bench: booting the $view view ($cpus vCPU${qopts:+, $qopts})"
	vng_boot "bench: $view view" "$res" "$vm_timeout" "${args[@]}"
}

rc=0
views=${BENCH_VIEWS:-wall icount}
# The memory rows in the wall view only when the mem view does not run them.
bench_mem=1
[[ " $views " = *" mem "* ]] && bench_mem=0
for view in $views; do
	case $view in
	wall) boot wall "${RTUN_VM_CPUS:-2}" || rc=1 ;;
	mem) boot mem "${RTUN_VM_CPUS:-2}" || rc=1 ;;
	icount)
		# icount needs one TCG thread for all vCPUs (the count is global).
		boot icount "${RTUN_BENCH_ICOUNT_CPUS:-1}" '-icount shift=0,sleep=off -accel tcg,thread=single' ||
			rc=1
		;;
	*) echo "bench.sh: unknown view $view" >&2; exit 2 ;;
	esac
done
python3 "$here/bench-report.py" "$out" || rc=1
# The picture, with the system python: matplotlib is Debian's, not in the venv put first on
# PATH above. It is an extra: its failure does not fail the bench.
[ -f "$out/bench.json" ] && { /usr/bin/python3 "$here/bench-plot.py" "$out" ||
	echo "bench: scripts/bench-plot.py failed: no bench.svg" >&2; }
echo "bench: total wall time $((SECONDS / 60)) min $((SECONDS % 60)) s"
exit $rc
