// SPDX-License-Identifier: GPL-2.0

//! The abstraction layer: the only place in rtun with `unsafe` code.
//!
//! Each submodule wraps one kernel facility the `kernel` crate does not (yet) offer in the
//! shape a TUN driver needs, and exposes it as a safe API to the driver code above.
//!
//! Atomics are the kernel crate's `kernel::sync::atomic` (LKMM semantics), not
//! `core::sync::atomic`. They go through its C helpers (`rust_helper_atomic_*`), which the
//! test kernels, built with `CONFIG_RUST_INLINE_HELPERS`, inline into the module, so an
//! atomic costs no call on the datapath.

pub(crate) mod bpf;
pub(crate) mod creds;
pub(crate) mod dev_ref;
pub(crate) mod ethtool;
pub(crate) mod features;
pub(crate) mod lsm;
pub(crate) mod miscdev;
pub(crate) mod napi;
pub(crate) mod netdev;
pub(crate) mod netdev_ops;
pub(crate) mod netns;
pub(crate) mod preempt;
pub(crate) mod rcu;
pub(crate) mod rcu_array;
pub(crate) mod ring;
pub(crate) mod rtnl;
pub(crate) mod rtnl_link;
pub(crate) mod skb;
pub(crate) mod sock;
pub(crate) mod sysfs;
pub(crate) mod time;
pub(crate) mod vnet;
pub(crate) mod wait;
pub(crate) mod xdp;

/// The entry of a C table for an optional callback: `Some(f)` when the driver implements
/// it (`T::HAS_*` of a `#[vtable]` trait), else NULL, so that the core's default applies.
macro_rules! optional {
    ($has:expr, $f:expr) => {
        if $has {
            Some($f)
        } else {
            None
        }
    };
}
pub(crate) use optional;
