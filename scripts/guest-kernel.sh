#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build (or reuse) the small kernel that QEMU boots inside the test VM for `make demo-qemu`
# (config: scripts/config/qemu-guest.config). The test kernel has no virtio-net and is far
# too big to boot under nested TCG, hence a kernel of its own, from the same source tree.
#
#   guest-kernel.sh [--print-dir]
#
# The build lives in $RTUN_CACHE/qemu-guest-<key>, where <key> hashes the kernel source
# version, the config fragment and the compiler version; a finished build is marked by a
# stamp file, so a second call with nothing changed returns at once. QEMU boots its vmlinux
# through the PVH entry point (no decompression); arch/x86/boot/bzImage is built as well.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/toolchain.sh"

print=0
for a in "$@"; do
	case $a in
	--print-dir) print=1 ;;
	*) echo "guest-kernel.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

frag="$here/config/qemu-guest.config"
srcver=$(dpkg-query -W -f='${Version}' linux-source-7.3 2>/dev/null || echo none)
key=$( {
	echo "$srcver"
	cat "$frag"
	clang$RTUN_LLVM --version | head -1
	echo "recipe 1: allnoconfig + fragment; vmlinux bzImage"
} 2>/dev/null | sha256sum | cut -c1-16)
name=qemu-guest-$key
out=$RTUN_CACHE/$name

if [ $print = 1 ]; then
	echo "$out"
	exit 0
fi
if [ -e "$out/.rtun-built" ]; then
	echo "guest kernel: reusing $out"
	exit 0
fi

# One build per directory at a time: a second caller waits, then reuses the result.
mkdir -p "$RTUN_CACHE"
exec 9>"$RTUN_CACHE/.lock-$name"
flock 9
if [ -e "$out/.rtun-built" ]; then
	echo "guest kernel: reusing $out"
	exit 0
fi

# The source tree kernel.sh unpacked for the test kernel (`make kernel`), same version.
src=$RTUN_CACHE/src/linux-source-7.3
if [ ! -e "$src/Makefile" ] || [ "$(cat "$RTUN_CACHE/src/.version" 2>/dev/null)" != "$srcver" ]; then
	echo "guest kernel: no unpacked linux-source-7.3 $srcver in $src: run make kernel first" >&2
	exit 1
fi

mkdir -p "$out"
start=$(date +%s)
cp "$frag" "$out/qemu-guest.fragment"
# shellcheck disable=SC2086
make -s -C "$src" O="$out" $KMAKE_FLAGS KCONFIG_ALLCONFIG="$out/qemu-guest.fragment" allnoconfig

# Every option the fragment asks for must have survived Kconfig's dependency resolution.
grep -h '^CONFIG_' "$frag" | while IFS= read -r line; do
	grep -qx "$line" "$out/.config" || { echo "guest kernel: $line did not stick" >&2; echo x; }
done | grep -q x && { echo "guest kernel: config fragment not satisfied" >&2; exit 1; }

# shellcheck disable=SC2086
make -C "$src" O="$out" $KMAKE_FLAGS -j"$(($(nproc) + 1))" vmlinux bzImage
touch "$out/.rtun-built"
echo "guest kernel: built $out in $(($(date +%s) - start)) s"
