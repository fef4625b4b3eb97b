// SPDX-License-Identifier: GPL-2.0

//! The RTNL lock as a guard: functions that need RTNL take `&Rtnl` as proof, and those
//! that change RTNL-protected state readers may hold borrows of take `&mut Rtnl`.
//!
//! A kernel function that can call back into the driver with RTNL held (registering or
//! unregistering one of our devices runs `ndo_uninit`) gets `&mut Rtnl` too: the callback
//! makes a token of its own ([`Rtnl::assume_held`]), and the exclusive borrow proves that no
//! borrow made through the outer token is alive while it runs.

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
