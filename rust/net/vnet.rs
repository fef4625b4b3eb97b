// SPDX-License-Identifier: GPL-2.0

//! virtio-net headers in front of packets (`IFF_VNET_HDR`), through the same inline
//! helpers tun.c uses (`drivers/net/tun_vnet.h`), so both drivers agree on every field.

use kernel::{
    error::to_result,
    iov::{IovIterDest, IovIterSource},
    prelude::*,
};

use crate::bindings as b;
use crate::net::{netdev::NetDev, skb::Skb};

/// Room for the largest header tun.c parses (`struct virtio_net_hdr_v1_hash_tunnel`).
const HDR_BUF: usize = core::mem::size_of::<b::virtio_net_hdr_v1_hash_tunnel>();

/// A parsed virtio-net header, as read from userspace.
pub(crate) struct VnetHdr {
    buf: [u8; HDR_BUF],
}

impl VnetHdr {
    /// Reads the `sz`-byte header in front of a written packet. Returns it and its
    /// `hdr_len` (the bytes of packet headers the guest says are in the linear part).
    pub(crate) fn read(sz: i32, flags: u32, src: &mut IovIterSource<'_>) -> Result<(Self, u32)> {
        let mut hdr = Self { buf: [0; HDR_BUF] };
        // SAFETY: `src` is a valid iterator; `buf` has room for the largest parsed header.
        let r = unsafe {
            b::rtun_vnet_hdr_get(sz, flags, src.as_raw().cast(), hdr.buf.as_mut_ptr().cast())
        };
        to_result(r)?;
        Ok((hdr, r as u32))
    }

    /// Whether the header asks for segmentation offload (`gso_type` not
    /// `VIRTIO_NET_HDR_GSO_NONE`).
    pub(crate) fn has_gso(&self) -> bool {
        // `struct virtio_net_hdr`: `flags`, then `gso_type`.
        self.buf[1] != 0
    }

    /// Applies the header to `skb`: checksum offload and GSO metadata.
    pub(crate) fn apply(&self, sz: i32, flags: u32, skb: &mut Skb) -> Result {
        // SAFETY: `skb` is owned and valid; `buf` holds a header read by `read`.
        to_result(unsafe {
            b::rtun_vnet_hdr_to_skb(sz, flags, skb.as_raw(), self.buf.as_ptr().cast())
        })
    }
}

/// Writes the `sz`-byte header describing `skb` in front of a packet being read.
pub(crate) fn write(
    sz: i32,
    flags: u32,
    dev: &NetDev,
    skb: &Skb,
    dest: &mut IovIterDest<'_>,
) -> Result {
    // SAFETY: All pointers are valid for the call; the shim builds the header on its stack.
    to_result(unsafe {
        b::rtun_vnet_hdr_put(sz, flags, dev.as_raw(), skb.as_raw(), dest.as_raw().cast())
    })
}

/// Writes an all-zero `sz`-byte header (tun.c's `tun_put_user_xdp`: an XDP frame has
/// no offloads to describe): `EINVAL` when `dest` has no room for it, `EFAULT` on a fault.
pub(crate) fn write_zeroed(sz: i32, dest: &mut IovIterDest<'_>) -> Result {
    let sz = sz as usize;
    if dest.len() < sz {
        return Err(EINVAL);
    }
    const ZEROS: [u8; 64] = [0; 64];
    let mut left = sz;
    while left > 0 {
        let n = left.min(ZEROS.len());
        if dest.copy_to_iter(&ZEROS[..n]) != n {
            return Err(EFAULT);
        }
        left -= n;
    }
    Ok(())
}

/// The vnet ioctls (`TUN{GET,SET}VNET{HDRSZ,LE,BE}`) on a header size and flag word.
pub(crate) fn ioctl(sz: &mut i32, flags: &mut u32, cmd: u32, arg: usize) -> Result {
    // SAFETY: `sz` and `flags` are valid for the call; `arg` is a user pointer, which the
    // helper only accesses with get_user/put_user.
    let r = unsafe { b::rtun_vnet_ioctl(sz, flags, cmd, arg as *mut i32) };
    to_result(r as i32)
}
