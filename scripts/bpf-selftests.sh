#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build (or reuse) the kernel's own BPF selftest runner, test_progs, for the upstream-test
# kernel (kernel.sh --upstream), from an untouched copy of the kernel source.
#
#   bpf-selftests.sh --kdir K [--print-dir]
#
# The runner is built as tools/testing/selftests/bpf builds it, with the selftests' own
# BPF_STRICT_BUILD=0: a BPF program or test that needs a kernel option the minimal test
# kernel lacks is left out (the build prints SKIP-BPF / SKIP-TEST for it) instead of failing
# the build. The test kernel modules (bpf_testmod) are not built; no test rtun runs needs
# them. The result is cached in $RTUN_CACHE/bpf-selftests-<key> and marked finished by a
# stamp file.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/toolchain.sh"

kdir= print=0
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) kdir=$2; shift ;;
	--print-dir) print=1 ;;
	*) echo "bpf-selftests.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$kdir" ] || { echo "bpf-selftests.sh: --kdir is required" >&2; exit 2; }

# Keyed by the source, the upstream kernel's config fragment and the compilers (not by
# the kernel build directory: the BPF programs use CO-RE, and which of them can be built
# depends on the types the fragment's options bring). clang 22 is installed first: it is
# part of the key.
[ $print = 1 ] || "$here/install-deps.sh" --upstream
key=$( {
	dpkg-query -W -f='${Version}' linux-source-7.3 2>/dev/null || echo none
	cat "$here/config/upstream.config"
	clang-22 --version | head -1
	gcc --version | head -1
	echo "recipe 1: BPF_STRICT_BUILD=0 test_progs, no test modules"
} 2>/dev/null | sha256sum | cut -c1-16)
out=$RTUN_CACHE/bpf-selftests-$key
if [ $print = 1 ]; then
	echo "$out/bpf"
	exit 0
fi
if [ -e "$out/.rtun-built" ]; then
	echo "bpf-selftests: reusing $out"
	exit 0
fi
[ -e "$kdir/vmlinux" ] || { echo "bpf-selftests.sh: no $kdir/vmlinux" >&2; exit 1; }

mkdir -p "$RTUN_CACHE"
exec 9>"$RTUN_CACHE/.lock-bpf-selftests-$key"
flock 9
if [ -e "$out/.rtun-built" ]; then
	echo "bpf-selftests: reusing $out"
	exit 0
fi

# The selftests write generated files next to their sources (prog_tests/tests.h, the
# tools' build directories): build in a copy of its own, never in the shared source tree.
# An unfinished earlier build is continued (make is incremental).
start=$(date +%s)
src=$out/linux-source-7.3
if [ ! -e "$src/.rtun-extracted" ]; then
	rm -rf "$out"
	mkdir -p "$out"
	tar -C "$out" -xf /usr/src/linux-source-7.3.tar.xz linux-source-7.3/tools \
		linux-source-7.3/include linux-source-7.3/scripts linux-source-7.3/kernel/bpf \
		linux-source-7.3/arch/x86/include linux-source-7.3/Makefile
	touch "$src/.rtun-extracted"
fi
mkdir -p "$out/bpf"

# LLVM 22 (the selftests' BPF programs need a newer clang than the kernel's 19: clang 19
# crashes on their arena code); its bin directory has the unversioned names (clang,
# llc, llvm-strip, ld.lld, llvm-config) the selftests call. KDIR names no kernel tree, so
# the test modules are skipped, as BPF_STRICT_BUILD=0 allows.
PATH=/usr/lib/llvm-22/bin:$PATH make -C "$src/tools/testing/selftests/bpf" \
	-j"$(($(nproc) + 1))" BPF_STRICT_BUILD=0 SKIP_DOCS=1 \
	VMLINUX_BTF="$kdir/vmlinux" KDIR=/nonexistent \
	KHDR_INCLUDES="-isystem $kdir/usr/include" \
	OUTPUT="$out/bpf" "$out/bpf/test_progs" 2>"$out/build.log" >&2 ||
	{ tail -30 "$out/build.log" >&2; exit 1; }
grep -E '^ *SKIP-(BPF|SKEL|TEST)' "$out/build.log" >"$out/skipped" || true
touch "$out/.rtun-built"
echo "bpf-selftests: built $out/bpf/test_progs in $(($(date +%s) - start)) s" \
	"($(wc -l <"$out/skipped") objects skipped, listed in $out/skipped)"
