// SPDX-License-Identifier: GPL-2.0

//! The queues of a device and their only writers: attach, disable, enable, close and
//! device delete. All of them run under RTNL; the datapath only reads the live array,
//! under RCU.
//!
//! A queue is *live* (in the RCU array: the stack transmits to it) or *disabled*
//! (`TUNSETQUEUE` with `IFF_DETACH_QUEUE`: still bound to the device, receives nothing).
//! Removing a live queue moves the last live queue into its slot, as tun.c does, so only
//! one other queue changes its index; flows recorded for the two indices are forgotten.

use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::{prelude::*, sync::Arc};

use crate::backpressure;
use crate::device::{Device, TunDev};
use crate::net::{
    netdev::Unregistering,
    rcu::RcuSection,
    rcu_array::RcuArray,
    ring::Ring,
    rtnl::{Rtnl, RtnlLocked},
};
use crate::queue::Queue;

/// The most queues one device can have: four times tun.c's 256 (see Documentation), with
/// the `max_queues` module parameter (default 256, tun.c's, as the kernel allocates its
/// per-queue structures for the maximum when a multiqueue device is created).
pub(crate) const MAX_QUEUES: u32 = 1024;

/// The fewest packets a live queue's ring holds when `tx_queue_len` is shared: one
/// virtio ring's worth, as the 2012 review of tun's multiqueue patch suggested.
pub(crate) const MIN_RING: u32 = 256;

/// The ring size of each of `live` queues of a device with `tx_queue_len`: the device's
/// budget shared equally, at least [`MIN_RING`] — and exactly `tx_queue_len` for a single
/// queue, as in tun.c (0 included: a ring that takes no packet).
pub(crate) fn ring_size(tx_queue_len: u32, live: u32) -> u32 {
    if live <= 1 {
        return tx_queue_len;
    }
    tx_queue_len.div_ceil(live).max(MIN_RING.min(tx_queue_len))
}

/// A `TUNSETIFF`'s NAPI flags for the queue it attaches (tun.c: `IFF_NAPI`, and
/// `IFF_NAPI_FRAGS` with it).
#[derive(Clone, Copy)]
pub(crate) struct NapiFlags {
    /// `IFF_NAPI`: written packets go through a NAPI instance and GRO.
    pub(crate) napi: bool,
    /// `IFF_NAPI_FRAGS`: written packets are built as page fragments (`napi_get_frags`).
    pub(crate) frags: bool,
}

impl NapiFlags {
    /// The flags of a `TUNSETIFF` request.
    pub(crate) fn of_request(flags: u32) -> Self {
        let napi = flags & crate::ioctl::IFF_NAPI != 0;
        Self {
            napi,
            frags: napi && flags & crate::ioctl::IFF_NAPI_FRAGS != 0,
        }
    }
}

/// The live and disabled queues of one device.
#[pin_data]
pub(crate) struct QueueSet {
    /// Live queues, indexed by transmit queue number.
    live: RcuArray<Queue>,
    /// Disabled queues.
    disabled_queues: RtnlLocked<KVec<Arc<Queue>>>,
    /// Counts for lockless readers (netlink dumps, steering).
    num_live: Atomic<u32>,
    num_disabled: Atomic<u32>,
}

impl QueueSet {
    /// No queues.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            live: RcuArray::new(),
            disabled_queues: RtnlLocked::new(KVec::new()),
            num_live: Atomic::new(0),
            num_disabled: Atomic::new(0),
        })
    }

    /// Number of live queues.
    pub(crate) fn live(&self) -> u32 {
        self.num_live.load(Relaxed)
    }

    /// Number of disabled queues.
    pub(crate) fn disabled(&self) -> u32 {
        self.num_disabled.load(Relaxed)
    }

    /// The live queues for a reader inside an RCU read section.
    pub(crate) fn read<'g>(&self, section: &RcuSection<'g>) -> &'g [Arc<Queue>] {
        self.live.read(section)
    }

    /// Calls `f` on every queue, live and disabled.
    pub(crate) fn for_each(&self, rtnl: &mut Rtnl, mut f: impl FnMut(&Queue)) {
        self.live.read_rtnl(rtnl).iter().for_each(|q| f(q));
        self.disabled_queues.get_mut(rtnl).iter().for_each(|q| f(q));
    }

    /// The live queues, for an RTNL holder.
    pub(crate) fn read_rtnl<'a>(&'a self, rtnl: &'a Rtnl) -> &'a [Arc<Queue>] {
        self.live.read_rtnl(rtnl)
    }

    /// Makes `q` the last live queue. The stack learns the new count first, so that
    /// `ndo_select_queue` never picks past what it knows (the core warns when it does).
    ///
    /// The stack's receive queue count only grows while the device lives (a high-water
    /// mark; tun.c shrinks it too): a written packet records its queue's index, and one
    /// that waits in an RPS backlog, past any grace period, must still find that index
    /// below the count when generic XDP or RPS reads it.
    fn add_live(&self, dev: &TunDev, q: &Arc<Queue>, rtnl: &mut Rtnl) -> Result {
        let old = self.live();
        let n = old + 1;
        // Not live yet: its ring holds none of this device's packets.
        q.ring.resize(ring_size(dev.tx_queue_len(), n))?;
        dev.grow_real_num_rx_queues(n, rtnl)?;
        dev.set_real_num_tx_queues(n, rtnl)?;
        q.index.store(old, Relaxed);
        q.xdp_rxq.set_queue_index(old, rtnl);
        if let Err(e) = self.live.push(q.clone(), rtnl) {
            let _ = dev.set_real_num_tx_queues(old, rtnl);
            return Err(e);
        }
        self.num_live.store(n, Relaxed);
        // A ring that could not be resized keeps working: only the budget is off.
        let _ = self.share_budget(dev, rtnl);
        Ok(())
    }

    /// Takes `q` out of the live array, if it is there: the last queue moves into its slot.
    /// Cannot fail (a closing file must always get out); the array change allocates
    /// nothing, and the rings that grow afterwards keep their size if they cannot.
    ///
    /// The count `ndo_select_queue` scales to drops before the array shrinks, and the stack
    /// learns the transmit count after the grace period in which every pick made with the
    /// old count has been transmitted (the receive count stays: see `add_live`).
    fn remove_live(&self, dev: &TunDev, q: &Queue, rtnl: &mut Rtnl) {
        let cur = self.live.read_rtnl(rtnl);
        let Some(pos) = cur.iter().position(|e| core::ptr::eq(&**e, q)) else {
            return;
        };
        let last = cur.len() - 1;
        let moved = (pos != last).then(|| cur[last].clone());
        cur[last].index.store(pos as u32, Relaxed);
        cur[last].xdp_rxq.set_queue_index(pos as u32, rtnl);
        self.num_live.store(last as u32, Relaxed);
        self.live.swap_remove(pos, rtnl);
        // Shrinking the stack's count allocates nothing and cannot fail.
        let _ = dev.set_real_num_tx_queues(last as u32, rtnl);
        // Flows of the removed queue, and of the index that no longer exists.
        if let Some(flows) = dev.data().flows() {
            flows.forget_queue(pos as u32);
            flows.forget_queue(last as u32);
        }
        // Rings only grow here; one that cannot keeps its size.
        let _ = self.share_budget(dev, rtnl);
        if let Some(moved) = moved {
            // After the grace period of the array change (in the resize or here).
            backpressure::moved(dev, &moved);
        }
    }

    /// Shares the device's packet budget among the live queues (tun.c gives each ring
    /// `tx_queue_len`): every ring or none is resized, as tun.c's `tun_queue_resize`, with
    /// bottom halves off; what no longer fits is dropped and counted as the device's
    /// transmit drops. On failure the old rings keep working: only the budget is off.
    pub(crate) fn share_budget(&self, dev: &TunDev, rtnl: &Rtnl) -> Result {
        let size = ring_size(dev.tx_queue_len(), self.live());
        let live = self.live.read_rtnl(rtnl);
        let mut rings = KVec::with_capacity(live.len(), GFP_KERNEL)?;
        for q in live {
            rings.push(&q.ring, GFP_KERNEL)?;
        }
        let dropped = Ring::resize_all(&rings, size)?;
        for _ in 0..dropped {
            dev.count_tx_dropped();
        }
        // A grown ring may have room now: no queue may stay stopped for the old size.
        for q in live {
            backpressure::wake_if_room(dev, q);
        }
        Ok(())
    }

    /// Wakes every live queue's transmit queue, stopped or not (`IFF_BACKPRESSURE`).
    pub(crate) fn wake_all(&self, dev: &TunDev, rtnl: &Rtnl) {
        for q in self.live.read_rtnl(rtnl) {
            backpressure::force_wake(dev, q);
        }
    }

    /// Adds a new queue (`TUNSETIFF`). `EBUSY` on a single-queue device that has one,
    /// `E2BIG` when the device has as many queues as it was allocated for.
    pub(crate) fn attach(
        &self,
        dev: &TunDev,
        q: &Arc<Queue>,
        multi: bool,
        skip_filter: bool,
        napi: NapiFlags,
        rtnl: &mut Rtnl,
    ) -> Result {
        self.attach_unpublished(dev, q, multi, skip_filter, napi, rtnl)?;
        self.publish(dev, q, rtnl);
        Ok(())
    }

    /// `attach` without binding the file to the device: for a device being registered,
    /// which `free_netdev` may still free without looking at its references (tun.c's
    /// `tun_attach` with `publish_tun` false, from `tun_net_init`). [`Self::publish`]
    /// binds it once the device is registered; until then the file's reads and writes
    /// find no device. The one reference taken here, the NAPI instance's (`IFF_NAPI`),
    /// is given back by `ndo_uninit` (`delete_all`), which every registration failure
    /// after `ndo_init` runs before the device is freed.
    pub(crate) fn attach_unpublished(
        &self,
        dev: &TunDev,
        q: &Arc<Queue>,
        multi: bool,
        skip_filter: bool,
        napi: NapiFlags,
        rtnl: &mut Rtnl,
    ) -> Result {
        // tun.c's `tun_attach`: the LSM first.
        dev.data().security.may_attach(&q.sock, rtnl)?;
        let total = self.live() + self.disabled();
        if !multi && self.live() >= 1 {
            return Err(EBUSY);
        }
        if total >= dev.num_tx_queues() {
            return Err(E2BIG);
        }
        dev.data().prepare_queue(q, skip_filter, rtnl)?;
        // A file that served a deleted device starts its counters again; before the queue
        // is live, so that no transmit count is lost. Nothing a write to the old device
        // left on the way to the stack may reach this one.
        q.stats.reset();
        q.napi.purge();
        self.add_live(dev, q, rtnl)?;
        // What a program sees of the queue (tun.c registers it for a new file only; a
        // disabled queue keeps it): registered before a write can see the queue bound.
        if let Err(e) = q.xdp_rxq.register(dev, q.index.load(Relaxed), rtnl) {
            self.remove_live(dev, q, rtnl);
            return Err(e);
        }
        q.sock.set_xdp(dev.data().xdp_prog.is_set());
        // The NAPI instance is ready before a write can see the queue bound (tun.c
        // publishes `tfile->tun` last too).
        if napi.napi {
            q.napi.add(dev, napi.frags, rtnl);
        }
        Ok(())
    }

    /// Binds an attached `q` to `dev` (tun.c's `rcu_assign_pointer(tfile->tun, tun)`):
    /// bound once live, so a failed attach leaves the file unattached throughout.
    pub(crate) fn publish(&self, dev: &TunDev, q: &Arc<Queue>, rtnl: &Rtnl) {
        q.bind(dev, rtnl);
        backpressure::force_wake(dev, q);
    }

    /// Re-enables a disabled queue (`TUNSETQUEUE` + `IFF_ATTACH_QUEUE`).
    pub(crate) fn enable(&self, dev: &TunDev, q: &Arc<Queue>, rtnl: &mut Rtnl) -> Result {
        dev.data().security.may_attach(&q.sock, rtnl)?;
        dev.data().prepare_queue(q, false, rtnl)?;
        self.add_live(dev, q, rtnl)?;
        self.remove_disabled(q, rtnl);
        // Enabled before writes see the queue enabled.
        q.napi.enable(rtnl);
        q.set_detached(false, rtnl);
        backpressure::force_wake(dev, q);
        Ok(())
    }

    /// Disables a live queue (`TUNSETQUEUE` + `IFF_DETACH_QUEUE`).
    pub(crate) fn disable(&self, dev: &TunDev, q: &Arc<Queue>, rtnl: &mut Rtnl) -> Result {
        let disabled = self.disabled_queues.get_mut(rtnl);
        disabled.push(q.clone(), GFP_KERNEL)?;
        self.num_disabled.store(disabled.len() as u32, Relaxed);
        // Disabled first: after the grace period in `remove_live`, no write records the
        // queue's stale index in a packet (see rx.rs), so the stack's count may shrink.
        q.set_detached(true, rtnl);
        q.napi.disable(rtnl);
        self.remove_live(dev, q, rtnl);
        q.purge();
        Ok(())
    }

    /// Removes `q` from the device for good (its file closed). Returns the number of
    /// queues, live and disabled, left. Cannot fail.
    pub(crate) fn close(&self, dev: &TunDev, q: &Queue, rtnl: &mut Rtnl) -> u32 {
        if q.is_detached() {
            self.remove_disabled(q, rtnl);
        } else {
            self.remove_live(dev, q, rtnl);
        }
        q.napi.del(rtnl);
        q.unbind(rtnl);
        // The file is closing: no write can run a program on the queue any more.
        q.xdp_rxq.unregister(rtnl);
        q.purge();
        self.live() + self.disabled()
    }

    /// The device is being deleted: unbind every queue, wake its readers and, once no
    /// transmit can reach the rings any more, drop what they hold (tun.c's
    /// `tun_detach_all`): a file that attaches to another device reads none of it.
    pub(crate) fn delete_all(&self, ctx: &mut Unregistering<'_, Device>) {
        for q in self.live.read_rtnl(ctx.rtnl()) {
            q.unbind_unregistering(ctx);
            q.shut_down(ctx.rtnl());
        }
        self.num_disabled.store(0, Relaxed);
        let disabled = core::mem::take(self.disabled_queues.get_mut(ctx.rtnl_mut()));
        for q in disabled.iter() {
            q.unbind_unregistering(ctx);
            q.shut_down(ctx.rtnl());
        }
        // The device is being unregistered: its queue kobjects go with it, so the stack's
        // queue count must not change here (tun.c's `tun_detach_all` leaves it too).
        self.num_live.store(0, Relaxed);
        let live = self.live.take_all(ctx.rtnl_mut());
        for q in Iterator::chain(live.iter(), disabled.iter()) {
            q.napi.del(ctx.rtnl());
            // The core detached the XDP program before `ndo_uninit`, a grace period
            // ago (`BpfSlot::set`): no program runs on these queues any more.
            q.xdp_rxq.unregister(ctx.rtnl());
            q.purge();
        }
    }

    fn remove_disabled(&self, q: &Queue, rtnl: &mut Rtnl) {
        let disabled = self.disabled_queues.get_mut(rtnl);
        if let Some(pos) = disabled.iter().position(|e| core::ptr::eq(&**e, q)) {
            let last = disabled.len() - 1;
            disabled.swap(pos, last);
            disabled.truncate(last);
        }
        self.num_disabled.store(disabled.len() as u32, Relaxed);
    }
}

#[kunit_tests(rtun_queues)]
mod tests {
    use super::*;

    #[test]
    fn single_queue_gets_tx_queue_len() {
        assert_eq!(ring_size(500, 1), 500);
        assert_eq!(ring_size(1000, 0), 1000);
        assert_eq!(ring_size(10, 1), 10);
    }

    #[test]
    fn budget_shared_with_a_floor() {
        assert_eq!(ring_size(500, 2), 256);
        assert_eq!(ring_size(4096, 4), 1024);
        assert_eq!(ring_size(500, 1024), 256);
        // A tiny tx_queue_len is never raised to the floor.
        assert_eq!(ring_size(100, 8), 100);
        // tx_queue_len 0 refuses every packet, as in tun.c.
        assert_eq!(ring_size(0, 1), 0);
        assert_eq!(ring_size(0, 4), 0);
    }
}
