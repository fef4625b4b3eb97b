#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A socat TUN tunnel between two network namespaces: each side has a socat owning a tun
# device (198.18.0.1/24 and 198.18.0.2/24), carried over UDP on a veth pair
# (192.0.2.1 - 192.0.2.2). Ping across the tunnel, then a TCP transfer of random
# bytes checked on arrival. Runs in the drop-in phase (the driver under test at
# /dev/net/tun).
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash" || exit 1

ns1=sc1$tag ns2=sc2$tag
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del $ns1 2>/dev/null
	ip netns del $ns2 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT

in1() { ip netns exec $ns1 "$@"; }
in2() { ip netns exec $ns2 "$@"; }

underlay() {
	ip netns add $ns1 && ip netns add $ns2 &&
		ip link add sv1$tag netns $ns1 type veth peer name sv2$tag netns $ns2 &&
		ip -n $ns1 addr add 192.0.2.1/24 dev sv1$tag && ip -n $ns1 link set sv1$tag up &&
		ip -n $ns2 addr add 192.0.2.2/24 dev sv2$tag && ip -n $ns2 link set sv2$tag up &&
		ip -n $ns1 link set lo up && ip -n $ns2 link set lo up &&
		in1 timeout 10 ping -c 1 -W 5 192.0.2.2
}

# tunnel_end NS LOCAL PEER TUNADDR: socat between UDP to PEER and a tun device.
tunnel_end() {
	ip netns exec "$1" socat -d \
		"UDP-DATAGRAM:$3:7000,bind=$2:7000" \
		"TUN:$4/24,tun-name=stun$tag,tun-type=tun,iff-up" 2>"$out/socat-$1.log" &
	pids+=($!)
}

# tun_up NS ADDR: within 30 s (the debug kernel is slow) the tun device of NS is up with the socat's address.
tun_up() {
	local end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ]; do
		ip -n "$1" -4 addr show dev stun$tag 2>/dev/null | grep -q "inet $2/24" && return 0
		sleep 0.2
	done
	echo "no stun$tag with $2 in $1 after 30 s"
	cat "$out/socat-$1.log"
	false
}

tunnel() {
	tunnel_end $ns1 192.0.2.1 192.0.2.2 198.18.0.1
	tunnel_end $ns2 192.0.2.2 192.0.2.1 198.18.0.2
	tun_up $ns1 198.18.0.1 && tun_up $ns2 198.18.0.2 &&
		# Below the underlay MTU, so no UDP packet needs fragmenting.
		ip -n $ns1 link set stun$tag mtu 1400 && ip -n $ns2 link set stun$tag mtu 1400 &&
		tunnel_ok=1
}

ping_across() {
	in1 timeout 20 ping -c 3 -i 0.2 -W 5 198.18.0.2 &&
		in2 timeout 20 ping -c 3 -i 0.2 -W 5 -s 1300 198.18.0.1
}

tcp_transfer() {
	head -c 262144 /dev/urandom >"$out/send" || return 1
	in2 timeout 30 socat -u TCP-LISTEN:8000,bind=198.18.0.2,reuseaddr \
		"OPEN:$out/recv,creat,trunc" &
	local rx=$!
	# The listener may not be there yet: retry the connect for up to 10 s.
	in1 timeout 30 socat -u "OPEN:$out/send" TCP:198.18.0.2:8000,retry=100,interval=0.1 ||
		{ kill $rx; return 1; }
	wait $rx || return 1
	cmp "$out/send" "$out/recv" && sha256sum "$out/send" "$out/recv"
}

# The tunnel counts its traffic on both tun devices.
counters() {
	local ns n
	for ns in $ns1 $ns2; do
		# ip netns exec mounts a sysfs of the netns.
		ip -n $ns -s link show dev stun$tag >"$out/s" || return 1
		# The line after "RX:"/"TX:" holds bytes, packets, ...
		n=$(awk '/RX:/ { getline; print $2 }' "$out/s")
		[ "${n:-0}" -gt 6 ] || { echo "$ns rx_packets '$n'"; cat "$out/s"; return 1; }
		n=$(awk '/TX:/ { getline; print $2 }' "$out/s")
		[ "${n:-0}" -gt 6 ] || { echo "$ns tx_packets '$n'"; cat "$out/s"; return 1; }
	done
}

# The socats exit: their devices go with them.
teardown() {
	local p
	for p in "${pids[@]}"; do kill "$p"; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	pids=()
	local end=$((SECONDS + 20))
	while [ $SECONDS -lt $end ]; do
		! ip -n $ns1 link show stun$tag >/dev/null 2>&1 &&
			! ip -n $ns2 link show stun$tag >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "stun$tag still there"
	false
}

ktap_print_header
if ! command -v socat >/dev/null; then
	ktap_skip_all "socat is not installed"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 6
tunnel_ok=0
check "underlay: veth between two netns" underlay
check "socat TUN tunnel up in both netns" tunnel
# Without a tunnel the rest can only fail: say so at once rather than time out.
tunnel_check() {
	if [ $tunnel_ok = 1 ]; then
		check "$@"
	else
		ktap_test_fail "$1 (no tunnel)"
	fi
}
tunnel_check "ping across the tunnel" ping_across
tunnel_check "TCP transfer of 256 KiB across the tunnel, bytes intact" tcp_transfer
tunnel_check "tun counters saw the tunnel traffic" counters
tunnel_check "tun devices go away with their socat" teardown
ktap_finished
