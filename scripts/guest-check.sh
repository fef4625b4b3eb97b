#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM (see vm.sh): the whole test suite, each test against tun.ko and
# rtun in this one boot. Every program's TAP output goes to $RTUN_RESULTS/<name>.tap.
set -u
R=$RTUN_RESULTS T=$RTUN_SELFTESTS
TUN_KO=$RTUN_KDIR/drivers/net/tun.ko RTUN_KO=$RTUN_MODULE
export KSFT_HELPERS=$RTUN_KDIR/source/tools/testing/selftests/kselftest

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
# The multiqueue stress test runs 60 s on the debug kernel (kmemleak marks it), 10 s else.
# The upstream tun selftest and vhost_net_test get longer limits there too (KASAN slows
# them down).
if [ -e /sys/kernel/debug/kmemleak ]; then
	export STRESS_SECONDS=60 UPSTREAM_TUN_TIMEOUT=1200 VHOST_NET_TIMEOUT=600
else
	export STRESS_SECONDS=10
fi

# run NAME CMD...: run one TAP program, keep its output.
run() {
	local name=$1
	shift
	echo "# ==== $name"
	"$@" 2>&1 | tee "$R/$name.tap"
}

run module_load "$T/module_load.sh" "$TUN_KO" "$RTUN_KO"

# rtun with max_queues=1024 (the default is tun.c's 256): the tests check the extension,
# a multiqueue device of 1024 queues (multiqueue's queue_limit, load, iproute's numtxqueues).
RTUN_PARAMS=(max_queues=1024)
insmod "$TUN_KO" || exit 1
insmod "$RTUN_KO" side_by_side=1 "${RTUN_PARAMS[@]}" || exit 1
# rtun's KUnit suites ran at this load; each one's KTAP is in debugfs until the module
# goes (CONFIG_KUNIT_DEBUGFS). Keep their cases, named suite.case: the indented result
# lines of each suite's log. Every suite the source declares must be there, and a suite
# that failed outside its cases (its init) fails too.
suites=$(grep -rhoE 'kunit_tests\(rtun_[a-z_]+\)' "$RTUN_SCRIPTS/../rust" |
	sed 's/kunit_tests(\(.*\))/\1/' | sort -u)
for suite in $suites; do
	res=/sys/kernel/debug/kunit/$suite/results
	if [ ! -r "$res" ]; then
		echo "not ok 1 $suite ran at module load"
		continue
	fi
	sed -n "s/^    \(\(not \)\?ok [0-9][0-9]*\) \(.*\)\$/\1 $suite.\3/p" "$res"
	grep -q "^not ok 1 $suite\b" "$res" && echo "not ok 1 $suite"
done >"$R/kunit.tap"
[ -n "$suites" ] || echo "not ok 1 rtun's KUnit suites found in the source" >>"$R/kunit.tap"
echo "# ==== kunit (rtun suites)"
cat "$R/kunit.tap"
for prog in "$T"/*; do
	case $prog in *.sh) continue ;; esac
	[ -f "$prog" ] && [ -x "$prog" ] || continue
	name=$(basename "$prog")
	TUN_DEV=/dev/net/tun TUN_DRIVER=tun run "$name.tun" "$prog"
	TUN_DEV=/dev/net/rtun TUN_DRIVER=rtun run "$name.rtun" "$prog"
done
rmmod rtun || exit 1
rmmod tun || exit 1

# Drop-in phase: programs that, like real clients, only know /dev/net/tun run once with
# tun.ko and once with rtun registered there (selftests/clients/*.sh, TAP on stdout).
# vhost_net.sh inserts vhost_net.ko after the driver, so it binds to the driver's
# tun_get_socket & co., and removes it again: the driver's rmmod below fails while it
# is loaded.
# rtun's names for vhost-net come from its companion rtun_vhost.ko, loaded right after it.
for driver in tun rtun; do
	ko=$TUN_KO backend=tun params=()
	[ $driver = rtun ] && ko=$RTUN_KO backend=rtun_vhost params=("${RTUN_PARAMS[@]}")
	insmod "$ko" "${params[@]}" || exit 1
	[ $driver = rtun ] && { insmod "$(dirname "$RTUN_KO")/rtun_vhost.ko" || exit 1; }
	for t in "$T"/clients/*.sh; do
		[ -x "$t" ] || continue
		TUN_DEV=/dev/net/tun TUN_DRIVER=$driver VHOST_BACKEND_MODULE=$backend \
			run "$(basename "$t" .sh).$driver" "$t"
	done
	[ $driver = rtun ] && { rmmod rtun_vhost || exit 1; }
	rmmod $driver || exit 1
done

# The fuzzer, briefly and with a fixed seed, on the debug kernel only (`make check DEBUG=1`;
# `make fuzz` is the long run): each driver alone as /dev/net/tun, loaded and unloaded
# around it (TAP in fuzz.<driver>.tap; the kmemleak scan below covers it).
if [ -e /sys/kernel/debug/kmemleak ] && [ -x "$T/fuzz/rtun_fuzz" ]; then
	echo "# ==== fuzz (seed 1, 1 program of 4 threads, per driver)"
	"$RTUN_SCRIPTS/guest-fuzz.sh" "$T/fuzz/rtun_fuzz" --drivers "rtun tun" --rounds 1 \
		--programs 1 --threads 4 --calls 60 --seed 1 --no-kmemleak
fi

if [ -e /sys/kernel/debug/kmemleak ]; then
	# Two scans: an object must look unreferenced twice before it is reported.
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >"$R/kmemleak.txt"
fi
exit 0
