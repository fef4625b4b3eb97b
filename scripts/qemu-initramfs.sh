#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Pack the initramfs of the nested guest of `make demo-qemu`: Debian's static busybox (every
# applet linked to it), qnic (scripts/qemu-guest/qnic.c, built static here) and
# scripts/qemu-guest/init. Uncompressed newc, written by the kernel's own gen_init_cpio, so
# no root is needed for /dev/console.
#
#   qemu-initramfs.sh --out DIR      writes DIR/initramfs.cpio (and DIR/qnic, DIR/gen_init_cpio)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/toolchain.sh"

out=
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift ;;
	*) echo "qemu-initramfs.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$out" ] || { echo "qemu-initramfs.sh: --out is required" >&2; exit 2; }
bb=/bin/busybox
# ldd fails on a static binary: busybox-static's /bin/busybox runs without any library.
if [ ! -x $bb ] || ldd $bb >/dev/null 2>&1; then
	echo "qemu-initramfs.sh: $bb is not Debian's static busybox (busybox-static)" >&2
	exit 1
fi

mkdir -p "$out"
${CC:-gcc} -static -O2 -Wall -Wextra -o "$out/qnic" "$here/qemu-guest/qnic.c"
${HOSTCC:-gcc} -O2 -o "$out/gen_init_cpio" "$RTUN_CACHE/src/linux-source-7.3/usr/gen_init_cpio.c"

list=$out/initramfs.list
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	for d in bin proc sys tmp; do echo "dir /$d 0755 0 0"; done
	echo "file /bin/busybox $bb 0755 0 0"
	echo "file /bin/qnic $out/qnic 0755 0 0"
	echo "file /init $here/qemu-guest/init 0755 0 0"
	for a in $($bb --list); do
		[ "$a" = busybox ] || echo "slink /bin/$a busybox 0777 0 0"
	done
} >"$list"
"$out/gen_init_cpio" "$list" >"$out/initramfs.cpio"
echo "initramfs: $out/initramfs.cpio ($(($(stat -c %s "$out/initramfs.cpio") / 1024)) KiB)"
