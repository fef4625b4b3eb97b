#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The in-tree series, checked quickly (part of make check; make check-intree is the full
# kernel build):
#
#   intree-ci.sh --ksrc DIR --kdir DIR --out DIR
#
# 1. scripts/intree.sh makes the series from this tree and the pristine source KSRC;
# 2. git am applies it to a small git repository holding only the pristine versions of
#    the kernel files it modifies, and the files it adds are compared with this tree's;
# 3. Documentation/networking/rtun.rst parses without a docutils warning;
# 4. the patched drivers/net/rtun/ builds with M= against the kernel build KDIR;
# 5. checkpatch.pl --strict (KSRC's) finds no error in the series.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/toolchain.sh"

ksrc= kdir= out=
while [ $# -gt 0 ]; do
	case $1 in
	--ksrc) ksrc=$2; shift ;;
	--kdir) kdir=$2; shift ;;
	--out) out=$2; shift ;;
	*) echo "intree-ci.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$ksrc" ] && [ -n "$kdir" ] && [ -n "$out" ] ||
	{ echo "intree-ci.sh: --ksrc, --kdir and --out are required" >&2; exit 2; }
start=$(date +%s)
mkdir -p "$out"
out=$(cd "$out" && pwd)

"$here/intree.sh" --ksrc "$ksrc" --out "$out" >/dev/null
patches=$(ls "$out"/series/*.patch | grep -v /0000-cover-letter.patch)

# checkpatch --strict on every patch, in the background meanwhile (the longest step).
# Each runs in a scratch directory of its own: it writes a cache file into its working
# directory (never into KSRC), and in a git work tree it would take that tree's
# LICENSES/ for its SPDX check (here the tags are checked for presence only).
rm -rf "$out/checkpatch"
for p in $patches; do
	d=$out/checkpatch/$(basename "$p" .patch)
	mkdir -p "$d"
	(cd "$d" && "$ksrc/scripts/checkpatch.pl" --root="$ksrc" --strict --terse --no-summary "$p") \
		>"$d.txt" 2>&1 &
done

am=$out/am
rm -rf "$am"
mkdir -p "$am"
git -C "$am" init -q
for f in $("$here/intree.sh" --print-touched); do
	install -D -m 644 "$ksrc/$f" "$am/$f"
done
git -C "$am" add -A
git -C "$am" -c user.name=rtun -c user.email=rtun@localhost commit -q -m pristine
# shellcheck disable=SC2086
git -C "$am" -c user.name=rtun -c user.email=rtun@localhost am -q $patches
echo "intree: git am applied $(git -C "$am" log --oneline HEAD~"$(echo $patches | wc -w)"..HEAD | wc -l) patches"

# The added files are this tree's, byte for byte.
fail=0
same() {
	cmp -s "$repo/$1" "$am/$2" || { echo "intree: $2 differs from $1" >&2; fail=1; }
}
same Kbuild drivers/net/rtun/Makefile
same Documentation/rtun.rst Documentation/networking/rtun.rst
for f in $(cd "$am/drivers/net/rtun" && find rust vhost -type f); do
	same "$f" "drivers/net/rtun/$f"
done
for f in $(cd "$am/tools/testing/selftests/drivers/net/rtun" && find . -type f); do
	same "selftests/${f#./}" "tools/testing/selftests/drivers/net/rtun/${f#./}"
done
[ $fail = 0 ]

/usr/bin/python3 - "$am/Documentation/networking/rtun.rst" <<'EOF'
import sys
import docutils.core, docutils.utils
src = open(sys.argv[1]).read()
# report_level 2: warnings and worse are printed, and any fails the check.
docutils.core.publish_doctree(src, source_path=sys.argv[1],
                              settings_overrides={"report_level": 2, "halt_level": 2})
print("intree: rtun.rst parses without warnings (docutils)")
EOF

# shellcheck disable=SC2086
make -s -C "$kdir" M="$am/drivers/net/rtun" $KMAKE_FLAGS modules
[ -e "$am/drivers/net/rtun/rtun.ko" ]
echo "intree: drivers/net/rtun/ builds with M="

# checkpatch: no ERROR (the warnings it keeps are explained in the cover letter).
wait
errors=0
for p in $patches; do
	r=$out/checkpatch/$(basename "$p" .patch).txt
	e=$(grep -c ': ERROR:' "$r" || true)
	echo "intree: checkpatch --strict $(basename "$p"): $e errors," \
		"$(grep -c ': WARNING:' "$r" || true) warnings, $(grep -c ': CHECK:' "$r" || true) checks"
	[ "$e" = 0 ] || { grep ': ERROR:' "$r" >&2; errors=$((errors + e)); }
done
[ $errors = 0 ]
echo "intree: all checks passed in $(($(date +%s) - start)) s"
