#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# selftests/vhost_mq.c on the driver at /dev/net/tun, with vhost-net bound to it: a
# multiqueue tap driven through one /dev/vhost-net per queue, both directions, the
# batched and plain transmit paths, queues disabled and the device deleted under vhost.
# Run twice: vhost_net as loaded by default, then with experimental_zcopytx=1 (the
# zero-copy transmit case runs only then). Its TAP lines are the program's own.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash" || exit 1
# shellcheck source=vhost.bash
. "$(dirname "$0")/vhost.bash" || exit 1

bin=${RTUN_SELFTESTS:-}/vhost/vhost_mq
trap 'unload; rm -rf "$out"' EXIT

# pass [PARAM=VALUE...]: vhost_net loaded with PARAMs, the program, vhost_net unloaded.
pass() {
	if ! load "$@" >"$out/load" 2>&1; then
		sed 's/^/# /' "$out/load"
		echo "1..1"
		echo "not ok 1 vhost_mq: vhost_net.ko loads, bound to $backend"
		return
	fi
	echo "# vhost_net $*"
	timeout -k 10 "${VHOST_NET_TIMEOUT:-120}" "$bin" || echo "# vhost_mq exit status $?"
	if ! unload >"$out/unload" 2>&1; then
		sed 's/^/# /' "$out/unload"
		echo "not ok 99 vhost_mq: vhost modules unload"
	fi
}

pass
pass experimental_zcopytx=1
