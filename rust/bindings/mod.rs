// SPDX-License-Identifier: GPL-2.0

//! Module-local bindings: bindgen output for `bindings.h`.
//!
//! `kernel::bindings` sees `struct net_device` only as an opaque type and has no netdev, skb
//! or rtnl functions, so the build runs bindgen over our own header with the kernel's C flags.
//! Only the `net` abstraction layer uses this module.

#![allow(
    clippy::all,
    clippy::as_underscore,
    clippy::cast_lossless,
    clippy::ptr_as_ptr,
    clippy::ptr_cast_constness,
    clippy::ref_as_ptr,
    clippy::undocumented_unsafe_blocks,
    dead_code,
    improper_ctypes,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    unreachable_pub,
    unsafe_op_in_unsafe_fn
)]

use kernel::ffi;
use pin_init::{MaybeZeroable, Zeroable};

// SAFETY: `__BindgenBitfieldUnit<Storage>` is a newtype around `Storage` (as the kernel's
// own bindings say; bindgen does not derive this itself).
unsafe impl<Storage> Zeroable for __BindgenBitfieldUnit<Storage> where Storage: Zeroable {}

// The build puts the bindgen output next to the objects (see Kbuild), in or out of tree.
include!(env!("RTUN_BINDINGS_RS"));
