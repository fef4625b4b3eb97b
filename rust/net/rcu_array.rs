// SPDX-License-Identifier: GPL-2.0

//! An RCU-protected array of `Arc`s: lock-free readers, writers serialised by RTNL.
//!
//! Readers see a consistent snapshot for the length of their RCU read section. A writer
//! publishes a new array, waits for a grace period, then drops the old one — so an element
//! removed from the array stays alive until no reader can still hold a reference from it.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::{prelude::*, sync::Arc};

use crate::bindings as b;
use crate::net::{rcu::RcuSection, rtnl::Rtnl};

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
    /// Replaced snapshots not yet freed: arrays a reader may still walk, whose elements
    /// all live on in the current array. Only touched by RTNL holders.
    retired: UnsafeCell<KVec<KBox<Slots<T>>>>,
}

/// How many replaced snapshots may wait before a writer waits for a grace period.
const MAX_RETIRED: usize = 64;

// SAFETY: the array hands out `&Arc<T>` to any thread, which needs `T: Send + Sync`.
unsafe impl<T: Send + Sync> Send for RcuArray<T> {}
// SAFETY: as above; writes (including to `retired`) are serialised by RTNL and published
// atomically.
unsafe impl<T: Send + Sync> Sync for RcuArray<T> {}

impl<T> RcuArray<T> {
    /// An empty array.
    pub(crate) const fn new() -> Self {
        Self {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
            retired: UnsafeCell::new(KVec::new()),
        }
    }

    /// The current snapshot, valid for the read section `_guard`.
    pub(crate) fn read<'g>(&self, _section: &RcuSection<'g>) -> &'g [Arc<T>] {
        // Acquire pairs with the Release in `publish` (rcu_dereference's role).
        let p = self.ptr.load(Ordering::Acquire);
        if p.is_null() {
            return &[];
        }
        // SAFETY: by the type invariant, `p` stays valid until a grace period after it is
        // replaced, and `_section` keeps this read section (and so that grace period) open.
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

    /// Replaces the array with `new`.
    ///
    /// With `removed`, some element of the old array is not in `new`: returns once no
    /// reader can see the old array, so the caller may rely on the removed element being
    /// unreachable. Without it (growing), the old array is retired and freed after a later
    /// grace period, so attaching a queue does not wait for one.
    ///
    /// Fails (changing nothing) only when the new snapshot cannot be allocated.
    pub(crate) fn publish(&self, new: Slots<T>, removed: bool, _rtnl: &Rtnl) -> Result {
        let new = if new.is_empty() {
            core::ptr::null_mut()
        } else {
            KBox::into_raw(KBox::new(new, GFP_KERNEL)?)
        };
        // SAFETY: RTNL (`_rtnl`) serialises every access to `retired`.
        let retired = unsafe { &mut *self.retired.get() };
        if !removed && retired.len() < MAX_RETIRED {
            // Room is reserved before publishing, so retiring cannot fail afterwards.
            if retired.reserve(1, GFP_KERNEL).is_ok() {
                // Release pairs with the Acquire in `read` (rcu_assign_pointer's role).
                let old = self.ptr.swap(new, Ordering::AcqRel);
                if !old.is_null() {
                    // SAFETY: `old` came from `KBox::into_raw` (type invariant).
                    let _ = retired.push(unsafe { KBox::from_raw(old) }, GFP_NOWAIT);
                }
                return Ok(());
            }
        }
        let old = self.ptr.swap(new, Ordering::AcqRel);
        // SAFETY: plain call in process context (RTNL holders may sleep).
        unsafe { b::synchronize_net() };
        if !old.is_null() {
            // SAFETY: `old` came from `KBox::into_raw` (type invariant) and the grace period
            // above ended every read section that could see it.
            drop(unsafe { KBox::from_raw(old) });
        }
        // The same grace period covers every snapshot retired before it.
        retired.truncate(0);
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
