#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# iproute2 as a client of /dev/net/tun: ip tuntap add/show/del, ip -d link show, ip link
# on tun devices, ethtool -i, and "Attached to processes" (from /proc/PID/fdinfo).
# Runs in the drop-in phase (the driver under test at /dev/net/tun), with names unique
# to the driver and process, and deletes what it made.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash" || exit 1

TO="timeout 10"
tun=ipt$tag tap=ipp$tag mq=ipm$tag att=ipa$tag
holder=

cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
	for d in $tun $tap $mq $att; do ip link del "$d" 2>/dev/null; done
	rm -rf "$out"
}
trap cleanup EXIT

# sysfs NAME ATTR VALUE
sysfs() { [ "$(cat "/sys/class/net/$1/$2")" = "$3" ] || { echo "$1/$2: $(cat "/sys/class/net/$1/$2")"; false; }; }

exists() { ip link show dev "$1" >/dev/null 2>&1; }
absent() { ! exists "$1"; }

add_tun() { $TO ip tuntap add dev $tun mode tun && exists $tun && sysfs $tun tun_flags 0x1801; }
add_tap() {
	$TO ip tuntap add dev $tap mode tap user 65534 group 100 one_queue vnet_hdr pi &&
		exists $tap && sysfs $tap tun_flags 0x6802 && sysfs $tap owner 65534 && sysfs $tap group 100
}
add_mq() { $TO ip tuntap add dev $mq mode tun multi_queue && sysfs $mq tun_flags 0x1901; }

show() {
	$TO ip tuntap show >"$out/show" || return 1
	has "$out/show" "^$tun: tun persist\$" &&
		has "$out/show" "^$tap: tap pi one_queue vnet_hdr persist filter user 65534 group 100\$" &&
		has "$out/show" "^$mq: tun multi_queue persist\$"
}

details_tun() {
	$TO ip -d link show dev $tun >"$out/d" || return 1
	has "$out/d" "^[0-9]+: $tun: <POINTOPOINT,MULTICAST,NOARP> mtu 1500 .*state DOWN .*qlen 500\$" &&
		has "$out/d" "link/none .*minmtu 68 maxmtu 65535" &&
		has "$out/d" "^ +tun type tun pi off vnet_hdr off persist on "
}

details_tap() {
	$TO ip -d link show dev $tap >"$out/d" || return 1
	has "$out/d" "^[0-9]+: $tap: <BROADCAST,MULTICAST> mtu 1500 .*qlen 1000\$" &&
		has "$out/d" "link/ether ([0-9a-f]{2}:){5}[0-9a-f]{2} brd ff:ff:ff:ff:ff:ff .*minmtu 68 maxmtu 65521" &&
		has "$out/d" "^ +tun type tap pi on vnet_hdr on persist on user [^ ]+ group [^ ]+ "
}

details_mq() {
	$TO ip -d link show dev $mq >"$out/d" || return 1
	has "$out/d" "^ +tun type tun pi off vnet_hdr off multi_queue numqueues 0 numdisabled 0 persist on " &&
		# tun.c allocates 256 queues; rtun 1024 (an rtun extension), as guest-check.sh
		# loads it with max_queues=1024 (its default is tun.c's 256).
		if [ "$TUN_DRIVER" = rtun ]; then
			has "$out/d" "numtxqueues 1024 numrxqueues 1024"
		else
			has "$out/d" "numtxqueues 256 numrxqueues 256"
		fi
}

ethtool_info() {
	$TO ethtool -i $tap >"$out/e" && has "$out/e" "^driver: tun\$" && has "$out/e" "^bus-info: tap\$" &&
		$TO ethtool -i $tun >"$out/e" && has "$out/e" "^bus-info: tun\$"
}

link_set() {
	$TO ip link set dev $tun up mtu 9000 && sysfs $tun mtu 9000 &&
		! $TO ip link set dev $tun mtu 65536 && ! $TO ip link set dev $tun mtu 67 &&
		$TO ip addr add 198.18.7.1 peer 198.18.7.2 dev $tun &&
		$TO ip -4 addr show dev $tun >"$out/a" && has "$out/a" "inet 198.18.7.1 peer 198.18.7.2/32" &&
		# No process attached: up, but no carrier.
		ip link show dev $tun >"$out/l" && has "$out/l" "NO-CARRIER.*state DOWN" &&
		$TO ip link set dev $tap address 02:00:00:00:07:01 && sysfs $tap address 02:00:00:00:07:01 &&
		$TO ip link set dev $tun down
}

# ip link add ... type tun is refused, with tun.c's extended-ack message: tun devices come
# from TUNSETIFF only.
rtnl_add() {
	! $TO ip link add $att type tun 2>"$out/err" &&
		has "$out/err" "^Error: tun/tap creation via rtnetlink is not supported" && absent $att
}

# A process holding a queue shows in ip -d tuntap show, through /proc/PID/fdinfo.
attached() {
	socat -u "TUN:198.18.7.5/24,tun-name=$att,tun-type=tun,iff-no-pi,iff-up" SYSTEM:"sleep 60" &
	holder=$!
	# The device exists before TUNSETIFF returns and socat brings it up after: wait
	# for both (generously: socat starts slowly on the debug kernel).
	local end=$((SECONDS + 20))
	while [ $SECONDS -lt $end ]; do
		grep -q "^iff:[[:space:]]$att\$" /proc/$holder/fdinfo/* 2>/dev/null &&
			ip link show dev $att 2>/dev/null | grep -q LOWER_UP && break
		sleep 0.1
	done
	grep -q "^iff:[[:space:]]$att\$" /proc/$holder/fdinfo/* 2>/dev/null || {
		echo "no fdinfo iff: $att after 20 s"
		return 1
	}
	$TO ip -d tuntap show >"$out/show" &&
		has "$out/show" "^$att: tun\$" && sed -n "/^$att:/{n;p}" "$out/show" >"$out/att" &&
		has "$out/att" "Attached to processes:.*socat\\($holder\\)" &&
		ip link show dev $att >"$out/l" && has "$out/l" "LOWER_UP.*state UNKNOWN"
}

# The holder exits: a non-persistent device goes with it.
detached() {
	exists $att || { echo "$att never appeared"; return 1; }
	kill "$holder" && wait "$holder" 2>/dev/null
	holder=
	local end=$((SECONDS + 20))
	while [ $SECONDS -lt $end ]; do absent $att && return 0; sleep 0.1; done
	echo "$att still there"
	false
}

del() {
	$TO ip tuntap del dev $tun mode tun && absent $tun &&
		$TO ip tuntap del dev $mq mode tun multi_queue && absent $mq
}

# Deleting with the wrong mode fails (TUNSETIFF: EINVAL), the device stays.
del_wrong_mode() {
	! $TO ip tuntap del dev $tap mode tun 2>"$out/err" && has "$out/err" "Invalid argument" && exists $tap
}

del_link() { $TO ip link del dev $tap && absent $tap; }

ktap_print_header
ktap_set_plan 16
check "ip tuntap add mode tun" add_tun
check "ip tuntap add mode tap user group one_queue vnet_hdr pi" add_tap
check "ip tuntap add mode tun multi_queue" add_mq
check "ip tuntap show lists them with their flags" show
check "ip -d link show: tun details" details_tun
check "ip -d link show: tap details" details_tap
check "ip -d link show: multi_queue details" details_mq
check "ethtool -i: driver tun, bus-info tun/tap" ethtool_info
check "ip link set up, mtu limits, address, no carrier without a queue" link_set
check "ip link add type tun is not supported" rtnl_add
check "a process's queue: fdinfo and ip -d tuntap show" attached
check "the device goes when its process does" detached
check "ip tuntap del with the wrong mode fails" del_wrong_mode
check "ip tuntap del removes tun and multi_queue" del
check "ip link del removes a persistent tap" del_link
if ip link show | grep -Eq "(ipt|ipp|ipm|ipa)$tag"; then
	ktap_test_fail "nothing left behind"
else
	ktap_test_pass "nothing left behind"
fi
ktap_finished
