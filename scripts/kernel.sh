#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build (or reuse) the rtun test kernel.
#
#   kernel.sh [--debug | --upstream] [--print-dir]
#
# --debug adds config/debug.config (make check DEBUG=1); --upstream adds
# config/upstream.config (BTF and an LSM, for make check-upstream).
#
# The build lives in $RTUN_CACHE/kernel-<key>, where <key> hashes the kernel source
# version, the config fragments and the toolchain versions; a finished build is marked by
# a stamp file, so a second call with nothing changed returns at once.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/toolchain.sh"

debug=0 upstream=0 print=0
for a in "$@"; do
	case $a in
	--debug) debug=1 ;;
	--upstream) upstream=1 ;;
	--print-dir) print=1 ;;
	*) echo "kernel.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

frags="$here/config/rtun.config"
[ $debug = 1 ] && frags="$frags $here/config/debug.config"
[ $upstream = 1 ] && frags="$frags $here/config/upstream.config"
[ "$RTUN_INLINE" = 1 ] && frags="$frags $here/config/inline.config"

# The toolchain's versions (and pahole's, for --upstream) are part of the key: install
# them before the key is taken, or a first call on a fresh machine builds under a key no
# later call computes (install-deps.sh returns at once when all is there).
if [ $print = 0 ]; then
	"$here/install-deps.sh"
	[ $upstream = 0 ] || "$here/install-deps.sh" --upstream
fi
srcver=$(dpkg-query -W -f='${Version}' linux-source-7.3 2>/dev/null || echo none)
key=$( {
	echo "$srcver"
	cat $frags
	/usr/bin/rustc --version
	clang$RTUN_LLVM --version | head -1
	"$BINDGEN" --version
	[ $upstream = 0 ] || pahole --version
	echo "recipe 1: allnoconfig + fragments; bzImage modules headers"
} 2>/dev/null | sha256sum | cut -c1-16)
name=kernel-$key
[ $debug = 1 ] && name=kernel-debug-$key
[ $upstream = 1 ] && name=kernel-upstream-$key
out=$RTUN_CACHE/$name

if [ $print = 1 ]; then
	echo "$out"
	exit 0
fi
if [ -e "$out/.rtun-built" ]; then
	echo "kernel: reusing $out"
	exit 0
fi

# One build per directory at a time: a second caller waits, then reuses the result.
mkdir -p "$RTUN_CACHE"
exec 9>"$RTUN_CACHE/.lock-$name"
flock 9
if [ -e "$out/.rtun-built" ]; then
	echo "kernel: reusing $out"
	exit 0
fi

"$here/install-deps.sh"

src=$RTUN_CACHE/src/linux-source-7.3
srcstamp=$RTUN_CACHE/src/.version
if [ ! -e "$src/Makefile" ] || [ "$(cat "$srcstamp" 2>/dev/null)" != "$srcver" ]; then
	rm -rf "$src"
	mkdir -p "$RTUN_CACHE/src"
	tar -C "$RTUN_CACHE/src" -xf /usr/src/linux-source-7.3.tar.xz
	echo "$srcver" >"$srcstamp"
fi

mkdir -p "$out"
start=$(date +%s)
# shellcheck disable=SC2086
make -s -C "$src" O="$out" $KMAKE_FLAGS rustavailable
cat $frags >"$out/rtun.fragment"
# shellcheck disable=SC2086
make -s -C "$src" O="$out" $KMAKE_FLAGS KCONFIG_ALLCONFIG="$out/rtun.fragment" allnoconfig

# Every option the fragments ask for must have survived Kconfig's dependency resolution.
bad=0
grep -h '^CONFIG_' $frags | while IFS= read -r line; do
	opt=${line%%=*} val=${line#*=}
	if [ "$val" = n ]; then
		grep -q "^$opt=" "$out/.config" && { echo "kernel: $opt should be off" >&2; echo x; }
	else
		grep -qx "$line" "$out/.config" || { echo "kernel: $line did not stick" >&2; echo x; }
	fi
done | grep -q x && bad=1
[ $bad = 0 ] || { echo "kernel: config fragment not satisfied" >&2; exit 1; }

# shellcheck disable=SC2086
make -C "$src" O="$out" $KMAKE_FLAGS -j"$(($(nproc) + 1))" bzImage modules headers
touch "$out/.rtun-built"
echo "kernel: built $out in $(($(date +%s) - start)) s"
