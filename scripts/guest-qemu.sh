#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM for `make demo-qemu`: QEMU's multiqueue virtio-net on a tap of
# the driver at /dev/net/tun, with vhost-net and without, first on tun.ko (the reference),
# then on rtun. For each driver and vhost=on|off, a nested QEMU (TCG) boots the small
# guest kernel (scripts/guest-kernel.sh) with the initramfs of scripts/qemu-initramfs.sh
# and a 2-queue-pair virtio-net NIC on a persistent multiqueue tap, qtap0 (192.0.2.1/24
# here, made afresh for every run); the nested guest (scripts/qemu-guest/init, 192.0.2.2)
# pings this side through each of its two transmit queues. This side checks that QEMU
# attached both tap queues, that vhost-net carried them when asked (QEMU's /dev/vhost-net
# files and vhost-<pid> worker threads) and not otherwise, pings the nested guest, and
# reads both sides' per-queue counters.
#
#   guest-qemu.sh GUEST_KERNEL_DIR INITRAMFS
#
# Prints "PASS: ..." or "FAIL: ..." per check and "demo-qemu: N passed, M failed";
# exits non-zero when anything failed. The nested consoles land in
# $RTUN_RESULTS/nested-<driver>-vhost-<on|off>.log.
set -u
gk=$1 initrd=$2
R=$RTUN_RESULTS
TUN_KO=$RTUN_KDIR/drivers/net/tun.ko RTUN_KO=$RTUN_MODULE
RTUN_VHOST_KO=$(dirname "$RTUN_MODULE")/rtun_vhost.ko
CLIENTS=$(dirname "$RTUN_SCRIPTS")/selftests/clients
tap=qtap0
# Seconds one nested QEMU may take from start to exit (it boots, pings and waits for us).
QEMU_TIMEOUT=${RTUN_QEMU_TIMEOUT:-600}
QEMU=${RTUN_QEMU:-qemu-system-x86_64}

passed=0 failed=0
check() { # check STATUS WHAT: STATUS 0 passes
	if [ "$1" = 0 ]; then
		echo "PASS: $2"
		passed=$((passed + 1))
	else
		echo "FAIL: $2"
		failed=$((failed + 1))
	fi
}
step() { printf '\n### %s\n' "$*"; }
elapsed() { echo $((SECONDS - $1)); }

# irqs LOG NAME: the total of the nested guest's /proc/interrupts line for NAME.
irqs() {
	tr -d '\r' <"$1" | awk -v n="$2" '$NF == n { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s; f = 1 }
		END { if (!f) print 0 }'
}
# nested LOG KEY: the value of KEY in the nested guest's NESTED-RESULT lines.
nested() {
	sed -n "s/^NESTED-RESULT $2=//p" "$1" | tr -d '\r' | tail -1
}

# run_qemu DRIVER on|off: one nested QEMU, its checks.
run_qemu() {
	local drv=$1 vhost=$2 log pidf qpid tpid start t fds vfds threads q what bad
	what="$drv vhost=$vhost"
	log=$R/nested-$drv-vhost-$vhost.log pidf=$R/qemu-$drv-$vhost.pid
	step "$what: nested QEMU, virtio-net with 2 queue pairs on $tap"
	# One vCPU: a second one doubles the nested boot time. qboot (when there) instead of
	# SeaBIOS, and the uncompressed vmlinux through its PVH entry point, save more.
	# tsc=reliable no_timer_check: no clocksource watchdog or timer check, whose timing
	# nested TCG upsets.
	local cmd=("$QEMU" -nodefaults -no-user-config -M q35 -accel tcg,thread=multi -cpu max
		-smp 1 -m 256M -display none -no-reboot -pidfile "$pidf"
		-kernel "$gk/vmlinux" -initrd "$initrd"
		-append "console=ttyS0 panic=-1 no5lvl tsc=reliable no_timer_check qtest=net"
		-serial "file:$log"
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,queues=2,vhost=$vhost"
		-device virtio-net-pci,netdev=n0,mq=on,vectors=6)
	[ -e /usr/share/qemu/qboot.rom ] && cmd+=(-bios /usr/share/qemu/qboot.rom)
	# A fresh tap for every run, so its counters are this run's.
	ip tuntap add dev $tap mode tap multi_queue
	ip addr add 192.0.2.1/24 dev $tap
	ip link set $tap up
	echo "${cmd[*]}"
	rm -f "$pidf" "$log"
	start=$SECONDS
	timeout -k 10 "$QEMU_TIMEOUT" "${cmd[@]}" >"$R/qemu-$drv-$vhost.err" 2>&1 &
	tpid=$!

	# Wait for the nested guest to have pinged us (or for QEMU to end).
	while kill -0 $tpid 2>/dev/null && ! grep -q '^nested: ready' "$log" 2>/dev/null; do
		sleep 2
	done
	qpid=$(cat "$pidf" 2>/dev/null)
	if ! grep -q '^nested: ready' "$log" 2>/dev/null || [ -z "$qpid" ]; then
		wait $tpid
		echo "QEMU ended (status $?) after $(elapsed $start) s before the nested guest was ready:"
		cat "$R/qemu-$drv-$vhost.err"
		tail -n 30 "$log" 2>/dev/null
		check 1 "$what: nested guest boots and pings"
		ip tuntap del dev $tap mode tap multi_queue
		return
	fi
	echo "nested guest ready after $(elapsed $start) s; its console so far:"
	grep -E '^(nested|NESTED-RESULT|PING|[0-9]+ bytes from|[0-9]+ packets)' "$log" | tr -d '\r'

	# Evidence on this side, while QEMU runs.
	echo "-- this side, QEMU pid $qpid:"
	fds=0 vfds=0
	for f in /proc/"$qpid"/fd/*; do
		case $(readlink "$f") in
		/dev/net/tun)
			fds=$((fds + 1))
			echo "fd ${f##*/}: /dev/net/tun, $(grep -E '^iff:' "/proc/$qpid/fdinfo/${f##*/}" | tr '\t' ' ')"
			;;
		/dev/vhost-net)
			vfds=$((vfds + 1))
			echo "fd ${f##*/}: /dev/vhost-net"
			;;
		esac
	done
	threads=$(ps -eLo pid=,tid=,comm= | awk -v c="vhost-$qpid" '$3 == c')
	echo "vhost worker threads (vhost-$qpid):"
	echo "${threads:-(none)}"
	q=$(ls "/sys/class/net/$tap/queues" | tr '\n' ' ')
	echo "$tap queues: $q"
	ip -d link show "$tap" | sed -n '1,3p'
	[ "$fds" = 2 ] && [ -e "/sys/class/net/$tap/queues/tx-1" ] && [ ! -e "/sys/class/net/$tap/queues/tx-2" ]
	check $? "$what: QEMU attached both queues of $tap ($fds /dev/net/tun files; $q)"
	if [ "$vhost" = on ]; then
		[ "$vfds" = 2 ] && [ -n "$threads" ]
		check $? \
			"$what: vhost-net in use ($vfds /dev/vhost-net files, $(echo "$threads" | grep -c .) vhost-$qpid threads)"
	else
		[ "$vfds" = 0 ] && [ -z "$threads" ]
		check $? "$what: no vhost-net ($vfds /dev/vhost-net files, no vhost threads)"
	fi

	# Traffic from this side: a ping, and UDP to 16 ports (16 flows, spread over the
	# queues by their hash).
	echo "-- ping from this side:"
	timeout 60 ping -c 3 -i 0.5 -W 10 192.0.2.2
	check $? "$what: ping 192.0.2.2 from this side"
	for p in $(seq 9000 9015); do
		echo x >/dev/udp/192.0.2.2/$p
	done
	sleep 1

	# The tap's per-queue counters, while QEMU still holds its queues: rtun's ethtool -S
	# (queue_<n>_rx_packets: written by QEMU or vhost-net, i.e. sent by the nested guest;
	# queue_<n>_tx_packets: read by them), tun.ko has none; the mq qdisc's children count
	# what the stack sent on each queue towards the nested guest (both drivers).
	echo "-- $tap counters on this side:"
	ip -s link show "$tap" | sed -n '3,6p'
	if [ "$drv" = rtun ]; then
		ethtool -S "$tap" | grep -E 'queue_[0-9]+_(rx|tx)_'
		bad=0
		for k in queue_0_rx_packets queue_1_rx_packets queue_0_tx_packets queue_1_tx_packets; do
			[ "$(ethtool -S "$tap" | awk -v k="$k:" '$1 == k { print $2 }')" -gt 0 ] 2>/dev/null || bad=1
		done
		check $bad "$what: both queues of $tap carried packets each way (ethtool -S)"
	fi
	tc -s qdisc show dev "$tap" | grep -E '^qdisc| Sent'
	local mq
	mq=$(tc -s qdisc show dev "$tap" | awk '/^qdisc/ { p = ""; for (i = 1; i < NF; i++) if ($i == "parent") p = $(i + 1) }
		/^ Sent/ && p != "" { printf "%s%s %s", sep, p, $4; sep = ", " }')
	echo "$mq" | grep -qE '(^|, ):1 [1-9]' && echo "$mq" | grep -qE '(^|, ):2 [1-9]'
	check $? "$what: the stack sent on both queues of $tap (packets per mq child: $mq)"

	# Release the nested guest, which prints its own counters and powers off.
	timeout 60 bash -c 'echo report >/dev/tcp/192.0.2.2/7777' ||
		echo "could not connect to the nested guest's port 7777"

	wait $tpid
	t=$?
	echo "QEMU exited with status $t after $(elapsed $start) s (boot to init: \
$(sed -n 's/^nested: init started at \([0-9.]*\) s.*/\1/p' "$log" | tr -d '\r') s of guest time)"
	echo "-- nested guest console after ready:"
	sed -n '/^nested: ready/,$p' "$log" | tr -d '\r' | grep -v '^nested: ready'

	q=$(nested "$log" queues) n=$(nested "$log" sysfs_queues)
	[ "$q" = 2 ] && [ "$n" = 2 ]
	check $? "$what: nested guest has ${q:-?} queue pairs enabled (ETHTOOL_GCHANNELS; ${n:-?} tx queues in sysfs)"
	for c in 0 1; do
		[ "$(nested "$log" ping$c)" = ok ]
		check $? "$what: nested guest pings 192.0.2.1 through its queue $c"
	done
	# Both queue pairs carried traffic: receive interrupts on both input queues, transmit
	# kicks on both output queues (virtio-net's tx<N>_kicks).
	local i0 i1 k0 k1
	i0=$(irqs "$log" virtio0-input.0) i1=$(irqs "$log" virtio0-input.1)
	k0=$(sed -n 's/^nested: eth0: tx0_kicks //p' "$log" | tr -d '\r')
	k1=$(sed -n 's/^nested: eth0: tx1_kicks //p' "$log" | tr -d '\r')
	bad=0
	for v in "$i0" "$i1" "${k0:-0}" "${k1:-0}"; do [ "$v" -gt 0 ] 2>/dev/null || bad=1; done
	check $bad \
		"$what: nested guest used both queue pairs (rx interrupts $i0/$i1, tx kicks ${k0:-0}/${k1:-0})"
	ip tuntap del dev $tap mode tap multi_queue
}

# one_driver DRIVER: load it and vhost-net, make the tap, both QEMU runs, unload.
one_driver() {
	local drv=$1 start=$SECONDS
	step "driver $drv: load it, then vhost_iotlb, vhost, vhost_net"
	if [ "$drv" = rtun ]; then
		insmod "$RTUN_KO" && insmod "$RTUN_VHOST_KO"
	else
		insmod "$TUN_KO"
	fi || { check 1 "$drv: module loads"; return; }
	# vhost.bash reads the driver and backend names when sourced.
	TUN_DRIVER=$drv VHOST_BACKEND_MODULE=$([ "$drv" = rtun ] && echo rtun_vhost || echo tun)
	export TUN_DRIVER VHOST_BACKEND_MODULE
	# shellcheck source=../selftests/clients/vhost.bash
	. "$CLIENTS/vhost.bash"
	if load; then
		check 0 "$drv: vhost_net loaded, bound to $backend"
	else
		check 1 "$drv: vhost_net loaded, bound to $backend"
	fi
	lsmod | grep -E '^(tun|rtun|rtun_vhost|vhost|vhost_net|vhost_iotlb) '
	grep -w tun /proc/misc

	run_qemu "$drv" on
	run_qemu "$drv" off

	unload || check 1 "$drv: vhost modules unload"
	[ "$drv" = rtun ] && rmmod rtun_vhost
	rmmod "$drv" || check 1 "$drv: module unloads"
	echo "driver $drv: $(elapsed $start) s"
}

start=$SECONDS
echo "guest kernel: $gk/vmlinux"
echo "initramfs: $initrd"
"$QEMU" --version | head -1
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
for drv in ${RTUN_QEMU_DRIVERS:-tun rtun}; do
	one_driver "$drv"
done
echo
echo "demo-qemu: $passed passed, $failed failed in $(elapsed $start) s"
[ $failed = 0 ]
