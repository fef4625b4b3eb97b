// SPDX-License-Identifier: GPL-2.0

//! The RTNL lock as a guard: functions that need RTNL take `&Rtnl` as proof.

use crate::bindings as b;

/// Proof that the current thread holds RTNL.
///
/// # Invariants
///
/// RTNL is held for the lifetime of this value; when `owned`, this value took it and
/// releases it on drop.
pub(crate) struct Rtnl {
    owned: bool,
}

impl Rtnl {
    /// Takes RTNL (sleeping until it is free).
    pub(crate) fn lock() -> Self {
        // SAFETY: plain call in process context.
        unsafe { b::rtnl_lock() };
        // INVARIANT: we just took the lock.
        Self { owned: true }
    }

    /// A token for code the kernel calls with RTNL held (netdev and rtnl_link callbacks).
    ///
    /// # Safety
    ///
    /// RTNL must be held by the caller for as long as the token lives.
    pub(crate) unsafe fn assume_held() -> Self {
        // INVARIANT: per the safety requirement; not ours to release.
        Self { owned: false }
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
