#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM on the upstream-test kernel (make check-upstream), with the
# directory of the kernel's BPF selftests (test_progs and its BPF objects) as $1:
#  1. the BPF selftests that drive a tun/tap device, run unchanged, with tun.ko and then
#     rtun registered at /dev/net/tun (they open that path themselves);
#  2. selftests/lsm, the security_tun_dev_* hooks through BPF LSM programs, with each
#     driver side by side and LSM_REQUIRED=1 (no skipping on this kernel).
# Each run's results go to $RTUN_RESULTS as TAP, test_progs' own output beside them.
set -u
R=$RTUN_RESULTS T=$RTUN_SELFTESTS B=$1
TUN_KO=$RTUN_KDIR/drivers/net/tun.ko RTUN_KO=$RTUN_MODULE
BPF_TESTS=xdp_context_tuntap,lwt_redirect,lwt_reroute,tc_redirect
BPF_TESTS=$BPF_TESTS,flow_dissector_skb_less_direct_attach,flow_dissector_skb_less_indirect_attach

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null

# test_progs' output on stdin as TAP: one result per test named in $BPF_TESTS, from its
# top-level verdict line ("#12 name:OK"); a test with no such line (not built, no match,
# or test_progs stopped before it), "SKIP (not built)" or a partial "OK (SKIP: n/m)" is
# not ok, and so is a nonzero exit status ($1). Subtest verdicts ("#12/3 name/sub:FAIL")
# follow as diagnostics; the failures repeated after "All error logs:" are not read.
to_tap() {
	awk -v tests="$BPF_TESTS" -v status="$1" '
	/^All error logs:/ { done = 1 }
	!done && match($0, /^#[0-9]+ +[^ :]+:/) {
		split(substr($0, RSTART, RLENGTH - 1), f, " "); name = f[2]
		verdict[name] = substr($0, RLENGTH + 1)
	}
	!done && /^#[0-9]+\/[0-9]+ / { print "# " $0 }
	END {
		n = split(tests, t, ",")
		for (i = 1; i <= n; i++) {
			v = (t[i] in verdict) ? verdict[t[i]] : "no result"
			print (v == "OK" ? "ok " : "not ok ") i " " t[i] (v == "OK" ? "" : " # " v)
		}
		print (status == 0 ? "ok " : "not ok ") n + 1 " test_progs exit status " status
		print "1.." n + 1
	}'
}

for driver in tun rtun; do
	ko=$TUN_KO
	[ $driver = rtun ] && ko=$RTUN_KO
	insmod "$ko" || exit 1
	echo "# ==== test_progs on $driver: -a $BPF_TESTS"
	(cd "$B" && ./test_progs -a "$BPF_TESTS") >"$R/test_progs.$driver.txt" 2>&1
	status=$?
	echo "# test_progs exited with status $status"
	grep -E '^#[0-9]|^Summary' "$R/test_progs.$driver.txt"
	to_tap $status <"$R/test_progs.$driver.txt" >"$R/test_progs.$driver.tap"
	rmmod $driver || exit 1
done

insmod "$TUN_KO" || exit 1
insmod "$RTUN_KO" side_by_side=1 || exit 1
for driver in tun rtun; do
	dev=/dev/net/tun
	[ $driver = rtun ] && dev=/dev/net/rtun
	echo "# ==== lsm.$driver"
	LSM_REQUIRED=1 TUN_DEV=$dev TUN_DRIVER=$driver "$T/lsm" 2>&1 | tee "$R/lsm.$driver.tap"
done
rmmod rtun || exit 1
rmmod tun || exit 1
exit 0
