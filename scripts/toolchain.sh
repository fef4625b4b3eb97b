# SPDX-License-Identifier: GPL-2.0
# Sourced by the other scripts: the one toolchain every kernel and module build uses.
RTUN_CACHE=${RTUN_CACHE:-$HOME/.cache/rtun}
BINDGEN=${BINDGEN:-$HOME/.cargo/bin/bindgen}
RTUN_VENV=${RTUN_VENV:-$RTUN_CACHE/venv}
KMAKE_FLAGS="LLVM=-19 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc BINDGEN=$BINDGEN \
LIBCLANG_PATH=/usr/lib/llvm-19/lib"
# The rustup toolchain in ~/.cargo/bin has no rust-src: keep it off the kernel's PATH
# lookups (rustfmt/clippy are taken from Debian's rustc-web set as well).
export RUSTC_BOOTSTRAP=
