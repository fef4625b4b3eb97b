// SPDX-License-Identifier: GPL-2.0

//! An RCU-protected array of `Arc`s: lock-free readers, writers serialised by RTNL.
//!
//! Readers see a consistent snapshot for the length of their RCU read section. A writer
//! publishes a new array, waits for a grace period, then drops the old one — so an element
//! removed from the array stays alive until no reader can still hold a reference from it.

use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::{
    prelude::*,
    sync::{rcu, Arc},
};

use crate::bindings as b;
use crate::net::rtnl::Rtnl;

/// The published snapshot.
type Slots<T> = KVec<Arc<T>>;

/// An RCU-protected array of `Arc<T>`.
///
/// # Invariants
///
/// `ptr` is null (empty) or comes from `KBox::into_raw` of a `Slots<T>` that stays valid
/// until a grace period after it is replaced.
pub(crate) struct RcuArray<T> {
    ptr: AtomicPtr<Slots<T>>,
}

// SAFETY: the array hands out `&Arc<T>` to any thread, which needs `T: Send + Sync`.
unsafe impl<T: Send + Sync> Send for RcuArray<T> {}
// SAFETY: as above; writes are serialised by RTNL and published atomically.
unsafe impl<T: Send + Sync> Sync for RcuArray<T> {}

impl<T> RcuArray<T> {
    /// An empty array.
    pub(crate) const fn new() -> Self {
        Self {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// The current snapshot, valid for the read section `_guard`.
    pub(crate) fn read<'g>(&self, _guard: &'g rcu::Guard) -> &'g [Arc<T>] {
        // Acquire pairs with the Release in `publish` (rcu_dereference's role).
        let p = self.ptr.load(Ordering::Acquire);
        if p.is_null() {
            return &[];
        }
        // SAFETY: by the type invariant, `p` stays valid until a grace period after it is
        // replaced, and `_guard` keeps this read section (and so that grace period) open.
        unsafe { &*p }
    }

    /// The current snapshot, for a writer (RTNL keeps it from changing).
    pub(crate) fn read_rtnl<'r>(&self, _rtnl: &'r Rtnl) -> &'r [Arc<T>] {
        let p = self.ptr.load(Ordering::Acquire);
        if p.is_null() {
            return &[];
        }
        // SAFETY: only RTNL holders replace the array, and we hold RTNL for `'r`.
        unsafe { &*p }
    }

    /// Replaces the array with `new`; returns once no reader can see the old one.
    ///
    /// Fails (changing nothing) only when the new snapshot cannot be allocated.
    pub(crate) fn publish(&self, new: Slots<T>, _rtnl: &Rtnl) -> Result {
        let new = if new.is_empty() {
            core::ptr::null_mut()
        } else {
            KBox::into_raw(KBox::new(new, GFP_KERNEL)?)
        };
        // Release pairs with the Acquire in `read` (rcu_assign_pointer's role).
        let old = self.ptr.swap(new, Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: plain call in process context (RTNL holders may sleep).
            unsafe { b::synchronize_net() };
            // SAFETY: `old` came from `KBox::into_raw` (type invariant) and the grace period
            // above ended every read section that could see it.
            drop(unsafe { KBox::from_raw(old) });
        }
        Ok(())
    }
}

impl<T> Drop for RcuArray<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: `&mut self` means no reader holds the array any more (the owner is
            // freed after a grace period); `p` came from `KBox::into_raw`.
            drop(unsafe { KBox::from_raw(p) });
        }
    }
}
