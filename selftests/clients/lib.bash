# SPDX-License-Identifier: GPL-2.0
# What the client tests share; each sources it from its own directory. Not a test
# itself, hence neither *.sh nor executable: the Makefile installs clients/*.sh as
# the tests and guest-check.sh runs only those.
# shellcheck shell=bash
# shellcheck source=/dev/null
. "$KSFT_HELPERS/ktap_helpers.sh"

# Names unique to the driver under test and the process: its initial and the pid.
tag=${TUN_DRIVER:-tun}
# shellcheck disable=SC2034 # used by the sourcing script
tag=${tag:0:1}$$
# Scratch files, /tmp/<script>.XXXXXX: the sourcing script's cleanup removes it.
out=$(mktemp -d "/tmp/$(basename "$0" .sh).XXXXXX")

# check DESC CMD...: one test, passing when CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@" >"$out/last" 2>&1; then
		ktap_test_pass "$desc"
	else
		sed 's/^/# /' "$out/last"
		ktap_test_fail "$desc"
	fi
}

# has FILE EXTENDED-REGEX: FILE holds a line matching it (printed when it doesn't).
has() {
	grep -Eq -- "$2" "$1" && return 0
	echo "no line matching '$2' in:"
	cat "$1"
	return 1
}
