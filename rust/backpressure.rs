// SPDX-License-Identifier: GPL-2.0

//! `IFF_BACKPRESSURE` (Documentation/networking/tuntap.rst §3.4): a queue whose ring is
//! full stops its transmit queue, so the qdisc holds and schedules the packets instead of
//! the driver dropping them; the reader (`read`, or vhost-net through `tun_wake_queue`)
//! wakes it once half the ring is consumed, or the ring is empty.
//!
//! As tun.c: the stop happens under the ring's producer lock and the wake under its
//! consumer lock, with a full barrier on each side between changing one thing and looking
//! at the other, so a stop never misses the room a consumer just made. A queue moved to
//! another slot, attached, or a device brought back all get their transmit queue woken
//! under both locks, which no stop or wake can overlap.

use kernel::sync::atomic::Relaxed;
use kernel::sync::barrier::{smp_mb, Full};

use crate::device::TunDev;
use crate::ioctl;
use crate::net::{
    preempt::BhOff,
    rcu::{self, RcuSection},
    ring::Consumer,
    skb::Skb,
};
use crate::queue::Queue;

/// Whether the device stops queues instead of dropping.
#[inline(always)]
fn enabled(dev: &TunDev) -> bool {
    dev.data().flags() & ioctl::IFF_BACKPRESSURE != 0
}

/// Queues `skb`, sent on transmit queue `index`, on `q`'s ring from the transmit path (as
/// [`Queue::enqueue`]). With backpressure on, a running device and a qdisc to hold
/// packets, that transmit queue is stopped when this packet fills the ring.
///
/// The flag and the device state are looked at again under the producer lock, as tun.c
/// does: a [`force_wake`] after the flag was cleared or the device stopped takes that
/// lock, so a stop cannot come after it on the strength of a stale look.
#[inline(always)]
pub(crate) fn enqueue(
    dev: &TunDev,
    q: &Queue,
    index: u32,
    skb: Skb,
    rcu: &RcuSection<'_>,
    bh: &BhOff<'_>,
) -> Result<(), Skb> {
    // Without the flag, the plain produce (one lock call) is enough.
    let txq = if enabled(dev) {
        dev.tx_queue(index)
    } else {
        None
    };
    let Some(txq) = txq else {
        return q.enqueue(skb);
    };
    q.enqueue_with(skb, bh, |ring| {
        if enabled(dev) && dev.is_running() && !txq.has_no_qdisc(rcu) && ring.is_full() {
            txq.stop();
            // Pairs with the barrier in `consumed`: either the consumer sees the queue
            // stopped, or this sees the room it made.
            smp_mb(Full);
            if !ring.is_full() {
                txq.wake();
            }
        }
    })
}

/// `consumed` packets were just taken off `q`'s ring, whose consumer lock `ring` holds
/// (tun.c's `__tun_wake_queue`): wakes the transmit queue once half the ring has been
/// consumed since it stopped, or the ring is empty.
pub(crate) fn consumed(dev: &TunDev, q: &Queue, ring: &Consumer<'_>, consumed: u32) {
    // A stop by `ndo_stop` is not backpressure: leave it to `ndo_open`.
    if !enabled(dev) || !dev.is_running() {
        return;
    }
    let index = q.index.load(Relaxed);
    // Only the queue in that slot owns its transmit queue (a queue just moved out of
    // it must not wake the one that moved in).
    let owner = rcu::read_section(|rcu: &RcuSection<'_>| {
        dev.data()
            .queues
            .read(rcu)
            .get(index as usize)
            .is_some_and(|e| core::ptr::eq(&**e, q))
    });
    let Some(txq) = dev.tx_queue(index).filter(|_| owner) else {
        return;
    };
    // Pairs with the barrier in `enqueue`.
    smp_mb(Full);
    if txq.is_stopped() {
        // Only touched under the consumer lock.
        let n = q.consumed_since_stop.load(Relaxed) + consumed;
        if n >= ring.size() / 2 || ring.is_empty() {
            txq.wake();
            q.consumed_since_stop.store(0, Relaxed);
        } else {
            q.consumed_since_stop.store(n, Relaxed);
        }
    }
}

/// Wakes `q`'s transmit queue whatever its ring holds (tun.c's `tun_force_wake_queue`):
/// after an attach, a resize, or a `TUNSETIFF` that may have changed the flag, so that no
/// queue stays stopped with nobody owing it a wake.
pub(crate) fn force_wake(dev: &TunDev, q: &Queue) {
    let _both = q.ring.lock_both();
    q.consumed_since_stop.store(0, Relaxed);
    // Under the locks `ndo_stop`'s reset takes, so this cannot undo its stop.
    if dev.is_running() {
        if let Some(txq) = dev.tx_queue(q.index.load(Relaxed)) {
            txq.wake();
        }
    }
}

/// Wakes `q`'s transmit queue if its ring has room (the rings were resized, so a stopped
/// queue may have room now): unlike [`force_wake`], a queue whose ring is still full stays
/// stopped (its reader wakes it), so that no packet is sent into a full ring and dropped.
pub(crate) fn wake_if_room(dev: &TunDev, q: &Queue) {
    let both = q.ring.lock_both();
    if dev.is_running() && !both.is_full() {
        q.consumed_since_stop.store(0, Relaxed);
        if let Some(txq) = dev.tx_queue(q.index.load(Relaxed)) {
            txq.wake();
        }
    }
}

/// `q` moved into the slot of a queue that left (tun.c's `__tun_detach`): its transmit
/// queue may be stopped for the leaver's full ring, so it is woken if `q`'s ring is empty
/// (else the next reads wake it).
pub(crate) fn moved(dev: &TunDev, q: &Queue) {
    let both = q.ring.lock_both();
    q.consumed_since_stop.store(0, Relaxed);
    if dev.is_running() && both.is_empty() {
        if let Some(txq) = dev.tx_queue(q.index.load(Relaxed)) {
            txq.wake();
        }
    }
}

/// `ndo_stop`: the counts restart, so that a device brought back up does not wake early.
pub(crate) fn forget_consumed(q: &Queue) {
    let _both = q.ring.lock_both();
    q.consumed_since_stop.store(0, Relaxed);
}
