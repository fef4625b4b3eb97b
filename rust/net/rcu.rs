// SPDX-License-Identifier: GPL-2.0

//! Proof of an RCU read-side critical section, which the lock-free readers in this layer
//! take: from `rcu_read_lock()`, or from a context the core already runs as one (the
//! transmit path runs with bottom halves off, which is a read-side critical section
//! since the RCU flavours were consolidated), so that hot path takes no lock call.

use core::marker::PhantomData;
use kernel::sync::rcu;

/// The current code is inside an RCU read-side critical section while this lives.
///
/// # Invariants
///
/// For `'a`, the creating context stays inside a read-side critical section. Not `Send`:
/// the section belongs to the CPU/task that entered it.
pub(crate) struct RcuSection<'a> {
    _p: PhantomData<(&'a (), *mut ())>,
}

impl<'a> RcuSection<'a> {
    /// The section `guard` holds open.
    pub(crate) fn of(_guard: &'a rcu::Guard) -> Self {
        // INVARIANT: `guard` keeps `rcu_read_lock()` held for `'a`.
        Self { _p: PhantomData }
    }

    /// A section the caller is already in.
    ///
    /// # Safety
    ///
    /// For `'a` the caller stays in `rcu_read_lock()`, or with bottom halves, preemption
    /// or interrupts disabled.
    pub(crate) unsafe fn assume() -> Self {
        // INVARIANT: Per the caller.
        Self { _p: PhantomData }
    }
}

/// Runs `f` inside a new RCU read-side critical section.
pub(crate) fn read_section<R>(f: impl FnOnce(&RcuSection<'_>) -> R) -> R {
    let guard = rcu::read_lock();
    f(&RcuSection::of(&guard))
}
