// SPDX-License-Identifier: GPL-2.0

//! The RTNL lock as a guard: functions that need RTNL take `&Rtnl` as proof, and those
//! that change RTNL-protected state readers may hold borrows of take `&mut Rtnl`.
//!
//! The kernel calls back into the driver with RTNL held, often from inside a call the
//! driver made with its own token (a notifier from `netdev_state_change`, `ndo_uninit` from
//! `unregister_netdevice`). A callback's token is therefore only lent, never owned:
//! [`Rtnl::with_held`] gives it as `&Rtnl`, which cannot change what an outer borrow may
//! see, and only [`Rtnl::with_held_mut`] gives `&mut Rtnl`, for the callbacks that the
//! driver reaches through calls that took `&mut Rtnl` themselves (registering and
//! unregistering a device: `ndo_uninit`). So no borrow made through an outer token is
//! alive while a callback changes RTNL-guarded state.

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
        // SAFETY: `rtnl_lock` may sleep: callers are in process context (file operations).
        // A second call while holding a token would deadlock, which is not unsound.
        unsafe { b::rtnl_lock() };
        // INVARIANT: We just took the lock.
        Self {
            owned: true,
            _not_send: NotThreadSafe,
        }
    }

    /// Runs `f` with a shared token, for code the kernel calls with RTNL held (netdev
    /// callbacks and notifiers), possibly inside a call the driver made with a token of
    /// its own: `&Rtnl` reads RTNL-guarded state and changes nothing a reader may hold.
    ///
    /// # Safety
    ///
    /// The caller holds RTNL for the whole call.
    pub(crate) unsafe fn with_held<R>(f: impl FnOnce(&Rtnl) -> R) -> R {
        // SAFETY: The caller holds RTNL (a shared token borrows nothing exclusively).
        f(&unsafe { Self::assume_held() })
    }

    /// Runs `f` with an exclusive token, for a callback that changes RTNL-guarded state.
    ///
    /// # Safety
    ///
    /// The caller holds RTNL for the whole call, and the driver reaches this callback only
    /// from kernel functions it calls with `&mut Rtnl` (or from none), so no borrow made
    /// through another token of this thread is alive.
    pub(crate) unsafe fn with_held_mut<R>(f: impl FnOnce(&mut Rtnl) -> R) -> R {
        // SAFETY: The caller holds RTNL for the call, and no borrow made through another
        // token of this thread is alive, so an exclusive token may be lent.
        f(&mut unsafe { Self::assume_held() })
    }

    /// # Safety
    ///
    /// RTNL is held while the token lives; see the callers for the borrows it may make.
    unsafe fn assume_held() -> Self {
        // SAFETY: Reads the lock's state; no requirement.
        debug_assert!(unsafe { b::rtnl_is_locked() } != 0);
        // INVARIANT: Per the safety requirement; not ours to release.
        Self {
            owned: false,
            _not_send: NotThreadSafe,
        }
    }
}

impl Drop for Rtnl {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: By the type invariant we took RTNL and still hold it.
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

// SAFETY: The value moves with its owner; `T: Send` lets it be dropped on another thread.
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

    /// The value, to read.
    pub(crate) fn get<'a>(&'a self, _rtnl: &'a Rtnl) -> &'a T {
        // SAFETY: A change needs an exclusive token of this thread (`get_mut`), and none is
        // lent while `_rtnl` is borrowed (module documentation); other threads cannot hold
        // RTNL.
        unsafe { &*self.data.get() }
    }

    /// The value, for changes.
    ///
    /// A callback under [`Rtnl::with_held`] reads through [`RtnlLocked::get`], so it must
    /// not run while this borrow lives. This layer guarantees that: each of its functions
    /// that makes a kernel call able to run such a callback on this thread (registering
    /// or unregistering a device, a notifier chain, `dev_open`/`dev_close`) takes the
    /// token, `&Rtnl` or `&mut Rtnl`, which this borrow holds exclusively, or takes RTNL
    /// itself (registering and unregistering the link kind and its notifier), which a
    /// holder of this borrow would deadlock on; `Rtnl::lock` likewise deadlocks rather
    /// than lend a second token.
    #[allow(clippy::mut_from_ref)]
    pub(crate) fn get_mut<'a>(&'a self, _rtnl: &'a mut Rtnl) -> &'a mut T {
        // SAFETY: `_rtnl` is borrowed exclusively for `'a`, so this thread makes no other
        // reference to the value through it, and other threads cannot hold RTNL.
        unsafe { &mut *self.data.get() }
    }
}
