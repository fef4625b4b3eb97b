// SPDX-License-Identifier: GPL-2.0

//! The device: private data of a tun/tap `net_device`, creation, attach by name,
//! permissions, persistence, and the netdev callbacks.

use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use kernel::{
    prelude::*,
    sync::{rcu, Arc},
};

use crate::bindings as b;
use crate::ioctl::{self, IfReq};
use crate::net::{
    netdev::{Dev, Kind, LinkInfoMsg, LinkOps, NetDevOps, SkbRef, SysfsAttr},
    rcu_array::RcuArray,
    rtnl::Rtnl,
    skb::Skb,
};
use crate::queue::Queue;

/// One of rtun's devices.
pub(crate) type TunDev = Dev<Device>;

/// An invalid uid/gid (`INVALID_UID`): no owner, no group.
pub(crate) const NO_ID: u32 = u32::MAX;

/// Module-wide state shared by every open file.
pub(crate) struct Driver {
    /// The rtnl link kind our devices carry ("tun", or "rtun" side by side).
    pub(crate) link: LinkOps<Device>,
}

/// The private data of a tun/tap device (tun.c's `struct tun_struct`).
#[pin_data]
pub(crate) struct Device {
    /// `IFF_TUN`/`IFF_TAP`, `IFF_PERSIST` and the `TUN_FEATURES` flags.
    flags: AtomicU32,
    /// Owner uid and group gid (kernel ids), or `NO_ID`.
    owner: AtomicU32,
    group: AtomicU32,
    /// The live (enabled) queues. Only RTNL holders change it.
    pub(crate) queues: RcuArray<Queue>,
    /// `TUNSETSNDBUF` value applied to queues attached later.
    sndbuf: AtomicI32,
    /// `TUNSETDEBUG` / ethtool message level.
    msglevel: AtomicU32,
}

impl Device {
    fn new(kind_flag: u32, sndbuf: i32) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            flags: AtomicU32::new(kind_flag),
            owner: AtomicU32::new(NO_ID),
            group: AtomicU32::new(NO_ID),
            queues: RcuArray::new(),
            sndbuf: AtomicI32::new(sndbuf),
            msglevel: AtomicU32::new(0),
        })
    }

    /// The device flags as `TUNGETIFF` reports them.
    pub(crate) fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// Whether the device is TAP (Ethernet).
    pub(crate) fn is_tap(&self) -> bool {
        self.flags() & ioctl::TUN_TYPE_MASK == ioctl::IFF_TAP
    }

    /// Sets or clears `IFF_PERSIST`; returns whether it changed.
    pub(crate) fn set_persist(&self, on: bool, _rtnl: &Rtnl) -> bool {
        let old = if on {
            self.flags.fetch_or(ioctl::IFF_PERSIST, Ordering::Relaxed)
        } else {
            self.flags.fetch_and(!ioctl::IFF_PERSIST, Ordering::Relaxed)
        };
        (old & ioctl::IFF_PERSIST != 0) != on
    }

    pub(crate) fn owner(&self) -> u32 {
        self.owner.load(Ordering::Relaxed)
    }

    pub(crate) fn group(&self) -> u32 {
        self.group.load(Ordering::Relaxed)
    }

    pub(crate) fn set_owner(&self, uid: u32, _rtnl: &Rtnl) {
        self.owner.store(uid, Ordering::Relaxed)
    }

    pub(crate) fn set_group(&self, gid: u32, _rtnl: &Rtnl) {
        self.group.store(gid, Ordering::Relaxed)
    }

    pub(crate) fn sndbuf(&self) -> i32 {
        self.sndbuf.load(Ordering::Relaxed)
    }

    /// `TUNSETSNDBUF`: the device value and every attached queue's.
    pub(crate) fn set_sndbuf(&self, v: i32, rtnl: &Rtnl) {
        self.sndbuf.store(v, Ordering::Relaxed);
        for q in self.queues.read_rtnl(rtnl) {
            q.sndbuf.store(v, Ordering::Relaxed);
        }
    }

    /// Sets the message level (`TUNSETDEBUG`).
    pub(crate) fn set_msglevel(&self, level: u32) {
        self.msglevel.store(level, Ordering::Relaxed)
    }

    /// Number of live queues.
    pub(crate) fn num_queues(&self, rtnl: &Rtnl) -> usize {
        self.queues.read_rtnl(rtnl).len()
    }
}

/// tun.c's `tun_permitted`: may the caller attach to `dev`?
fn permitted(dev: &TunDev) -> bool {
    let d = dev.data();
    let (owner, group) = (d.owner(), d.group());
    // If both uid and gid are set, *both* must match.
    if (owner != NO_ID || group != NO_ID)
        && (owner == NO_ID || crate::net::creds::euid_is(owner))
        && (group == NO_ID || crate::net::creds::in_egroup(group))
    {
        return true;
    }
    dev.net_admin_capable()
}

/// Adds `q` to `dev`'s live queues.
fn attach(dev: &TunDev, q: &Arc<Queue>, rtnl: &Rtnl) -> Result {
    let d = dev.data();
    let current = d.queues.read_rtnl(rtnl);
    // A single-queue device takes one file.
    if d.flags() & ioctl::IFF_MULTI_QUEUE == 0 && !current.is_empty() {
        return Err(EBUSY);
    }
    q.ring_resize(dev.tx_queue_len())?;
    let mut next = KVec::with_capacity(current.len() + 1, GFP_KERNEL)?;
    for e in current {
        next.push(e.clone(), GFP_KERNEL)?;
    }
    next.push(q.clone(), GFP_KERNEL)?;
    q.index.store((next.len() - 1) as u32, Ordering::Relaxed);
    q.sndbuf.store(d.sndbuf(), Ordering::Relaxed);
    q.shutdown.store(false, Ordering::Release);
    {
        let mut a = q.attachment.lock();
        a.dev = Some(dev.to_aref());
        a.detached = false;
    }
    let n = next.len() as u32;
    if let Err(e) = d.queues.publish(next, rtnl) {
        q.attachment.lock().dev = None;
        return Err(e);
    }
    // Growing cannot fail for lack of queues: `alloc_netdev_mqs` made `n` of them.
    dev.set_real_num_queues(n, rtnl)?;
    Ok(())
}

/// Removes `q` from its device (file close); deletes a non-persistent device left with
/// no queue.
pub(crate) fn detach(q: &Queue, rtnl: &Rtnl) {
    let Some(dev) = q.attachment.lock().dev.take() else {
        return;
    };
    let d = dev.data();
    let current = d.queues.read_rtnl(rtnl);
    let mut next = KVec::with_capacity(current.len(), GFP_KERNEL).ok();
    if let Some(next) = next.as_mut() {
        for e in current {
            if !core::ptr::eq(&**e, q) {
                // Capacity was reserved: cannot fail.
                let _ = next.push(e.clone(), GFP_NOWAIT);
            }
        }
    }
    let next = next.unwrap_or_default();
    for (i, e) in next.iter().enumerate() {
        e.index.store(i as u32, Ordering::Relaxed);
    }
    let n = next.len() as u32;
    // An empty vector needs no allocation, so publishing it cannot fail; a failed
    // allocation above degrades to detaching every queue rather than leaving a stale one.
    if d.queues.publish(next, rtnl).is_err() {
        let _ = d.queues.publish(KVec::new(), rtnl);
    }
    q.ring.purge();
    let _ = dev.set_real_num_queues(n, rtnl);
    if n == 0 {
        dev.set_carrier(false);
        if d.flags() & ioctl::IFF_PERSIST == 0 {
            dev.unregister(rtnl);
        }
    }
    dev.state_change(rtnl);
}

/// `TUNSETIFF`: attach `q` to the device named in `ifr`, creating it if needed.
pub(crate) fn set_iff(q: &Arc<Queue>, ifr: &mut IfReq, rtnl: &Rtnl) -> Result {
    let flags = ifr.flags();
    if flags & (ioctl::TUN_FEATURES & !ioctl::RTUN_FEATURES) != 0 {
        return Err(EINVAL);
    }
    let want_kind = if flags & ioctl::IFF_TUN != 0 {
        Some(ioctl::IFF_TUN)
    } else if flags & ioctl::IFF_TAP != 0 {
        Some(ioctl::IFF_TAP)
    } else {
        None
    };
    let driver = &q.driver;
    let dev = match driver.link.find(&q.net, ifr.name(), rtnl) {
        // A name that is not one of our devices: tun.c also says EINVAL.
        Err(e) => {
            return Err(if flags & ioctl::IFF_TUN_EXCL != 0 { EBUSY } else { e });
        }
        Ok(Some(dev)) => {
            if flags & ioctl::IFF_TUN_EXCL != 0 {
                return Err(EBUSY);
            }
            let d = dev.data();
            if want_kind != Some(d.flags() & ioctl::TUN_TYPE_MASK) {
                return Err(EINVAL);
            }
            if (flags & ioctl::IFF_MULTI_QUEUE != 0) != (d.flags() & ioctl::IFF_MULTI_QUEUE != 0) {
                return Err(EINVAL);
            }
            if !permitted(dev) {
                return Err(EPERM);
            }
            attach(dev, q, rtnl)?;
            d.flags.store(
                (d.flags() & !ioctl::TUN_FEATURES) | (flags & ioctl::TUN_FEATURES),
                Ordering::Relaxed,
            );
            dev.state_change(rtnl);
            dev.to_aref()
        }
        Ok(None) => {
            if !q.net.net_admin_capable() {
                return Err(EPERM);
            }
            let (kind, kind_flag, template) = match want_kind {
                Some(ioctl::IFF_TUN) => (Kind::Tun, ioctl::IFF_TUN, c"tun%d"),
                Some(_) => (Kind::Tap, ioctl::IFF_TAP, c"tap%d"),
                None => return Err(EINVAL),
            };
            let name = if ifr.name().is_empty() { template } else { ifr.name() };
            let queues = if flags & ioctl::IFF_MULTI_QUEUE != 0 { MAX_QUEUES } else { 1 };
            let sndbuf = q.sndbuf.load(Ordering::Relaxed);
            let dev = driver.link.create(
                rtnl,
                &q.net,
                name,
                kind,
                queues,
                q.ifindex.load(Ordering::Relaxed),
                Device::new(kind_flag | (flags & ioctl::TUN_FEATURES), sndbuf),
            )?;
            if let Err(e) = attach(&dev, q, rtnl) {
                dev.unregister(rtnl);
                return Err(e);
            }
            dev
        }
    };
    dev.set_carrier(flags & ioctl::IFF_NO_CARRIER == 0);
    ifr.set_name(&dev.name());
    Ok(())
}

/// The most queues a device can have.
pub(crate) const MAX_QUEUES: u32 = 1;

impl NetDevOps for Device {
    fn start_xmit(dev: &TunDev, skb: Skb) {
        crate::tx::xmit(dev, skb)
    }

    fn uninit(dev: &TunDev, rtnl: &Rtnl) {
        let d = dev.data();
        let queues = d.queues.read_rtnl(rtnl);
        for q in queues {
            q.attachment.lock().dev = None;
            q.shut_down();
        }
        // The readers woke up; drop what they will never read.
        let _ = d.queues.publish(KVec::new(), rtnl);
        if d.flags() & ioctl::IFF_PERSIST != 0 {
            crate::net::creds::module_put();
        }
    }

    fn change_carrier(dev: &TunDev, on: bool, rtnl: &Rtnl) -> Result {
        if on {
            if dev.data().num_queues(rtnl) == 0 {
                return Err(EPERM);
            }
        }
        dev.set_carrier(on);
        Ok(())
    }

    fn select_queue(_dev: &TunDev, _skb: &mut SkbRef<'_>) -> u16 {
        0
    }

    fn fill_info(dev: &TunDev, msg: &mut LinkInfoMsg<'_>) -> Result {
        let d = dev.data();
        let flags = d.flags();
        msg.put_u8(b::IFLA_TUN_TYPE, (flags & ioctl::TUN_TYPE_MASK) as u8)?;
        if d.owner() != NO_ID {
            msg.put_u32(b::IFLA_TUN_OWNER, crate::net::creds::uid_to_user(d.owner()))?;
        }
        if d.group() != NO_ID {
            msg.put_u32(b::IFLA_TUN_GROUP, crate::net::creds::gid_to_user(d.group()))?;
        }
        msg.put_u8(b::IFLA_TUN_PI, u8::from(flags & ioctl::IFF_NO_PI == 0))?;
        msg.put_u8(b::IFLA_TUN_VNET_HDR, u8::from(flags & ioctl::IFF_VNET_HDR != 0))?;
        msg.put_u8(b::IFLA_TUN_PERSIST, u8::from(flags & ioctl::IFF_PERSIST != 0))?;
        msg.put_u8(b::IFLA_TUN_MULTI_QUEUE, u8::from(flags & ioctl::IFF_MULTI_QUEUE != 0))?;
        Ok(())
    }

    // Four u32 and five u8 attributes, each padded to 8 bytes with its header.
    const INFO_SIZE: usize = 9 * 8;

    fn sysfs_value(dev: &TunDev, attr: SysfsAttr) -> Option<u32> {
        let d = dev.data();
        match attr {
            SysfsAttr::TunFlags => Some(d.flags() & REPORTED_FLAGS),
            SysfsAttr::Owner => (d.owner() != NO_ID).then(|| crate::net::creds::uid_to_user(d.owner())),
            SysfsAttr::Group => (d.group() != NO_ID).then(|| crate::net::creds::gid_to_user(d.group())),
        }
    }

    fn bus_info(dev: &TunDev) -> &'static CStr {
        if dev.data().is_tap() {
            c"tap"
        } else {
            c"tun"
        }
    }

    fn msglevel(dev: &TunDev) -> u32 {
        dev.data().msglevel.load(Ordering::Relaxed)
    }

    fn set_msglevel(dev: &TunDev, level: u32) {
        dev.data().set_msglevel(level)
    }
}

/// The flags `TUNGETIFF` and sysfs `tun_flags` report (tun.c's `tun_flags()`).
pub(crate) const REPORTED_FLAGS: u32 =
    ioctl::TUN_FEATURES | ioctl::IFF_PERSIST | ioctl::IFF_TUN | ioctl::IFF_TAP;

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

/// Runs `f` on queue `index` of `dev` inside an RCU read section (`None`: no such queue).
pub(crate) fn with_queue<R>(dev: &TunDev, index: usize, f: impl FnOnce(Option<&Queue>) -> R) -> R {
    let guard = rcu::read_lock();
    let queues = dev.data().queues.read(&guard);
    f(queues.get(index).map(|q| &**q))
}
