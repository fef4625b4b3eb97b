// SPDX-License-Identifier: GPL-2.0

//! Stack → userspace: `ndo_start_xmit` puts the packet on its queue's ring; `read` takes
//! it off and copies it out, with a `struct tun_pi` in front unless `IFF_NO_PI`.

use kernel::{iov::IovIterDest, prelude::*};

use crate::device::{with_queue, TunDev};
use crate::ioctl;
use crate::net::skb::{self, Skb};
use crate::queue::Queue;

/// `ndo_start_xmit`: queue `skb` for the reader of its queue, or drop it.
pub(crate) fn xmit(dev: &TunDev, mut skb: Skb) {
    let index = usize::from(skb.queue_mapping());
    // The packet may wait in the ring indefinitely: don't hold the sender's socket.
    skb.prepare_to_queue();
    let dropped = with_queue(dev, index, |q| match q {
        Some(q) => q.enqueue(skb).err().map(|skb| (skb, skb::DROP_FULL_RING)),
        None => Some((skb, skb::DROP_DEV_READY)),
    });
    if let Some((skb, reason)) = dropped {
        dev.count_tx_dropped();
        skb.drop_reason(reason);
    }
}

/// `read`/`readv`: one packet into `dest`. Returns the packet's full length (with
/// `tun_pi`), as tun.c does, even when `dest` was too short and it was truncated.
pub(crate) fn read(q: &Queue, dev: &TunDev, dest: &mut IovIterDest<'_>, nonblock: bool) -> Result<usize> {
    if dest.is_empty() {
        return Ok(0);
    }
    let skb = q.dequeue(nonblock)?;
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

/// tun.c's `tun_put_user` (without virtio-net headers and VLAN reinsertion).
fn put_user(q: &Queue, dev: &TunDev, skb: &Skb, dest: &mut IovIterDest<'_>) -> Result<usize> {
    let len = skb.len() as usize;
    let mut total = len;
    if dev.data().flags() & ioctl::IFF_NO_PI == 0 {
        const PI_LEN: usize = 4;
        if dest.len() < PI_LEN {
            return Err(EINVAL);
        }
        total += PI_LEN;
        let flags = if dest.len() < total { ioctl::TUN_PKT_STRIP } else { 0 };
        let mut pi = [0u8; PI_LEN];
        pi[..2].copy_from_slice(&flags.to_ne_bytes());
        // `skb->protocol` is already big-endian: copy its bytes as they are.
        pi[2..].copy_from_slice(&skb.protocol_be().to_ne_bytes());
        if dest.copy_to_iter(&pi) != PI_LEN {
            return Err(EFAULT);
        }
    }
    let n = len.min(dest.len());
    skb.copy_to_iter(0, dest, n as u32)?;
    dev.count_tx(len as u32);
    q.count_tx(len as u32);
    Ok(total)
}
