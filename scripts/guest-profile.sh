#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for `make profile` (booted by scripts/profile.sh with the insnprof
# QEMU plugin, tools/insnprof/): tun.ko and rtun side by side, each benchmark run twice
# per driver, small then big, with `sync` around each run. Every `sync` makes the plugin
# write a snapshot (RTUN_RESULTS/snap.N: the instructions executed since the previous
# one); scripts/profile-report.py subtracts the small run from the big one, so the
# program's setup and teardown cancel, and divides by the difference in packets.
#
# RTUN_RESULTS/snaps.txt: "snap N TAG" for each snapshot, TAG = RUN-DRIVER-SIZE-begin|end,
#   RUN = MODE.K (the K-th run of MODE: PROFILE_READ_RUNS, PROFILE_RUNS).
# RTUN_RESULTS/bench.txt: "RUN DRIVER SIZE <key=value...>": the program's own output,
#   plus inhdrerr= for write (the packets the stack dropped: all written ones, warm-up
#   included, which the program does not count).
# RTUN_RESULTS/kallsyms: the guest's /proc/kallsyms, module symbols included.
#
# PROFILE_MODES: read, write, rtt (default all three); PROFILE_READ_RUNS: runs of read,
# PROFILE_RUNS: runs of write and rtt (1 each by default).
set -u
R=${RTUN_RESULTS:?}
BIN=${BENCH_BIN:?}
MODES=${PROFILE_MODES:-read write rtt}
READ_RUNS=${PROFILE_READ_RUNS:-1}
RUNS=${PROFILE_RUNS:-1}

insmod "$RTUN_KDIR/drivers/net/tun.ko" || exit 1
insmod "$RTUN_MODULE" side_by_side=1 || exit 1
insmod "$RTUN_KDIR/net/core/pktgen.ko" || exit 1
# No IPv6 on the devices: router solicitations and DAD would be packets nobody asked for.
sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
# The symbols' real addresses, module symbols included, for the report.
echo 0 >/proc/sys/kernel/kptr_restrict
cat /proc/kallsyms >"$R/kallsyms"
: >"$R/snaps.txt"
: >"$R/bench.txt"

# snap TAG: a snapshot, recorded as snapshot N. Snapshots are counted from 0 at boot:
# one the plugin wrote that this script did not ask for (a sync from elsewhere) would
# shift every later one, so that is checked.
N=0
snap() {
	sync
	if [ ! -e "$R/snap.$N" ] || [ -e "$R/snap.$((N + 1))" ]; then
		echo "# snapshot $N ($1) is not where expected: a sync from elsewhere?" >&2
		exit 1
	fi
	echo "snap $N $1" >>"$R/snaps.txt"
	N=$((N + 1))
}

# The IPv4 InHdrErrors counter: written packets are dropped there.
inhdrerr() {
	awk '/^Ip:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "InHdrErrors") c = i; h = 1 }
		else print $c }' /proc/net/snmp
}

declare -A DEV=([tun]=/dev/net/tun [rtun]=/dev/net/rtun)
runs=()
for m in $MODES; do
	case $m in
	read) for ((k = 1; k <= READ_RUNS; k++)); do runs+=("read.$k"); done ;;
	write | rtt) for ((k = 1; k <= RUNS; k++)); do runs+=("$m.$k"); done ;;
	*) echo "# unknown mode $m (read, write, rtt)" >&2; exit 2 ;;
	esac
done

for run in "${runs[@]}"; do
	m=${run%.*}
	for d in tun rtun; do
		dev=${DEV[$d]}
		echo "# $run on $d"
		for sz in small big; do
			tag=$run-$d-$sz
			extra=
			case $m in
			read)
				# pktgen fills the ring (400 slots), the reader drains it: 2000 or
				# 10000 packets after a warm-up cycle.
				c=5
				[ $sz = big ] && c=25
				cmd=("$BIN/bench_read" -d "$dev" -n "r$d" -s 64 -b 400 -c "$c") ;;
			write)
				t=0.05
				[ $sz = big ] && t=0.25
				cmd=("$BIN/bench_write" -d "$dev" -n "w$d" -q 1 -s 64 -w 0.1 -t "$t") ;;
			rtt)
				i=1000
				[ $sz = big ] && i=5000
				cmd=("$BIN/bench_rtt" -d "$dev" -n "t$d" -i "$i" -w 200) ;;
			esac
			h0=$(inhdrerr)
			snap "$tag-begin"
			out=$(timeout 300 "${cmd[@]}" 2>&1)
			rc=$?
			snap "$tag-end"
			h1=$(inhdrerr)
			[ "$m" = write ] && extra="inhdrerr=$((h1 - h0)) "
			if [ $rc != 0 ]; then
				echo "# $tag failed (status $rc): $out" >&2
				exit 1
			fi
			echo "$run $d $sz $extra$(tail -n 1 <<<"$out")" | tee -a "$R/bench.txt"
		done
	done
done
rmmod pktgen
rmmod rtun
rmmod tun
