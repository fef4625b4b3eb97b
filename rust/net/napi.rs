// SPDX-License-Identifier: GPL-2.0

//! NAPI for one queue (`IFF_NAPI`, tun.c's `tun_napi_*`): written packets wait on a list
//! and reach the stack from the NAPI poll, in softirq context and through GRO, so that
//! consecutive segments of a flow can be merged.
//!
//! The instance belongs to a queue; it is added to a device when the queue attaches with
//! `IFF_NAPI` and deleted when the queue leaves the device (close, or the device's
//! deletion). While added it holds a reference to the device: the core's lists point at
//! the instance, and its deletion needs the device.

use core::ptr::NonNull;
use kernel::sync::atomic::{Acquire, Atomic, Relaxed, Release};
use kernel::{
    error::to_result,
    iov::IovIterSource,
    prelude::*,
    types::{NotThreadSafe, Opaque},
};

use crate::bindings as b;
use crate::net::netdev::NetDev;
use crate::net::preempt::NoBh;
use crate::net::rtnl::Rtnl;
use crate::net::skb::Skb;

/// A NAPI poll's weight (`NAPI_POLL_WEIGHT`): the most packets one poll takes.
pub(crate) const POLL_WEIGHT: u32 = b::rtun_const_RTUN_NAPI_POLL_WEIGHT;

/// One NAPI instance and its backlog of written packets.
///
/// # Invariants
///
/// `inner` is a `rtun_napi` this value owns. `dev` is null, or the device the instance is
/// added to, on which this value holds a reference; it changes under RTNL only. The
/// instance is enabled (may be polled) only while `enabled` is set, which implies added.
pub(crate) struct Napi {
    inner: NonNull<b::rtun_napi>,
    dev: Atomic<*mut b::net_device>,
    enabled: Atomic<bool>,
    /// `IFF_NAPI_FRAGS`: writes build the instance's own skb and hand it to GRO at once.
    frags: Atomic<bool>,
}

// SAFETY: The instance and its lists are used under their own locks or under RTNL; the
// device reference is not tied to a thread.
unsafe impl Send for Napi {}
// SAFETY: `&Napi` methods either take the backlog's lock or require RTNL, and the flags
// are atomics.
unsafe impl Sync for Napi {}

impl Napi {
    /// A new instance, added to no device.
    pub(crate) fn new() -> Result<Self> {
        // Zeroed, as `netif_napi_add` expects the `napi_struct`.
        let mut napi = KBox::new(pin_init::zeroed::<b::rtun_napi>(), GFP_KERNEL)?;
        // SAFETY: The lists of a new instance only we know: the backlog, which writers
        // and the poll share, gets its lock; `polling` is the poll's alone.
        unsafe {
            b::rtun_skb_queue_head_init(&raw mut napi.backlog);
            b::rtun___skb_queue_head_init(&raw mut napi.polling);
        }
        // The lists point to themselves: from here on the instance does not move.
        let inner = NonNull::from(KBox::leak(napi));
        // INVARIANT: A new, owned instance on no device.
        Ok(Self {
            inner,
            dev: Atomic::new(core::ptr::null_mut()),
            enabled: Atomic::new(false),
            frags: Atomic::new(false),
        })
    }

    /// Whether the instance is added to a device (the queue attached with `IFF_NAPI`).
    #[inline]
    pub(crate) fn is_added(&self) -> bool {
        // Pairs with the release in `add`: an instance seen added is initialised.
        !self.dev.load(Acquire).is_null()
    }

    /// Whether writes go through the instance's fragment skb (`IFF_NAPI_FRAGS`).
    #[inline]
    pub(crate) fn frags_enabled(&self) -> bool {
        self.is_added() && self.frags.load(Relaxed)
    }

    /// Adds the instance to `dev` and enables it (tun.c's `tun_napi_init`), with
    /// `IFF_NAPI_FRAGS` if `frags`. Nothing if it is added already.
    pub(crate) fn add(&self, dev: &NetDev, frags: bool, _rtnl: &Rtnl) {
        if self.is_added() {
            return;
        }
        self.frags.store(frags, Relaxed);
        // SAFETY: A valid device; the reference is dropped in `del`.
        unsafe { b::rtun_dev_hold(dev.as_raw()) };
        // SAFETY: Our instance, on no device; RTNL held. The poll callback only reaches
        // this instance, which stays allocated until `del` took it off the device.
        unsafe { b::rtun_napi_add_tx(dev.as_raw(), self.inner.as_ptr(), Some(poll)) };
        // INVARIANT: Added, with the reference taken above.
        self.dev.store(dev.as_raw(), Release);
        self.enable(_rtnl);
    }

    /// Lets the instance be polled again (a disabled queue enabled).
    pub(crate) fn enable(&self, _rtnl: &Rtnl) {
        if self.is_added() && !self.enabled.xchg(true, Relaxed) {
            // SAFETY: An added, disabled instance; RTNL held (process context).
            unsafe { b::rtun_napi_enable(self.inner.as_ptr()) };
        }
    }

    /// Stops polling, waiting for a poll that runs (a queue disabled). The backlog stays.
    pub(crate) fn disable(&self, _rtnl: &Rtnl) {
        if self.enabled.xchg(false, Relaxed) {
            // SAFETY: An added, enabled instance; RTNL held (process context may sleep).
            unsafe { b::rtun_napi_disable(self.inner.as_ptr()) };
        }
    }

    /// Disables the instance, takes it off its device, drops the device reference and the
    /// packets still waiting (tun.c's `tun_napi_disable` + `tun_napi_del`). Nothing if it
    /// is on no device.
    pub(crate) fn del(&self, rtnl: &Rtnl) {
        self.disable(rtnl);
        let dev = self.dev.xchg(core::ptr::null_mut(), Relaxed);
        if dev.is_null() {
            return;
        }
        // SAFETY: Our disabled instance, added to `dev`, which our reference keeps valid.
        unsafe {
            b::rtun_napi_del(self.inner.as_ptr());
            b::rtun_napi_purge(self.inner.as_ptr());
            b::rtun_dev_put(dev);
        }
    }

    /// Queues a written packet for the poll and schedules it, unless the writer says more
    /// come (`more`) and fewer than a poll's worth wait (tun.c); the packet back when the
    /// instance is not added to a device (the queue has no `IFF_NAPI`).
    #[inline(always)]
    pub(crate) fn try_queue(&self, skb: Skb, more: bool, _bh: &NoBh) -> Option<Skb> {
        if !self.is_added() {
            return Some(skb);
        }
        let waiting = {
            let backlog = self.lock_backlog(_bh);
            backlog.push(skb);
            backlog.len()
        };
        if !more || waiting > POLL_WEIGHT {
            // Added, as checked above.
            self.schedule_raw();
        }
        None
    }

    /// The instance's backlog.
    #[inline(always)]
    fn backlog(&self) -> *mut b::sk_buff_head {
        // SAFETY: `inner` points to our live `rtun_napi` (type invariant); no reference
        // is made, only the field's address.
        unsafe { &raw mut (*self.inner.as_ptr()).backlog }
    }

    /// The instance's `napi_struct`.
    #[inline(always)]
    fn napi_struct(&self) -> *mut b::napi_struct {
        // SAFETY: `inner` points to our live `rtun_napi` (type invariant); no reference
        // is made, only the field's address.
        unsafe { &raw mut (*self.inner.as_ptr()).napi }
    }

    /// `napi_schedule`: schedules the poll unless it is scheduled already; nothing (but
    /// a poll owed after the next enable, as C's `napi_schedule`) when the instance is
    /// disabled or deleted. Only for an instance that was added (both callers check): a
    /// never-added one is all zeroes, which `napi_schedule_prep` would accept.
    #[inline(always)]
    fn schedule_raw(&self) {
        let napi = self.napi_struct();
        // SAFETY: A `napi_struct` that lives as long as `self` and was added to a device
        // (the callers' check), so it has a poll function. `netif_napi_add` leaves
        // `NAPI_STATE_SCHED` set until `napi_enable`, and `napi_disable` (which deletion
        // requires) sets it again after waiting for the poll, so `napi_schedule_prep`
        // refuses the instance whenever it may not be polled; the core synchronises the
        // state bits both calls use.
        unsafe {
            if b::napi_schedule_prep(napi) {
                b::__napi_schedule(napi);
            }
        }
    }

    /// Drops the packets waiting on the backlog (the queue leaves or joins a device: none
    /// may reach the stack with another device's pointer).
    pub(crate) fn purge(&self) {
        // SAFETY: Our instance; the purge takes the backlog's lock.
        unsafe { b::rtun_napi_purge(self.inner.as_ptr()) };
    }

    /// Whether no packet waits on the backlog (unlocked: a hint that may be stale).
    pub(crate) fn backlog_is_empty(&self) -> bool {
        // SAFETY: Our instance; a lockless read of the list's length.
        unsafe { b::rtun_napi_backlog_empty(self.inner.as_ptr()) }
    }

    /// Locks the backlog, for a writer that batches packets itself (tun.c's
    /// `rx_batched`, on a queue without NAPI). Bottom halves are off (`_bh`), as the
    /// poll takes the same lock in softirq.
    pub(crate) fn lock_backlog<'a>(&'a self, _bh: &'a NoBh) -> Backlog<'a> {
        // SAFETY: Our instance; the guard unlocks.
        unsafe { b::rtun_napi_backlog_lock(self.inner.as_ptr()) };
        Backlog {
            napi: self,
            _not_send: NotThreadSafe,
        }
    }

    /// Schedules the poll (after queueing a batch with `more`); nothing when the instance
    /// is not added or is disabled.
    pub(crate) fn schedule(&self) {
        if self.enabled.load(Relaxed) {
            self.schedule_raw();
        }
    }
}

impl Napi {
    /// An skb of the instance for a packet of `len` bytes from `src` (`IFF_NAPI_FRAGS`,
    /// tun.c's `tun_napi_alloc_frags`): the rest of `src`'s current segment in the head,
    /// each further segment in a page fragment of its own. `EMSGSIZE` for more segments
    /// than fragments or a packet past the largest MTU, `EINVAL` for an empty segment, one
    /// past a page, or an iterator that is not the writer's iovec, `ENOMEM`. The data is
    /// not copied yet.
    ///
    /// Unlike tun.c, the skb is not the instance's `napi->skb` until it goes to GRO
    /// ([`Napi::receive_frags`]): writers need no lock, and deleting the instance cannot
    /// free a packet being filled.
    pub(crate) fn alloc_frags(&self, len: u32, src: &mut IovIterSource<'_>) -> Result<Skb> {
        // ETH_MAX_MTU - NET_SKB_PAD - NET_IP_ALIGN.
        const MAX_LEN: u32 = b::rtun_const_RTUN_ETH_MAX_MTU - crate::net::skb::WRITE_HEADROOM;
        let it = src.as_raw().cast::<b::iov_iter>();
        // SAFETY: `it` is a valid iterator: each test reads its type.
        let user_or_kvec = unsafe {
            b::rtun_iter_is_iovec(it) || b::rtun_iter_is_ubuf(it) || b::rtun_iov_iter_is_kvec(it)
        };
        if !user_or_kvec {
            return Err(EINVAL);
        }
        // SAFETY: `it` is a valid iterator.
        let segs = unsafe { b::rtun_iov_nr_segs(it) };
        if segs > b::rtun_const_RTUN_MAX_SKB_FRAGS as usize + 1 || len > MAX_LEN {
            return Err(EMSGSIZE);
        }
        // As `napi_get_frags()` makes one, without making it the instance's `napi->skb`
        // yet.
        let raw = {
            let napi = self.napi_struct();
            // The per-CPU caches of `napi_alloc_skb` need bottom halves off.
            let _bh = NoBh::new();
            // SAFETY: Our instance's `napi_struct`; the skb returned is ours.
            let skb =
                NonNull::new(unsafe { b::napi_alloc_skb(napi, b::rtun_const_RTUN_GRO_MAX_HEAD) })
                    .ok_or(ENOMEM)?;
            // SAFETY: Our new skb and our instance.
            unsafe { b::rtun_skb_mark_napi_id(skb.as_ptr(), napi) };
            skb
        };
        // SAFETY: A new skb we own.
        let skb = unsafe { Skb::from_raw(raw) };
        // SAFETY: `it` is a valid iterator.
        let linear = (unsafe { b::rtun_iov_single_seg_count(it) } as u32).min(len);
        // SAFETY: The skb is ours to lay out; `__skb_grow` fails cleanly.
        to_result(unsafe { b::rtun_skb_grow(raw.as_ptr(), linear) })?;
        // `len` bytes in all, `linear` of them in the head, the rest in fragments added
        // below (and charged to the skb now, as tun.c does).
        // SAFETY: The skb is ours to lay out, and the fragments come below.
        unsafe {
            let skb = raw.as_ptr();
            (*skb).len = len;
            (*skb).data_len = len - linear;
            (*skb).truesize += len - linear;
        }
        let mut left = len - linear;
        for seg in 1..segs {
            // SAFETY: An iovec-shaped iterator (checked) and `seg` below its segment count.
            let size = unsafe { b::rtun_iov_seg_len(it, seg) };
            if size == 0 || size > b::rtun_const_RTUN_PAGE_SIZE as usize {
                return Err(EINVAL);
            }
            // Never more fragment than the packet has left.
            let size = (size as u32).min(left);
            left -= size;
            // SAFETY: `netdev_alloc_frag` may be called in any context; the fragment it
            // returns, if any, is ours, with a reference on its head page.
            let frag = NonNull::new(unsafe { b::rtun_netdev_alloc_frag(size) }).ok_or(ENOMEM)?;
            // SAFETY: `frag` is a fragment of `size` bytes in the compound page whose head
            // `virt_to_head_page` finds, so its offset from the head's address is in that
            // page. Fragment `seg - 1` of our skb (below MAX_SKB_FRAGS, checked) takes the
            // fragment and its page reference.
            unsafe {
                let page = b::rtun_virt_to_head_page(frag.as_ptr());
                let off = frag.as_ptr() as usize - b::rtun_page_address(page) as usize;
                b::rtun_skb_fill_page_desc(
                    raw.as_ptr(),
                    (seg - 1) as i32,
                    page,
                    off as i32,
                    size as i32,
                );
            }
        }
        Ok(skb)
    }

    /// Hands a packet of [`Napi::alloc_frags`] to GRO now (tun.c's `napi_gro_frags`
    /// tail): the Ethernet header that `eth_type_trans` pulled is put back for GRO to
    /// parse. `ENOMEM` when the headers reach past the head, `EBUSY` when the instance
    /// cannot be scheduled (disabled, or being polled); the packet is freed then. In a
    /// section with bottom halves off (`_bh`), in which the caller checked that the
    /// queue still serves `dev`: deleting the instance waits for it.
    pub(crate) fn receive_frags(&self, skb: Skb, dev: &NetDev, _bh: &NoBh) -> Result {
        let raw = skb.as_raw();
        // The Ethernet header `eth_type_trans` pulled goes back for `napi_gro_frags` to
        // parse, and the headers the flow dissector finds must all be in the head.
        // SAFETY: Our skb, of `dev`, whose head held the header before the pull.
        let in_head = unsafe {
            b::skb_push(raw, b::rtun_const_RTUN_ETH_HLEN);
            let headlen = (*raw).len - (*raw).data_len;
            b::eth_get_headlen(dev.as_raw(), (*raw).data.cast(), headlen) <= headlen
        };
        if !in_head {
            return Err(ENOMEM);
        }
        let napi = self.napi_struct();
        // SAFETY: Our instance, added to `dev` for the section. It is ours until
        // `napi_complete` once `napi_schedule_prep` grants it (enabled, not being polled),
        // as in tun.c's `IFF_NAPI_FRAGS` tail; bottom halves are off (`_bh`).
        unsafe {
            if !b::napi_schedule_prep(napi) {
                return Err(EBUSY);
            }
            // An skb GRO kept for reuse (`napi_reuse_skb()`): ours replaces it.
            b::rtun_napi_free_frags(napi);
            (*napi).skb = raw;
            b::napi_gro_frags(napi);
            b::napi_complete_done(napi, 0);
        }
        // GRO took it.
        core::mem::forget(skb);
        Ok(())
    }
}

/// A queue's backlog, locked. Not `Send`: a spinlock is released where it was taken.
pub(crate) struct Backlog<'a> {
    napi: &'a Napi,
    _not_send: NotThreadSafe,
}

impl Backlog<'_> {
    /// How many packets wait.
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: Our instance, its backlog locked.
        unsafe { b::rtun_napi_backlog_len_locked(self.napi.inner.as_ptr()) }
    }

    /// Adds a packet at the end.
    pub(crate) fn push(&self, skb: Skb) {
        // SAFETY: Our instance, its backlog locked; the list takes the skb.
        unsafe { b::rtun_napi_backlog_push_locked(self.napi.inner.as_ptr(), skb.into_raw()) };
    }

    /// Takes every waiting packet and unlocks the backlog, then hands each to `f`, in order
    /// (tun.c's `tun_rx_batched`: the backlog spliced onto a list of its own under the lock,
    /// the packets received from there after it).
    pub(crate) fn take_all(self, mut f: impl FnMut(Skb)) {
        let process = Opaque::<b::sk_buff_head>::uninit();
        let head = process.get();
        // SAFETY: `head` is ours, on this stack frame, and stays at this address until the
        // function returns. The backlog is locked (by `self`), so its packets may move to
        // `head`, which takes them.
        unsafe {
            b::rtun___skb_queue_head_init(head);
            b::rtun_skb_queue_splice_tail_init(self.napi.backlog(), head);
        }
        drop(self);
        // SAFETY: `head` is an initialised list that only this function reaches.
        while let Some(skb) = NonNull::new(unsafe { b::rtun___skb_dequeue(head) }) {
            // SAFETY: An skb of our list, taken off it: ours.
            f(unsafe { Skb::from_raw(skb) });
        }
    }
}

impl Drop for Backlog<'_> {
    fn drop(&mut self) {
        // SAFETY: `lock_backlog` took the lock, on this CPU.
        unsafe { b::rtun_napi_backlog_unlock(self.napi.inner.as_ptr()) };
    }
}

impl Drop for Napi {
    fn drop(&mut self) {
        // The owner deletes the instance before it lets go of the device (`del`): an
        // instance still added here would be left on the device's list.
        if self.is_added() {
            pr_err!("rtun: NAPI instance dropped while added; leaking it\n");
            return;
        }
        // SAFETY: Our instance, on no device, so nothing else reaches it: `del` took it off
        // with `netif_napi_del`, whose `synchronize_net()` is the grace period the core's
        // RCU readers of the list and the NAPI hash need before the memory goes. The
        // purge frees packets a writer queued after `del`. `new` leaked the box.
        unsafe {
            b::rtun_napi_purge(self.inner.as_ptr());
            drop(KBox::from_raw(self.inner.as_ptr()));
        }
    }
}

/// The NAPI poll (tun.c's `tun_napi_poll`): up to `budget` waiting packets through GRO.
///
/// # Safety
///
/// Called by the core, in softirq context, for an instance `Napi::add` added: the
/// `napi_struct` of a live `rtun_napi`.
unsafe extern "C" fn poll(napi: *mut b::napi_struct, budget: core::ffi::c_int) -> core::ffi::c_int {
    // SAFETY: Per the caller, `napi` is the `napi` field of a `rtun_napi`.
    let n = unsafe { kernel::container_of!(napi, b::rtun_napi, napi) };
    // SAFETY: `n` is live (per the caller); only the field addresses are taken.
    let (backlog, polling) = unsafe { (&raw mut (*n).backlog, &raw mut (*n).polling) };
    // The whole backlog at once, as tun.c's `tun_napi_receive`.
    // SAFETY: `n` is live, and polls of one instance never overlap, so its `polling` list
    // is ours; the backlog is spliced under its lock (softirq: bottom halves are off).
    let taken = unsafe {
        b::rtun_napi_backlog_lock(n);
        b::rtun_skb_queue_splice_tail_init(backlog, polling);
        b::rtun_napi_backlog_unlock(n);
        b::rtun_skb_queue_len(polling)
    };
    let budget_left = budget.max(0) as u32;
    let received = taken.min(budget_left);
    for _ in 0..received {
        // SAFETY: `polling` is ours and `received` is at most what it holds, so there is
        // a packet to dequeue; GRO takes ownership of it.
        unsafe { b::rtun_napi_gro_receive(napi, b::rtun___skb_dequeue(polling)) };
    }
    if taken > received {
        // SAFETY: `polling` is ours and `backlog` is `n`'s, spliced under its lock (softirq:
        // bottom halves are off); what the budget left goes back in front of the backlog
        // (the lock taken only then, as tun.c does).
        unsafe {
            b::rtun_napi_backlog_lock(n);
            b::rtun_skb_queue_splice_init(polling, backlog);
            b::rtun_napi_backlog_unlock(n);
        }
    }
    if received < budget_left {
        // SAFETY: In the instance's own poll, with less work done than the budget.
        unsafe { b::napi_complete_done(napi, received as core::ffi::c_int) };
    }
    received as core::ffi::c_int
}
