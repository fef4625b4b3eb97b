// SPDX-License-Identifier: GPL-2.0

//! Userspace → stack: `write` turns one buffer into one packet of the device and hands it
//! to the stack of the device's network namespace (tun.c's `tun_get_user`).

use kernel::sync::atomic::{Acquire, Relaxed};
use kernel::{iov::IovIterSource, prelude::*};

use crate::device::TunDev;
use crate::ioctl::{self, PI_LEN};
use crate::net::preempt::NoBh;
use crate::net::skb::{self, DropReason, Skb, ZeroCopy};
use crate::net::vnet::VnetHdr;
use crate::net::xdp::{self as net_xdp, BpfNetCtx, XdpBatch, XdpBuff, XdpProg};
use crate::queue::Queue;
use crate::steering::FlowTable;
use crate::xdp;

use crate::ioctl::{ETH_HLEN, ETH_P_IPV6_BE, ETH_P_IP_BE};

/// How much of a written packet of `len` bytes goes in the skb's linear part, as tun.c's
/// `tun_alloc_skb`: all of it when it fits a page; else the headers the virtio-net header
/// announced (`hdr_len`, at most a page's worth, which is also what 0 asks for), but
/// never so little that the rest overflows the fragments.
fn linear_len(len: u32, hdr_len: u32) -> u32 {
    if skb::WRITE_HEADROOM + len < skb::PAGE_SIZE {
        return len;
    }
    let linear = if hdr_len == 0 { skb::MAX_HEAD } else { hdr_len }
        .min(skb::MAX_HEAD)
        .min(len);
    linear.max(len.saturating_sub(skb::MAX_FRAGS_LEN))
}

/// How much of a zero-copy frame of `len` bytes is copied into the linear part (tun.c's
/// `tun_get_user`): the headers the virtio-net header announced, else `GOODCOPY_LEN`,
/// at most a page's worth — and, unlike tun.c, never more than the frame, which would
/// leave the rest of the linear part unwritten in the packet.
fn zero_copy_head(len: u32, hdr_len: u32) -> u32 {
    const GOODCOPY_LEN: u32 = 128;
    let head = if hdr_len == 0 { GOODCOPY_LEN } else { hdr_len };
    head.min(skb::MAX_HEAD).min(len)
}

/// What a write's headers say: the packet's length and protocol, its virtio-net header.
struct Headers {
    /// The packet's length (what follows `tun_pi` and the virtio-net header).
    len: usize,
    /// `tun_pi`'s protocol (big-endian), for a TUN device with `tun_pi`.
    proto: u16,
    /// The virtio-net header: its size, the header, and the header length it announces.
    vnet: Option<(i32, VnetHdr, u32)>,
    /// The device's flags and kind.
    flags: u32,
    tap: bool,
}

/// Reads `tun_pi` and the virtio-net header off `src`, as `tun_get_user` does first.
#[inline(always)]
fn read_headers(dev: &TunDev, src: &mut IovIterSource<'_>) -> Result<Headers> {
    let mut len = src.len();
    let flags = dev.data().flags();
    let mut proto = ETH_P_IP_BE;

    if flags & ioctl::IFF_NO_PI == 0 {
        if len < PI_LEN {
            return Err(EINVAL);
        }
        len -= PI_LEN;
        let mut pi = [0u8; PI_LEN];
        if src.copy_from_iter(&mut pi) != PI_LEN {
            return Err(EFAULT);
        }
        proto = u16::from_ne_bytes([pi[2], pi[3]]);
    }
    let vnet = match dev.data().vnet_hdr_sz() {
        Some(sz) => {
            let (hdr, hdr_len) = VnetHdr::read(sz, flags, src)?;
            len -= sz as usize;
            Some((sz, hdr, hdr_len))
        }
        None => None,
    };
    let hdr_len = vnet.as_ref().map_or(0, |v| v.2 as usize);
    let tap = dev.data().is_tap();
    if tap && (len < ETH_HLEN || (hdr_len != 0 && hdr_len < ETH_HLEN)) {
        return Err(EINVAL);
    }
    Ok(Headers {
        len,
        proto,
        vnet,
        flags,
        tap,
    })
}

/// Why a written packet was refused once built.
enum Refusal {
    /// Dropped (counted as a receive drop), with the writer's error and the reason.
    Dropped(Error, DropReason),
    /// A virtio-net header the packet does not match (counted as a frame error).
    FrameError,
}

impl Refusal {
    /// Counts the refusal; the writer's error.
    fn count(&self, dev: &TunDev) -> Error {
        match *self {
            Refusal::Dropped(e, _) => {
                dev.count_rx_dropped();
                e
            }
            Refusal::FrameError => {
                dev.data().count_rx_frame_error();
                EINVAL
            }
        }
    }
}

/// Readies a filled packet for the stack, as `tun_get_user` does between the copy and
/// the receive: the protocol, the virtio-net header's offloads, the Ethernet header.
#[inline(always)]
fn prepare(dev: &TunDev, skb: &mut Skb, h: &Headers) -> Result<(), Refusal> {
    if h.tap {
        if !skb.may_pull(ETH_HLEN as u32) {
            return Err(Refusal::Dropped(ENOMEM, skb::DROP_HDR_TRUNC));
        }
        // The virtio-net header is applied before eth_type_trans(), with the network
        // header after the Ethernet one, as in tun.c.
        skb.set_network_header(ETH_HLEN as i32);
    } else {
        let mut proto = h.proto;
        if h.flags & ioctl::IFF_NO_PI != 0 {
            // No tun_pi: the IP version nibble says which protocol this is.
            proto = match skb.first_byte().map(|b| b >> 4) {
                Some(4) => ETH_P_IP_BE,
                Some(6) => ETH_P_IPV6_BE,
                _ => return Err(Refusal::Dropped(EINVAL, skb::DROP_NOT_SPECIFIED)),
            };
        }
        skb.set_network_header(0);
        // No link-layer header: the mac header is where the network header is (tun.c sets
        // it in `virtio_net_hdr_to_skb`, which it runs even without a virtio-net header;
        // a TAP's is set by `eth_type_trans`). Left unset, generic XDP reads 64K past the
        // head.
        skb.reset_mac_header();
        skb.set_protocol_be(proto);
    }
    if let Some((sz, hdr, _)) = &h.vnet {
        // tun.c counts these as frame errors, not drops.
        hdr.apply(*sz, h.flags, skb)
            .map_err(|_| Refusal::FrameError)?;
    }
    if h.tap && skb.eth_type_trans(dev).is_err() {
        // Cannot happen after the pull above; refused as that pull's failure would be.
        return Err(Refusal::Dropped(ENOMEM, skb::DROP_HDR_TRUNC));
    }
    skb.set_network_header(0);
    skb.probe_transport_header();
    Ok(())
}

/// `write`/`writev`/`sendmsg`: one packet from `src`, charged to the queue's socket:
/// waits for send-buffer room, or `EAGAIN` with `nonblock`. Returns the bytes consumed.
///
/// With `zero_copy` (vhost-net), the packet's data past its headers stays in the
/// sender's pages when they fit the fragments, and the sender learns from the completion
/// when the packet is freed; otherwise the data is copied and the completion runs at once.
/// A write that fails before the completion is attached leaves it to the sender; one that
/// fails after (`EIO`, device down) has run it, as in tun.c.
pub(crate) fn write(
    q: &Queue,
    dev: &TunDev,
    src: &mut IovIterSource<'_>,
    nonblock: bool,
    more: bool,
    zero_copy: Option<ZeroCopy>,
) -> Result<usize> {
    let total = src.len();
    let h = read_headers(dev, src)?;
    if q.napi.frags_enabled() {
        return write_frags(q, dev, src, &h, zero_copy).map(|()| total);
    }
    let len32 = h.len as u32;
    let hdr_len = h.vnet.as_ref().map_or(0, |v| v.2);
    // With an XDP program, small non-blocking writes run it natively (tun.c's
    // `tun_build_skb`); the rest run it on the skb below. Unlike tun.c, a zero-copy
    // send never goes native, even when its pages would not be pinned: a program that
    // takes the frame there returns before the sender's completion runs (in tun.c too).
    let gso = h.vnet.as_ref().is_some_and(|v| v.1.has_gso());
    let native = zero_copy.is_none() && nonblock && xdp::native_write(q, dev, h.len, gso);
    let pinned_head = zero_copy
        .as_ref()
        .map(|_| zero_copy_head(len32, hdr_len))
        .filter(|&head| skb::zero_copy_fits(src, head));
    let mut skb = if native {
        match xdp::write(q, dev, src, h.len)? {
            Some(skb) => skb,
            None => return Ok(total),
        }
    } else {
        alloc_and_fill(q, dev, src, len32, hdr_len, pinned_head, nonblock)?
    };
    if let Err(refusal) = prepare(dev, &mut skb, &h) {
        let e = refusal.count(dev);
        if let Refusal::Dropped(_, reason) = refusal {
            skb.drop_reason(reason);
        }
        return Err(e);
    }
    // From here on the sender learns the packet's fate from its completion (tun.c's
    // point: every failure before leaves the completion to the sender). A failure after
    // it frees the packet, which runs the completion, so it must not be an error vhost-net
    // retries (EAGAIN, ENOMEM, ENOBUFS): it would reuse a buffer already handed back.
    if let Some(zc) = zero_copy {
        match pinned_head {
            Some(_) => skb.attach_zero_copy(zc),
            None => zc.copied(),
        }
    }

    // One section from the device check to the hand-off (tun.c's rcu_read_lock): a
    // queue unbound or disabled meanwhile waits for it before dropping what it holds.
    let bh = NoBh::new();
    record_queue(q, dev, &mut skb, &bh);
    if !native {
        match xdp::run_generic(dev, skb, &bh) {
            Some(passed) => skb = passed,
            None => return Ok(total),
        }
    }
    if !dev.is_up() {
        dev.count_rx_dropped();
        skb.drop_reason(skb::DROP_DEV_READY);
        return Err(EIO);
    }
    let serves = q.serves(dev, &bh);
    // tun.c: a disabled queue's NAPI instance takes nothing (not counted as a drop);
    // nor does the instance of a queue that left this device meanwhile.
    if q.napi.is_added() && !serves {
        return Err(EBUSY);
    }
    let flow = before_up(q, dev, &mut skb, &bh);
    hand_up(q, dev, skb, more, serves, &bh);
    after_up(q, dev, len32, flow, &bh);
    Ok(total)
}

/// A written packet of `len` bytes in a new skb charged to the queue's socket: its data
/// copied from `src`, or past `pinned_head` bytes left in the sender's pages (zero-copy).
#[inline(always)]
fn alloc_and_fill(
    q: &Queue,
    dev: &TunDev,
    src: &mut IovIterSource<'_>,
    len: u32,
    hdr_len: u32,
    pinned_head: Option<u32>,
    nonblock: bool,
) -> Result<Skb> {
    let mut skb = match pinned_head {
        Some(head) => q
            .sock
            .alloc_zero_copy_skb(dev, skb::WRITE_HEADROOM, head, src, nonblock),
        None => q.sock.alloc_send_skb(
            dev,
            skb::WRITE_HEADROOM,
            linear_len(len, hdr_len),
            len,
            nonblock,
        ),
    }
    // `EPIPE` from a shut-down queue: the device was deleted while this writer held it
    // (`SEND_SHUTDOWN`, which wakes a writer waiting for room). tun.c's writer gets its
    // skb and then finds the device down: `EIO`, as here.
    .map_err(|e| {
        if e == EPIPE && q.shutdown.load(Acquire) {
            EIO
        } else {
            e
        }
    })
    .inspect_err(|&e| {
        // A full send buffer is not a drop (tun.c).
        if e != EAGAIN {
            dev.count_rx_dropped();
        }
    })?;
    if pinned_head.is_none() {
        if let Err(e) = skb.fill_from_iter(src) {
            dev.count_rx_dropped();
            skb.drop_reason(skb::DROP_UCOPY_FAULT);
            return Err(e);
        }
    }
    Ok(skb)
}

/// A write to a queue with `IFF_NAPI_FRAGS` (tun.c): the packet is built in the NAPI
/// instance's own skb, laid out by the writer's segments, and handed to GRO at once.
/// Nothing is charged to the socket, and there is no zero-copy.
fn write_frags(
    q: &Queue,
    dev: &TunDev,
    src: &mut IovIterSource<'_>,
    h: &Headers,
    zero_copy: Option<ZeroCopy>,
) -> Result {
    let mut skb = q
        .napi
        .alloc_frags(h.len as u32, src)
        .inspect_err(|_| dev.count_rx_dropped())?;
    if let Err(e) = skb.fill_from_iter(src) {
        dev.count_rx_dropped();
        skb.drop_reason(skb::DROP_UCOPY_FAULT);
        return Err(e);
    }
    if let Err(refusal) = prepare(dev, &mut skb, h) {
        let e = refusal.count(dev);
        if let Refusal::Dropped(_, reason) = refusal {
            skb.drop_reason(reason);
        }
        return Err(e);
    }
    if let Some(zc) = zero_copy {
        zc.copied();
    }
    // As in `write`: the instance cannot be deleted (nor the queue disabled) between
    // the check and GRO.
    let bh = NoBh::new();
    record_queue(q, dev, &mut skb, &bh);
    let Some(mut skb) = xdp::run_generic(dev, skb, &bh) else {
        return Ok(());
    };
    if !dev.is_up() {
        dev.count_rx_dropped();
        skb.drop_reason(skb::DROP_DEV_READY);
        return Err(EIO);
    }
    if !q.serves(dev, &bh) {
        return Err(EBUSY);
    }
    let flow = before_up(q, dev, &mut skb, &bh);
    if let Err(e) = q.napi.receive_frags(skb, dev, &bh) {
        // Headers past the head are a drop; a busy instance is the writer's to retry.
        if e == ENOMEM {
            dev.count_rx_dropped();
        }
        return Err(e);
    }
    after_up(q, dev, h.len as u32, flow, &bh);
    Ok(())
}

/// What is remembered of a packet on its way up: the flow table and the packet's hash.
type Flow<'a> = Option<(&'a FlowTable, u32)>;

/// Records the queue a written packet came in on, in the bottom-half-off section that
/// hands it to XDP or the stack: as tun.c, the stack (and a generic XDP program) sees it
/// (RPS per rx queue, the transmit queue a forwarding device picks, `rx_queue_index`) —
/// unless the index is past the stack's count, which RPS and XDP warn about. The count
/// shrinks only a grace period after a queue is disabled or moved, so what was checked
/// holds until the stack has the packet.
#[inline(always)]
fn record_queue(q: &Queue, dev: &TunDev, skb: &mut Skb, _bh: &NoBh) {
    let index = q.index.load(Relaxed);
    if !q.is_detached() && index < dev.real_num_rx_queues() {
        skb.record_rx_queue(index as u16);
    }
}

/// Before a written packet goes to the stack from queue `q` (its queue recorded by
/// [`record_queue`] in the same section): its flow's hash, if the flow table is used.
/// In one bottom-half-off section with the receive and [`after_up`].
#[inline(always)]
fn before_up<'a>(q: &Queue, dev: &'a TunDev, skb: &mut Skb, _bh: &NoBh) -> Flow<'a> {
    // Remember which queue serves this flow, so the answers come back to it. Only worth
    // the hash on a multiqueue device with more than one live queue, and unused while a
    // steering program picks the queues.
    let d = dev.data();
    d.flows()
        .filter(|_| d.queues.live() > 1 && !q.is_detached() && !d.steering_prog.is_set())
        .map(|flows| (flows, skb.hash_symmetric()))
}

/// After a written packet of `len` bytes went to the stack from queue `q`: counted, and
/// its flow's queue remembered.
#[inline(always)]
fn after_up(q: &Queue, dev: &TunDev, len: u32, flow: Flow<'_>, bh: &NoBh) {
    q.count_rx(len);
    dev.count_rx(len, bh);
    // In the same section: a queue moved into a hole forgets its old index's flows after
    // a grace period, so no update with that index comes after.
    if let Some((flows, hash)) = flow {
        flows.update(hash, q.index.load(Relaxed));
    }
}

/// Hands a written packet to the stack from queue `q`: through its NAPI instance with
/// `IFF_NAPI` (`more`: the writer has more coming), else batched as ethtool's `rx-frames`
/// asks — but only while the queue `serves` the packet's device: the queue's lists must
/// not keep a packet of a device it no longer serves.
#[inline(always)]
fn hand_up(q: &Queue, dev: &TunDev, skb: Skb, more: bool, serves: bool, bh: &NoBh) {
    let Some(skb) = q.napi.try_queue(skb, more, bh) else {
        return;
    };
    if serves {
        receive_batched(q, dev, skb, more, bh);
    } else {
        dev.receive(skb, bh);
    }
}

/// Hands `skb` to the stack, or holds it while the writer says more come (`more`, from
/// vhost-net's `MSG_MORE`) and fewer than the device's `rx_batched` (ethtool's
/// `rx-frames` coalescing) wait: then all go up at once, in order (tun.c's
/// `tun_rx_batched`).
#[inline(always)]
fn receive_batched(q: &Queue, dev: &TunDev, skb: Skb, more: bool, bh: &NoBh) {
    let limit = dev.data().rx_batched();
    if limit == 0 || (!more && q.napi.backlog_is_empty()) {
        dev.receive(skb, bh);
        return;
    }
    let backlog = q.napi.lock_backlog(bh);
    if more && backlog.len() < limit {
        backlog.push(skb);
        return;
    }
    backlog.take_all(|held| dev.receive(held, bh));
    dev.receive(skb, bh);
}

/// `sendmsg` with a batch of frames in XDP buffers, as vhost-net sends a guest's packets
/// (tun.c's `tun_xdp_one` for each): every frame is consumed, delivered or dropped. Unlike
/// `write`, nothing is charged to the socket (the pages are vhost-net's page fragments)
/// and the device's state is not checked, as in tun.c.
pub(crate) fn write_batch(q: &Queue, dev: &TunDev, batch: XdpBatch<'_>) {
    let bh = NoBh::new();
    let queued = BpfNetCtx::with(&bh, |ctx| write_batch_in(q, dev, batch, ctx, &bh));
    if queued {
        q.napi.schedule();
    }
}

/// The device's program on one frame of a batch, natively: the frame back if it passes.
/// Out of line: the batch loop without a program stays as lean as before XDP.
#[inline(never)]
fn run_native<'a>(
    q: &Queue,
    dev: &TunDev,
    buf: XdpBuff<'a>,
    prog: &XdpProg<'_>,
    ctx: &BpfNetCtx<'_>,
    bh: &NoBh,
    flush: &mut bool,
) -> Option<XdpBuff<'a>> {
    let rcu = bh.rcu();
    let verdict = buf.run(prog, &q.xdp_rxq, dev, ctx, |frame| {
        xdp::transmit(dev, frame, &rcu, &bh.bh_off())
    });
    let (pass, redirected) = xdp::settle(q, dev, verdict, bh);
    *flush |= redirected;
    pass
}

/// [`write_batch`] in its section: returns whether frames wait in the NAPI instance.
fn write_batch_in(
    q: &Queue,
    dev: &TunDev,
    batch: XdpBatch<'_>,
    ctx: &BpfNetCtx<'_>,
    bh: &NoBh,
) -> bool {
    let d = dev.data();
    // A batch always carries a header (vhost-net zeroes it when it handles the header
    // itself): of the device's size, even without IFF_VNET_HDR.
    let sz = d.vnet_hdr_size();
    let flags = d.flags();
    let rcu = bh.rcu();
    let serves = q.serves(dev, bh);
    // The device's XDP program runs on each frame, natively unless it asks for
    // segmentation offload (then on the skb), as in tun.c's `tun_xdp_one`.
    let prog = d.xdp_prog.xdp(&rcu).filter(|_| q.is_bound_to(dev, &rcu));
    let mut queued = false;
    let mut flush = false;
    for buf in batch {
        let len = buf.len();
        if len < ETH_HLEN {
            continue; // Dropped: `buf` frees its page.
        }
        let generic = prog.as_ref().filter(|_| buf.has_gso());
        let buf = match &prog {
            Some(prog) if generic.is_none() => {
                match run_native(q, dev, buf, prog, ctx, bh, &mut flush) {
                    Some(buf) => buf,
                    None => continue,
                }
            }
            _ => buf,
        };
        let mut skb = match buf.into_skb(dev, sz, flags) {
            Ok(skb) => skb,
            Err(e) => {
                // A bad header is a frame error; no memory is not counted (tun.c).
                if e == EINVAL {
                    d.count_rx_frame_error();
                }
                continue;
            }
        };
        if skb.eth_type_trans(dev).is_err() {
            dev.count_rx_dropped();
            skb.drop_reason(skb::DROP_HDR_TRUNC);
            continue;
        }
        skb.set_network_header(0);
        skb.probe_transport_header();
        record_queue(q, dev, &mut skb, bh);
        if let Some(prog) = generic {
            match prog.run_generic(skb, bh) {
                Some(passed) => skb = passed,
                None => continue,
            }
        }
        // With NAPI the batch is polled once it is all queued (the instance of a queue
        // that no longer serves the device takes nothing); without, each frame goes up
        // at once.
        let napi = q.napi.is_added();
        if napi && !serves {
            continue;
        }
        queued |= napi;
        let flow = before_up(q, dev, &mut skb, bh);
        hand_up(q, dev, skb, napi, serves, bh);
        after_up(q, dev, len as u32, flow, bh);
    }
    // Redirected frames leave once for the whole batch (tun.c's `tun_sendmsg`).
    if flush {
        net_xdp::flush(ctx);
    }
    queued
}
