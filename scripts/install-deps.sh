#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install everything the rtun build, VM and tests need on a Debian 12 host.
# (gcc: the bench programs, the selftests, and make profile's QEMU plugin.)
# Idempotent: a second run with everything present returns in well under a second.
#
#   install-deps.sh [--upstream]
#
# --upstream adds what make check-upstream needs: pahole for BTF, and the libraries the
# kernel's BPF selftests (test_progs, bpftool) link against.
set -eu

STAMP_PKGS="rustc-web rust-web-src rust-web-clippy rustfmt-web clang-19 libclang-19-dev llvm-19 lld-19 flex bison bc \
libelf-dev libssl-dev cpio qemu-system-x86 linux-source-7.3 socat iproute2 ethtool \
iputils-ping python3-venv busybox-static kmod procps libmnl-dev python3-yaml \
python3-jsonschema gcc gcc-multilib python3-matplotlib python3-docutils"
# The LLVM 22 toolchain the kernels are built with by default (scripts/toolchain.sh;
# make INLINE=0 uses LLVM 19 alone).
[ "${RTUN_INLINE:-1}" = 1 ] && STAMP_PKGS="$STAMP_PKGS clang-22 libclang-22-dev llvm-22 lld-22"
[ "${1:-}" = --upstream ] && STAMP_PKGS="$STAMP_PKGS dwarves zlib1g-dev libzstd-dev libcap-dev clang-22 llvm-22 lld-22 rsync"

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

missing=
for p in $STAMP_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done

if [ -n "$missing" ]; then
	# linux-source-7.3 and rustc-web 1.96 live in trixie-backports. Derive that suite from
	# the first stanza the host already uses (same URI and key), so no mirror name is
	# written down here; backports are pinned low by Debian, nothing else upgrades from it.
	src=/etc/apt/sources.list.d/debian.sources
	dst=/etc/apt/sources.list.d/rtun-trixie-backports.sources
	if [ ! -e "$dst" ]; then
		uri=$(awk '/^URIs:/ {print $2; exit}' "$src")
		key=$(awk '/^Signed-By:/ {print $2; exit}' "$src")
		printf 'Types: deb\nURIs: %s\nSuites: trixie-backports\nComponents: main\nSigned-By: %s\n' \
			"$uri" "$key" | $SUDO tee "$dst" >/dev/null
	fi
	$SUDO apt-get update -q
	# Only the kernel source comes from backports. The host's qemu-utils may be a newer
	# backport that Breaks bookworm's qemu-system-common; pin it to bookworm's so the pair
	# installs together.
	pkgs=$(echo "$missing" | sed 's,linux-source-7.3,linux-source-7.3/trixie-backports,')
	case "$missing" in *qemu-system-x86*) pkgs="$pkgs qemu-utils/bookworm" ;; esac
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
		--allow-downgrades $pkgs
fi

# bindgen: the kernel needs >= 0.71.1; cargo's build is cached in ~/.cargo/bin.
BINDGEN=${BINDGEN:-$HOME/.cargo/bin/bindgen}
if ! "$BINDGEN" --version 2>/dev/null | grep -q .; then
	cargo install bindgen-cli --locked
fi

# virtme-ng from PyPI, in its own venv so the system python stays untouched.
VENV=${RTUN_VENV:-$HOME/.cache/rtun/venv}
if [ ! -x "$VENV/bin/vng" ]; then
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q virtme-ng
fi
