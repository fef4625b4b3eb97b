#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM (see vm.sh): the fuzzer (fuzz/rtun_fuzz.c) against each driver
# alone as /dev/net/tun, in rounds. A round loads the driver, runs PROGRAMS programs of
# the fuzzer with seed SEED+round, reads the kernel log for a splat, unloads the driver
# (a module that cannot be unloaded fails the round); after the last round of a driver,
# two kmemleak scans (when the kernel has kmemleak). Prints a table of the rounds and
# one TAP line per driver to $RTUN_RESULTS/fuzz.<driver>.tap.
#
#   guest-fuzz.sh FUZZER [--drivers "rtun tun"] [--rounds N] [--programs P] [--seed S]
#                 [--threads T] [--calls C] [--jobs J] [--seconds S] [--min-syscalls N]
#                 [--no-kmemleak]
#
# --jobs: programs run side by side (rtun_fuzz -j).
# --seconds: start no new round after S seconds per driver (0: all rounds).
# --min-syscalls: after the rounds, more rounds until N syscalls (at most as many again).
# --no-kmemleak: leave the scan to the caller (guest-check.sh scans once at its end).
set -u
R=$RTUN_RESULTS
TUN_KO=$RTUN_KDIR/drivers/net/tun.ko RTUN_KO=$RTUN_MODULE
fuzzer=$1
shift
drivers="rtun tun" rounds=1 programs=10 seed=1 threads=4 calls=300 jobs=1 seconds=0 kmemleak=1
min_syscalls=0
while [ $# -gt 0 ]; do
	case $1 in
	--drivers) drivers=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--programs) programs=$2; shift ;;
	--seed) seed=$2; shift ;;
	--threads) threads=$2; shift ;;
	--calls) calls=$2; shift ;;
	--jobs) jobs=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--min-syscalls) min_syscalls=$2; shift ;;
	--no-kmemleak) kmemleak=0 ;;
	*) echo "guest-fuzz.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

# No module autoloading while fuzzing: an ioctl on a missing device name makes the kernel
# run modprobe (netdev-NAME), which under TCG blocks the caller for seconds; an empty
# modprobe path makes request_module() fail at once. Restored on exit.
modprobe_path=$(cat /proc/sys/kernel/modprobe)
trap 'echo "$modprobe_path" >/proc/sys/kernel/modprobe' EXIT
echo >/proc/sys/kernel/modprobe
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
splat='WARNING:|BUG:|Oops|KASAN|UBSAN|general protection|Kernel panic|panicked|'
splat=$splat'possible circular locking|possible recursive locking|inconsistent lock state|'
splat=$splat'suspicious RCU usage|lock held when returning|sleeping function called from|'
splat=$splat'scheduling while atomic|blocked for more than|self-detected stall|'
splat=$splat'unreferenced object|suspected memory leak|refcount_t:|list_add corruption|list_del corruption'

# unload MODULE: rmmod, retried for up to 5 minutes while the namespaces of the last
# program are torn down (their devices hold the module until then).
unload() {
	local i
	for i in $(seq 1 600); do
		rmmod "$1" 2>/dev/null && return 0
		sleep 0.5
	done
	rmmod "$1"
}

status=0
for driver in $drivers; do
	ko=$TUN_KO
	[ "$driver" = rtun ] && ko=$RTUN_KO
	log=$R/fuzz.$driver.log
	: >"$log"
	tot_progs=0 tot_sys=0 tot_calls=0 tot_in=0 tot_out=0 bad=0 why=
	start=$(date +%s)
	printf '# %-6s %5s %-12s %9s %10s %8s %8s  %s\n' driver round seed programs syscalls \
		pkts_in pkts_out verdict
	last=0
	# Rounds make different numbers of syscalls (the programs' calls fail or succeed as
	# the threads race): with --min-syscalls, more rounds (next seeds) until that many,
	# up to twice the rounds asked for.
	for ((r = 1; r <= 2 * rounds; r++)); do
		[ "$r" -gt "$rounds" ] && [ "$tot_sys" -ge "$min_syscalls" ] && break
		if [ "$seconds" != 0 ] && [ $(($(date +%s) - start)) -ge "$seconds" ]; then
			echo "# $driver: $seconds s reached, no round $r"
			break
		fi
		s=$((seed + r - 1)) last=$r
		before=$(dmesg | wc -l)
		if ! insmod "$ko"; then
			bad=1 why="$why insmod(round $r)"
			break
		fi
		"$fuzzer" -d /dev/net/tun -s "$s" -n "$programs" -t "$threads" -c "$calls" -j "$jobs" -k \
			>"$R/fuzz.$driver.round$r.txt" 2>&1
		rc=$?
		cat "$R/fuzz.$driver.round$r.txt" >>"$log"
		verdict=PASS
		[ $rc = 0 ] || verdict="FAIL(fuzzer $rc)"
		if ! unload "$driver"; then
			verdict="FAIL(rmmod)"
			lsmod >>"$log"
		fi
		if dmesg | tail -n +"$((before + 1))" | grep -E "$splat" >"$R/fuzz.$driver.splat$r.txt"; then
			verdict="FAIL(splat)"
			dmesg | tail -n +"$((before + 1))" >"$R/fuzz.$driver.dmesg$r.txt"
		else
			rm -f "$R/fuzz.$driver.splat$r.txt"
		fi
		res=$(grep -m1 '^RESULT' "$R/fuzz.$driver.round$r.txt")
		val() { echo " $res" | grep -oE " $1=[0-9]+" | cut -d= -f2; }
		p=$(val programs) y=$(val syscalls) c=$(val calls) i=$(val packets_in) o=$(val packets_out)
		tot_progs=$((tot_progs + ${p:-0})) tot_sys=$((tot_sys + ${y:-0}))
		tot_calls=$((tot_calls + ${c:-0})) tot_in=$((tot_in + ${i:-0})) tot_out=$((tot_out + ${o:-0}))
		printf '# %-6s %5d %-12s %9s %10s %8s %8s  %s\n' "$driver" "$r" "$s" "${p:-?}" "${y:-?}" \
			"${i:-?}" "${o:-?}" "$verdict"
		if [ "$verdict" != PASS ]; then
			bad=1 why="$why round$r:$verdict"
			grep -E '^(HANG|SPLAT|CRASH)' "$R/fuzz.$driver.round$r.txt" | head -5
			head -20 "$R/fuzz.$driver.splat$r.txt" 2>/dev/null
			# A module still loaded, or a kernel that already reported: stop this driver.
			lsmod | grep -qw "^$driver" && break
			[ -e "$R/fuzz.$driver.splat$r.txt" ] && break
		fi
	done
	if [ $kmemleak = 1 ] && [ -e /sys/kernel/debug/kmemleak ]; then
		# Two scans: an object must look unreferenced twice before it is reported.
		echo scan >/sys/kernel/debug/kmemleak
		sleep 6
		echo scan >/sys/kernel/debug/kmemleak
		cat /sys/kernel/debug/kmemleak >"$R/kmemleak.fuzz.$driver.txt"
		if [ -s "$R/kmemleak.fuzz.$driver.txt" ]; then
			bad=1 why="$why kmemleak"
			head -30 "$R/kmemleak.fuzz.$driver.txt"
		fi
		echo clear >/sys/kernel/debug/kmemleak
	fi
	secs=$(($(date +%s) - start))
	# Coverage over all rounds: per call, the calls, successes and errnos seen.
	cat "$R"/fuzz."$driver".round*.txt 2>/dev/null | awk -F'|' '
		/^COV\|/ {
			if (!($2 in calls)) order[n++] = $2
			calls[$2] += $3; ok[$2] += $4
			m = split($5, e, ",")
			for (i = 1; i <= m; i++) if (e[i] != "" && !(($2, e[i]) in seen)) {
				seen[$2, e[i]] = 1; errs[$2] = errs[$2] (errs[$2] == "" ? "" : ",") e[i]; outcomes++
			}
		}
		END {
			printf "# %-28s %9s %9s  %s\n", "call", "calls", "ok", "errnos seen"
			for (i = 0; i < n; i++) {
				c = order[i]; made += calls[c] > 0; outcomes += ok[c] > 0
				printf "# %-28s %9d %9d  %s\n", c, calls[c], ok[c], errs[c]
			}
			printf "# coverage: %d of %d calls made, %d distinct outcomes (call, success or errno)\n", made, n, outcomes
		}' | tee "$R/fuzz.$driver.coverage.txt"
	echo "# fuzz $driver: $tot_progs programs, $tot_calls calls, $tot_sys syscalls," \
		"$tot_in packets written, $tot_out read, seeds $seed..$((seed + last - 1)), $secs s"
	if [ $bad = 0 ]; then
		echo "ok 1 fuzz.$driver $tot_sys syscalls, seeds $seed..$((seed + last - 1))" |
			tee "$R/fuzz.$driver.tap"
	else
		echo "not ok 1 fuzz.$driver:$why" | tee "$R/fuzz.$driver.tap"
		status=1
	fi
	sed -i '1i 1..1' "$R/fuzz.$driver.tap"
done
exit $status
