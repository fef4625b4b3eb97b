// SPDX-License-Identifier: GPL-2.0

//! XDP on a TAP device, as tun.c does it (`tun_xdp_set`, `tun_build_skb`, `tun_xdp_act`,
//! `tun_xdp_xmit`).
//!
//! The program the core attaches (`ndo_bpf`) runs on the packets userspace *writes*: a
//! small frame written to a non-blocking file whose socket has no send-buffer limit is
//! built in a page fragment with XDP's headroom and the program runs on it natively
//! (`XDP_TX` and `XDP_REDIRECT` then never build an skb); every other write runs it on
//! the skb, as generic XDP. Frames redirected into the device (`ndo_xdp_xmit`) wait in a
//! queue's ring, tagged, and are read like packets.

use kernel::{iov::IovIterSource, prelude::*, sync::Arc};

use crate::device::TunDev;
use crate::net::{
    bpf::BpfProg,
    preempt::{BhOff, NoBh},
    rcu::RcuSection,
    rtnl::Rtnl,
    skb::Skb,
    xdp::{self, BufBytes, WrittenVerdict, XdpBuff, XdpFrame, XdpVerdict, XdpXmitFrames},
};
use crate::queue::Queue;

/// `ndo_bpf`'s `XDP_SETUP_PROG`: `prog` becomes the device's program, and every queue's
/// socket says whether there is one (`SOCK_XDP`, which vhost-net reads).
pub(crate) fn set_prog(dev: &TunDev, prog: Option<BpfProg>, rtnl: &mut Rtnl) {
    let on = prog.is_some();
    let d = dev.data();
    d.xdp_prog.set(prog, rtnl);
    d.queues.for_each(rtnl, |q| q.sock.set_xdp(on));
}

/// Whether a write of `len` bytes takes the native path (tun.c's `tun_can_build_skb`,
/// with a program set): TAP, no send-buffer limit, non-blocking, not zero-copy (the
/// caller checked those two), small enough for one page, and no segmentation offload.
pub(crate) fn native_write(q: &Queue, dev: &TunDev, len: usize, gso: bool) -> bool {
    let d = dev.data();
    d.is_tap() && !gso && d.xdp_prog.is_set() && q.sock.sndbuf() == i32::MAX && xdp::frag_fits(len)
}

/// A written frame of `len` bytes, through the device's program natively: the packet
/// for the stack when the program passes it (or is gone meanwhile), `None` when it took
/// it (dropped, transmitted, redirected). Errors count as receive drops, as in tun.c.
pub(crate) fn write(
    q: &Queue,
    dev: &TunDev,
    src: &mut IovIterSource<'_>,
    len: usize,
) -> Result<Option<Skb>> {
    xdp::run_written(
        src,
        len,
        &dev.data().xdp_prog,
        &q.xdp_rxq,
        q.dev_ref(),
        dev,
        &q.sock,
        |frame, rcu, bh| transmit(dev, frame, rcu, bh),
        |verdict, bh| match verdict {
            WrittenVerdict::Redirected(Ok(len)) | WrittenVerdict::Transmitted(Ok(len)) => {
                received(q, dev, len, bh)
            }
            _ => dev.count_rx_dropped(),
        },
    )
    .inspect_err(|_| dev.count_rx_dropped())
}

/// Counts what a program's verdict came to (tun.c's `tun_xdp_act`): the buffer back if
/// the program passed it, and whether a redirect awaits the flush.
pub(crate) fn settle<'a, O: BufBytes>(
    q: &Queue,
    dev: &TunDev,
    verdict: XdpVerdict<'a, O>,
    bh: &NoBh,
) -> (Option<XdpBuff<'a, O>>, bool) {
    match verdict {
        XdpVerdict::Pass(buf) => return (Some(buf), false),
        XdpVerdict::Redirected(Ok(len)) => {
            received(q, dev, len, bh);
            return (None, true);
        }
        XdpVerdict::Transmitted(Ok(len)) => received(q, dev, len, bh),
        XdpVerdict::Redirected(Err(_)) | XdpVerdict::Transmitted(Err(_)) | XdpVerdict::Dropped => {
            dev.count_rx_dropped();
        }
    }
    (None, false)
}

/// A frame the program sent on (transmitted or redirected) counts as received.
fn received(q: &Queue, dev: &TunDev, len: u32, bh: &NoBh) {
    dev.count_rx(len, bh);
    q.count_rx(len);
}

/// Generic XDP on a written packet when the device has a program (tun.c's `skb_xdp`
/// path): the packet back if it passes, else `None` (the core took it).
///
/// Always inlined: the test for a program is the whole cost without one, and LLVM stopped
/// inlining it once the crate changed elsewhere (+21 instructions per written packet).
#[inline(always)]
pub(crate) fn run_generic(dev: &TunDev, skb: Skb, bh: &NoBh) -> Option<Skb> {
    let rcu = bh.rcu();
    match dev.data().xdp_prog.xdp(&rcu) {
        Some(prog) => prog.run_generic(skb, bh),
        None => Some(skb),
    }
}

/// The live queue that takes frames sent into `dev` on this CPU (tun.c: the CPU number
/// modulo the live queues).
fn frame_queue<'g>(dev: &TunDev, rcu: &RcuSection<'g>, bh: &BhOff<'_>) -> Option<&'g Arc<Queue>> {
    let queues = dev.data().queues.read(rcu);
    if queues.is_empty() {
        return None;
    }
    queues.get(bh.cpu() as usize % queues.len())
}

/// `XDP_TX`: `frame` to a reader of `dev` (tun.c's `tun_xdp_tx`), or freed when the
/// ring is full (a transmit drop); `ENXIO` (freed too) when the device has no live queue.
pub(crate) fn transmit(
    dev: &TunDev,
    frame: XdpFrame,
    rcu: &RcuSection<'_>,
    bh: &BhOff<'_>,
) -> Result {
    let q = frame_queue(dev, rcu, bh).ok_or(ENXIO)?;
    if q.enqueue_frame(frame, bh).is_err() {
        dev.count_tx_dropped();
    }
    q.notify_readable();
    Ok(())
}

/// `ndo_xdp_xmit`: frames redirected into `dev` go to one queue's ring, as many as fit;
/// `ENXIO` with no queue (the caller frees them all).
pub(crate) fn xmit(
    dev: &TunDev,
    frames: XdpXmitFrames<'_>,
    flush: bool,
    rcu: &RcuSection<'_>,
    bh: &BhOff<'_>,
) -> Result<u32> {
    let q = frame_queue(dev, rcu, bh).ok_or(ENXIO)?;
    let total = frames.len();
    let taken = q.enqueue_frames(frames, bh);
    if (taken as usize) < total {
        dev.count_tx_dropped();
    }
    if flush {
        q.notify_readable();
    }
    Ok(taken)
}
