#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own TUN selftest, tools/testing/selftests/net/tun.c, built unchanged by
# selftests/upstream/Makefile, run against the driver at /dev/net/tun. Its TAP (the
# kselftest harness's) is passed through; the program's stderr is merged into it, lines
# that are not TAP turned into "# " comments. Nothing is rewritten: every case counts,
# on both drivers (the harness itself reports the test's own XFAIL cases as "ok").
set -u
bin=${RTUN_SELFTESTS:-}/upstream/tun
limit=${UPSTREAM_TUN_TIMEOUT:-300}

if [ ! -x "$bin" ]; then
	printf 'TAP version 13\n1..1\nnot ok 1 upstream tun selftest: %s not built\n' "$bin"
	exit 1
fi

# The harness prints "TAP version 13" and the plan itself, before any case runs.
timeout -k 10 "$limit" "$bin" 2>&1 | awk '
	/^1\.\.[0-9]+/ { plan = 1 }
	/^not ok [0-9]+/ { bad++ }
	/^((not )?ok [0-9]+|1\.\.[0-9]+|TAP version |#|Bail out!)/ || /^$/ { print; next }
	{ print "# " $0 }
	END {
		if (!plan) {
			print "1..1"
			print "not ok 1 upstream tun selftest printed no plan"
			bad++
		}
		exit bad > 0
	}'
st=("${PIPESTATUS[@]}")
if [ "${st[0]}" = 124 ] || [ "${st[0]}" = 137 ]; then
	echo "# upstream tun selftest: killed after ${limit} s"
	exit 1
fi
exit "${st[1]}"
