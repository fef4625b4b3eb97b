// SPDX-License-Identifier: GPL-2.0

//! A bounded ring of packets: the kernel's `ptr_ring`, as tun.c uses it.
//!
//! The producer (the device's transmit path, softirq or process context with BHs off)
//! and the consumer (a reader in process context) take different locks, so they never
//! contend; the ring owns every entry in it and frees the rest when dropped. An entry is
//! an skb of the stack or, tagged with `TUN_XDP_FLAG` as tun.c does (vhost-net reads the
//! tag too), an XDP frame redirected into the device.

use core::ffi::c_void;
use core::ptr::NonNull;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::{
    error::to_result,
    prelude::*,
    types::{NotThreadSafe, Opaque},
};

use crate::bindings as b;
use crate::net::preempt::BhOff;
use crate::net::skb::{self, Skb};
use crate::net::xdp::XdpFrame;

/// Bit 0 of a ring entry: an `xdp_frame`, not an skb (`include/linux/if_tun.h`).
const TUN_XDP_FLAG: usize = 1;

/// What a ring holds.
pub(crate) enum Entry {
    /// A packet the stack transmitted.
    Skb(Skb),
    /// A frame an XDP program redirected into the device (`ndo_xdp_xmit`).
    Frame(XdpFrame),
}

impl Entry {
    /// The tagged pointer the ring stores; the ring owns what it points to.
    fn into_raw(self) -> *mut c_void {
        match self {
            Entry::Skb(skb) => skb.into_raw().cast(),
            Entry::Frame(f) => (f.into_raw() as usize | TUN_XDP_FLAG) as *mut c_void,
        }
    }

    /// # Safety
    ///
    /// `ptr` must be null or an entry taken off one of our rings (or from
    /// [`Entry::into_raw`]), whose ownership passes to the caller.
    pub(crate) unsafe fn from_raw(ptr: *mut c_void) -> Option<Self> {
        let addr = ptr as usize;
        if addr & TUN_XDP_FLAG != 0 {
            // SAFETY: Per the caller, an owned XDP frame, untagged here.
            let frame = unsafe { XdpFrame::from_raw((addr & !TUN_XDP_FLAG) as *mut b::xdp_frame) };
            return Some(Entry::Frame(frame));
        }
        // SAFETY: Per the caller, an untagged entry is an owned skb.
        NonNull::new(ptr.cast()).map(|p| Entry::Skb(unsafe { Skb::from_raw(p) }))
    }

    /// Frees the entry as a packet dropped for `reason`.
    pub(crate) fn drop_reason(self, reason: skb::DropReason) {
        match self {
            Entry::Skb(skb) => skb.drop_reason(reason),
            Entry::Frame(f) => drop(f),
        }
    }

    /// The length a reader gets (the frame, or the skb with its VLAN tag put back).
    pub(crate) fn len_with_tag(&self) -> usize {
        match self {
            Entry::Skb(skb) => skb.len_with_vlan_tag() as usize,
            Entry::Frame(f) => f.len(),
        }
    }
}

/// Frees a ring entry: an skb, or a tagged XDP frame (tun.c's `tun_ptr_free`).
///
/// # Safety
///
/// `ptr` must be null or a ring entry the caller owns.
pub(crate) unsafe fn free_ring_entry(ptr: *mut c_void) {
    // SAFETY: Per the caller; dropping the entry frees it.
    drop(unsafe { Entry::from_raw(ptr) });
}

/// `ptr_ring`'s destroy callback when a ring is cleaned up.
///
/// # Safety
///
/// `ptr` is an entry the ring gives up, now the callee's.
unsafe extern "C" fn destroy_entry(ptr: *mut c_void) {
    // SAFETY: The ring gives up `ptr`, an entry it held, so it is ours to free.
    unsafe { free_ring_entry(ptr) };
}

/// A bounded FIFO of [`Entry`]s.
///
/// # Invariants
///
/// `inner` is an initialised `ptr_ring` whose entries are [`Entry::into_raw`] pointers
/// owned by the ring.
#[pin_data(PinnedDrop)]
pub(crate) struct Ring {
    #[pin]
    inner: Opaque<b::ptr_ring>,
    /// The current number of slots (resizes are serialised by the caller, under RTNL).
    size: Atomic<u32>,
}

// SAFETY: `ptr_ring` serialises producers and consumers with its own spinlocks, and skbs
// and XDP frames may be sent between threads.
unsafe impl Send for Ring {}
// SAFETY: Every `&Ring` method takes the ring's own locks (or reads an atomic), so shared
// references may be used from several threads at once.
unsafe impl Sync for Ring {}

impl Ring {
    /// A ring with room for `size` packets.
    pub(crate) fn new(size: u32) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- Opaque::try_ffi_init(move |slot: *mut b::ptr_ring| {
                // SAFETY: `slot` is valid for writes and pinned for the ring's lifetime.
                to_result(unsafe { b::rtun_ring_init(slot, size as i32) })
            }),
            size: Atomic::new(size),
        })
    }

    /// Queues `skb`; hands it back when the ring is full.
    pub(crate) fn produce(&self, skb: Skb) -> Result<(), Skb> {
        let raw = skb.into_raw();
        // SAFETY: The ring is initialised; on success it owns `raw`, an untagged skb.
        if unsafe { b::rtun_ring_produce(self.inner.get(), raw.cast()) } == 0 {
            return Ok(());
        }
        // SAFETY: The ring refused `raw`, so ownership stays with us.
        Err(unsafe { Skb::from_raw(NonNull::new_unchecked(raw)) })
    }

    /// Takes the oldest entry, if any.
    pub(crate) fn consume(&self) -> Option<Entry> {
        // SAFETY: The ring is initialised; a returned entry is ours now.
        let raw = unsafe { b::rtun_ring_consume(self.inner.get()) };
        // SAFETY: Every entry of the ring came from `Entry::into_raw` (type invariant).
        unsafe { Entry::from_raw(raw) }
    }

    /// Locks the producer side, for a producer that must look at the room left under the
    /// same lock. Bottom halves are off (`_bh`), as for every other holder of this lock.
    pub(crate) fn lock_producer<'a>(&'a self, _bh: &'a BhOff<'_>) -> Producer<'a> {
        // SAFETY: The ring is initialised; the guard unlocks.
        unsafe { b::rtun_ring_lock_producer(self.inner.get()) };
        Producer {
            ring: self,
            _not_send: NotThreadSafe,
        }
    }

    /// Locks the consumer side, for a reader in process context that must act on what
    /// it took under the same lock.
    pub(crate) fn lock_consumer(&self) -> Consumer<'_> {
        // SAFETY: The ring is initialised; the guard unlocks.
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
        // SAFETY: The ring is initialised; lockdep checks the caller's claim.
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
        // SAFETY: The ring is initialised; the guard unlocks in the reverse order.
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
            if r.size.load(Relaxed) != size {
                raw.push(r.inner.get(), GFP_KERNEL)?;
            }
        }
        if raw.is_empty() {
            return Ok(0);
        }
        let before = OVERFLOW_DROPS.load(Relaxed);
        // SAFETY: Every pointer is an initialised ring, pinned inside a `Ring` that `rings`
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
            r.size.store(size, Relaxed);
        }
        Ok(OVERFLOW_DROPS.load(Relaxed).wrapping_sub(before))
    }

    /// The length of the next packet, with its VLAN tag if the stack kept it out of the
    /// data; 0 when the ring is empty.
    pub(crate) fn peek_len(&self) -> usize {
        let consumer = self.lock_consumer();
        // SAFETY: The ring is initialised and its consumer lock held, so the entry stays
        // in the ring (and alive) until the guard drops.
        let raw = unsafe { b::rtun_ring_peek_locked(self.inner.get()) };
        // SAFETY: An entry of the ring (type invariant); borrowed, never freed here.
        let entry = core::mem::ManuallyDrop::new(unsafe { Entry::from_raw(raw) });
        let len = entry.as_ref().map_or(0, Entry::len_with_tag);
        drop(consumer);
        len
    }

    /// The `ptr_ring`, for vhost-net (`tun_get_tx_ring`), which consumes it with its own
    /// locks and hands entries back with `ptr_ring_unconsume`, tagged as this ring holds
    /// them (the type invariant holds across it).
    pub(crate) fn as_raw(&self) -> *mut b::ptr_ring {
        self.inner.get()
    }

    /// Whether the ring holds no packet.
    pub(crate) fn is_empty(&self) -> bool {
        // SAFETY: The ring is initialised.
        unsafe { b::rtun_ring_empty(self.inner.get()) }
    }

    /// Frees every queued packet.
    pub(crate) fn purge(&self) {
        while let Some(entry) = self.consume() {
            entry.drop_reason(skb::DROP_DEV_READY);
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
        // SAFETY: The ring is initialised and its producer lock held; on success it owns
        // `raw`, an untagged skb.
        if unsafe { b::rtun_ring_produce_locked(self.ring.inner.get(), raw.cast()) } == 0 {
            return Ok(());
        }
        // SAFETY: The ring refused `raw`, so ownership stays with us.
        Err(unsafe { Skb::from_raw(NonNull::new_unchecked(raw)) })
    }

    /// Queues an XDP frame; hands it back when the ring is full.
    pub(crate) fn produce_frame(&self, frame: XdpFrame) -> Result<(), XdpFrame> {
        let raw = Entry::Frame(frame).into_raw();
        // SAFETY: The ring is initialised and its producer lock held; on success it owns
        // `raw`, a tagged frame.
        if unsafe { b::rtun_ring_produce_locked(self.ring.inner.get(), raw) } == 0 {
            return Ok(());
        }
        // SAFETY: The ring refused `raw`, which `into_raw` made from a frame just now.
        match unsafe { Entry::from_raw(raw) } {
            Some(Entry::Frame(frame)) => Err(frame),
            _ => unreachable!(),
        }
    }

    /// Whether the ring has no free slot (the next produce would fail). A consumer may
    /// free one at any time: a full ring can stop being full, never the reverse.
    pub(crate) fn is_full(&self) -> bool {
        // SAFETY: The ring is initialised and its producer lock held.
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
    /// Takes the oldest entry, if any.
    pub(crate) fn consume(&self) -> Option<Entry> {
        // SAFETY: The ring is initialised and its consumer lock held; a returned entry is
        // ours now.
        let raw = unsafe { b::rtun_ring_consume_locked(self.ring.inner.get()) };
        // SAFETY: Every entry of the ring came from `Entry::into_raw` (type invariant).
        unsafe { Entry::from_raw(raw) }
    }

    /// Whether the ring is empty. A producer may add a packet at any time.
    pub(crate) fn is_empty(&self) -> bool {
        // SAFETY: The ring is initialised and its consumer lock held.
        unsafe { b::rtun_ring_empty_locked(self.ring.inner.get()) }
    }

    /// The ring's size in slots (resizes take the consumer lock, so it holds meanwhile).
    pub(crate) fn size(&self) -> u32 {
        // SAFETY: The ring is initialised and its consumer lock held.
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
        // SAFETY: The ring is initialised and both its locks held.
        unsafe { b::rtun_ring_empty_locked(self.ring.inner.get()) }
    }

    /// Whether the ring is full; nobody can change that while the guard lives.
    pub(crate) fn is_full(&self) -> bool {
        // SAFETY: The ring is initialised and both its locks held.
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
static OVERFLOW_DROPS: Atomic<usize> = Atomic::new(0);

/// `ptr_ring`'s destroy callback for the packets a smaller ring has no room for.
///
/// # Safety
///
/// `ptr` is an entry the ring gives up, which it owned (type invariant of [`Ring`]).
unsafe extern "C" fn drop_overflow(ptr: *mut c_void) {
    // SAFETY: Per the caller, an entry whose ownership passes to us.
    if let Some(entry) = unsafe { Entry::from_raw(ptr) } {
        OVERFLOW_DROPS.add(1, Relaxed);
        entry.drop_reason(skb::DROP_FULL_RING);
    }
}

#[pinned_drop]
impl PinnedDrop for Ring {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: The ring is initialised and nobody else can reach it any more; cleanup
        // frees the remaining entries (each with the destroy callback meant for them)
        // and the slot array.
        unsafe { b::rtun_ring_cleanup(self.inner.get(), Some(destroy_entry)) };
    }
}
