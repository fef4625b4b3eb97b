// SPDX-License-Identifier: GPL-2.0

//! virtio-net headers in front of packets (`IFF_VNET_HDR`), through the same inline
//! helpers tun.c uses (`drivers/net/tun_vnet.h`), so both drivers agree on every field.

use kernel::{
    error::to_result,
    iov::{IovIterDest, IovIterSource},
    prelude::*,
};

use crate::bindings as b;
use crate::net::{
    features::{Features, GSO_UDP_TUNNEL},
    netdev::NetDev,
    skb::Skb,
};

/// A parsed virtio-net header, as read from userspace: room for the largest header tun.c
/// parses, with its C alignment (the helpers load and store its 16-bit fields).
pub(crate) struct VnetHdr {
    hdr: b::virtio_net_hdr_v1_hash_tunnel,
}

impl VnetHdr {
    /// Reads the `sz`-byte header in front of a written packet. Returns it and its
    /// `hdr_len` (the bytes of packet headers the guest says are in the linear part).
    pub(crate) fn read(sz: i32, flags: u32, src: &mut IovIterSource<'_>) -> Result<(Self, u32)> {
        let mut hdr = Self {
            hdr: pin_init::zeroed(),
        };
        // SAFETY: `src` is a valid iterator; `hdr` is the largest parsed header.
        let r = unsafe {
            b::rtun___tun_vnet_hdr_get(
                sz,
                flags,
                guest_features(sz),
                src.as_raw().cast(),
                (&raw mut hdr.hdr).cast(),
            )
        };
        to_result(r)?;
        Ok((hdr, r as u32))
    }

    /// Whether the header asks for segmentation offload (`gso_type` not
    /// `VIRTIO_NET_HDR_GSO_NONE`).
    pub(crate) fn has_gso(&self) -> bool {
        self.hdr.hash_hdr.hdr.gso_type != 0
    }

    /// Applies the header to `skb`: checksum offload and GSO metadata.
    pub(crate) fn apply(&self, sz: i32, flags: u32, skb: &mut Skb) -> Result {
        // SAFETY: `skb` is owned and valid; `hdr` is a header read by `read`.
        unsafe { apply_raw(sz, flags, skb, &self.hdr) }
    }
}

/// The offloads the other side can send, guessed from the header size as tun.c does
/// (`tun_vnet_hdr_guest_features`: a tunnel header means UDP tunnel GSO).
fn guest_features(sz: i32) -> Features {
    // SAFETY: No precondition.
    unsafe { b::rtun_tun_vnet_hdr_guest_features(sz) }
}

/// Applies the `sz`-byte header at `hdr` to `skb` (tun_vnet.h's `tun_vnet_hdr_tnl_to_skb`
/// with the guessed guest features).
///
/// # Safety
///
/// `hdr` points to a header of `sz` bytes (at least a `struct virtio_net_hdr`), valid for
/// reads for the call: its tunnel part is read only when `sz` covers one.
pub(super) unsafe fn apply_raw(
    sz: i32,
    flags: u32,
    skb: &mut Skb,
    hdr: *const b::virtio_net_hdr_v1_hash_tunnel,
) -> Result {
    // SAFETY: `skb` is owned and valid; `hdr` is valid per the caller.
    to_result(unsafe {
        b::rtun_tun_vnet_hdr_tnl_to_skb(flags, guest_features(sz), skb.as_raw(), hdr)
    })
}

/// Writes the `sz`-byte header describing `skb` in front of a packet being read.
///
/// tun_vnet.h's `tun_vnet_hdr_tnl_from_skb` then `__tun_vnet_hdr_put`, as tun.c's
/// `tun_put_user`, but without the former's `WARN_ON_ONCE()`: the same call, the same
/// `EINVAL`, rate-limited message and dump of the packet's head when the header cannot
/// describe `skb`'s GSO type.
/// Userspace can make such a frame: a write with `VIRTIO_NET_HDR_GSO_UDP` (UFO, which
/// `virtio_net_hdr_to_skb()` accepts) or with a UDP tunnel the device's features lack,
/// sent back out by generic XDP (`XDP_TX`, a devmap redirect: `generic_xdp_tx()` calls
/// `ndo_start_xmit` without `validate_xmit_skb()`, which would have segmented it). In
/// tun.c the read WARNs, a crash under `panic_on_warn`.
pub(crate) fn write(
    sz: i32,
    flags: u32,
    dev: &NetDev,
    skb: &Skb,
    dest: &mut IovIterDest<'_>,
) -> Result {
    let features = dev.features();
    let vlan_hlen = if skb.vlan_tag().is_some() {
        b::rtun_const_RTUN_VLAN_HLEN as i32
    } else {
        0
    };
    let mut hdr: b::virtio_net_hdr_v1_hash_tunnel = pin_init::zeroed();
    // SAFETY: `skb` is a valid skb that this read owns (the call clears and restores its
    // shared info's `gso_type` meanwhile, as in tun.c); `hdr` is a header for the call to
    // fill in.
    let r = unsafe {
        b::rtun_virtio_net_hdr_tnl_from_skb(
            skb.as_raw(),
            &mut hdr,
            features & GSO_UDP_TUNNEL != 0,
            b::rtun_tun_vnet_is_little_endian(flags),
            vlan_hlen,
            // tun.c's: the checksum of a received packet may be reported valid, and
            // `hdr_len` is not the negotiated feature's.
            true,
            false,
        )
    };
    if r != 0 {
        // SAFETY: No precondition.
        if unsafe { b::net_ratelimit() } != 0 {
            report_unexpected_gso(flags, dev, skb, &hdr.hash_hdr.hdr);
        }
        return Err(EINVAL);
    }
    // SAFETY: `dest` is a valid iterator; `hdr` is a whole tunnel header, the most the
    // call copies (the size it parses for `features`).
    to_result(unsafe {
        b::rtun_tun_vnet_hdr_put(sz, features, dest.as_raw().cast(), (&raw const hdr).cast())
    })
}

/// tun_vnet.h's message for a packet whose GSO type the header cannot describe, and the
/// dump of the first `hdr_len` (at most 64) bytes of its head.
fn report_unexpected_gso(flags: u32, dev: &NetDev, skb: &Skb, hdr: &b::virtio_net_hdr_v1) {
    let (gso_type, _) = skb.gso_type_size();
    // SAFETY: No precondition: a byte-order conversion.
    let (gso_size, hdr_len) = unsafe {
        (
            b::rtun_tun_vnet16_to_cpu(flags, hdr.gso_size),
            b::rtun_tun_vnet16_to_cpu(flags, hdr.hdr_len),
        )
    };
    // SAFETY: `dev` is a valid device; the format's conversions take an `unsigned int`
    // and two `int`s, which follow.
    unsafe {
        b::netdev_err(
            dev.as_raw(),
            c"unexpected GSO type: 0x%x, gso_size %d, hdr_len %d\n".as_char_ptr(),
            gso_type,
            i32::from(gso_size),
            i32::from(hdr_len),
        )
    };
    // SAFETY: The head buffer ends with the skb's shared info (hundreds of bytes), so the
    // first 64 bytes from `head` lie in its allocation: the bytes tun.c dumps. The strings
    // are NUL-terminated constants.
    unsafe {
        b::rtun_print_hex_dump(
            kernel::bindings::KERN_ERR.as_ptr().cast(),
            c"tun: ".as_char_ptr(),
            b::rtun_const_RTUN_DUMP_PREFIX_NONE as i32,
            16,
            1,
            skb.head().cast(),
            usize::from(hdr_len.min(64)),
            true,
        )
    };
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
