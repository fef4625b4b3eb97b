# SPDX-License-Identifier: GPL-2.0
# Loading vhost-net for the client tests that use it (vhost_net.sh, vhost_mq.sh); sourced
# after lib.bash, not a test itself.
#
# vhost_net.ko binds at load time to whichever loaded module exports tun_get_socket &
# co.: tun.ko, or for rtun its companion rtun_vhost.ko (VHOST_BACKEND_MODULE names it).
# So vhost_iotlb, vhost and vhost_net are inserted from the kernel build tree after the
# driver (modprobe would pull tun.ko in), and removed again before it.
# shellcheck shell=bash

kmods=${RTUN_KDIR:-}/drivers/vhost
drv=${TUN_DRIVER:-tun}
# The module vhost_net binds to.
backend=${VHOST_BACKEND_MODULE:-$drv}

loaded=()
unload() {
	local i ok=0
	for ((i = ${#loaded[@]} - 1; i >= 0; i--)); do
		rmmod "${loaded[i]}" || ok=1
	done
	loaded=()
	return $ok
}
# load [PARAM=VALUE...]: vhost_iotlb and vhost (unless already there), then vhost_net
# with PARAMs. Prints why not; failed_insmod names the module insmod refused.
failed_insmod=
load() {
	local m args
	if [ -e /sys/module/vhost_net ]; then
		echo "vhost_net is already loaded: unload it first, it binds to a driver at load"
		return 1
	fi
	for m in vhost_iotlb vhost vhost_net; do
		[ -e "/sys/module/$m" ] && continue
		args=()
		[ $m = vhost_net ] && args=("$@")
		insmod "$kmods/$m.ko" "${args[@]}" 2>&1 || { failed_insmod=$m; return 1; }
		loaded+=("$m")
	done
	[ -e "/sys/module/$backend/holders/vhost_net" ] || {
		echo "vhost_net loaded, but not bound to $backend (holders: $(ls "/sys/module/$backend/holders"))"
		return 1
	}
	[ -c /dev/vhost-net ] || { echo "no /dev/vhost-net"; return 1; }
}
