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

step "ip tuntap: persistent tun and tap devices"
ip tuntap add dev demo-tun mode tun
ip tuntap add dev demo-tap mode tap
ip tuntap show
ip tuntap del dev demo-tun mode tun
ip tuntap del dev demo-tap mode tap

step "rmmod rtun"
rmmod rtun
echo "demo finished"
