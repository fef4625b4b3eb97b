#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Module load and unload leave nothing behind, for tun.ko and for rtun in both of its modes.
#
#   module_load.sh TUN_KO RTUN_KO
#
# Expects neither module to be loaded when it starts, and leaves neither loaded.
# shellcheck source=/dev/null
. "$KSFT_HELPERS/ktap_helpers.sh"

tun_ko=$1 rtun_ko=$2

# misc_minor NAME: the minor of misc device NAME from /proc/misc, empty when absent.
misc_minor() { awk -v n="$1" '$2 == n { print $1 }' /proc/misc; }

# dev_minor PATH: the minor number of a character device node.
dev_minor() { [ -c "$1" ] && printf '%d' "0x$(stat -c %T "$1")"; }

# loaded_ok MOD NODE NAME MINOR: the module is live, and its node and misc entry match.
loaded_ok() {
	[ "$(cat "/sys/module/$1/initstate" 2>/dev/null)" = live ] &&
		[ "$(misc_minor "$3")" = "$4" ] && [ "$(dev_minor "/dev/$2")" = "$4" ]
}

# gone MOD NODE NAME: no trace of the module, its node or its misc entry.
gone() {
	[ ! -e "/sys/module/$1" ] && [ -z "$(misc_minor "$3")" ] && [ ! -e "/dev/$2" ]
}

# cycle TITLE MOD KO ARGS NODE NAME MINOR: load, check, open/close, unload, check.
cycle() {
	local title=$1 mod=$2 ko=$3 args=$4 node=$5 name=$6 minor=$7
	# shellcheck disable=SC2086
	if ! insmod "$ko" $args; then
		ktap_test_fail "$title: insmod"
		ktap_test_fail "$title: unload"
		return
	fi
	[ "$minor" = dynamic ] && minor=$(misc_minor "$name")
	if loaded_ok "$mod" "$node" "$name" "$minor" && exec 9<>"/dev/$node" && exec 9>&-; then
		ktap_test_pass "$title: loaded, /dev/$node minor $minor opens"
	else
		ktap_test_fail "$title: loaded, /dev/$node minor $minor opens"
	fi
	if rmmod "$mod" && gone "$mod" "$node" "$name"; then
		ktap_test_pass "$title: unloaded, nothing left"
	else
		ktap_test_fail "$title: unloaded, nothing left"
	fi
}

# mq_limit NODE NAME N: N+1 multiqueue opens of device NAME through NODE; prints the
# errno name of each failed attach (E2BIG expected for the last, nothing else).
mq_limit() {
	python3 - "$@" <<'PY'
import errno, fcntl, os, struct, sys
node, name, n = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
TUNSETIFF, FLAGS = 0x400454CA, 0x0001 | 0x1000 | 0x0100  # IFF_TUN|IFF_NO_PI|IFF_MULTI_QUEUE
fds = []
for i in range(n + 1):
    fd = os.open(node, os.O_RDWR)
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name, FLAGS))
        fds.append(fd)
    except OSError as e:
        print(errno.errorcode[e.errno])
        os.close(fd)
print(len(fds))
PY
}

ktap_print_header
ktap_set_plan 11
cycle "tun.ko" tun "$tun_ko" "" net/tun tun 200
cycle "rtun drop-in" rtun "$rtun_ko" "" net/tun tun 200
cycle "rtun side-by-side" rtun "$rtun_ko" side_by_side=1 net/rtun rtun dynamic

# Both drivers in one boot: tun.ko owns /dev/net/tun, rtun /dev/net/rtun.
insmod "$tun_ko" && insmod "$rtun_ko" side_by_side=1
if loaded_ok tun net/tun tun 200 && [ -n "$(misc_minor rtun)" ] && [ -c /dev/net/rtun ]; then
	ktap_test_pass "tun.ko and rtun side by side"
else
	ktap_test_fail "tun.ko and rtun side by side"
fi
rmmod rtun; rmmod tun
if gone rtun net/rtun rtun && gone tun net/tun tun; then
	ktap_test_pass "both unloaded, nothing left"
else
	ktap_test_fail "both unloaded, nothing left"
fi
# max_queues: out of range is refused at load; in range, it is each device's limit.
if ! insmod "$rtun_ko" side_by_side=1 max_queues=0 2>/dev/null &&
	! insmod "$rtun_ko" side_by_side=1 max_queues=1025 2>/dev/null && gone rtun net/rtun rtun; then
	ktap_test_pass "rtun max_queues=0 and 1025 refused"
else
	ktap_test_fail "rtun max_queues=0 and 1025 refused"
	rmmod rtun 2>/dev/null
fi
# limit_test N TITLE [PARAM]: rtun loaded with PARAM has a queue limit of N (the
# N+1st attach gets E2BIG), and unloads cleanly.
limit_test() {
	local n=$1 title=$2 got
	shift 2
	insmod "$rtun_ko" side_by_side=1 "$@"
	got=$(mq_limit /dev/net/rtun mql$$ "$n" | tr '\n' ' ')
	rmmod rtun
	if [ "$got" = "E2BIG $n " ] && gone rtun net/rtun rtun; then
		ktap_test_pass "$title"
	else
		echo "# got: $got"
		ktap_test_fail "$title"
	fi
}
limit_test 256 "rtun default max_queues: tun.c's 256, a 257th queue gets E2BIG"
limit_test 3 "rtun max_queues=3: a fourth queue gets E2BIG" max_queues=3
ktap_finished
