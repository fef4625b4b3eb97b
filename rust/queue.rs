// SPDX-License-Identifier: GPL-2.0

//! One queue: the state of one open `/dev/net/tun` file (tun.c's `struct tun_file`).
//!
//! A queue is owned by its file. While attached, the device's RCU queue array holds a
//! second reference; the datapath reaches the queue only through that array, under RCU.

use kernel::sync::atomic::{Acquire, Atomic, Relaxed, Release};
use kernel::{
    fs::File,
    prelude::*,
    sync::{aref::ARef, Arc},
};

use crate::backpressure;
use crate::device::{Device, TunDev};
use crate::net::{
    dev_ref::RcuDevRef,
    napi::Napi,
    netdev::Unregistering,
    netns::NetNs,
    preempt::{BhOff, NoBh},
    rcu::RcuSection,
    ring::{Entry, Producer, Ring},
    rtnl::Rtnl,
    skb::Skb,
    sock::{Proto, QueueSock, SockSetup},
    wait::{PollTable, EPOLLERR, EPOLLIN, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM},
    xdp::{XdpFrame, XdpRxq, XdpXmitFrames},
};
use crate::Driver;

/// The protocol of the queues' sockets (tun.c's `tun_proto`, there called "tun"): each
/// socket holds a reference on this module.
static QSOCK_PROTO: Proto =
    Proto::new(c"rtun", kernel::module::this_module::<crate::LocalModule>());

/// tun_chr_open()'s choices for a queue's socket: an unbounded send buffer (until
/// `TUNSETSNDBUF`, or the device's value on attach), tun's write-space wakeup, and
/// zero-copy sends, which vhost-net makes (`TUN_MSG_UBUF`).
const QSOCK_SETUP: SockSetup = SockSetup {
    proto: &QSOCK_PROTO,
    sndbuf: i32::MAX,
    wake_on_write_space: true,
    zero_copy: true,
};

/// One queue of a device: the per-file state.
#[pin_data]
pub(crate) struct Queue {
    /// The driver: link ops for creating and finding devices.
    pub(crate) driver: Arc<Driver>,
    /// The network namespace of the opener, where `TUNSETIFF` looks up and creates.
    pub(crate) net: NetNs,
    /// Packets the device transmitted, and frames redirected into it, waiting for `read`.
    #[pin]
    pub(crate) ring: Ring,
    /// What an XDP program running on this queue's written packets sees of the queue.
    #[pin]
    pub(crate) xdp_rxq: XdpRxq,
    /// The queue's socket: send-buffer accounting, the wait queue of readers, writers and
    /// pollers, and the SIGIO subscribers.
    pub(crate) sock: QueueSock,
    /// Whether SIGIO is on (tun.c's `TUN_FASYNC`).
    pub(crate) fasync_on: Atomic<bool>,
    /// The device, while attached or disabled; set and cleared under RTNL, read
    /// locklessly by every operation on the file.
    dev: RcuDevRef<Device>,
    /// Disabled (`TUNSETQUEUE` detach): still bound to `dev`, but not in its queue
    /// array. Changed under RTNL.
    detached: Atomic<bool>,
    /// Set when the device goes away under a reader (tun.c's `RCV_SHUTDOWN`).
    pub(crate) shutdown: Atomic<bool>,
    /// Index in the device's queue array.
    pub(crate) index: Atomic<u32>,
    /// `TUNSETIFINDEX`: the ifindex for a device this file creates.
    pub(crate) ifindex: Atomic<i32>,
    /// Per-queue counters (`ethtool -S`).
    pub(crate) stats: QueueStats,
    /// The NAPI instance written packets go through when the queue attached with
    /// `IFF_NAPI`.
    pub(crate) napi: Napi,
    /// Packets consumed since the transmit queue was stopped for a full ring
    /// (`IFF_BACKPRESSURE`, tun.c's `cons_cnt`); only touched under the ring's consumer
    /// lock.
    pub(crate) consumed_since_stop: Atomic<u32>,
}

/// Packet counters of one queue. Relaxed atomics: each is exact, the set is not a snapshot.
pub(crate) struct QueueStats {
    /// Packets and bytes written by userspace into the stack.
    pub(crate) rx_packets: Atomic<u64>,
    pub(crate) rx_bytes: Atomic<u64>,
    /// Packets and bytes read by userspace from the stack.
    pub(crate) tx_packets: Atomic<u64>,
    pub(crate) tx_bytes: Atomic<u64>,
    /// Packets the stack sent that were dropped because the ring was full.
    pub(crate) tx_dropped: Atomic<u64>,
}

impl QueueStats {
    /// Every counter at zero (by hand: the kernel crate's `Atomic` has no `Default`).
    pub(crate) const fn new() -> Self {
        Self {
            rx_packets: Atomic::new(0),
            rx_bytes: Atomic::new(0),
            tx_packets: Atomic::new(0),
            tx_bytes: Atomic::new(0),
            tx_dropped: Atomic::new(0),
        }
    }

    /// Every counter back to zero.
    pub(crate) fn reset(&self) {
        for c in [
            &self.rx_packets,
            &self.rx_bytes,
            &self.tx_packets,
            &self.tx_bytes,
            &self.tx_dropped,
        ] {
            c.store(0, Relaxed);
        }
    }

    /// The counters in `ethtool -S` order (see `STAT_NAMES`).
    pub(crate) fn values(&self) -> [u64; 5] {
        [
            self.rx_packets.load(Relaxed),
            self.rx_bytes.load(Relaxed),
            self.tx_packets.load(Relaxed),
            self.tx_bytes.load(Relaxed),
            self.tx_dropped.load(Relaxed),
        ]
    }
}

/// Names of the per-queue counters, in `QueueStats::values` order.
pub(crate) const STAT_NAMES: [&str; 5] = [
    "rx_packets",
    "rx_bytes",
    "tx_packets",
    "tx_bytes",
    "tx_dropped",
];

impl Queue {
    /// A new, unattached queue for `file`, opened in the current netns.
    pub(crate) fn new(driver: Arc<Driver>, file: &File) -> Result<Arc<Self>> {
        let net = NetNs::current();
        let sock = QueueSock::new::<Self>(&net, file, &QSOCK_SETUP)?;
        let napi = Napi::new()?;
        Arc::pin_init(
            try_pin_init!(Self {
                driver,
                net,
                sock,
                ring <- Ring::new(1),
                xdp_rxq <- XdpRxq::new(),
                fasync_on: Atomic::new(false),
                dev: RcuDevRef::new(),
                detached: Atomic::new(false),
                shutdown: Atomic::new(false),
                index: Atomic::new(0),
                ifindex: Atomic::new(0),
                stats: QueueStats::new(),
                consumed_since_stop: Atomic::new(0),
                napi,
            }),
            GFP_KERNEL,
        )
    }

    /// Binds the queue to `dev`, enabled.
    pub(crate) fn bind(&self, dev: &TunDev, rtnl: &Rtnl) {
        self.detached.store(false, Relaxed);
        self.shutdown.store(false, Release);
        self.sock.reopen(rtnl);
        self.dev.set(dev, rtnl);
    }

    /// Unbinds the queue from its device.
    pub(crate) fn unbind(&self, rtnl: &Rtnl) {
        self.dev.clear(rtnl);
        self.detached.store(false, Relaxed);
    }

    /// Unbinds the queue from the device being unregistered.
    pub(crate) fn unbind_unregistering(&self, ctx: &Unregistering<'_, Device>) {
        self.dev.clear_unregistering(ctx);
        self.detached.store(false, Relaxed);
    }

    /// Marks the queue disabled or enabled.
    pub(crate) fn set_detached(&self, detached: bool, _rtnl: &Rtnl) {
        // Release: a writer that sees the queue enabled sees its index too (rx.rs).
        self.detached.store(detached, Release);
    }

    /// Whether the queue is disabled (`TUNSETQUEUE` detach).
    pub(crate) fn is_detached(&self) -> bool {
        self.detached.load(Acquire)
    }

    /// The device, with a reference for the caller's operation (tun.c's `tun_get`).
    pub(crate) fn device(&self) -> Option<ARef<TunDev>> {
        self.dev.get()
    }

    /// Whether the queue is still bound to `dev` and enabled, seen from the section in
    /// which a written packet of `dev` goes on: unbinding and disabling wait for a grace
    /// period before they drop what the queue holds, so a packet handed on after this
    /// said yes is dropped with the rest, never left for the next device.
    #[inline]
    pub(crate) fn serves(&self, dev: &TunDev, bh: &NoBh) -> bool {
        self.dev.holds(dev, &bh.rcu()) && !self.is_detached()
    }

    /// The device slot, for code that checks the binding inside its own section.
    pub(crate) fn dev_ref(&self) -> &RcuDevRef<Device> {
        &self.dev
    }

    /// Whether the queue is bound to `dev` (enabled or disabled), seen from `rcu`: an
    /// unbound queue stays so for the rest of the section's grace period.
    pub(crate) fn is_bound_to(&self, dev: &TunDev, rcu: &RcuSection<'_>) -> bool {
        self.dev.holds(dev, rcu)
    }

    /// The device a non-disabled queue serves (reads and writes need an enabled queue only
    /// for multiqueue semantics; tun.c lets a disabled queue read and write).
    pub(crate) fn device_or_ebadfd(&self) -> Result<ARef<TunDev>> {
        self.device().ok_or(EBADFD)
    }

    /// Counts a packet this queue's file wrote into the stack.
    pub(crate) fn count_rx(&self, len: u32) {
        self.stats.rx_packets.add(1, Relaxed);
        self.stats.rx_bytes.add(u64::from(len), Relaxed);
    }

    /// Counts a packet this queue's file read.
    pub(crate) fn count_tx(&self, len: u32) {
        self.stats.tx_packets.add(1, Relaxed);
        self.stats.tx_bytes.add(u64::from(len), Relaxed);
    }

    /// Queues a packet from the device for `read`; gives it back when the ring is full.
    pub(crate) fn enqueue(&self, skb: Skb) -> Result<(), Skb> {
        let queued = self.ring.produce(skb);
        self.queued(queued)
    }

    /// As [`Queue::enqueue`], then calls `then` under the same producer lock.
    pub(crate) fn enqueue_with(
        &self,
        skb: Skb,
        bh: &BhOff<'_>,
        then: impl FnOnce(&Producer<'_>),
    ) -> Result<(), Skb> {
        let queued = {
            let ring = self.ring.lock_producer(bh);
            let queued = ring.produce(skb);
            then(&ring);
            queued
        };
        self.queued(queued)
    }

    /// Counts a drop, or tells the readers a packet came.
    fn queued(&self, queued: Result<(), Skb>) -> Result<(), Skb> {
        if let Err(skb) = queued {
            self.stats.tx_dropped.add(1, Relaxed);
            return Err(skb);
        }
        self.notify_readable();
        Ok(())
    }

    /// Tells the readers (and SIGIO subscribers) that packets came.
    #[inline]
    pub(crate) fn notify_readable(&self) {
        if self.fasync_on.load(Relaxed) {
            self.sock.fasync().notify_readable();
        }
        self.sock.wait().wake_poll(EPOLLIN | EPOLLRDNORM);
    }

    /// Queues XDP frames for the reader, in order, until the ring is full: returns how
    /// many it took (the rest stay the caller's). Readers are not told: the caller
    /// flushes with [`Queue::notify_readable`] (tun.c's `tun_xdp_xmit`).
    pub(crate) fn enqueue_frames(&self, frames: XdpXmitFrames<'_>, bh: &BhOff<'_>) -> u32 {
        let total = frames.len();
        let ring = self.ring.lock_producer(bh);
        let taken = frames.take_while(|frame| ring.produce_frame(frame));
        if (taken as usize) < total {
            self.stats.tx_dropped.add(1, Relaxed);
        }
        taken
    }

    /// Queues one XDP frame for the reader (`XDP_TX`); hands it back when the ring is
    /// full. Readers are not told, as for [`Queue::enqueue_frames`].
    pub(crate) fn enqueue_frame(&self, frame: XdpFrame, bh: &BhOff<'_>) -> Result<(), XdpFrame> {
        let queued = self.ring.lock_producer(bh).produce_frame(frame);
        if queued.is_err() {
            self.stats.tx_dropped.add(1, Relaxed);
        }
        queued
    }

    /// Drops every packet the queue holds: for the reader (the ring) and on the way to
    /// the stack (the backlog), as tun.c's `tun_queue_purge`.
    pub(crate) fn purge(&self) {
        self.ring.purge();
        self.napi.purge();
    }

    /// Takes the next packet of `dev`, if any; with `IFF_BACKPRESSURE`, under the
    /// consumer lock that the wake of the transmit queue needs.
    #[inline(always)]
    fn take(&self, dev: &TunDev) -> Option<Entry> {
        if dev.data().flags() & crate::ioctl::IFF_BACKPRESSURE == 0 {
            return self.ring.consume();
        }
        let ring = self.ring.lock_consumer();
        let skb = ring.consume()?;
        backpressure::consumed(dev, self, &ring, 1);
        Some(skb)
    }

    /// Waits for a packet of `dev` (or not, with `nonblock`).
    ///
    /// Inlined into the read paths: a packet that is there costs no call, and the wait
    /// (with its stack frame) is out of line.
    #[inline(always)]
    pub(crate) fn dequeue(&self, dev: &TunDev, nonblock: bool) -> Result<Entry> {
        if let Some(skb) = self.take(dev) {
            return Ok(skb);
        }
        self.dequeue_slow(dev, nonblock)
    }

    /// [`Queue::dequeue`] when the ring was empty: `EAGAIN`, or wait.
    #[inline(never)]
    fn dequeue_slow(&self, dev: &TunDev, nonblock: bool) -> Result<Entry> {
        if nonblock {
            return Err(EAGAIN);
        }
        self.sock.wait().wait_interruptible(|| {
            if let Some(skb) = self.take(dev) {
                return Some(Ok(skb));
            }
            // tun.c: a reader whose device went away gets EFAULT.
            if self.shutdown.load(Acquire) {
                return Some(Err(EFAULT));
            }
            None
        })?
    }

    /// The device is going away: wake every reader so it can return.
    pub(crate) fn shut_down(&self, rtnl: &Rtnl) {
        self.shutdown.store(true, Release);
        self.sock.shut_down(rtnl);
        self.sock.wait().wake_poll(EPOLLIN | EPOLLRDNORM | EPOLLERR);
    }

    /// Write space came (the device came up): wake the pollers that found none, with
    /// `EPOLLOUT` and `SIGIO`/`POLL_OUT` (tun.c's `tun_sock_write_space`).
    pub(crate) fn write_space(&self) {
        self.sock.write_space();
    }

    /// `poll`: readable when a packet is queued, writable while the device is up.
    pub(crate) fn poll(&self, file: &File, table: &PollTable<'_>) -> u32 {
        let Some(dev) = self.device() else {
            return EPOLLERR;
        };
        self.sock.wait().poll_wait(file, table);
        let mut mask = 0;
        if !self.ring.is_empty() {
            mask |= EPOLLIN | EPOLLRDNORM;
        }
        // As tun.c: not writable, so mark the wakeup owed and look again, which pairs with
        // `write_space` when room frees or after IFF_UP is set: either this sees room and
        // the device up, or the wakeup comes.
        let writable = || dev.is_up() && self.sock.writeable();
        if writable() || (!self.sock.set_nospace() && writable()) {
            mask |= EPOLLOUT | EPOLLWRNORM;
        }
        if !dev.is_registered() {
            mask = EPOLLERR;
        }
        mask
    }
}
