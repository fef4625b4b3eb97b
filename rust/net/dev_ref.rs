// SPDX-License-Identifier: GPL-2.0

//! A device reference published to lockless readers: tun.c's `tfile->tun`, which every
//! read and write looks up with `tun_get` (RCU and `dev_hold`, no lock).

use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::sync::aref::ARef;
use kernel::sync::atomic::{Acquire, Atomic, Full};

use crate::bindings as b;
use crate::net::netdev::{Dev, Unregistering};
use crate::net::netdev_ops::NetDevOps;
use crate::net::rcu::{read_section, RcuSection};
use crate::net::rtnl::Rtnl;

/// At most one counted reference to one of our devices: set and cleared under RTNL,
/// read under RCU.
///
/// # Invariants
///
/// `ptr` is null or a `Dev<T>` on which this value holds one reference. After `ptr` is
/// cleared, that reference is dropped only when no RCU reader can still be taking a
/// reference of its own from the old value on a device about to be freed: either after a
/// grace period, or while the device's registration reference is held — unregistering
/// drops that a grace period after `ndo_uninit`, so such a reader finishes first.
pub(crate) struct RcuDevRef<T: NetDevOps> {
    ptr: Atomic<*mut b::net_device>,
    _p: PhantomData<ARef<Dev<T>>>,
}

// SAFETY: The slot only holds a device reference, which may move between threads.
unsafe impl<T: NetDevOps> Send for RcuDevRef<T> {}
// SAFETY: Readers only load the pointer and take their own reference; writers are
// serialised by RTNL.
unsafe impl<T: NetDevOps> Sync for RcuDevRef<T> {}

impl<T: NetDevOps> RcuDevRef<T> {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        Self {
            ptr: Atomic::new(core::ptr::null_mut()),
            _p: PhantomData,
        }
    }

    /// A new reference to the device, if one is set (`tun_get`).
    pub(crate) fn get(&self) -> Option<ARef<Dev<T>>> {
        read_section(|_rcu| {
            // Acquire pairs with the release of the exchanges below (rcu_dereference and
            // rcu_assign_pointer's roles).
            let p = NonNull::new(self.ptr.load(Acquire))?;
            // SAFETY: The slot holds only devices of ours (type invariant), and the
            // read-side section keeps the one just loaded allocated until its end (the
            // reference is dropped only after a grace period, or while the device's
            // registration reference is held), so it is valid while we take our own.
            Some(unsafe { Dev::<T>::from_raw(p.as_ptr()) }.to_aref())
        })
    }

    /// Whether the slot holds `dev`, seen from a read-side section (`_rcu`): a writer
    /// that checks this in the section where it hands a packet of `dev` on knows that a
    /// change of the slot waits for the section's end before it cleans up after `dev`.
    #[inline]
    pub(crate) fn holds(&self, dev: &Dev<T>, _rcu: &RcuSection<'_>) -> bool {
        core::ptr::eq(self.ptr.load(Acquire), dev.as_raw())
    }

    /// Publishes `dev`, dropping the device set before, if any.
    pub(crate) fn set(&self, dev: &Dev<T>, rtnl: &Rtnl) {
        let new = ARef::into_raw(dev.to_aref())
            .as_ptr()
            .cast::<b::net_device>();
        // Full (core's AcqRel before): its release pairs with rcu_dereference in `get`
        // (rcu_assign_pointer's role).
        let old = self.ptr.xchg(new, Full);
        Self::release(old, rtnl);
    }

    /// Clears the slot. Waits for a grace period only when the device is no longer
    /// registered (see the type invariant).
    pub(crate) fn clear(&self, rtnl: &Rtnl) {
        let old = self.ptr.xchg(core::ptr::null_mut(), Full);
        Self::release(old, rtnl);
    }

    /// Clears the slot from the `ndo_uninit` of the device it holds, which never needs to
    /// wait: the core keeps that device's registration reference until a grace period
    /// after `ndo_uninit`.
    pub(crate) fn clear_unregistering(&self, proof: &Unregistering<'_, T>) {
        let old = self.ptr.xchg(core::ptr::null_mut(), Full);
        if !proof.holds_registration() || !core::ptr::eq(old, proof.dev().as_raw()) {
            // Not the device being unregistered (or empty): the general rule applies.
            return Self::release(old, proof.rtnl());
        }
        if let Some(old) = NonNull::new(old) {
            // `proof`: this very device's registration reference outlives every reader
            // that could still load `old`.
            // SAFETY: `old` carried our reference (type invariant), dropped safely here.
            drop(unsafe { ARef::from_raw(old.cast::<Dev<T>>()) });
        }
    }

    fn release(old: *mut b::net_device, _rtnl: &Rtnl) {
        let Some(old) = NonNull::new(old) else {
            return;
        };
        // SAFETY: `old` carried our reference (type invariant), which we now own.
        let old = unsafe { ARef::from_raw(old.cast::<Dev<T>>()) };
        // Under RTNL, a registered device cannot start unregistering before we are done,
        // and unregistering waits for a grace period before dropping its reference.
        if !old.is_registered() {
            // SAFETY: Process context (RTNL holders may sleep).
            unsafe { b::synchronize_net() };
        }
        drop(old);
    }
}

impl<T: NetDevOps> Drop for RcuDevRef<T> {
    fn drop(&mut self) {
        if let Some(p) = NonNull::new(*self.ptr.get_mut()) {
            // SAFETY: `&mut self`: nobody reads this slot any more; `p` carried our
            // reference (type invariant).
            drop(unsafe { ARef::from_raw(p.cast::<Dev<T>>()) });
        }
    }
}
