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
# the pristine source, committed once; reset to that commit and the series applied again
# on every run, so unchanged files keep their times), the build is
# $RTUN_CACHE/kernel-intree-<key> (O=); <key> hashes what kernel.sh's does, plus this
# recipe (the source's key: the source version). rtun_vhost.ko, which the kernel's own
# build leaves out (see drivers/net/rtun/Makefile), is built from the patched
# drivers/net/rtun/ with M= against that kernel. The run ends with "N passed, M failed".
#
# The build starts from a copy of the cached test kernel's build (kernel.sh), and make
# runs in a private mount namespace where the patched tree is mounted at the pristine
# tree's path and the build at the test kernel's: every path in the copied .cmd files is
# then the same, so make's own checks (commands, file times, per-option dependencies)
# decide what the series and CONFIG_RTUN=m change, and only that is rebuilt: minutes,
# not the 30 and more of a build from scratch. Nothing is written to the pristine tree
# or the test kernel (the mounts are private to the namespace; checksums are compared).
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
# As kernel.sh: the kernel this one is copied from inlines its helpers by default.
[ "$RTUN_INLINE" = 1 ] && frags="$frags $here/config/inline.config"
srcver=$(dpkg-query -W -f='${Version}' linux-source-7.3 2>/dev/null || echo none)
key=$( {
	echo "$srcver"
	cat $frags
	/usr/bin/rustc --version
	clang$RTUN_LLVM --version | head -1
	"$BINDGEN" --version
	echo "recipe intree 2: from the test kernel build; allnoconfig + fragments + CONFIG_RTUN=m; bzImage modules headers"
} 2>/dev/null | sha256sum | cut -c1-16)
# The patched source depends on the source version only.
src=$RTUN_CACHE/src-intree-$(echo "$srcver" | sha256sum | cut -c1-16)
kdir=$RTUN_CACHE/kernel-intree-$key

testk=$("$here/kernel.sh" --print-dir)
[ -e "$testk/.rtun-built" ] || "$here/kernel.sh"

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

# inns CMD: CMD in a private mount namespace (unshare's default propagation) with the
# patched tree at the pristine tree's path and this build at the test kernel's.
inns() {
	local u=-m
	[ "$(id -u)" = 0 ] || u=-rm
	unshare $u --propagation private sh -euc '
		mount --bind "$1" "$2"; mount --bind "$3" "$4"; shift 4
		[ -e "$0/drivers/net/rtun/Makefile" ] || { echo "inns: no patched tree" >&2; exit 1; }
		exec "$@"' "$pristine" "$src" "$pristine" "$kdir" "$testk" "$@"
}

# The kernel: kernel.sh's configuration plus CONFIG_RTUN=m, from the test kernel's build.
if [ ! -e "$kdir/.rtun-seeded" ]; then
	rm -rf "$kdir" "$kdir.tmp"
	cp -a "$testk" "$kdir.tmp"
	touch "$kdir.tmp/.rtun-seeded"
	mv "$kdir.tmp" "$kdir"
fi
testsum() { (cd "$testk" && sha256sum .config arch/x86/boot/bzImage drivers/net/tun.ko); }
tbefore=$(testsum)
start=$(date +%s)
{ cat $frags; echo CONFIG_RTUN=m; } >"$kdir/rtun.fragment"
# shellcheck disable=SC2086
inns make -s -C "$pristine" O="$testk" $KMAKE_FLAGS KCONFIG_ALLCONFIG="$testk/rtun.fragment" \
	allnoconfig
grep -h '^CONFIG_' "$kdir/rtun.fragment" | while IFS= read -r line; do
	case $line in
	*=n) grep -q "^${line%%=*}=" "$kdir/.config" && echo "check-intree: ${line%%=*} should be off" ;;
	*) grep -qx "$line" "$kdir/.config" || echo "check-intree: $line did not stick" ;;
	esac
done | { ! grep . >&2; } || exit 1
# shellcheck disable=SC2086
inns nice make -s -C "$pristine" O="$testk" $KMAKE_FLAGS -j"$(($(nproc) + 1))" \
	bzImage modules headers
echo "check-intree: kernel built in $(($(date +%s) - start)) s: $kdir"
[ -e "$kdir/drivers/net/rtun/rtun.ko" ] || { echo "check-intree: no in-tree rtun.ko" >&2; exit 1; }

# rtun_vhost.ko with M= (a copy of drivers/net/rtun, so the source tree stays clean),
# next to the in-tree rtun.ko, where guest-check.sh looks for it.
mods=$out/modules
rm -rf "$mods" "$out/ext"
mkdir -p "$mods"
cp -a "$src/drivers/net/rtun" "$out/ext"
# shellcheck disable=SC2086
inns make -s -C "$testk" M="$out/ext" $KMAKE_FLAGS modules
cp "$kdir/drivers/net/rtun/rtun.ko" "$out/ext/rtun_vhost.ko" "$mods/"
[ "$(sums)" = "$before" ] || { echo "check-intree: the pristine tree changed" >&2; exit 1; }
[ "$(testsum)" = "$tbefore" ] || { echo "check-intree: the test kernel changed" >&2; exit 1; }

# The selftests, from their place in the tree (their Makefile takes KSRC from there).
make -s -C "$src/tools/testing/selftests/drivers/net/rtun" KDIR="$kdir" OUT="$out/selftests"
[ $build_only = 0 ] || exit 0

"$here/vm.sh" --kdir "$kdir" --results "$out/check" --module "$mods/rtun.ko" \
	--selftests "$out/selftests" --tap --exec "$here/guest-check.sh"
