// SPDX-License-Identifier: GPL-2.0

//! Stack → userspace: `ndo_start_xmit` puts the packet on its queue's ring; `read` takes
//! it off and copies it out, with a `struct tun_pi` in front unless `IFF_NO_PI`.

use kernel::{iov::IovIterDest, prelude::*};

use crate::backpressure;
use crate::device::{Device, TunDev};
use crate::ioctl::{self, PI_LEN, VLAN_HLEN};
use crate::net::netdev_ops::Xmit;
use crate::net::preempt::BhOff;
use crate::net::rcu::RcuSection;
use crate::net::ring::Entry;
use crate::net::skb::{self, DropReason, Skb};
use crate::net::vnet;
use crate::net::xdp::XdpFrame;
use crate::queue::Queue;

/// `ndo_start_xmit`: queue `skb` for the reader of its queue, or drop it.
pub(crate) fn xmit(dev: &TunDev, mut skb: Skb, rcu: &RcuSection<'_>, bh: &BhOff<'_>) -> Xmit {
    let index = usize::from(skb.queue_mapping());
    let d = dev.data();
    let verdict = match d.queues.read(rcu).get(index) {
        Some(q) => filter(d, q, rcu, &mut skb).map(|()| q),
        None => Err(skb::DROP_DEV_READY),
    };
    let dropped = match verdict {
        Ok(q) => {
            // The packet may wait in the ring indefinitely: don't hold the sender's socket.
            match skb.prepare_to_queue() {
                Ok(()) => backpressure::enqueue(dev, q, index as u32, skb, rcu, bh)
                    .err()
                    .map(|skb| (skb, skb::DROP_FULL_RING)),
                Err(_) => Some((skb, skb::DROP_UCOPY_FAULT)),
            }
        }
        Err(reason) => Some((skb, reason)),
    };
    match dropped {
        Some((skb, reason)) => {
            dev.count_tx_dropped();
            skb.tx_drop(reason);
            Xmit::Dropped
        }
        None => Xmit::Queued,
    }
}

/// The filters of tun.c's `tun_net_xmit`, in its order: the TAP address filter, the
/// classic filter on the queue's socket (`sk_filter`: 0 drops, else the packet is cut to
/// that length, at least 1 byte), then the `TUNSETFILTEREBPF` program (0 drops, else cut).
fn filter(d: &Device, q: &Queue, rcu: &RcuSection<'_>, skb: &mut Skb) -> Result<(), DropReason> {
    // Only TAP devices can have one (TUNSETTXFILTER refuses TUN).
    if d.tx_filter.is_on() {
        let accepted = skb.eth_dest().is_none_or(|dest| d.tx_filter.accepts(&dest));
        if !accepted {
            return Err(skb::DROP_TAP_TXFILTER);
        }
    }
    q.sock.run_filter(skb)?;
    match d.filter_prog.run(rcu, skb) {
        None => Ok(()),
        Some(0) => Err(skb::DROP_TAP_FILTER),
        Some(len) => skb.trim(len).map_err(|_| skb::DROP_NOMEM),
    }
}

/// `read`/`readv`: one packet into `dest`. Returns the bytes read; a packet longer than
/// `dest` is cut (with `TUN_PKT_STRIP` in its `tun_pi`), the rest is dropped.
#[inline]
pub(crate) fn read(
    q: &Queue,
    dev: &TunDev,
    dest: &mut IovIterDest<'_>,
    nonblock: bool,
) -> Result<usize> {
    let room = dest.len();
    if room == 0 {
        return Ok(0);
    }
    let entry = q.dequeue(dev, nonblock)?;
    // tun.c: the full length is capped to what the caller asked for.
    put_entry(q, dev, entry, dest).map(|n| n.min(room))
}

/// Copies a ring entry out to the reader and frees it (consumed, or dropped on error).
fn put_entry(q: &Queue, dev: &TunDev, entry: Entry, dest: &mut IovIterDest<'_>) -> Result<usize> {
    let skb = match entry {
        Entry::Skb(skb) => skb,
        // Freed when it drops, whatever the outcome.
        Entry::Frame(frame) => return put_frame(q, dev, &frame, dest),
    };
    match put_user(q, dev, &skb, dest) {
        Ok(n) => {
            skb.consume();
            Ok(n)
        }
        Err(e) => {
            skb.drop_reason(skb::DROP_NOT_SPECIFIED);
            Err(e)
        }
    }
}

/// tun.c's `tun_put_user_xdp`: an XDP frame, with an all-zero virtio-net header in
/// front if the device has them, and never a `tun_pi`. Returns what was copied.
fn put_frame(
    q: &Queue,
    dev: &TunDev,
    frame: &XdpFrame,
    dest: &mut IovIterDest<'_>,
) -> Result<usize> {
    let mut hdr = 0;
    if let Some(sz) = dev.data().vnet_hdr_sz() {
        vnet::write_zeroed(sz, dest)?;
        hdr = sz as usize;
    }
    let n = dest.copy_to_iter(frame.data()) + hdr;
    dev.count_tx(n as u32);
    q.count_tx(n as u32);
    Ok(n)
}

/// `recvmsg` (vhost-net): one packet into `dest` — `entry`, which the caller already
/// took off the ring, or else the next one. Returns the packet's full length, as tun.c's
/// `tun_do_read` (the caller reports a longer one as truncated).
pub(crate) fn recv(
    q: &Queue,
    dev: &TunDev,
    dest: &mut IovIterDest<'_>,
    nonblock: bool,
    entry: Option<Entry>,
) -> Result<usize> {
    // tun.c: nothing to read into takes nothing off the ring (a given entry is freed).
    if dest.is_empty() {
        return Ok(0);
    }
    let entry = match entry {
        Some(entry) => entry,
        None => q.dequeue(dev, nonblock)?,
    };
    put_entry(q, dev, entry, dest)
}

/// tun.c's `tun_put_user`: `tun_pi`, virtio-net header, then the packet with its VLAN
/// tag (if the stack kept it out of the data) put back after the MAC addresses.
///
/// Only a fault on `tun_pi` or the virtio-net header fails the read. A fault in the packet
/// data ends the copy early and the read still returns the packet's length, as in tun.c
/// (the packet is consumed either way).
fn put_user(q: &Queue, dev: &TunDev, skb: &Skb, dest: &mut IovIterDest<'_>) -> Result<usize> {
    let d = dev.data();
    let vlan = skb.vlan_tag();
    let vlan_hlen = if vlan.is_some() { VLAN_HLEN } else { 0 };
    let vnet_sz = d.vnet_hdr_sz();
    let len = skb.len() as usize;
    let mut total = len + vlan_hlen + vnet_sz.unwrap_or(0) as usize;
    if d.flags() & ioctl::IFF_NO_PI == 0 {
        if dest.len() < PI_LEN {
            return Err(EINVAL);
        }
        total += PI_LEN;
        let flags = if dest.len() < total {
            ioctl::TUN_PKT_STRIP
        } else {
            0
        };
        let mut pi = [0u8; PI_LEN];
        pi[..2].copy_from_slice(&flags.to_ne_bytes());
        // `skb->protocol` is already big-endian: copy its bytes as they are.
        pi[2..].copy_from_slice(&skb.protocol_be().to_ne_bytes());
        if dest.copy_to_iter(&pi) != PI_LEN {
            return Err(EFAULT);
        }
    }
    if let Some(sz) = vnet_sz {
        vnet::write(sz, d.flags(), dev, skb, dest)?;
    }
    copy_packet(skb, vlan, dest);
    dev.count_tx((len + vlan_hlen) as u32);
    q.count_tx((len + vlan_hlen) as u32);
    Ok(total)
}

/// The packet data into `dest`, with the VLAN tag put back after the MAC addresses;
/// stops at the first fault or when `dest` is full.
fn copy_packet(skb: &Skb, vlan: Option<(u16, u16)>, dest: &mut IovIterDest<'_>) {
    let len = skb.len() as usize;
    let mut offset = 0;
    if let Some((proto, tci)) = vlan {
        // Destination and source MAC, then the 802.1Q header, then the rest.
        const MACS: usize = 12;
        let n = MACS.min(dest.len()).min(len);
        if skb.copy_to_iter(0, dest, n as u32).is_err() || dest.is_empty() || n < MACS {
            return;
        }
        offset = n;
        let mut tag = [0u8; VLAN_HLEN];
        tag[..2].copy_from_slice(&proto.to_ne_bytes());
        tag[2..].copy_from_slice(&tci.to_be_bytes());
        let m = VLAN_HLEN.min(dest.len());
        if dest.copy_to_iter(&tag[..m]) != VLAN_HLEN || dest.is_empty() {
            return;
        }
    }
    let n = (len - offset).min(dest.len());
    // A fault here is not the reader's error (tun.c ignores it too).
    let _ = skb.copy_to_iter(offset as u32, dest, n as u32);
}
