// SPDX-License-Identifier: GPL-2.0

//! One queue: the state of one open `/dev/net/tun` file (tun.c's `struct tun_file`).
//!
//! A queue is owned by its file. While attached, the device's RCU queue array holds a
//! second reference; the datapath reaches the queue only through that array, under RCU.

use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use kernel::{
    fs::File,
    new_mutex,
    prelude::*,
    sync::{aref::ARef, Arc, Mutex},
};

use crate::bindings as b;
use crate::device::{Driver, TunDev};
use crate::net::{
    netdev::NetNs,
    ring::Ring,
    skb::Skb,
    wait::{Fasync, PollTable, WaitQueue},
};

pub(crate) const EPOLLIN: u32 = b::rtun_const_RTUN_EPOLLIN;
pub(crate) const EPOLLOUT: u32 = b::rtun_const_RTUN_EPOLLOUT;
pub(crate) const EPOLLRDNORM: u32 = b::rtun_const_RTUN_EPOLLRDNORM;
pub(crate) const EPOLLWRNORM: u32 = b::rtun_const_RTUN_EPOLLWRNORM;
pub(crate) const EPOLLERR: u32 = b::rtun_const_RTUN_EPOLLERR;

/// Which device a queue belongs to. Changed only under RTNL (and this mutex).
pub(crate) struct Attachment {
    /// The device, while attached or disabled (`TUNSETQUEUE` detach).
    pub(crate) dev: Option<ARef<TunDev>>,
    /// Disabled: still bound to `dev`, but not in its queue array.
    pub(crate) detached: bool,
}

/// One queue of a device: the per-file state.
#[pin_data]
pub(crate) struct Queue {
    /// The driver: link ops for creating and finding devices.
    pub(crate) driver: Arc<Driver>,
    /// The network namespace of the opener, where `TUNSETIFF` looks up and creates.
    pub(crate) net: NetNs,
    /// Packets the device transmitted, waiting for `read`.
    #[pin]
    pub(crate) ring: Ring,
    /// Readers and pollers.
    #[pin]
    pub(crate) wait: WaitQueue,
    /// SIGIO subscribers.
    pub(crate) fasync: Fasync,
    /// Whether SIGIO is on (tun.c's `TUN_FASYNC`).
    pub(crate) fasync_on: AtomicBool,
    /// The device this queue belongs to.
    #[pin]
    pub(crate) attachment: Mutex<Attachment>,
    /// Set when the device goes away under a reader (tun.c's `RCV_SHUTDOWN`).
    pub(crate) shutdown: AtomicBool,
    /// Index in the device's queue array.
    pub(crate) index: AtomicU32,
    /// `TUNSETIFINDEX`: the ifindex for a device this file creates.
    pub(crate) ifindex: AtomicI32,
    /// `TUNSETSNDBUF`.
    pub(crate) sndbuf: AtomicI32,
}

impl Queue {
    /// A new, unattached queue for a file opened in the current netns.
    pub(crate) fn new(driver: Arc<Driver>) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Self {
                driver,
                net: NetNs::current(),
                ring <- Ring::new(1),
                wait <- WaitQueue::new(),
                fasync: Fasync::new(),
                fasync_on: AtomicBool::new(false),
                attachment <- new_mutex!(Attachment { dev: None, detached: false }),
                shutdown: AtomicBool::new(false),
                index: AtomicU32::new(0),
                ifindex: AtomicI32::new(0),
                sndbuf: AtomicI32::new(i32::MAX),
            }),
            GFP_KERNEL,
        )
    }

    /// Sizes the packet ring for a device with this `tx_queue_len`.
    pub(crate) fn ring_resize(&self, len: u32) -> Result {
        self.ring.resize(len)
    }

    /// The device, with a reference for the caller's operation.
    pub(crate) fn device(&self) -> Option<ARef<TunDev>> {
        self.attachment.lock().dev.clone()
    }

    /// The device a non-disabled queue serves (reads and writes need an enabled queue only
    /// for multiqueue semantics; tun.c lets a disabled queue read and write).
    pub(crate) fn device_or_ebadfd(&self) -> Result<ARef<TunDev>> {
        self.device().ok_or(EBADFD)
    }

    /// Queues a packet from the device for `read`; gives it back when the ring is full.
    pub(crate) fn enqueue(&self, skb: Skb) -> Result<(), Skb> {
        self.ring.produce(skb)?;
        if self.fasync_on.load(Ordering::Relaxed) {
            self.fasync.notify_readable();
        }
        self.wait.wake_poll(EPOLLIN | EPOLLRDNORM);
        Ok(())
    }

    /// Waits for a packet (or not, with `nonblock`).
    pub(crate) fn dequeue(&self, nonblock: bool) -> Result<Skb> {
        if let Some(skb) = self.ring.consume() {
            return Ok(skb);
        }
        if nonblock {
            return Err(EAGAIN);
        }
        self.wait.wait_interruptible(|| {
            if let Some(skb) = self.ring.consume() {
                return Some(Ok(skb));
            }
            // tun.c: a reader whose device went away gets EFAULT.
            if self.shutdown.load(Ordering::Acquire) {
                return Some(Err(EFAULT));
            }
            None
        })?
    }

    /// The device is going away: wake every reader so it can return.
    pub(crate) fn shut_down(&self) {
        self.shutdown.store(true, Ordering::Release);
        self.wait.wake_poll(EPOLLIN | EPOLLRDNORM | EPOLLERR);
    }

    /// `poll`: readable when a packet is queued, writable while the device is up.
    pub(crate) fn poll(&self, file: &File, table: &PollTable<'_>) -> u32 {
        let Some(dev) = self.device() else {
            return EPOLLERR;
        };
        self.wait.poll_wait(file, table);
        let mut mask = 0;
        if !self.ring.is_empty() {
            mask |= EPOLLIN | EPOLLRDNORM;
        }
        if dev.flags() & b::net_device_flags_IFF_UP != 0 {
            mask |= EPOLLOUT | EPOLLWRNORM;
        }
        if !dev.is_registered() {
            mask = EPOLLERR;
        }
        mask
    }
}
