// SPDX-License-Identifier: GPL-2.0

//! The `/dev/net/tun` file: open, release, read, write, poll, fasync, fdinfo and ioctl.
//!
//! Mirrors `tun_chr_*` in tun.c: a freshly opened file is attached to nothing; reads,
//! writes and most ioctls on it fail with `EBADFD` until `TUNSETIFF` attaches it.

use kernel::sync::atomic::Relaxed;
use kernel::{
    fs::File,
    iov::{IovIterDest, IovIterSource},
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    sync::{Arc, ArcBorrow},
};

use crate::attach;
use crate::backpressure;
use crate::device;
use crate::ioctl::{self, IfReq, Request};
use crate::net::{
    creds,
    miscdev::FileOps,
    ring::{Consumer, Entry, Ring},
    rtnl::Rtnl,
    skb::ZeroCopy,
    sock::{QueueSock, RecvMode, SendFlags, SockOps},
    wait::PollTable,
    xdp::{Refused, XdpBatch},
};
use crate::queue::Queue;
use crate::Driver;
use crate::{rx, tx};

impl FileOps for Queue {
    type Context = Driver;

    fn open(driver: &Arc<Driver>, file: &File) -> Result<Arc<Self>> {
        Queue::new(driver.clone(), file)
    }

    fn release(this: Arc<Self>, _file: &File) {
        {
            let mut rtnl = Rtnl::lock();
            attach::close(&this, &mut rtnl);
        }
        this.sock.orphan();
    }

    #[inline]
    fn read_iter(
        this: ArcBorrow<'_, Self>,
        dest: &mut IovIterDest<'_>,
        nonblock: bool,
    ) -> Result<usize> {
        let dev = this.device_or_ebadfd()?;
        tx::read(&this, &dev, dest, nonblock)
    }

    #[inline]
    fn write_iter(
        this: ArcBorrow<'_, Self>,
        src: &mut IovIterSource<'_>,
        nonblock: bool,
    ) -> Result<usize> {
        let dev = this.device_or_ebadfd()?;
        rx::write(&this, &dev, src, nonblock, false, None)
    }

    fn poll(this: ArcBorrow<'_, Self>, file: &File, table: PollTable<'_>) -> u32 {
        this.poll(file, &table)
    }

    fn ioctl(
        this: ArcBorrow<'_, Self>,
        _file: &File,
        cmd: u32,
        arg: usize,
        compat: bool,
    ) -> Result<isize> {
        // A 32-bit caller's argument is 32 bits, pointer (compat_ptr) or value
        // (compat_ulong_t) alike, as tun_chr_compat_ioctl converts it.
        let arg = if compat { arg & 0xffff_ffff } else { arg };
        ioctl_locked(this, Request::decode(cmd, arg, compat)?, arg, compat)
    }

    fn fasync(this: ArcBorrow<'_, Self>, file: &File, fd: i32, on: bool) -> Result {
        // tun.c's order: the owner allocated, the file added to the list, then the owner
        // set, so a failure leaves `F_GETOWN` as it was.
        let owner = if on {
            Some(creds::FileOwner::allocate(file)?)
        } else {
            None
        };
        this.sock.fasync().helper(fd, file, on)?;
        if let Some(owner) = owner {
            owner.set_to_caller();
        }
        this.fasync_on.store(on, Relaxed);
        Ok(())
    }

    fn show_fdinfo(this: ArcBorrow<'_, Self>, m: &SeqFile) {
        let name = {
            let rtnl = Rtnl::lock();
            this.device().map(|d| d.name(&rtnl)).unwrap_or([0; 16])
        };
        let end = name.iter().position(|&c| c == 0).unwrap_or(16);
        let name = core::str::from_utf8(&name[..end]).unwrap_or("");
        seq_print!(m, "iff:\t{}\n", name);
    }
}

impl SockOps for Queue {
    fn sock(&self) -> &QueueSock {
        &self.sock
    }

    fn tx_ring(&self) -> &Ring {
        &self.ring
    }

    fn send_frame(
        this: ArcBorrow<'_, Self>,
        src: &mut IovIterSource<'_>,
        flags: SendFlags,
        zero_copy: Option<ZeroCopy>,
    ) -> Result<usize> {
        let dev = this.device_or_ebadfd()?;
        rx::write(&this, &dev, src, flags.nonblock, flags.more, zero_copy)
    }

    fn consumed(this: ArcBorrow<'_, Self>, ring: &Consumer<'_>, n: u32) {
        if let Some(dev) = this.device() {
            backpressure::consumed(&dev, &this, ring, n);
        }
    }

    fn send_batch(this: ArcBorrow<'_, Self>, batch: XdpBatch<'_>) -> Result<(), Refused> {
        let Some(dev) = this.device() else {
            return Err(batch.refuse(EBADFD));
        };
        rx::write_batch(&this, &dev, batch);
        Ok(())
    }

    fn recv(
        this: ArcBorrow<'_, Self>,
        dest: &mut IovIterDest<'_>,
        mode: RecvMode,
        entry: Option<Entry>,
    ) -> Result<usize> {
        // tun.c's order: no device first, then the flags.
        let dev = this.device_or_ebadfd()?;
        match mode {
            RecvMode::Data { nonblock } => tx::recv(&this, &dev, dest, nonblock, entry),
            RecvMode::Invalid => Err(EINVAL),
            // No transmit timestamps: the error queue is always empty.
            RecvMode::ErrorQueue => Err(EAGAIN),
        }
    }

    fn peek_len(this: ArcBorrow<'_, Self>) -> usize {
        match this.device() {
            Some(_) => this.ring.peek_len(),
            None => 0,
        }
    }
}

/// Carries out one ioctl, in tun.c's order: requests that need no device first, then
/// under RTNL the ones that need one (`EBADFD` without). Returns the ioctl's value.
fn ioctl_locked(q: ArcBorrow<'_, Queue>, req: Request, arg: usize, compat: bool) -> Result<isize> {
    match req {
        Request::GetFeatures => return ioctl::write_u32(arg, ioctl::FEATURES).map(|()| 0),
        Request::GetSkNs => {
            // The netns of the file (its opener's), like tun.c's socket netns.
            if !q.net.net_admin_capable() {
                return Err(EPERM);
            }
            return q.net.open_fd();
        }
        _ => {}
    }
    if let Request::SetQueue(ifr) = req {
        let mut rtnl = Rtnl::lock();
        let q: Arc<Queue> = q.into();
        return attach::set_queue(&q, ifr.flags(), &mut rtnl).map(|()| 0);
    }
    let mut rtnl = Rtnl::lock();
    let dev = q.device();
    match req {
        Request::SetIff(mut ifr) => {
            if dev.is_some() {
                return Err(EEXIST);
            }
            let q: Arc<Queue> = q.into();
            attach::set_iff(&q, &mut ifr, &mut rtnl)?;
            return ifr.write(arg).map(|()| 0);
        }
        Request::SetIfIndex => {
            if dev.is_some() {
                return Err(EPERM);
            }
            let index = ioctl::read_int(arg)?;
            if index < 0 {
                return Err(EINVAL);
            }
            q.ifindex.store(index, Relaxed);
            return Ok(0);
        }
        _ => {}
    }
    let dev = dev.ok_or(EBADFD)?;
    let d = dev.data();
    match req {
        Request::GetIff => {
            let mut ifr = IfReq::zeroed(compat);
            ifr.set_name(&dev.name(&rtnl));
            let mut flags = d.flags() & device::REPORTED_FLAGS;
            // Whether this file's socket has a filter, as tun.c.
            if !q.sock.has_filter() {
                flags |= ioctl::IFF_NOFILTER;
            }
            if q.is_detached() {
                flags |= ioctl::IFF_DETACH_QUEUE;
            }
            ifr.set_flags(flags);
            ifr.write(arg)?;
        }
        Request::SetPersist(on) => {
            if d.set_persist(on, &mut rtnl)? {
                dev.state_change(&rtnl);
            }
        }
        Request::SetOwner(uid) => {
            let kuid = creds::kuid_from_user(uid).ok_or(EINVAL)?;
            d.set_owner(kuid, &rtnl);
            dev.state_change(&rtnl);
        }
        Request::SetGroup(gid) => {
            let kgid = creds::Kgid::from_user(gid).ok_or(EINVAL)?;
            d.set_group(kgid, &rtnl);
            dev.state_change(&rtnl);
        }
        Request::SetLink(ty) => {
            // Only while the interface is down, as in tun.c.
            if dev.is_up() {
                return Err(EBUSY);
            }
            let ty = ty as u16;
            dev.set_link_type(ty, ioctl::addr_len_of(ty), &rtnl)?;
        }
        Request::SetDebug => d.set_msglevel(arg as u32),
        // Checksum control: accepted and ignored ("unimplemented" in tun.c too).
        Request::SetNoCsum => {}
        Request::SetCarrier => {
            let on = ioctl::read_int(arg)?;
            <device::Device as crate::net::netdev_ops::NetDevOps>::change_carrier(
                &dev,
                on != 0,
                &rtnl,
            )?;
        }
        Request::GetDevNetns => {
            if !dev.net_admin_capable() {
                return Err(EPERM);
            }
            return dev.open_netns();
        }
        Request::GetSndBuf => ioctl::write_u32(arg, q.sock.sndbuf() as u32)?,
        Request::SetSndBuf => {
            let v = ioctl::read_int(arg)?;
            if v <= 0 {
                return Err(EINVAL);
            }
            d.set_sndbuf(v, &rtnl);
        }
        Request::GetHwAddr(mut ifr) => {
            dev.get_mac_address(ifr.sockaddr_mut(), &rtnl)?;
            ifr.write(arg)?;
        }
        Request::SetHwAddr(ifr) => dev.set_mac_address(ifr.union_bytes(), &rtnl)?,
        Request::SetOffload(flags) => device::Device::set_offload(&dev, flags, &rtnl)?,
        Request::Vnet(cmd) => d.vnet_ioctl(cmd, arg, &rtnl)?,
        Request::SetEbpf(hook) => d.set_ebpf(hook, ioctl::read_int(arg)?, &rtnl)?,
        Request::SetTxFilter => return d.set_tx_filter(arg).map(|n| n as isize),
        Request::AttachFilter => d.attach_filter(arg, &mut rtnl)?,
        Request::DetachFilter => d.detach_filter(&mut rtnl)?,
        Request::GetFilter => d.get_filter(arg, &rtnl)?,
        Request::Unknown => return Err(EINVAL),
        Request::GetFeatures
        | Request::GetSkNs
        | Request::SetIff(_)
        | Request::SetIfIndex
        | Request::SetQueue(_) => return Err(EINVAL),
    }
    Ok(0)
}
