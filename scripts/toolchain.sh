# SPDX-License-Identifier: GPL-2.0
# Sourced by the other scripts: the one toolchain every kernel and module build uses.
RTUN_CACHE=${RTUN_CACHE:-$HOME/.cache/rtun}
BINDGEN=${BINDGEN:-$HOME/.cargo/bin/bindgen}
RTUN_VENV=${RTUN_VENV:-$RTUN_CACHE/venv}
# RTUN_INLINE=1 (the default; make INLINE=0 turns it off): clang, lld and libclang 22, the
# LLVM rustc-web is built on, and kernels with CONFIG_RUST_INLINE_HELPERS
# (scripts/config/inline.config), whose C helpers are linked into Rust code as bitcode so
# that they inline, as rtun's own are (Kbuild). RTUN_INLINE=0: LLVM 19, nothing inlined.
RTUN_INLINE=${RTUN_INLINE:-1}
RTUN_LLVM=-19
[ "$RTUN_INLINE" = 1 ] && RTUN_LLVM=-22
KMAKE_FLAGS="LLVM=$RTUN_LLVM RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc BINDGEN=$BINDGEN \
LIBCLANG_PATH=/usr/lib/llvm$RTUN_LLVM/lib"
# The rustup toolchain in ~/.cargo/bin has no rust-src: keep it off the kernel's PATH
# lookups (rustfmt/clippy are taken from Debian's rustc-web set as well).
export RUSTC_BOOTSTRAP=
