#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make profile`: instructions per packet per function, tun.ko against rtun, exactly. Builds
# the insnprof QEMU plugin (tools/insnprof/), boots the test kernel once under
# -icount shift=0 on single-threaded TCG (as make bench's icount view) with the plugin
# loaded, runs scripts/guest-profile.sh there (each benchmark small and big on both
# drivers, a `sync` around each run: a snapshot of per-instruction counts), then
# scripts/profile-report.py: OUT/<mode>/report.txt for each mode, OUT/summary.txt.
#
#   profile.sh --kdir DIR --module KO --bin DIR --out DIR [--modes "read write rtt"]
#              [--read-runs N] [--runs N]
#
# --read-runs N: read runs N times and the report takes each function's median: read's
# measured window holds per-cycle work its program does not time (pktgen's start and
# result through /proc, its 100 ms polling sleeps and their timer ticks), the same for
# both drivers but noisy. --runs N: write and rtt N times (default 1), medians the same
# way (a timer tick or deferred work in one window moves rtt by up to a few hundred).
# Raw data in OUT/raw: snap.N, snaps.txt, bench.txt, kallsyms, the guest's log and dmesg.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
# shellcheck disable=SC1091 # toolchain.sh is checked on its own
. "$here/toolchain.sh"
. "$here/vng-boot.sh"

kdir='' module='' bin='' out='' modes="read write rtt" read_runs=1 runs=1
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) kdir=$2; shift ;;
	--module) module=$2; shift ;;
	--bin) bin=$2; shift ;;
	--out) out=$2; shift ;;
	--modes) modes=$2; shift ;;
	--read-runs) read_runs=$2; shift ;;
	--runs) runs=$2; shift ;;
	*) echo "profile.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$kdir" ] || [ -z "$module" ] || [ -z "$bin" ] || [ -z "$out" ]; then
	echo "profile.sh: --kdir, --module, --bin and --out are required" >&2
	exit 2
fi
if ! [[ $read_runs =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]]; then
	echo "profile.sh: --read-runs and --runs want a positive number" >&2
	exit 2
fi
[ -f "$module" ] || { echo "profile.sh: no module $module" >&2; exit 1; }

raw=$out/raw
rm -rf "$out"
mkdir -p "$raw"

# The plugin, against the header subset (Debian's QEMU ships no plugin header).
plugin=$out/libinsnprof.so
gcc -O2 -Wall -Wextra -fPIC -shared -I "$top/tools/insnprof" -o "$plugin" \
	"$top/tools/insnprof/insnprof.c" -lpthread ||
	{ echo "profile: the plugin does not build" >&2; exit 1; }

# The snapshot trigger: the first instruction of the sync system call.
trigger=$(nm "$kdir/vmlinux" 2>/dev/null | awk '$3 == "__x64_sys_sync" { print $1; exit }')
[ -n "$trigger" ] || { echo "profile: no __x64_sys_sync in $kdir/vmlinux" >&2; exit 1; }

# Measure a copy, as make bench does (the module may be rebuilt meanwhile).
cp "$module" "$out/rtun.ko"
echo "profile: rtun.ko built $(date -r "$module" '+%F %T'), sha256 $(sha256sum "$out/rtun.ko" | cut -c1-12)"
echo "profile: $(qemu-system-x86_64 --version | head -n 1) (the plugin speaks API version 1, QEMU 7.2's)"

export PATH="$RTUN_VENV/bin:$PATH"
genv="RTUN_KDIR=$kdir RTUN_RESULTS=$raw RTUN_MODULE=$out/rtun.ko BENCH_BIN=$bin"
genv="$genv PROFILE_READ_RUNS=$read_runs PROFILE_RUNS=$runs PATH=/usr/sbin:/usr/bin:/sbin:/bin"
echo "$here/guest-profile.sh" >"$raw/cmd.sh"
wrapped="env $genv PROFILE_MODES='$modes' bash $raw/cmd.sh >$raw/guest.log 2>&1;"
wrapped="$wrapped echo \$? > $raw/status; dmesg > $raw/dmesg.txt"
qopts="-icount shift=0,sleep=off -accel tcg,thread=single"
qopts="$qopts -plugin $plugin,trigger=$trigger,out=$raw/snap"
args=(--run "$kdir/arch/x86/boot/bzImage" --force-9p --cpus 1 --memory "${RTUN_VM_MEM:-2G}"
	--rwdir "$raw" --disable-kvm --qemu-opts="$qopts" --exec "$wrapped")
echo "profile: booting (1 vCPU, $qopts); modes: $modes; runs: read $read_runs, others $runs"
vng_boot "profile: guest" "$raw" "${RTUN_VM_TIMEOUT:-1800}" "${args[@]}" || exit 1
python3 "$here/profile-report.py" "$out"
