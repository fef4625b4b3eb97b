#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Turn this repository into a kernel patch series (git format-patch, with a cover letter)
# that adds rtun to a kernel source tree:
#
#   intree.sh --ksrc DIR --out DIR
#   intree.sh --print-touched        the kernel files the series modifies
#
#   drivers/net/rtun/                     Kbuild (as Makefile), rust/, vhost/
#   drivers/net/Kconfig, Makefile         CONFIG_RTUN next to CONFIG_TUN
#   tools/testing/selftests/drivers/net/rtun/   selftests/ (with its config file), in TARGETS
#   Documentation/networking/rtun.rst     Documentation/rtun.rst, in the index
#   MAINTAINERS                           an entry for the above
#
# The files are this repository's own (tracked or new, not ignored), copied unchanged:
# the in-tree driver is the out-of-tree one, not a fork. The series is made in a scratch
# git repository holding only the pristine versions of the kernel files it modifies
# (DIR/base), so its index lines are the pristine tree's blobs and `git am` applies it
# to the full tree. Author and dates come from this repository's configuration and HEAD,
# so the same tree gives the same series.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

# The kernel files the series modifies (scripts/check-intree.sh and make check use the list).
touched="drivers/net/Kconfig drivers/net/Makefile Documentation/networking/index.rst MAINTAINERS
tools/testing/selftests/Makefile"

ksrc= out=
while [ $# -gt 0 ]; do
	case $1 in
	--ksrc) ksrc=$2; shift ;;
	--out) out=$2; shift ;;
	--print-touched) echo "$touched"; exit 0 ;;
	*) echo "intree.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$ksrc" ] && [ -n "$out" ] || { echo "intree.sh: --ksrc and --out are required" >&2; exit 2; }
[ -e "$ksrc/drivers/net/tun.c" ] || { echo "intree.sh: $ksrc is no kernel source tree" >&2; exit 2; }

name=$(git -C "$repo" config user.name || echo "The rtun developers")
email=$(git -C "$repo" config user.email || echo "rtun@localhost")
date=$(git -C "$repo" log -1 --format=%cD 2>/dev/null || date -R)
export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email GIT_COMMITTER_NAME=$name \
	GIT_COMMITTER_EMAIL=$email GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date
sob="Signed-off-by: $name <$email>"

out=$(mkdir -p "$out" && cd "$out" && pwd)
w=$out/base
rm -rf "$w" "$out"/series
mkdir -p "$w" "$out/series"
git -C "$w" init -q
for f in $touched; do
	install -D -m 644 "$ksrc/$f" "$w/$f"
done
git -C "$w" add -A
git -C "$w" commit -q -m "pristine $(basename "$ksrc")"

# files DIR...: this repository's files under DIR (tracked, or new and not ignored).
files() {
	git -C "$repo" ls-files --cached --others --exclude-standard -- "$@" |
		while IFS= read -r f; do [ -e "$repo/$f" ] && echo "$f"; done
}
# copy SRC DEST: one file, mode kept (scripts stay executable).
copy() {
	mkdir -p "$(dirname "$w/$2")"
	cp "$repo/$1" "$w/$2"
}
commit() {
	git -C "$w" add -A
	git -C "$w" commit -q -F -
}

# 1: the driver and its Kconfig entry, right after tun.c's.
d=drivers/net/rtun
copy Kbuild $d/Makefile
for f in $(files rust vhost); do copy "$f" "$d/$f"; done
python3 - "$w/drivers/net/Kconfig" "$w/drivers/net/Makefile" <<'EOF'
import sys
kconfig, makefile = sys.argv[1:]
s = open(kconfig).read()
anchor = "\nconfig TAP\n"
assert s.count(anchor) == 1, "drivers/net/Kconfig: no single 'config TAP'"
entry = """
config RTUN
	tristate "Universal TUN/TAP device driver support, in Rust"
	depends on INET && RUST
	help
	  rtun is the TUN/TAP driver above (TUN) written in Rust: the same
	  /dev/net/tun interface, ioctls and datapath, for unmodified
	  userspace.  It is an alternative to TUN, not an addition: the first
	  of tun and rtun to load serves /dev/net/tun.  With the module
	  parameter side_by_side=1, rtun registers /dev/net/rtun instead, so
	  that both drivers can be loaded and compared in one boot.

	  Please read <file:Documentation/networking/rtun.rst> for more
	  information.

	  To compile this driver as a module, choose M here: the module
	  will be called rtun.

	  If unsure, say N.
"""
s = s.replace(anchor, entry + anchor)
open(kconfig, "w").write(s)
s = open(makefile).read()
line = "obj-$(CONFIG_TUN) += tun.o\n"
assert s.count(line) == 1, "drivers/net/Makefile: no single tun.o line"
s = s.replace(line, line + "obj-$(CONFIG_RTUN) += rtun/\n")
open(makefile, "w").write(s)
EOF
commit <<EOF
net: rtun: add the TUN/TAP driver, in Rust

rtun provides /dev/net/tun as drivers/net/tun.c does, written in Rust on
the kernel's Rust support: TUN and TAP devices, multiqueue, every
TUNSETIFF flag of tun.c (IFF_NAPI, IFF_NAPI_FRAGS and IFF_BACKPRESSURE
included), the socket of a queue for vhost-net, vhost-net's zero-copy
transmit, ethtool coalescing and link settings, the LSM hooks and native
XDP on TAP devices.

CONFIG_RTUN sits next to CONFIG_TUN and depends on what it depends on,
plus RUST. The two are alternatives behind one interface: whichever
module loads first serves /dev/net/tun, and rtun's side_by_side=1
parameter registers /dev/net/rtun instead so that both can be loaded and
compared.

The netdev, skb and rtnl functions rtun uses are not in the kernel
crate's bindings: the Makefile runs bindgen over rust/bindings/bindings.h
with the kernel's C flags, and rust/bindings/helpers.c shims the inline
helpers. vhost/rtun_vhost.c (tun.ko's names for vhost-net, passed on to
rtun) is only built out of tree: in the kernel's own build modpost
refuses a second module exporting tun_get_socket and its siblings.

$sob
EOF

# 2: the selftests.
t=tools/testing/selftests/drivers/net/rtun
for f in $(files selftests); do copy "$f" "$t/${f#selftests/}"; done
python3 - "$w/tools/testing/selftests/Makefile" <<'EOF'
import sys
path = sys.argv[1]
s = open(path).read()
line = "TARGETS += drivers/net/team\n"
assert s.count(line) == 1, "selftests/Makefile: no single drivers/net/team target"
s = s.replace(line, "TARGETS += drivers/net/rtun\n" + line)
open(path, "w").write(s)
EOF
commit <<EOF
selftests: drivers: net: rtun: add the rtun test suite

kselftest-harness programs that run every case against tun.ko and rtun
(side by side: tun.ko at /dev/net/tun, rtun at /dev/net/rtun) covering
the character device, the TUNSETIFF flags, the datapath, filters, the
ioctls, device lifetime, multiqueue, send buffers, backpressure, NAPI,
ethtool, XDP and the LSM hooks; and client tests (iproute2, socat, the
kernel's own net/tun.c selftest, tools/virtio/vhost_net_test) run with
each driver alone at /dev/net/tun. The config file lists the options
they need.

The Makefile is on lib.mk and the directory is in the selftests'
TARGETS, so run_tests, kselftest-install and run_kselftest.sh work as
for any other target: each program then tests the driver that serves
/dev/net/tun. The programs go through rtnetlink with net/tun.c's
tools/testing/selftests/net/tuntap_helpers.h and YNL's rt-link family;
ynl.mk builds libynl in the output directory (and a 32-bit one for the
compat builds of the ioctl tests).

  make -C tools/testing/selftests TARGETS=drivers/net/rtun run_tests

$sob
EOF

# 3: the documentation.
copy Documentation/rtun.rst Documentation/networking/rtun.rst
python3 - "$w/Documentation/networking/index.rst" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
anchor = "   rxrpc\n"
assert s.count(anchor) == 1, "Documentation/networking/index.rst: no single rxrpc entry"
s = s.replace(anchor, "   rtun\n" + anchor)
open(p, "w").write(s)
EOF
commit <<EOF
Documentation: networking: add rtun

The user guide and design of rtun: loading it, running QEMU on it, the
user-visible interface, the design (lifetimes, the socket of a queue,
vhost-net, multiqueue, NAPI, LSM hooks, ethtool, backpressure, XDP),
every difference from tun.c, performance and testing.

$sob
EOF

# 4: MAINTAINERS, in alphabetical order: between the last pair of neighbouring sections
# that sort around it (the list has a few sections out of order earlier on).
python3 - "$w/MAINTAINERS" "$name <$email>" <<'EOF'
import re, sys
p, who = sys.argv[1:]
s = open(p).read()
entry = ("RTUN (TUN/TAP DRIVER IN RUST)\n"
         f"M:\t{who}\n"
         "L:\tnetdev@vger.kernel.org\n"
         "L:\trust-for-linux@vger.kernel.org\n"
         "S:\tMaintained\n"
         "F:\tDocumentation/networking/rtun.rst\n"
         "F:\tdrivers/net/rtun/\n"
         "F:\ttools/testing/selftests/drivers/net/rtun/\n\n")
start = s.index("\nMaintainers List\n")  # skip the preamble
title = entry.split("\n")[0]
heads = list(re.finditer(r"\n\n([A-Z0-9][^\n]*)\n[A-Z]:\t", s[start:]))
pos = None
for prev, cur in zip(heads, heads[1:]):
    if prev.group(1) < title < cur.group(1):
        pos = start + cur.start(1)
if pos is None:
    sys.exit("MAINTAINERS: no place found")
open(p, "w").write(s[:pos] + entry + s[pos:])
EOF
commit <<EOF
MAINTAINERS: add an entry for rtun

The driver, its selftests and its documentation, on the netdev and
rust-for-linux lists.

$sob
EOF

git -C "$w" format-patch -q --cover-letter --no-signature -o "$out/series" HEAD~4

# The cover letter: what rtun is, how it was tested, the benchmark table of
# Documentation/rtun.rst's Performance section.
python3 - "$out/series/0000-cover-letter.patch" "$repo/Documentation/rtun.rst" <<'EOF'
import sys
cover, rst = sys.argv[1:]
lines = open(rst).read().split("\n")
i = lines.index("Performance")
# The first simple table of the section: from a '====' border line to the third one.
start = next(k for k in range(i + 2, len(lines)) if lines[k].startswith("===="))
borders, end = 0, start
for end in range(start, len(lines)):
    if lines[end].startswith("===="):
        borders += 1
        if borders == 3:
            break
table = "\n".join(lines[start:end + 1])
body = """rtun is the TUN/TAP driver, drivers/net/tun.c, written in Rust on the
kernel's own Rust support. It provides /dev/net/tun for unmodified
userspace (ip tuntap, socat, OpenVPN, QEMU's tap backend with vhost-net,
the kernel's own tun selftests): TUN and TAP devices, multiqueue, every
TUNSETIFF flag of tun.c 7.3, vhost-net with zero-copy transmit, ethtool
coalescing and link settings, the LSM hooks and native XDP on TAP
devices. CONFIG_RTUN is offered next to CONFIG_TUN as an alternative:
the first module loaded serves /dev/net/tun; side_by_side=1 makes rtun
register /dev/net/rtun so that both drivers run in one boot.

The driver is developed out of tree; this series adds the same files
under drivers/net/rtun/ (patch 1), its test suite under
tools/testing/selftests/drivers/net/rtun/ (patch 2), its documentation
(patch 3) and a MAINTAINERS entry (patch 4).

Testing: a kernel built from this tree with CONFIG_TUN=m and
CONFIG_RTUN=m, booted under virtme-ng (QEMU, TCG), loads tun.ko and
rtun.ko side by side and runs every selftest of patch 2 against both,
rtun's KUnit suites (at module load), then the client tests (iproute2, a
socat tunnel between network namespaces, the kernel's
tools/testing/selftests/net/tun.c and skf_net_off.sh built unchanged,
tools/virtio/vhost_net_test and a four-queue vhost-net test) with each
driver alone at /dev/net/tun. Any failed case, or any warning, splat or
leak report in the kernel log, fails the run. Out of tree, the same
files pass the same suite on a debug kernel (KASAN, lockdep, PROVE_RCU,
DEBUG_ATOMIC_SLEEP, kmemleak), and the kernel's BPF selftests that drive
a tun/tap (test_progs: xdp_context_tuntap, lwt_redirect, lwt_reroute,
tc_redirect, flow_dissector_skb_less_*) pass on both drivers.

Performance, rtun against tun.ko in one boot (instructions per packet
under QEMU -icount, repeatable to 0.2%; ratio > 1 means rtun is cheaper;
memory rows: kernel memory per device, ratio > 1 means rtun uses less;
details in Documentation/networking/rtun.rst):

""" + table + """

checkpatch.pl --strict finds no error in the series. The warnings kept:
patch 1, EXPORT_SYMBOL_GPL() of rtun_get_socket() and its siblings apart
from a function (they are defined in Rust; the exports are in the C
shims); patches 1-3, MAINTAINERS (patch 4 adds the entry). Patch 2 (test
programs, userspace) keeps lines over 100 columns (mostly TH_LOG and
SKIP messages), volatile stop flags shared with threads, the harness's
SKIP() in setup macros, __attribute__((aligned)) (no __aligned in
userspace), and false positives on the harness's FIXTURE_DATA(x) *self,
C11 _Atomic and a fallthrough in a comment's prose.

Known limitation: vhost-net binds to tun_get_socket() and its siblings,
which tun.ko exports. Out of tree, a small companion module (rtun_vhost,
in drivers/net/rtun/vhost/) exports them for rtun when tun.ko is not
loaded; in the kernel's build modpost refuses two modules exporting one
name, so the Makefile builds it only out of tree (M=). Serving vhost-net
from an in-tree rtun needs a decision on include/linux/if_tun.h and
VHOST_NET's Kconfig that this series does not make.
"""
s = open(cover).read()
s = s.replace("*** SUBJECT HERE ***", "net: rtun, the TUN/TAP driver in Rust")
s = s.replace("*** BLURB HERE ***", body.rstrip("\n"))
open(cover, "w").write(s)
EOF
ls "$out/series"
