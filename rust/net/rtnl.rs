// SPDX-License-Identifier: GPL-2.0

//! The RTNL lock as a guard: functions that need RTNL take `&Rtnl` as proof, and those
//! that change RTNL-protected state readers may hold borrows of take `&mut Rtnl`.
//!
//! A kernel function that can call back into the driver with RTNL held (registering or
//! unregistering one of our devices runs `ndo_uninit`) gets `&mut Rtnl` too: the callback
//! makes a token of its own ([`Rtnl::assume_held`]), and the exclusive borrow proves that no
//! borrow made through the outer token is alive while it runs.

use core::cell::UnsafeCell;
use kernel::types::NotThreadSafe;

use crate::bindings as b;

/// Proof that the current thread holds RTNL.
///
/// # Invariants
///
/// RTNL is held for the lifetime of this value; when `owned`, this value took it and
/// releases it on drop.
pub(crate) struct Rtnl {
    owned: bool,
    /// RTNL belongs to the task that took it: the guard stays on its thread.
    _not_send: NotThreadSafe,
}

impl Rtnl {
    /// Takes RTNL (sleeping until it is free).
    pub(crate) fn lock() -> Self {
        // SAFETY: plain call in process context.
        unsafe { b::rtnl_lock() };
        // INVARIANT: we just took the lock.
        Self {
            owned: true,
            _not_send: NotThreadSafe,
        }
    }

    /// A token for code the kernel calls with RTNL held (netdev and rtnl_link callbacks).
    ///
    /// # Safety
    ///
    /// RTNL must be held by the caller for as long as the token lives, and no other token
    /// of this thread may be used while it lives except through a function that lent it
    /// out as `&mut Rtnl` (see the module documentation).
    pub(crate) unsafe fn assume_held() -> Self {
        // SAFETY: plain query of the lock's state.
        debug_assert!(unsafe { b::rtnl_is_locked() } != 0);
        // INVARIANT: per the safety requirement; not ours to release.
        Self {
            owned: false,
            _not_send: NotThreadSafe,
        }
    }
}

impl Drop for Rtnl {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: by the type invariant we took RTNL and still hold it.
            unsafe { b::rtnl_unlock() };
        }
    }
}

/// A value that only RTNL holders touch, in the spirit of `kernel::sync::LockedBy`:
/// access with `&mut Rtnl` only. The token's exclusive borrow proves
/// what a lock guard would: RTNL keeps other threads out, and the borrow checker keeps this
/// thread from holding two references at once (see the module documentation for the
/// tokens of callbacks).
pub(crate) struct RtnlLocked<T> {
    data: UnsafeCell<T>,
}

// SAFETY: the value moves with its owner; `T: Send` lets it be dropped on another thread.
unsafe impl<T: Send> Send for RtnlLocked<T> {}
// SAFETY: RTNL serialises access from different threads, as a mutex would, so sharing
// needs only `T: Send`.
unsafe impl<T: Send> Sync for RtnlLocked<T> {}

impl<T> RtnlLocked<T> {
    /// Wraps `data`.
    pub(crate) const fn new(data: T) -> Self {
        Self {
            data: UnsafeCell::new(data),
        }
    }

    /// The value, for changes.
    #[allow(clippy::mut_from_ref)]
    pub(crate) fn get_mut<'a>(&'a self, _rtnl: &'a mut Rtnl) -> &'a mut T {
        // SAFETY: `_rtnl` is borrowed exclusively for `'a`, so this thread makes no other
        // reference to the value through it, and other threads cannot hold RTNL.
        unsafe { &mut *self.data.get() }
    }
}
