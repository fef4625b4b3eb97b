#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for `make load`: selftests/load.c at full size, on tun.ko and on
# rtun side by side in this one boot (as guest-check.sh runs it, there at the program's
# smaller default). LOAD_DEVICES, LOAD_QUEUES, LOAD_ROUNDS, LOAD_TOLERANCE_KIB and
# LOAD_USED_TOLERANCE_KIB come through from make (see selftests/load.c).
set -u
R=$RTUN_RESULTS T=$RTUN_SELFTESTS
export LOAD_DEVICES=${LOAD_DEVICES:-4096} LOAD_ROUNDS=${LOAD_ROUNDS:-3}

insmod "$RTUN_KDIR/drivers/net/tun.ko" || exit 1
# max_queues=1024: load's queues test takes each driver's most queues (rtun's default is
# tun.c's 256).
insmod "$RTUN_MODULE" side_by_side=1 max_queues=1024 || exit 1
free -m
for driver in tun rtun; do
	dev=/dev/net/tun
	[ $driver = rtun ] && dev=/dev/net/rtun
	echo "# ==== load.$driver"
	TUN_DEV=$dev TUN_DRIVER=$driver "$T/load" 2>&1 | tee "$R/load.$driver.tap"
done
rmmod rtun || exit 1
rmmod tun || exit 1
