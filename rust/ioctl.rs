// SPDX-License-Identifier: GPL-2.0

//! The uapi of `/dev/net/tun`: ioctl numbers, flags, `struct ifreq`, and decoding of an
//! ioctl into a typed [`Request`].
//!
//! Every value comes from the kernel headers through bindgen (see `bindings/bindings.h`),
//! never from a hand-written copy.

use kernel::{
    prelude::*,
    uaccess::{UserPtr, UserSlice},
};

use crate::bindings as b;
use crate::txfilter::NewFilter;

/// The misc minor of `/dev/net/tun`.
pub(crate) const TUN_MINOR: u32 = b::rtun_misc_RTUN_TUN_MINOR;

pub(crate) const IFF_TUN: u32 = b::IFF_TUN;
pub(crate) const IFF_TAP: u32 = b::IFF_TAP;
pub(crate) const IFF_NO_CARRIER: u32 = b::IFF_NO_CARRIER;
pub(crate) const IFF_NO_PI: u32 = b::IFF_NO_PI;
pub(crate) const IFF_ONE_QUEUE: u32 = b::IFF_ONE_QUEUE;
pub(crate) const IFF_VNET_HDR: u32 = b::IFF_VNET_HDR;
pub(crate) const IFF_TUN_EXCL: u32 = b::IFF_TUN_EXCL;
pub(crate) const IFF_MULTI_QUEUE: u32 = b::IFF_MULTI_QUEUE;
pub(crate) const IFF_ATTACH_QUEUE: u32 = b::IFF_ATTACH_QUEUE;
pub(crate) const IFF_DETACH_QUEUE: u32 = b::IFF_DETACH_QUEUE;
pub(crate) const IFF_PERSIST: u32 = b::IFF_PERSIST;

pub(crate) use b::{
    TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6, TUN_F_TSO_ECN, TUN_F_UDP_TUNNEL_GSO,
    TUN_F_UDP_TUNNEL_GSO_CSUM, TUN_F_UFO, TUN_F_USO4, TUN_F_USO6,
};
pub(crate) const IFF_NOFILTER: u32 = b::IFF_NOFILTER;
pub(crate) const IFF_NAPI: u32 = b::IFF_NAPI;
pub(crate) const IFF_NAPI_FRAGS: u32 = b::IFF_NAPI_FRAGS;
pub(crate) const IFF_BACKPRESSURE: u32 = b::IFF_BACKPRESSURE;
pub(crate) const TUN_TYPE_MASK: u32 = b::TUN_TYPE_MASK;
pub(crate) const TUN_PKT_STRIP: u16 = b::TUN_PKT_STRIP as u16;

/// The per-device flags `TUNSETIFF` takes from userspace (tun.c's `TUN_FEATURES`).
pub(crate) const TUN_FEATURES: u32 = IFF_NO_PI
    | IFF_ONE_QUEUE
    | IFF_VNET_HDR
    | IFF_MULTI_QUEUE
    | IFF_NAPI
    | IFF_NAPI_FRAGS
    | IFF_BACKPRESSURE;

/// The rtnl attributes of `ip -d link` for a tun device.
pub(crate) use b::{
    IFLA_TUN_GROUP, IFLA_TUN_MULTI_QUEUE, IFLA_TUN_NUM_DISABLED_QUEUES, IFLA_TUN_NUM_QUEUES,
    IFLA_TUN_OWNER, IFLA_TUN_PERSIST, IFLA_TUN_PI, IFLA_TUN_TYPE, IFLA_TUN_VNET_HDR,
};

/// `TUN_FLT_ALLMULTI` (`TUNSETTXFILTER`): accept every multicast destination.
pub(crate) const FLT_ALLMULTI: u16 = b::TUN_FLT_ALLMULTI as u16;

/// `sizeof(struct virtio_net_hdr)`, the default virtio-net header size.
pub(crate) const VNET_HDR_LEN: i32 = core::mem::size_of::<b::virtio_net_hdr>() as i32;

/// `ETH_P_IP`/`ETH_P_IPV6`, big-endian as in `skb->protocol` and `tun_pi`.
pub(crate) const ETH_P_IP_BE: u16 = (b::ETH_P_IP as u16).to_be();
pub(crate) const ETH_P_IPV6_BE: u16 = (b::ETH_P_IPV6 as u16).to_be();
/// The Ethernet header length.
pub(crate) const ETH_HLEN: usize = b::rtun_const_RTUN_ETH_HLEN as usize;

/// The link type and interface flags of a TUN device: no link-layer header, point to
/// point (`ARPHRD_NONE`; `IFF_POINTOPOINT`, `IFF_NOARP`, `IFF_MULTICAST`).
pub(crate) const ARPHRD_NONE: u16 = b::ARPHRD_NONE as u16;
pub(crate) const TUN_DEV_FLAGS: u32 = b::net_device_flags_IFF_POINTOPOINT
    | b::net_device_flags_IFF_NOARP
    | b::net_device_flags_IFF_MULTICAST;
/// The XDP actions a TAP device supports (`NETDEV_XDP_ACT_*`, as tun.c advertises).
pub(crate) const TAP_XDP_FEATURES: u32 = b::rtun_const_RTUN_TAP_XDP_FEATURES;

/// What `TUNGETFEATURES` reports.
pub(crate) const FEATURES: u32 = IFF_TUN | IFF_TAP | IFF_NO_CARRIER | TUN_FEATURES;

/// `sizeof(struct ifreq)`, and its 32-bit (compat) size.
const IFREQ_LEN: usize = core::mem::size_of::<b::ifreq>();
const COMPAT_IFREQ_LEN: usize = 32;

/// A `struct ifreq` as raw bytes: the name, then the union.
#[derive(Clone, Copy)]
pub(crate) struct IfReq {
    bytes: [u8; IFREQ_LEN],
    len: usize,
}

impl IfReq {
    /// A zeroed request of the size the caller's ABI uses.
    pub(crate) fn zeroed(compat: bool) -> Self {
        Self {
            bytes: [0; IFREQ_LEN],
            len: if compat { COMPAT_IFREQ_LEN } else { IFREQ_LEN },
        }
    }

    /// Copies the request from userspace (EFAULT on a bad pointer). The name is cut to
    /// 15 bytes and NUL-terminated, as tun.c does before using it.
    pub(crate) fn read(arg: usize, compat: bool) -> Result<Self> {
        let mut r = Self::zeroed(compat);
        UserSlice::new(UserPtr::from_addr(arg), r.len)
            .reader()
            .read_slice(&mut r.bytes[..r.len])?;
        r.bytes[15] = 0;
        Ok(r)
    }

    /// Copies the request back to userspace.
    pub(crate) fn write(&self, arg: usize) -> Result {
        UserSlice::new(UserPtr::from_addr(arg), self.len)
            .writer()
            .write_slice(&self.bytes[..self.len])
    }

    /// The interface name, always NUL-terminated (tun.c forces the last byte to 0).
    pub(crate) fn name(&self) -> &CStr {
        let n = &self.bytes[..16];
        let end = n.iter().position(|&c| c == 0).unwrap_or(15);
        CStr::from_bytes_with_nul(&self.bytes[..=end]).unwrap_or(c"")
    }

    /// Stores `name` (truncated to 15 bytes) as the interface name.
    pub(crate) fn set_name(&mut self, name: &[u8; 16]) {
        self.bytes[..16].copy_from_slice(name);
        self.bytes[15] = 0;
    }

    /// `ifr_flags` (a `short`, zero-extended as tun.c's flag tests see it).
    pub(crate) fn flags(&self) -> u32 {
        u32::from(u16::from_ne_bytes([self.bytes[16], self.bytes[17]]))
    }

    /// Sets `ifr_flags`.
    pub(crate) fn set_flags(&mut self, flags: u32) {
        self.bytes[16..18].copy_from_slice(&(flags as u16).to_ne_bytes());
    }

    /// The union after the name, as the caller's ABI sized it: `ifr_hwaddr` and what
    /// follows it (an address longer than `sa_data` runs into the rest, as in tun.c).
    pub(crate) fn union_bytes(&self) -> &[u8] {
        &self.bytes[16..self.len]
    }

    /// `ifr_hwaddr`, for writing.
    pub(crate) fn sockaddr_mut(&mut self) -> &mut [u8; 16] {
        (&mut self.bytes[16..32]).try_into().expect("16 bytes")
    }
}

/// A `struct sock_fprog` (`TUNATTACHFILTER`, `TUNGETFILTER`): an instruction count and
/// a user pointer to the instructions. Only the native layout: a 32-bit caller's command
/// number differs (the struct does), and like tun.c rtun does not know it.
#[derive(Clone, Copy)]
pub(crate) struct SockFprog {
    /// Number of instructions.
    pub(crate) len: u16,
    /// User address of the instructions.
    pub(crate) filter: usize,
}

const FPROG_SIZE: usize = core::mem::size_of::<b::sock_fprog>();
const FPROG_FILTER: usize = core::mem::offset_of!(b::sock_fprog, filter);

impl SockFprog {
    /// Copies the structure from userspace.
    pub(crate) fn read(arg: usize) -> Result<Self> {
        let mut raw = [0u8; FPROG_SIZE];
        UserSlice::new(UserPtr::from_addr(arg), FPROG_SIZE)
            .reader()
            .read_slice(&mut raw)?;
        let mut ptr = [0u8; core::mem::size_of::<usize>()];
        let end = FPROG_FILTER + ptr.len();
        ptr.copy_from_slice(&raw[FPROG_FILTER..end]);
        Ok(Self {
            len: u16::from_ne_bytes([raw[0], raw[1]]),
            filter: usize::from_ne_bytes(ptr),
        })
    }

    /// Copies the structure to userspace.
    pub(crate) fn write(&self, arg: usize) -> Result {
        let mut raw = [0u8; FPROG_SIZE];
        raw[..2].copy_from_slice(&self.len.to_ne_bytes());
        raw[FPROG_FILTER..FPROG_FILTER + core::mem::size_of::<usize>()]
            .copy_from_slice(&self.filter.to_ne_bytes());
        UserSlice::new(UserPtr::from_addr(arg), FPROG_SIZE)
            .writer()
            .write_slice(&raw)
    }
}

/// Reads a `struct tun_filter` and its address list (`TUNSETTXFILTER`). `None` for an
/// empty list (the filter goes off). The whole list is read before anything changes,
/// so a bad address is `EFAULT` with the filter as it was, as in tun.c.
pub(crate) fn read_tx_filter(arg: usize) -> Result<Option<NewFilter>> {
    let mut head = [0u8; 4];
    UserSlice::new(UserPtr::from_addr(arg), head.len())
        .reader()
        .read_slice(&mut head)?;
    let flags = u16::from_ne_bytes([head[0], head[1]]);
    let count = usize::from(u16::from_ne_bytes([head[2], head[3]]));
    if count == 0 {
        return Ok(None);
    }
    let mut filter = NewFilter::new(flags);
    let mut list = UserSlice::new(UserPtr::from_addr(arg + head.len()), count * ETH_ALEN).reader();
    // A stack buffer of addresses at a time: a list may hold 65535 of them.
    let mut buf = [0u8; 64 * ETH_ALEN];
    let mut left = count;
    while left > 0 {
        let n = left.min(64);
        list.read_slice(&mut buf[..n * ETH_ALEN])?;
        for addr in buf[..n * ETH_ALEN].chunks_exact(ETH_ALEN) {
            filter.push(addr.try_into().map_err(|_| EINVAL)?);
        }
        left -= n;
    }
    Ok(Some(filter))
}

/// Bytes in a MAC address.
pub(crate) const ETH_ALEN: usize = b::rtun_const_RTUN_ETH_ALEN as usize;

/// Bytes of the `struct tun_pi` in front of a packet without `IFF_NO_PI`.
pub(crate) const PI_LEN: usize = b::rtun_const_RTUN_TUN_PI_LEN as usize;

/// Bytes of the 802.1Q tag put back into packets read from a TAP device.
pub(crate) const VLAN_HLEN: usize = b::rtun_const_RTUN_VLAN_HLEN as usize;

/// Reads an `int` argument.
pub(crate) fn read_int(arg: usize) -> Result<i32> {
    let mut v = [0u8; 4];
    UserSlice::new(UserPtr::from_addr(arg), 4)
        .reader()
        .read_slice(&mut v)?;
    Ok(i32::from_ne_bytes(v))
}

/// Writes an `int`/`unsigned int` result.
pub(crate) fn write_u32(arg: usize, v: u32) -> Result {
    UserSlice::new(UserPtr::from_addr(arg), 4)
        .writer()
        .write_slice(&v.to_ne_bytes())
}

/// A decoded `/dev/net/tun` ioctl.
pub(crate) enum Request {
    GetFeatures,
    SetIff(IfReq),
    SetIfIndex,
    GetIff,
    SetPersist(bool),
    SetOwner(u32),
    SetGroup(u32),
    SetLink(u32),
    SetDebug,
    SetNoCsum,
    SetCarrier,
    GetDevNetns,
    GetSkNs,
    GetHwAddr(IfReq),
    SetHwAddr(IfReq),
    GetSndBuf,
    SetSndBuf,
    SetQueue(IfReq),
    SetOffload(usize),
    /// `TUN{GET,SET}VNET{HDRSZ,LE,BE}`, carrying the command.
    Vnet(u32),
    /// `TUNSETSTEERINGEBPF` or `TUNSETFILTEREBPF`.
    SetEbpf(EbpfHook),
    /// `TUNSETTXFILTER`: the TAP destination address filter.
    SetTxFilter,
    /// `TUNATTACHFILTER`, `TUNDETACHFILTER`, `TUNGETFILTER`: the classic socket filter
    /// of a TAP device's queues.
    AttachFilter,
    DetachFilter,
    GetFilter,
    /// Not a tun ioctl.
    Unknown,
}

/// Where a device runs an eBPF program.
#[derive(Clone, Copy)]
pub(crate) enum EbpfHook {
    /// Picks the transmit queue (`TUNSETSTEERINGEBPF`).
    Steering,
    /// Drops or trims transmitted packets (`TUNSETFILTEREBPF`).
    Filter,
}

impl Request {
    /// Decodes `cmd`, reading the `ifreq` argument where tun.c reads it before anything
    /// else (so a bad pointer is EFAULT even on a detached file).
    pub(crate) fn decode(cmd: u32, arg: usize, compat: bool) -> Result<Self> {
        Ok(match cmd {
            b::rtun_ioctl_RTUN_TUNGETFEATURES => Self::GetFeatures,
            b::rtun_ioctl_RTUN_TUNSETIFF => Self::SetIff(IfReq::read(arg, compat)?),
            b::rtun_ioctl_RTUN_TUNSETIFINDEX => Self::SetIfIndex,
            b::rtun_ioctl_RTUN_TUNGETIFF => Self::GetIff,
            b::rtun_ioctl_RTUN_TUNSETPERSIST => Self::SetPersist(arg != 0),
            b::rtun_ioctl_RTUN_TUNSETOWNER => Self::SetOwner(arg as u32),
            b::rtun_ioctl_RTUN_TUNSETGROUP => Self::SetGroup(arg as u32),
            b::rtun_ioctl_RTUN_TUNSETLINK => Self::SetLink(arg as u32),
            b::rtun_ioctl_RTUN_TUNSETDEBUG => Self::SetDebug,
            b::rtun_ioctl_RTUN_TUNSETNOCSUM => Self::SetNoCsum,
            b::rtun_ioctl_RTUN_TUNSETCARRIER => Self::SetCarrier,
            b::rtun_ioctl_RTUN_TUNGETDEVNETNS => Self::GetDevNetns,
            b::rtun_ioctl_RTUN_SIOCGSKNS => Self::GetSkNs,
            b::rtun_ioctl_RTUN_SIOCGIFHWADDR => Self::GetHwAddr(IfReq::read(arg, compat)?),
            b::rtun_ioctl_RTUN_SIOCSIFHWADDR => Self::SetHwAddr(IfReq::read(arg, compat)?),
            b::rtun_ioctl_RTUN_TUNGETSNDBUF => Self::GetSndBuf,
            b::rtun_ioctl_RTUN_TUNSETSNDBUF => Self::SetSndBuf,
            b::rtun_ioctl_RTUN_TUNSETQUEUE => Self::SetQueue(IfReq::read(arg, compat)?),
            b::rtun_ioctl_RTUN_TUNSETOFFLOAD => Self::SetOffload(arg),
            b::rtun_ioctl_RTUN_TUNGETVNETHDRSZ
            | b::rtun_ioctl_RTUN_TUNSETVNETHDRSZ
            | b::rtun_ioctl_RTUN_TUNSETVNETLE
            | b::rtun_ioctl_RTUN_TUNGETVNETLE
            | b::rtun_ioctl_RTUN_TUNSETVNETBE
            | b::rtun_ioctl_RTUN_TUNGETVNETBE => Self::Vnet(cmd),
            b::rtun_ioctl_RTUN_TUNSETTXFILTER => Self::SetTxFilter,
            b::rtun_ioctl_RTUN_TUNATTACHFILTER => Self::AttachFilter,
            b::rtun_ioctl_RTUN_TUNDETACHFILTER => Self::DetachFilter,
            b::rtun_ioctl_RTUN_TUNGETFILTER => Self::GetFilter,
            b::rtun_ioctl_RTUN_TUNSETSTEERINGEBPF => Self::SetEbpf(EbpfHook::Steering),
            b::rtun_ioctl_RTUN_TUNSETFILTEREBPF => Self::SetEbpf(EbpfHook::Filter),
            _ => Self::Unknown,
        })
    }
}

/// The hardware address length of an ARPHRD type (tun.c's `tun_get_addr_len`).
pub(crate) fn addr_len_of(ty: u16) -> u8 {
    match u32::from(ty) {
        b::ARPHRD_IP6GRE | b::ARPHRD_TUNNEL6 => 16,
        b::ARPHRD_IPGRE | b::ARPHRD_TUNNEL | b::ARPHRD_SIT => 4,
        b::ARPHRD_ETHER => 6,
        b::ARPHRD_IEEE802154 | b::ARPHRD_IEEE802154_MONITOR => 8,
        b::ARPHRD_6LOWPAN => 8,
        b::ARPHRD_FDDI => 6,
        b::ARPHRD_HIPPI => 6,
        b::ARPHRD_IEEE802 => 6,
        b::ARPHRD_ROSE => 5,
        b::ARPHRD_NETROM => 7,
        b::ARPHRD_LOCALTLK => 1,
        _ => 0,
    }
}

#[kunit_tests(rtun_ioctl)]
mod tests {
    use super::*;

    fn ifreq_with_name(name: &[u8]) -> IfReq {
        let mut r = IfReq::zeroed(false);
        r.bytes[..name.len()].copy_from_slice(name);
        r
    }

    #[test]
    fn name_is_nul_terminated() {
        assert_eq!(ifreq_with_name(b"tun7").name().to_bytes(), b"tun7");
        assert!(ifreq_with_name(b"").name().is_empty());
    }

    #[test]
    fn flags_round_trip_as_unsigned_short() {
        let mut r = IfReq::zeroed(true);
        r.set_flags(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL);
        assert_eq!(r.flags(), IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL);
        // ifr_flags is a short: bit 15 stays bit 15, never sign-extended.
        assert_eq!(r.flags() & 0xffff_0000, 0);
    }

    #[test]
    fn features_are_tun_features() {
        assert_eq!(
            FEATURES & !(IFF_TUN | IFF_TAP | IFF_NO_CARRIER),
            TUN_FEATURES
        );
        assert_eq!(
            FEATURES & (IFF_PERSIST | IFF_ATTACH_QUEUE | IFF_DETACH_QUEUE),
            0
        );
    }
}
