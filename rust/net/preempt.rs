// SPDX-License-Identifier: GPL-2.0

//! Preemption or bottom halves off for a scope: what per-CPU updates and the receive
//! path need from process context.
//!
//! The per-CPU statistics of a device (`dev_sw_netstats_*`) pick this CPU's counters and
//! update them under a per-CPU seqcount; tun.c brackets them with `preempt_disable()`
//! because its callers are in process context. A task moved to another CPU in between
//! would lose counts, and on 32-bit make the seqcount see two writers.

use core::marker::PhantomData;
use kernel::types::NotThreadSafe;

use crate::net::rcu::RcuSection;

use crate::bindings as b;

/// Preemption is disabled while this lives. Not `Send`: it belongs to this CPU's task.
/// (native x86-64 updates the counters in single `%gs`-relative instructions instead.)
#[cfg(not(all(CONFIG_X86_64, not(CONFIG_UML))))]
pub(crate) struct NoPreempt {
    _not_send: NotThreadSafe,
}

#[cfg(not(all(CONFIG_X86_64, not(CONFIG_UML))))]
impl NoPreempt {
    /// Disables preemption until the value is dropped.
    pub(crate) fn new() -> Self {
        // SAFETY: Always callable; paired with the `preempt_enable` in `drop`.
        unsafe { b::rtun_preempt_disable() };
        Self {
            _not_send: NotThreadSafe,
        }
    }
}

#[cfg(not(all(CONFIG_X86_64, not(CONFIG_UML))))]
impl Drop for NoPreempt {
    fn drop(&mut self) {
        // SAFETY: `new` disabled preemption and this is the matching enable.
        unsafe { b::rtun_preempt_enable() };
    }
}

/// Bottom halves are disabled while this lives, which also keeps the task on its CPU and
/// makes an RCU read-side critical section: what `netif_receive_skb` expects from process
/// context (tun.c's `tun_rx_batched`). Not `Send`.
pub(crate) struct NoBh {
    _not_send: NotThreadSafe,
}

impl NoBh {
    /// Disables bottom halves until the value is dropped.
    pub(crate) fn new() -> Self {
        // SAFETY: Callable from process context, where the write path runs; paired with
        // the `local_bh_enable` in `drop`.
        unsafe { b::rtun_local_bh_disable() };
        Self {
            _not_send: NotThreadSafe,
        }
    }
}

impl Drop for NoBh {
    fn drop(&mut self) {
        // SAFETY: `new` disabled bottom halves and this is the matching enable, in the
        // same process context (softirqs raised meanwhile run here).
        unsafe { b::rtun_local_bh_enable() };
    }
}

/// Proof that softirqs cannot run on this CPU for `'a`: the transmit path (the core runs
/// it with bottom halves, or interrupts, disabled) or a [`NoBh`] section. What a lock
/// that softirqs also take needs from its holders. Not `Send`.
pub(crate) struct BhOff<'a> {
    _p: PhantomData<(&'a (), *mut ())>,
}

impl BhOff<'_> {
    /// The CPU this runs on (which cannot change while bottom halves are off).
    pub(crate) fn cpu(&self) -> u32 {
        // SAFETY: Bottom halves or interrupts are off (type invariant): no migration.
        unsafe { b::rtun_smp_processor_id() }
    }

    /// A context the caller is already in.
    ///
    /// # Safety
    ///
    /// For the value's lifetime the caller runs with bottom halves or interrupts disabled.
    pub(crate) unsafe fn assume() -> Self {
        Self { _p: PhantomData }
    }
}

impl NoBh {
    /// The proof that bottom halves are off, for as long as this section lasts.
    pub(crate) fn bh_off(&self) -> BhOff<'_> {
        // SAFETY: Bottom halves stay off while `self` lives.
        unsafe { BhOff::assume() }
    }

    /// The RCU read-side section this section is (bottom halves off is one, since the
    /// RCU flavours were consolidated).
    pub(crate) fn rcu(&self) -> RcuSection<'_> {
        // SAFETY: Bottom halves stay off while `self` lives.
        unsafe { RcuSection::assume() }
    }
}
