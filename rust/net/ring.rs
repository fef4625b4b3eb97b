// SPDX-License-Identifier: GPL-2.0

//! A bounded ring of skbs: the kernel's `ptr_ring`, as tun.c uses it.
//!
//! The producer (the device's transmit path, softirq or process context with BHs off)
//! and the consumer (a reader in process context) take different locks, so they never
//! contend; the ring owns every skb in it and frees the rest when dropped.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{error::to_result, prelude::*, types::Opaque};

use crate::bindings as b;
use crate::net::skb::Skb;

/// A bounded FIFO of [`Skb`]s.
///
/// # Invariants
///
/// `inner` is an initialised `ptr_ring` whose entries are skbs owned by the ring.
#[pin_data(PinnedDrop)]
pub(crate) struct Ring {
    #[pin]
    inner: Opaque<b::ptr_ring>,
    /// The current number of slots (resizes are serialised by the caller, under RTNL).
    size: AtomicU32,
}

// SAFETY: ptr_ring serialises producers and consumers with its own spinlocks, and skbs
// may be sent between threads.
unsafe impl Send for Ring {}
// SAFETY: as above; every `&self` method takes the ring's locks.
unsafe impl Sync for Ring {}

impl Ring {
    /// A ring with room for `size` packets.
    pub(crate) fn new(size: u32) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- Opaque::try_ffi_init(move |slot: *mut b::ptr_ring| {
                // SAFETY: `slot` is valid for writes and pinned for the ring's lifetime.
                to_result(unsafe { b::rtun_ring_init(slot, size.max(1) as i32) })
            }),
            size: AtomicU32::new(size.max(1)),
        })
    }

    /// Queues `skb`; hands it back when the ring is full.
    pub(crate) fn produce(&self, skb: Skb) -> Result<(), Skb> {
        let raw = skb.into_raw();
        // SAFETY: the ring is initialised; on success it owns `raw`.
        if unsafe { b::rtun_ring_produce(self.inner.get(), raw) } == 0 {
            return Ok(());
        }
        // SAFETY: the ring refused `raw`, so ownership stays with us.
        Err(unsafe { Skb::from_raw(NonNull::new_unchecked(raw)) })
    }

    /// Takes the oldest skb, if any.
    pub(crate) fn consume(&self) -> Option<Skb> {
        // SAFETY: the ring is initialised; a returned entry is an skb we now own.
        let raw = unsafe { b::rtun_ring_consume(self.inner.get()) };
        // SAFETY: every entry of the ring is an owned skb (type invariant).
        NonNull::new(raw).map(|p| unsafe { Skb::from_raw(p) })
    }

    /// Resizes the ring to `size` slots, dropping what no longer fits (counted as the
    /// device's transmit drops).
    ///
    /// As tun.c's `ptr_ring_resize_multiple_bh`, never with interrupts off: the packets
    /// dropped may hold page_pool pages, which must not be returned with hard interrupts
    /// disabled.
    ///
    /// Resizing reallocates the slot array, so a ring that already has the size is left
    /// alone: sharing the budget re-applies the size to every queue on every change.
    pub(crate) fn resize(&self, size: u32) -> Result {
        let size = size.max(1);
        if self.size.load(Ordering::Relaxed) == size {
            return Ok(());
        }
        // SAFETY: the ring is initialised; the resize takes both ring locks with bottom
        // halves off, and hands the packets that no longer fit to `drop_overflow`.
        to_result(unsafe {
            b::rtun_ring_resize_bh(self.inner.get(), size as i32, Some(drop_overflow))
        })?;
        self.size.store(size, Ordering::Relaxed);
        Ok(())
    }

    /// Whether the ring holds no packet.
    pub(crate) fn is_empty(&self) -> bool {
        // SAFETY: the ring is initialised.
        unsafe { b::rtun_ring_empty(self.inner.get()) }
    }

    /// Frees every queued packet.
    pub(crate) fn purge(&self) {
        while let Some(skb) = self.consume() {
            skb.drop_reason(crate::net::skb::DROP_DEV_READY);
        }
    }
}

/// `ptr_ring`'s destroy callback for the packets a smaller ring has no room for.
///
/// # Safety
///
/// `ptr` is an entry the ring gives up: an skb it owned (type invariant of [`Ring`]).
unsafe extern "C" fn drop_overflow(ptr: *mut core::ffi::c_void) {
    // SAFETY: per the caller, a valid skb whose ownership passes to us.
    let skb = unsafe { Skb::from_raw(NonNull::new_unchecked(ptr.cast())) };
    // SAFETY: a queued packet's `dev` is the device that transmitted it, whose queue holds
    // this ring: the device is alive while the ring is resized (RTNL, queue attached).
    unsafe { b::rtun_dev_core_stats_tx_dropped_inc(b::rtun_skb_dev(skb.as_raw())) };
    skb.drop_reason(crate::net::skb::DROP_FULL_RING);
}

#[pinned_drop]
impl PinnedDrop for Ring {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: the ring is initialised and nobody else can reach it any more; cleanup
        // frees the remaining skbs and the slot array.
        unsafe { b::rtun_ring_cleanup(self.inner.get()) };
    }
}
