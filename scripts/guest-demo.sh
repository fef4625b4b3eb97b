#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for `make demo`: rtun as /dev/net/tun carrying real traffic.
set -eu
S=$RTUN_SAMPLES

step() { printf '\n### %s\n' "$*"; }

step "insmod rtun.ko (drop-in for tun.ko)"
insmod "$RTUN_MODULE"
grep -w tun /proc/misc
ls -l /dev/net/tun

step "a TUN device with a userspace peer answering ping (samples/tun_echo)"
"$S/tun_echo" -n rtun0 -c 5 &
echo_pid=$!
for _ in $(seq 50); do ip link show rtun0 >/dev/null 2>&1 && break; sleep 0.1; done
ip addr add 192.0.2.1 peer 192.0.2.2 dev rtun0
ip link set rtun0 up
ip -d link show rtun0
ping -c 5 -i 0.2 -W 2 192.0.2.2
wait $echo_pid
ip -s link show rtun0 2>/dev/null || echo "(rtun0 is gone: its only file closed)"

step "multiqueue: a TUN device with 4 queues, a thread each (samples/tun_mq)"
# tun_mq logs to a file; mq_show PATTERN N waits until the log has PATTERN N times, then
# prints what was logged since the last call.
mq_log=$RTUN_RESULTS/tun_mq.txt mq_shown=0
mq_show() {
	for _ in $(seq 100); do
		[ "$(grep -c -- "$1" "$mq_log")" -ge "$2" ] && break
		sleep 0.1
	done
	local n
	n=$(wc -l <"$mq_log")
	head -n "$n" "$mq_log" | tail -n +"$((mq_shown + 1))"
	mq_shown=$n
}
# The live queue count as ethtool (channels) and iproute2 (IFLA_TUN_NUM_QUEUES) see it.
mq_state() {
	echo "ethtool -l mq0: $(ethtool -l mq0 | sed -n '/Current/,$p' | grep Combined)"
	echo "ip -d link show mq0: $(ip -d link show mq0 | grep -o 'numqueues [0-9]* numdisabled [0-9]*')"
}
# flows SECONDS: 32 UDP flows to the echo port of the peer behind mq0, 16 over IPv4 and 16
# over IPv6; each flow is a socket of its own, so a source port of its own.
flows() {
	python3 "$RTUN_SCRIPTS/udp-flows.py" "$1" 32 198.18.0.2:7 '[2001:db8::2]:7'
}
"$S/tun_mq" -n mq0 -q 4 >"$mq_log" 2>&1 &
mq_pid=$!
mq_show "with 4 queues" 1
ip addr add 198.18.0.1/24 dev mq0
ip addr add 2001:db8::1/64 dev mq0 nodad
ip link set mq0 up
ip -d link show mq0 | grep -o 'tun type .* numdisabled [0-9]*'
echo "-- 32 UDP flows through mq0 for 3 s, 20 datagrams a second each; tun_mq echoes them"
flows 3
echo "-- ethtool -l mq0: 4 live queues (rtun allows 256, tun.c's limit, or up to 1024 with max_queues=)"
ethtool -l mq0
echo "-- ethtool -S mq0: rtun's counters per queue (tx: stack -> tun_mq, rx: tun_mq -> stack)"
ethtool -S mq0
echo "-- tun_mq's own counts (SIGUSR2): the flows spread over the queues by their hash"
echo "   (each flow sent 60 datagrams in these 3 s)"
kill -USR2 $mq_pid
mq_show "SIGUSR2" 1
echo "-- 8 s of traffic; meanwhile q1 is detached (SIGUSR1 at 2 s) and attached again (at 5 s)"
flows_log=$RTUN_RESULTS/flows.txt
flows 8 >"$flows_log" &
flows_pid=$!
# flows_at N: waits until the traffic has run N s by its own clock (python takes a while
# to start in the VM).
flows_at() {
	for _ in $(seq 150); do grep -q " $1 s:" "$flows_log" && break; sleep 0.1; done
}
flows_at 2
kill -USR1 $mq_pid
mq_show "IFF_DETACH_QUEUE" 1
mq_state
flows_at 5
kill -USR1 $mq_pid
mq_show "IFF_ATTACH_QUEUE" 1
mq_state
wait $flows_pid
echo "-- the traffic, second by second, through both changes"
cat "$flows_log"
echo "-- tun_mq's counts since the attach (SIGUSR2): the running flows stay where they were, as"
echo "   the driver sends a flow to the queue that last wrote it; one reaches q1 only if another"
echo "   flow took its entry in the flow table (direct-mapped, 1024 entries), then by its hash"
kill -USR2 $mq_pid
mq_show "SIGUSR2" 2
echo "-- 32 new flows (new source ports) for 3 s: hashed over all 4 queues, q1 included"
flows 3
echo "-- rtun's counters follow the queue's file, listed by its index now: q3 is index 1, q1 index 3"
ethtool -S mq0 | grep tx_packets
kill $mq_pid
wait $mq_pid
mq_show "all read" 1
ip link show mq0 2>/dev/null || echo "(mq0 is gone with its last queue's file)"

step "ip tuntap: persistent tun and tap devices"
ip tuntap add dev demo-tun mode tun
ip tuntap add dev demo-tap mode tap
ip tuntap show
ip tuntap del dev demo-tun mode tun
ip tuntap del dev demo-tap mode tap

step "rmmod rtun"
rmmod rtun
echo "demo finished"
