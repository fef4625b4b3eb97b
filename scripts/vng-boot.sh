# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by bench.sh and profile.sh: one boot of the test kernel whose guest command
# writes DIR/guest.log, DIR/status and DIR/dmesg.txt.
#
#   vng_boot WHO DIR TIMEOUT VNG_ARGS...
#
# Shows the guest's "# ..." progress lines as they are written, and returns 0 only when
# the guest command exited 0 and the kernel log shows no splat (a kernel complaint makes
# every figure of that boot suspect). WHO starts each message.
vng_boot() {
	local who=$1 dir=$2 limit=$3 t0=$SECONDS tailpid status
	shift 3
	: >"$dir/guest.log"
	tail -n +1 -F "$dir/guest.log" 2>/dev/null > >(grep --line-buffered '^#') &
	tailpid=$!
	timeout --foreground -k 10 "$limit" vng "$@" </dev/null >"$dir/console.txt" 2>&1
	sleep 1
	kill "$tailpid" 2>/dev/null
	wait "$tailpid" 2>/dev/null
	status=$(cat "$dir/status" 2>/dev/null)
	echo "$who done in $((SECONDS - t0)) s, guest status ${status:-none}"
	if [ "$status" != 0 ]; then
		echo "$who: the guest run failed; last lines of its log:" >&2
		tail -n 20 "$dir/guest.log" "$dir/console.txt" >&2 2>/dev/null
		return 1
	fi
	if grep -E 'WARNING:|BUG:|Oops|KASAN|general protection|Kernel panic|refcount_t:|list_(add|del) corruption' \
		"$dir/dmesg.txt" >"$dir/splats.txt"; then
		echo "$who: the kernel log shows problems:" >&2
		cat "$dir/splats.txt" >&2
		return 1
	fi
}
