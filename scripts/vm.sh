#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the test kernel under virtme-ng (TCG) with the host's root file system and run one
# command in the guest. The verdict never comes from vng's exit status (it is 255 even on
# success when it falls back to the serial console): the guest writes its command's status
# and kernel log into a results directory shared read-write with it.
#
#   vm.sh --kdir DIR --results DIR [--module KO] [--selftests DIR] [--raw|--tap] [--exec CMD]
#
# Without --raw, the run fails when the command fails or the kernel log holds a splat.
# With --tap, it also counts the TAP results the guest left in DIR/*.tap and ends with
# the line "N passed, M failed" (the clean kernel log counts as one test).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/toolchain.sh"

kdir= results= module= selftests= cmd= raw=0 tap=0
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) kdir=$2; shift ;;
	--results) results=$2; shift ;;
	--module) module=$2; shift ;;
	--selftests) selftests=$2; shift ;;
	--exec) cmd=$2; shift ;;
	--raw) raw=1 ;;
	--tap) tap=1 ;;
	*) echo "vm.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$kdir" ] && [ -n "$results" ] || { echo "vm.sh: --kdir and --results are required" >&2; exit 2; }

export PATH="$RTUN_VENV/bin:$PATH"
rm -rf "$results"
mkdir -p "$results"
kernel=$kdir/arch/x86/boot/bzImage

# The guest gets its parameters through the environment of the command.
genv="RTUN_KDIR=$kdir RTUN_RESULTS=$results RTUN_MODULE=$module RTUN_SELFTESTS=$selftests"
genv="$genv RTUN_SCRIPTS=$here RTUN_SAMPLES=${RTUN_SAMPLES:-} PATH=/usr/sbin:/usr/bin:/sbin:/bin"
# kunit.enable=1 kunit.autorun=1: the test kernel's KUnit defaults to off (allnoconfig); rtun's KUnit
# suites then run when the module loads.
# no5lvl: TCG offers 5-level paging, and identify_cpu() clears the CPU feature bits (LA57 among
# them) while interrupts can arrive; KASAN then takes a direct-map address for one without shadow
# and reports a wild-memory-access at boot, which also turns lockdep off for the whole run.
# RTUN_VM_APPEND: more kernel parameters (make fuzz passes its FUZZ_APPEND).
vng_args=(--run "$kernel" --force-9p --cpus "${RTUN_VM_CPUS:-2}" --memory "${RTUN_VM_MEM:-2G}"
	--rwdir "$results" --verbose --append "kunit.enable=1 kunit.autorun=1 no5lvl${RTUN_VM_APPEND:+ $RTUN_VM_APPEND}")
if [ "${RTUN_KVM:-0}" = 1 ]; then
	vng_args+=(--qemu-opts="-cpu host,-arch-capabilities")
else
	vng_args+=(--disable-kvm)
fi

if [ -z "$cmd" ]; then
	# Interactive shell for developers.
	exec "$RTUN_VENV/bin/vng" "${vng_args[@]}"
fi

# The command runs from a script file, so no quoting of CMD can break the wrapper.
{
	echo "cd '$PWD'"
	echo "$cmd"
} >"$results/cmd.sh"
wrapped="env $genv sh $results/cmd.sh; echo \$? > $results/status; dmesg > $results/dmesg.txt"
timeout --foreground -k 10 "${RTUN_VM_TIMEOUT:-3600}" \
	"$RTUN_VENV/bin/vng" "${vng_args[@]}" --exec "$wrapped" </dev/null 2>&1 |
	tee "$results/console.txt"

status=$(cat "$results/status" 2>/dev/null)
if [ -z "$status" ]; then
	echo "vm: the guest command did not finish (no status written; timeout or crash)" >&2
	exit 1
fi
if [ $raw = 1 ]; then
	echo "vm: guest command exited with status $status"
	exit "$status"
fi

# A kernel complaint anywhere in the boot fails the run, whatever the tests said.
splat='WARNING:|BUG:|Oops|KASAN|UBSAN|general protection|Kernel panic|panicked|'
splat=$splat'possible circular locking|possible recursive locking|inconsistent lock state|'
splat=$splat'suspicious RCU usage|lock held when returning|sleeping function called from|'
splat=$splat'scheduling while atomic|blocked for more than|self-detected stall|'
splat=$splat'unreferenced object|suspected memory leak|refcount_t:|list_add corruption|list_del corruption'
# Only the logs that exist: grep exits 2 when a file is missing, even if a line matched.
logs=("$results/dmesg.txt")
[ -e "$results/kmemleak.txt" ] && logs+=("$results/kmemleak.txt")
if grep -HE "$splat" "${logs[@]}" >"$results/splats.txt"; then
	echo "vm: kernel log shows problems:" >&2
	cat "$results/splats.txt" >&2
	echo splat >"$results/splat"
fi
if [ $tap = 0 ]; then
	[ -e "$results/splat" ] && exit 1
	exit "$status"
fi

passed=0 failed=0 skipped=0
for f in "$results"/*.tap; do
	[ -e "$f" ] || continue
	p=$(grep -cE '^ok [0-9]+' "$f" | head -1)
	s=$(grep -cE '^ok [0-9]+.*# *SKIP' "$f" | head -1)
	n=$(grep -cE '^not ok [0-9]+' "$f" | head -1)
	passed=$((passed + p - s)) skipped=$((skipped + s)) failed=$((failed + n))
	grep -E '^not ok [0-9]+' "$f" | sed "s|^|vm: FAIL $(basename "$f" .tap): |"
	grep -E '^ok [0-9]+.*# *SKIP' "$f" | sed "s|^|vm: skip $(basename "$f" .tap): |"
	# A program that crashed or stopped early prints fewer results than its plan.
	plan=$(grep -m1 -oE '^1\.\.[0-9]+' "$f" | cut -d. -f3)
	if [ -n "$plan" ] && [ $((p + n)) -lt "$plan" ]; then
		echo "vm: FAIL $(basename "$f" .tap): $((p + n)) results for a plan of $plan"
		failed=$((failed + 1))
	fi
done
if [ -e "$results/splat" ]; then failed=$((failed + 1)); else passed=$((passed + 1)); fi
if [ "$status" != 0 ]; then
	echo "vm: guest test runner exited with status $status"
	failed=$((failed + 1))
fi
echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 1 ]
