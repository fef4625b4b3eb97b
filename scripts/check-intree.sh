#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rtun in the kernel tree, for real: apply the series of scripts/intree.sh with git am to
# a copy of the pristine source, build that kernel with the test config and
# CONFIG_RTUN=m, boot it and run the test suite (scripts/guest-check.sh) with the in-tree
# rtun.ko and the selftests built from tools/testing/selftests/drivers/net/rtun/.
#
#   check-intree.sh --out DIR [--build-only]
#
# The patched source is a git repository, $RTUN_CACHE/src-intree-<key> (a full copy of
# the pristine tree, committed once; reset to that commit and the series applied again
# on every run, so unchanged files keep their times), the build is
# $RTUN_CACHE/kernel-intree-<key> (O=); <key> hashes what kernel.sh's does, plus this
# recipe. A first run copies the tree and builds the whole kernel (20-30 minutes on two
# cores); later runs rebuild what the series changed. rtun_vhost.ko, which the kernel's
# own build leaves out (see drivers/net/rtun/Makefile), is built from the patched
# drivers/net/rtun/ with M= against that kernel. The run ends with "N passed, M failed".
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/toolchain.sh"

out= build_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift ;;
	--build-only) build_only=1 ;;
	*) echo "check-intree.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$out" ] || { echo "check-intree.sh: --out is required" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

pristine=$RTUN_CACHE/src/linux-source-7.3
[ -e "$pristine/Makefile" ] || "$here/kernel.sh"
frags="$here/config/rtun.config"
srcver=$(dpkg-query -W -f='${Version}' linux-source-7.3 2>/dev/null || echo none)
key=$( {
	echo "$srcver"
	cat $frags
	/usr/bin/rustc --version
	clang-19 --version | head -1
	"$BINDGEN" --version
	echo "recipe intree 1: allnoconfig + fragments + CONFIG_RTUN=m; bzImage modules headers"
} 2>/dev/null | sha256sum | cut -c1-16)
src=$RTUN_CACHE/src-intree-$key
kdir=$RTUN_CACHE/kernel-intree-$key

mkdir -p "$RTUN_CACHE"
exec 9>"$RTUN_CACHE/.lock-kernel-intree-$key"
flock 9

# The series, from this tree.
"$here/intree.sh" --ksrc "$pristine" --out "$out/intree"
touched=$("$here/intree.sh" --print-touched)
sums() { (cd "$pristine" && sha256sum $touched); }
before=$(sums)

# A full copy (not hard links: git am must not write through into the pristine tree),
# committed as it is, everything included (-f: the kernel's .gitignore would leave out
# files the tarball ships).
if [ ! -e "$src/.rtun-pristine" ]; then
	rm -rf "$src" "$src.tmp"
	echo "check-intree: copying $pristine to $src"
	cp -a "$pristine" "$src.tmp"
	git -C "$src.tmp" init -q
	git -C "$src.tmp" add -f -A
	git -C "$src.tmp" -c user.name=rtun -c user.email=rtun@localhost commit -q -m pristine
	git -C "$src.tmp" rev-parse HEAD >"$src.tmp/.git/rtun-pristine"
	mv "$src.tmp" "$src"
	touch "$src/.rtun-pristine"
fi
base=$(cat "$src/.git/rtun-pristine")
git -C "$src" am --abort >/dev/null 2>&1 || true
git -C "$src" reset -q --hard "$base"
git -C "$src" clean -q -ffdx -e .rtun-pristine
git -C "$src" -c user.name=rtun -c user.email=rtun@localhost am -q \
	$(ls "$out"/intree/series/*.patch | grep -v /0000-cover-letter.patch)
echo "check-intree: series applied with git am: $(git -C "$src" log --oneline "$base"..HEAD | wc -l) patches"
[ "$(sums)" = "$before" ] || { echo "check-intree: the pristine tree changed" >&2; exit 1; }

# The kernel: kernel.sh's configuration plus CONFIG_RTUN=m.
mkdir -p "$kdir"
start=$(date +%s)
# shellcheck disable=SC2086
make -s -C "$src" O="$kdir" $KMAKE_FLAGS rustavailable
{ cat $frags; echo CONFIG_RTUN=m; } >"$kdir/rtun.fragment"
if [ ! -e "$kdir/.config" ]; then
	# shellcheck disable=SC2086
	make -s -C "$src" O="$kdir" $KMAKE_FLAGS KCONFIG_ALLCONFIG="$kdir/rtun.fragment" allnoconfig
fi
grep -h '^CONFIG_' "$kdir/rtun.fragment" | while IFS= read -r line; do
	case $line in
	*=n) grep -q "^${line%%=*}=" "$kdir/.config" && echo "check-intree: ${line%%=*} should be off" ;;
	*) grep -qx "$line" "$kdir/.config" || echo "check-intree: $line did not stick" ;;
	esac
done | { ! grep . >&2; } || exit 1
# shellcheck disable=SC2086
nice make -s -C "$src" O="$kdir" $KMAKE_FLAGS -j"$(($(nproc) + 1))" bzImage modules headers
echo "check-intree: kernel built in $(($(date +%s) - start)) s: $kdir"
[ -e "$kdir/drivers/net/rtun/rtun.ko" ] || { echo "check-intree: no in-tree rtun.ko" >&2; exit 1; }

# rtun_vhost.ko with M= (a copy of drivers/net/rtun, so the source tree stays clean),
# next to the in-tree rtun.ko, where guest-check.sh looks for it.
mods=$out/modules
rm -rf "$mods" "$out/ext"
mkdir -p "$mods"
cp -a "$src/drivers/net/rtun" "$out/ext"
# shellcheck disable=SC2086
make -s -C "$kdir" M="$out/ext" $KMAKE_FLAGS modules
cp "$kdir/drivers/net/rtun/rtun.ko" "$out/ext/rtun_vhost.ko" "$mods/"

# The selftests, from their place in the tree (their Makefile takes KSRC from there).
make -s -C "$src/tools/testing/selftests/drivers/net/rtun" KDIR="$kdir" OUT="$out/selftests"
[ $build_only = 0 ] || exit 0

"$here/vm.sh" --kdir "$kdir" --results "$out/check" --module "$mods/rtun.ko" \
	--selftests "$out/selftests" --tap --exec "$here/guest-check.sh"
