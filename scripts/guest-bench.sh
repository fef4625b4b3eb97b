#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for `make bench` (booted by scripts/bench.sh): tun.ko and rtun loaded
# side by side, every measurement made on both, alternately (tun, rtun, tun, rtun, ...).
# Each result is one line of $RTUN_RESULTS/raw.txt:
#   view=V row=R driver=D round=N <key=value pairs printed by the load generator>
# scripts/bench-report.py turns them into the table.
#
# BENCH_VIEW=wall    the wall-clock view (multi-threaded TCG): all rows, queue scaling, and
#                    the memory rows (those unless BENCH_MEM=0: bench.sh says so when the
#                    mem view runs as well).
# BENCH_VIEW=icount  the deterministic view (-icount shift=0: 1 ns = 1 instruction): the
#                    single-queue rows, as instructions per packet.
# BENCH_VIEW=mem     the memory rows alone (no clock involved), no vhost-net phase.
#
# The memory rows: mem_q1, mem_q16, mem_q256 with rtun's default max_queues (256, tun.c's
# MAX_TAP_QUEUES), then the same as mem_q1_max1024, mem_q16_max1024, mem_q256_max1024 with
# rtun (and the base) reloaded with max_queues=1024, its highest, tun.ko measured again
# beside it; afterwards the current rtun is reloaded with its defaults. (A base without the
# parameter ignores it, with a warning in the kernel log, and is measured with its own
# maximum; a base from before the default was 256 has 1024 in both.)
#
# The vhost-net rows come last, in a second phase: vhost_net binds at load to one driver
# (tun.ko, or rtun through rtun_vhost.ko), so there each driver in turn serves
# /dev/net/tun (as in guest-check.sh's drop-in phase) with vhost_net loaded after it and
# removed again, tun then rtun, round after round, still in this one boot.
#
# RTUN_BASE_MODULE=<older rtun.ko> (`make bench BASE=<commit>`): a third driver, "base",
# measured after tun and rtun each time. Two modules named rtun cannot be loaded at once,
# so for each of its measurements the current rtun is removed, the base loaded in its
# place (side_by_side=1, at /dev/net/rtun), and afterwards the current one loaded again.
# In the vhost-net phase the base serves /dev/net/tun with its own rtun_vhost.ko (next to
# it), if it has one.
set -u
R=$RTUN_RESULTS
BIN=${BENCH_BIN:?}
VIEW=${BENCH_VIEW:-wall}
MEM=${BENCH_MEM:-1}
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-2}
WARMUP=${BENCH_WARMUP:-0.3}
OUT=$R/raw.txt
BASE_MODULE=${RTUN_BASE_MODULE:-}
: >"$OUT"

insmod "$RTUN_KDIR/drivers/net/tun.ko" || exit 1
# The parameters rtun (the current one and the base) is loaded with; the max1024 memory
# rows change them for their measurements.
RTUN_PARAMS=(side_by_side=1)
insmod "$RTUN_MODULE" "${RTUN_PARAMS[@]}" || exit 1
insmod "$RTUN_KDIR/net/core/pktgen.ko" || exit 1
# No IPv6 on the devices: router solicitations and DAD would be packets nobody asked for.
sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null

declare -A DEV=([tun]=/dev/net/tun [rtun]=/dev/net/rtun [base]=/dev/net/rtun)
DRIVERS=(tun rtun)
[ -n "$BASE_MODULE" ] && DRIVERS+=(base)
ncpu=$(nproc)
env="view=$VIEW row=env cpus=$ncpu kernel=$(uname -r) $("$BIN/icount_check")"
echo "$env" >>"$OUT"
echo "# $env"

# record ROW DRIVER ROUND CMD...: run CMD, add its last line to the results as DRIVER's.
# A failure is recorded (the report lists it) and the run goes on.
record() {
	local row=$1 drv=$2 round=$3 line out rc
	shift 3
	out=$(timeout 120 "$@" 2>&1)
	rc=$?
	line=$(tail -n 1 <<<"$out")
	[ $rc = 0 ] || line="error=status_$rc:${line// /_}"
	echo "view=$VIEW row=$row driver=$drv round=$round $line" | tee -a "$OUT"
}

# swap_rtun FROM TO: replace the loaded rtun (FROM) by the module file TO, side by side
# with tun.ko, with RTUN_PARAMS; either failing ends the run (what follows would measure
# the wrong module).
swap_rtun() {
	rmmod rtun || { echo "# cannot remove rtun ($1)"; exit 1; }
	insmod "$2" "${RTUN_PARAMS[@]}" || { echo "# cannot load $2 ${RTUN_PARAMS[*]}"; exit 1; }
}

# measure ROW ROUND CMD...: run CMD once per driver, tun first; {dev} and {name} in CMD
# become the driver's character device and a device name of its own.
measure() {
	local row=$1 round=$2 drv
	shift 2
	for drv in "${DRIVERS[@]}"; do
		local args=() a
		for a in "$@"; do
			a=${a//\{dev\}/${DEV[$drv]}}
			args+=("${a//\{name\}/b$drv}")
		done
		[ "$drv" = base ] && swap_rtun current "$BASE_MODULE"
		record "$row" "$drv" "$round" "${args[@]}"
		[ "$drv" = base ] && swap_rtun base "$RTUN_MODULE"
	done
}

# mem_rows ROUND: the memory rows, with the default max_queues and with max_queues=1024.
# Enough devices per measurement that slab page granularity averages out.
mem_rows() {
	local round=$1 sfx
	for sfx in "" _max1024; do
		if [ -n "$sfx" ]; then
			RTUN_PARAMS=(side_by_side=1 max_queues=1024)
			swap_rtun current "$RTUN_MODULE"
		fi
		measure "mem_q1$sfx" "$round" "$BIN/bench_mem" -d {dev} -n {name} -q 1 -D 64
		measure "mem_q16$sfx" "$round" "$BIN/bench_mem" -d {dev} -n {name} -q 16 -D 8
		measure "mem_q256$sfx" "$round" "$BIN/bench_mem" -d {dev} -n {name} -q 256 -D 2
	done
	RTUN_PARAMS=(side_by_side=1)
	swap_rtun max_queues=1024 "$RTUN_MODULE"
}

# Queue counts: 1, 2, 4, ... up to twice the vCPU count (the last ones oversubscribe).
queues=()
for ((q = 1; q <= 2 * ncpu; q *= 2)); do queues+=("$q"); done

for ((round = 1; round <= ROUNDS; round++)); do
	echo "# $VIEW view: round $round of $ROUNDS"
	if [ "$VIEW" = mem ]; then
		mem_rows $round
		continue
	fi
	if [ "$VIEW" = icount ]; then
		# Single queue, one thread busy: guest ns per packet = instructions per packet.
		for size in 64 1500; do
			measure "write${size}_q1" $round "$BIN/bench_write" -d {dev} -n {name} -q 1 \
				-s $size -w 0.2 -t 0.5
		done
		# pktgen puts 400 packets in the ring (tx_queue_len slots: no drop), the reader drains it.
		measure read64_q1 $round "$BIN/bench_read" -d {dev} -n {name} -s 64 -b 400 -c 10
		measure rtt $round "$BIN/bench_rtt" -d {dev} -n {name} -i 20000 -w 1000
		# Written frames through a native XDP_DROP program, and through IFF_NAPI's GRO.
		measure xdp_drop64 $round "$BIN/bench_xdp" -m xdp_drop -d {dev} -n {name} -s 64 \
			-w 0.2 -t 0.5
		measure napi_write64 $round "$BIN/bench_xdp" -m napi -d {dev} -n {name} -s 64 \
			-w 0.2 -t 0.5
		continue
	fi
	for size in 64 1500; do
		for q in "${queues[@]}"; do
			measure "write${size}_q$q" $round "$BIN/bench_write" -d {dev} -n {name} -q "$q" \
				-s $size -w "$WARMUP" -t "$SECS"
		done
	done
	for q in "${queues[@]}"; do
		measure "read64_q$q" $round "$BIN/bench_read" -d {dev} -n {name} -q "$q" -s 64 \
			-w "$WARMUP" -t "$SECS"
	done
	# Enough round trips to span ~0.2 s, so one descheduled host thread moves the median little.
	measure rtt $round "$BIN/bench_rtt" -d {dev} -n {name} -i 20000 -w 1000
	[ "$MEM" = 1 ] && mem_rows $round
done

rmmod pktgen
rmmod rtun || exit 1
rmmod tun || exit 1
# The memory view has no vhost-net rows.
[ "$VIEW" = mem ] && exit 0

# ---- vhost-net: each driver in turn at /dev/net/tun ----

# ROW|bench_vhost options. 64-byte Ethernet frames; tx: guest -> host (vhost-net's TX
# batches frames to the driver as XDP buffers while the queue's send buffer is INT_MAX,
# the default), tx64_sndbuf: the same with a 1 MiB send buffer (one copying sendmsg
# per frame), rx: host -> guest.
VHOST_ROWS=("vhost_tx64|-m tx -s 64" "vhost_rx64|-m rx -s 64"
	"vhost_tx64_sndbuf|-m tx -s 64 -b 1048576")
TUN_KO=$RTUN_KDIR/drivers/net/tun.ko
RTUN_VHOST_KO=$(dirname "$RTUN_MODULE")/rtun_vhost.ko
# load and unload: vhost_iotlb, vhost and vhost_net inserted after the driver, checked
# to be bound to $backend, removed again (what the vhost client tests use).
VHOST_BASH=$(dirname "$RTUN_SCRIPTS")/selftests/clients/vhost.bash

# vhost_rows DRIVER ROUND: every vhost row on DRIVER, which serves /dev/net/tun with
# vhost_net bound to it (BACKEND: the module vhost_net binds to).
vhost_rows() {
	local drv=$1 round=$2 r row opts secs=(-w "$WARMUP" -t "$SECS")
	[ "$VIEW" = icount ] && secs=(-w 0.2 -t 0.5)
	# In a subshell: vhost.bash's settings (the driver, the backend) are per driver.
	(
		TUN_DRIVER=$drv VHOST_BACKEND_MODULE=$backend
		# shellcheck source=../selftests/clients/vhost.bash
		. "$VHOST_BASH" || exit 1
		if ! load >"$R/vhost-load.txt" 2>&1; then
			why=$(tr -s ' \n' '__' <"$R/vhost-load.txt")
			for r in "${VHOST_ROWS[@]}"; do
				echo "view=$VIEW row=${r%%|*} driver=$drv round=$round error=vhost_net_load:$why" |
					tee -a "$OUT"
			done
			unload
			exit 0
		fi
		for r in "${VHOST_ROWS[@]}"; do
			row=${r%%|*} opts=${r#*|}
			# shellcheck disable=SC2086 # opts: words
			record "$row" "$drv" "$round" "$BIN/bench_vhost" $opts -d /dev/net/tun -n "bv$drv" \
				"${secs[@]}"
		done
		unload || exit 1
	)
}

if [ ! -f "$RTUN_VHOST_KO" ] || [ ! -f "$RTUN_KDIR/drivers/vhost/vhost_net.ko" ]; then
	echo "# vhost-net rows skipped: no $RTUN_VHOST_KO or no vhost_net.ko in $RTUN_KDIR"
	exit 0
fi
VHOST_DRIVERS=(tun rtun)
if [ -n "$BASE_MODULE" ]; then
	BASE_VHOST_KO=$(dirname "$BASE_MODULE")/rtun_vhost.ko
	if [ -f "$BASE_VHOST_KO" ]; then
		VHOST_DRIVERS+=(base)
	else
		echo "# vhost-net rows without base: no $BASE_VHOST_KO"
	fi
fi
for ((round = 1; round <= ROUNDS; round++)); do
	echo "# $VIEW view: vhost-net round $round of $ROUNDS"
	for drv in "${VHOST_DRIVERS[@]}"; do
		# The module files, and the name the kernel knows the driver by (base: rtun too).
		ko=$TUN_KO vko= backend=tun mod=tun
		case $drv in
		rtun) ko=$RTUN_MODULE vko=$RTUN_VHOST_KO backend=rtun_vhost mod=rtun ;;
		base) ko=$BASE_MODULE vko=$BASE_VHOST_KO backend=rtun_vhost mod=rtun ;;
		esac
		insmod "$ko" || exit 1
		[ -n "$vko" ] && { insmod "$vko" || exit 1; }
		vhost_rows $drv $round || exit 1
		[ -n "$vko" ] && { rmmod rtun_vhost || exit 1; }
		rmmod $mod || exit 1
	done
done
exit 0
