// SPDX-License-Identifier: GPL-2.0

//! A bounded ring of skbs: the kernel's `ptr_ring`, as tun.c uses it.
//!
//! The producer (the device's transmit path, softirq or process context with BHs off)
//! and the consumer (a reader in process context) take different locks, so they never
//! contend; the ring owns every skb in it and frees the rest when dropped.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use kernel::{
    error::to_result,
    prelude::*,
    types::{NotThreadSafe, Opaque},
};

use crate::bindings as b;
use crate::net::preempt::BhOff;
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
                to_result(unsafe { b::rtun_ring_init(slot, size as i32) })
            }),
            size: AtomicU32::new(size),
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

    /// Locks the producer side, for a producer that must look at the room left under the
    /// same lock. Bottom halves are off (`_bh`), as for every other holder of this lock.
    pub(crate) fn lock_producer<'a>(&'a self, _bh: &'a BhOff<'_>) -> Producer<'a> {
        // SAFETY: the ring is initialised; the guard unlocks.
        unsafe { b::rtun_ring_lock_producer(self.inner.get()) };
        Producer {
            ring: self,
            _not_send: NotThreadSafe,
        }
    }

    /// Locks the consumer side, for a reader in process context that must act on what
    /// it took under the same lock.
    pub(crate) fn lock_consumer(&self) -> Consumer<'_> {
        // SAFETY: the ring is initialised; the guard unlocks.
        unsafe { b::rtun_ring_lock_consumer(self.inner.get()) };
        Consumer {
            ring: self,
            unlock: true,
            _not_send: NotThreadSafe,
        }
    }

    /// The consumer side of a ring whose consumer lock the caller holds (vhost-net, which
    /// consumes the ring itself, calls back with the lock held).
    ///
    /// # Safety
    ///
    /// The caller holds this ring's consumer lock for the guard's lifetime.
    pub(crate) unsafe fn assume_consumer_locked(&self) -> Consumer<'_> {
        // SAFETY: the ring is initialised; lockdep checks the caller's claim.
        unsafe { b::rtun_ring_assert_consumer_held(self.inner.get()) };
        Consumer {
            ring: self,
            unlock: false,
            _not_send: NotThreadSafe,
        }
    }

    /// Locks both sides, bottom halves off (consumer, then producer, as a resize does):
    /// for changes that neither side may see half done.
    pub(crate) fn lock_both(&self) -> BothLocked<'_> {
        // SAFETY: the ring is initialised; the guard unlocks in the reverse order.
        unsafe {
            b::rtun_ring_lock_consumer_bh(self.inner.get());
            b::rtun_ring_lock_producer(self.inner.get());
        }
        BothLocked {
            ring: self,
            _not_send: NotThreadSafe,
        }
    }

    /// Resizes the ring to `size` slots (see [`Ring::resize_all`]); returns how many
    /// packets no longer fit and were dropped.
    pub(crate) fn resize(&self, size: u32) -> Result<usize> {
        Self::resize_all(&[self], size)
    }

    /// Resizes every ring of `rings` to `size` slots, or none of them (the new slot
    /// arrays are all allocated first); returns how many packets no longer fit and were
    /// dropped. A size of 0 makes a ring that refuses every packet, as in tun.c.
    ///
    /// As tun.c's `ptr_ring_resize_multiple_bh`, never with interrupts off: the packets
    /// dropped may hold page_pool pages, which must not be returned with hard interrupts
    /// disabled.
    ///
    /// Resizing reallocates the slot array, so rings that already have the size are left
    /// alone: sharing the budget re-applies the size to every queue on every change.
    ///
    /// The count is exact when resizes do not overlap (the driver resizes under RTNL); if
    /// they did, drops could be counted by the wrong one.
    pub(crate) fn resize_all(rings: &[&Ring], size: u32) -> Result<usize> {
        let mut raw = KVec::with_capacity(rings.len(), GFP_KERNEL)?;
        for r in rings {
            if r.size.load(Ordering::Relaxed) != size {
                raw.push(r.inner.get(), GFP_KERNEL)?;
            }
        }
        if raw.is_empty() {
            return Ok(0);
        }
        let before = OVERFLOW_DROPS.load(Ordering::Relaxed);
        // SAFETY: every pointer is an initialised ring, pinned inside a `Ring` that `rings`
        // borrows for the call; the resize takes each ring's locks with bottom halves off
        // and hands the packets that no longer fit to `drop_overflow`.
        to_result(unsafe {
            b::rtun_ring_resize_multiple_bh(
                raw.as_mut_ptr(),
                raw.len() as u32,
                size as i32,
                Some(drop_overflow),
            )
        })?;
        for r in rings {
            r.size.store(size, Ordering::Relaxed);
        }
        Ok(OVERFLOW_DROPS.load(Ordering::Relaxed).wrapping_sub(before))
    }

    /// The length of the next packet, with its VLAN tag if the stack kept it out of the
    /// data; 0 when the ring is empty.
    pub(crate) fn peek_len(&self) -> usize {
        // SAFETY: the ring is initialised; the peek takes the consumer lock.
        unsafe { b::rtun_ring_peek_len(self.inner.get()) as usize }
    }

    /// The `ptr_ring`, for vhost-net (`tun_get_tx_ring`), which consumes it with its own
    /// locks and hands entries back with `ptr_ring_unconsume`: skbs only, as this ring
    /// holds (the type invariant holds across it).
    pub(crate) fn as_raw(&self) -> *mut b::ptr_ring {
        self.inner.get()
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

/// A ring's producer side, locked. Not `Send`: a spinlock is released where it was taken.
pub(crate) struct Producer<'a> {
    ring: &'a Ring,
    _not_send: NotThreadSafe,
}

impl Producer<'_> {
    /// Queues `skb`; hands it back when the ring is full.
    pub(crate) fn produce(&self, skb: Skb) -> Result<(), Skb> {
        let raw = skb.into_raw();
        // SAFETY: the ring is initialised and its producer lock held; on success it owns
        // `raw`.
        if unsafe { b::rtun_ring_produce_locked(self.ring.inner.get(), raw) } == 0 {
            return Ok(());
        }
        // SAFETY: the ring refused `raw`, so ownership stays with us.
        Err(unsafe { Skb::from_raw(NonNull::new_unchecked(raw)) })
    }

    /// Whether the ring has no free slot (the next produce would fail). A consumer may
    /// free one at any time: a full ring can stop being full, never the reverse.
    pub(crate) fn is_full(&self) -> bool {
        // SAFETY: the ring is initialised and its producer lock held.
        unsafe { b::rtun_ring_full_locked(self.ring.inner.get()) }
    }
}

impl Drop for Producer<'_> {
    fn drop(&mut self) {
        // SAFETY: `lock_producer` took the lock, on this CPU.
        unsafe { b::rtun_ring_unlock_producer(self.ring.inner.get()) };
    }
}

/// A ring's consumer side, locked. Not `Send`.
pub(crate) struct Consumer<'a> {
    ring: &'a Ring,
    /// Whether the guard took the lock (and releases it).
    unlock: bool,
    _not_send: NotThreadSafe,
}

impl Consumer<'_> {
    /// Takes the oldest skb, if any.
    pub(crate) fn consume(&self) -> Option<Skb> {
        // SAFETY: the ring is initialised and its consumer lock held; a returned entry is
        // an skb we now own.
        let raw = unsafe { b::rtun_ring_consume_locked(self.ring.inner.get()) };
        // SAFETY: every entry of the ring is an owned skb (type invariant).
        NonNull::new(raw).map(|p| unsafe { Skb::from_raw(p) })
    }

    /// Whether the ring is empty. A producer may add a packet at any time.
    pub(crate) fn is_empty(&self) -> bool {
        // SAFETY: the ring is initialised and its consumer lock held.
        unsafe { b::rtun_ring_empty_locked(self.ring.inner.get()) }
    }

    /// The ring's size in slots (resizes take the consumer lock, so it holds meanwhile).
    pub(crate) fn size(&self) -> u32 {
        // SAFETY: the ring is initialised and its consumer lock held.
        unsafe { b::rtun_ring_size_locked(self.ring.inner.get()) }.max(0) as u32
    }
}

impl Drop for Consumer<'_> {
    fn drop(&mut self) {
        if self.unlock {
            // SAFETY: `lock_consumer` took the lock, on this CPU.
            unsafe { b::rtun_ring_unlock_consumer(self.ring.inner.get()) };
        }
    }
}

/// Both sides of a ring locked, bottom halves off. Not `Send`.
pub(crate) struct BothLocked<'a> {
    ring: &'a Ring,
    _not_send: NotThreadSafe,
}

impl BothLocked<'_> {
    /// Whether the ring is empty; nobody can change that while the guard lives.
    pub(crate) fn is_empty(&self) -> bool {
        // SAFETY: the ring is initialised and both its locks held.
        unsafe { b::rtun_ring_empty_locked(self.ring.inner.get()) }
    }

    /// Whether the ring is full; nobody can change that while the guard lives.
    pub(crate) fn is_full(&self) -> bool {
        // SAFETY: the ring is initialised and both its locks held.
        unsafe { b::rtun_ring_full_locked(self.ring.inner.get()) }
    }
}

impl Drop for BothLocked<'_> {
    fn drop(&mut self) {
        // SAFETY: `lock_both` took both locks, on this CPU, in the other order.
        unsafe {
            b::rtun_ring_unlock_producer(self.ring.inner.get());
            b::rtun_ring_unlock_consumer_bh(self.ring.inner.get());
        }
    }
}

/// Packets `drop_overflow` dropped, ever: `ptr_ring`'s destroy callback takes no context,
/// so [`Ring::resize_all`] counts its own drops as the difference.
static OVERFLOW_DROPS: AtomicUsize = AtomicUsize::new(0);

/// `ptr_ring`'s destroy callback for the packets a smaller ring has no room for.
///
/// # Safety
///
/// `ptr` is an entry the ring gives up: an skb it owned (type invariant of [`Ring`]).
unsafe extern "C" fn drop_overflow(ptr: *mut core::ffi::c_void) {
    // SAFETY: per the caller, a valid skb whose ownership passes to us.
    let skb = unsafe { Skb::from_raw(NonNull::new_unchecked(ptr.cast())) };
    OVERFLOW_DROPS.fetch_add(1, Ordering::Relaxed);
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
