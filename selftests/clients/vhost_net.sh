#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vhost-net on the driver at /dev/net/tun: the kernel's own tools/virtio/vhost_net_test,
# built unchanged by selftests/vhost/Makefile, once per feature variant (one TAP line
# each). The test drives a virtio ring pair from userspace through /dev/vhost-net, with a
# tap device as the backend: RX, frames sent into the tap from an AF_PACKET socket come
# out of the ring behind a 12-byte vnet header; TX, frames put on the ring reach the
# socket. It has no time limit of its own (a lost frame makes it spin forever), hence
# the timeout around every run.
#
# vhost_net.ko binds at load time to whichever loaded module exports tun_get_socket,
# tun_get_tx_ring, tun_ptr_free and tun_wake_queue. So this script loads vhost_iotlb,
# vhost and vhost_net from the kernel build tree with insmod after the driver under
# test (modprobe would pull tun.ko in), and unloads them at the end: the driver cannot
# be unloaded while vhost_net uses its symbols. A driver other than tun.ko that does not
# have those symbols yet (rtun before it has the socket interface) cannot bind vhost_net:
# every run is then a SKIP that says so. On tun.ko, or on a driver that has them, a
# vhost_net that does not load is a failure.
#
# VHOST_NET_BUFS frames each way per run: 10000 take about 3 s on tun.ko under TCG (one
# frame in flight at a time; the 256-entry rings wrap some 40 times). VHOST_NET_TIMEOUT
# seconds per run: far above that, so only a lost frame (the test then spins) reaches it.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash" || exit 1
# shellcheck source=vhost.bash
. "$(dirname "$0")/vhost.bash" || exit 1

bin=${RTUN_SELFTESTS:-}/vhost/vhost_net_test
bufs=${VHOST_NET_BUFS:-10000}
limit=${VHOST_NET_TIMEOUT:-120}
# The feature variants that run: the test's defaults (indirect descriptors, event index,
# VERSION_1, immediate interrupts), then each of them changed.
variants=("" --no-event-idx --no-indirect --delayed-interrupt)
# --no-virtio-1 cannot pass on any driver: the test always sets the tap's vnet header to
# 12 bytes (TUNSETVNETHDRSZ with sizeof(struct virtio_net_hdr_mrg_rxbuf)), while vhost-net
# without VERSION_1 and MRG_RXBUF expects the socket's header to be the legacy 10 bytes
# (vhost_net_set_features). handle_rx then gets 2 bytes more than it asked for from every
# recvmsg, discards the frame and puts the descriptor back (vhost_discard_vq_desc), and the
# test's RX loop, which sends the next frame only once the last one came back, spins forever.
no_v1="the test's 12-byte vnet header is 2 more than vhost-net expects without VERSION_1:"
no_v1="$no_v1 every RX frame is discarded and the test spins (a test limitation, tun.ko too)"

cleanup() {
	unload
	rm -rf "$out"
}
trap cleanup EXIT

# skip DESC REASON: a SKIP line that carries its reason (ktap_test_skip has none).
skip() {
	__ktap_test ok "$1" "SKIP $2"
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
}

# variant ARGS...: one run of the test, its output as comments; passes when it exits 0
# having completed every frame each way.
variant() {
	local start=$SECONDS st n
	n=$(printf '%x' "$bufs")
	# In a group, so the shell's own "Aborted" notice (a failed assert) lands in the log.
	{ timeout -k 10 "$limit" "$bin" --buf-num "$bufs" "$@"; } >"$out/run" 2>&1
	st=$?
	sed 's/^/# /' "$out/run"
	echo "# $((SECONDS - start)) s"
	if [ $st = 124 ] || [ $st = 137 ]; then
		echo "# killed after $limit s"
		return 1
	fi
	[ $st = 0 ] || { echo "# exit status $st"; return 1; }
	grep -q "^RX spurious wakeups: .* completed=0x$n\$" "$out/run" &&
		grep -q "^TX spurious wakeups: .* completed=0x$n\$" "$out/run" || {
		echo "# exit status 0 without both RX and TX completing 0x$n frames"
		return 1
	}
}

ktap_print_header
ktap_set_plan $((${#variants[@]} + 3))

if [ ! -x "$bin" ]; then
	ktap_exit_fail_msg "$bin not built"
fi

before=$(dmesg | wc -l)
state=run reason=
if load >"$out/load" 2>&1; then
	ktap_test_pass "vhost_net.ko loads, bound to $drv"
else
	sed 's/^/# /' "$out/load"
	# The kernel names the symbols it could not resolve.
	dmesg | tail -n +"$((before + 1))" | grep 'vhost_net: Unknown symbol' | sed 's/^/# /'
	# A SKIP only when vhost_net itself was refused, on a driver that is not tun.ko and has
	# no tun_get_socket at all (kallsyms lists a module's symbols, exported or not).
	if [ "$failed_insmod" = vhost_net ] && [ "$drv" != tun ] &&
		! grep -qE "[[:space:]]tun_get_socket[[:space:]]+\[$backend\]\$" /proc/kallsyms; then
		state=skip reason="$drv does not export tun_get_socket yet"
		skip "vhost_net.ko loads, bound to $drv" "$reason"
	else
		state=fail
		ktap_test_fail "vhost_net.ko loads, bound to $drv"
	fi
fi

for v in "${variants[@]}"; do
	# shellcheck disable=SC2086 # "" is the run without options
	desc=$(echo vhost_net_test --buf-num "$bufs" $v)
	case $state in
	run) if variant $v; then ktap_test_pass "$desc"; else ktap_test_fail "$desc"; fi ;;
	skip) skip "$desc" "$reason" ;;
	fail) ktap_test_fail "$desc (vhost_net.ko not loaded)" ;;
	esac
done
skip "vhost_net_test --buf-num $bufs --no-virtio-1" "$no_v1"

if unload >"$out/unload" 2>&1 && [ ! -e /sys/module/vhost_net ]; then
	ktap_test_pass "vhost modules unload"
else
	sed 's/^/# /' "$out/unload"
	ktap_test_fail "vhost modules unload"
fi
ktap_finished
