#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own tools/testing/selftests/net/skf_net_off.sh, unchanged (copied next to
# its program by selftests/upstream/Makefile), against the driver at /dev/net/tun: a tap
# with IFF_NAPI | IFF_NAPI_FRAGS, packets written with writev() in fragments, with and
# without a socket filter. The script is not TAP: its exit status is the one test, its
# output the comments.
set -u
. "$(dirname "$0")/lib.bash"
trap 'rm -rf "$out"' EXIT
dir=${RTUN_SELFTESTS:-}/upstream

ktap_print_header
ktap_set_plan 1
if [ ! -x "$dir/skf_net_off" ]; then
	ktap_test_fail "skf_net_off.sh: $dir/skf_net_off not built"
	ktap_finished
	exit 1
fi
check "skf_net_off.sh (IFF_NAPI_FRAGS writev, with and without a socket filter)" \
	bash -c "cd '$dir' && timeout -k 10 120 ./skf_net_off.sh"
ktap_finished
