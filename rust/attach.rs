// SPDX-License-Identifier: GPL-2.0

//! Attaching files to devices: `TUNSETIFF` (create or attach by name, with tun.c's
//! permission rules), `TUNSETQUEUE` (disable or re-enable a queue) and close (leave the
//! device, deleting it when it is left without queues and not persistent).

use kernel::sync::atomic::Relaxed;
use kernel::{prelude::*, sync::Arc};

use crate::device::{Device, TunDev};
use crate::ioctl::{self, IfReq};
use crate::net::lsm::TunSecurity;
use crate::net::{rtnl::Rtnl, rtnl_link::DevSpec};
use crate::queue::Queue;
use crate::queue_set::NapiFlags;

/// tun.c's `tun_permitted`: may the caller attach to `dev`?
fn permitted(dev: &TunDev) -> bool {
    let d = dev.data();
    let (owner, group) = (d.owner(), d.group());
    // If both uid and gid are set, *both* must match.
    if (owner.is_some() || group.is_some())
        && owner.is_none_or(crate::net::creds::euid_is)
        && group.is_none_or(|g| g.is_caller_group())
    {
        return true;
    }
    dev.net_admin_capable()
}

/// Removes `q` from its device (file close); deletes a non-persistent device left with
/// no queue.
pub(crate) fn close(q: &Queue, rtnl: &mut Rtnl) {
    let Some(dev) = q.device() else {
        return;
    };
    let d = dev.data();
    if d.queues.close(&dev, q, rtnl) == 0 {
        dev.set_carrier(false);
        if d.flags() & ioctl::IFF_PERSIST == 0 {
            dev.unregister(rtnl);
        }
    }
    dev.state_change(rtnl);
}

/// `TUNSETQUEUE`: disable (`IFF_DETACH_QUEUE`) or re-enable (`IFF_ATTACH_QUEUE`) `q`.
pub(crate) fn set_queue(q: &Arc<Queue>, flags: u32, rtnl: &mut Rtnl) -> Result {
    let dev = q.device().ok_or(EINVAL)?;
    let d = dev.data();
    if flags & ioctl::IFF_ATTACH_QUEUE != 0 {
        if !q.is_detached() {
            return Err(EINVAL);
        }
        d.security.may_attach_queue(rtnl)?;
        d.queues.enable(&dev, q, rtnl)?;
    } else if flags & ioctl::IFF_DETACH_QUEUE != 0 {
        if !d.is_multi_queue() || q.is_detached() {
            return Err(EINVAL);
        }
        d.queues.disable(&dev, q, rtnl)?;
    } else {
        return Err(EINVAL);
    }
    dev.state_change(rtnl);
    Ok(())
}

/// `TUNSETIFF`: attach `q` to the device named in `ifr`, creating it if needed.
pub(crate) fn set_iff(q: &Arc<Queue>, ifr: &mut IfReq, rtnl: &mut Rtnl) -> Result {
    let flags = ifr.flags();
    // tun.c: fragment writes are for the privileged, on a TAP with NAPI.
    if flags & ioctl::IFF_NAPI_FRAGS != 0 {
        if !crate::net::creds::capable_net_admin() {
            return Err(EPERM);
        }
        if flags & ioctl::IFF_NAPI == 0 || flags & ioctl::TUN_TYPE_MASK != ioctl::IFF_TAP {
            return Err(EINVAL);
        }
    }
    let want_kind = if flags & ioctl::IFF_TUN != 0 {
        Some(ioctl::IFF_TUN)
    } else if flags & ioctl::IFF_TAP != 0 {
        Some(ioctl::IFF_TAP)
    } else {
        None
    };
    let driver = &q.driver;
    let found = driver
        .link
        .find(&q.net, ifr.name(), rtnl)
        .map(|dev| dev.map(|dev| dev.to_aref()));
    let dev = match found {
        // A name that is not one of our devices: tun.c also says EINVAL.
        Err(e) => {
            return Err(if flags & ioctl::IFF_TUN_EXCL != 0 {
                EBUSY
            } else {
                e
            });
        }
        Ok(Some(dev)) => {
            if flags & ioctl::IFF_TUN_EXCL != 0 {
                return Err(EBUSY);
            }
            let d = dev.data();
            // tun.c: IFF_TUN for a TUN device, else IFF_TAP for a TAP device (a request
            // with both matches either).
            if flags & d.flags() & ioctl::TUN_TYPE_MASK == 0 {
                return Err(EINVAL);
            }
            if (flags & ioctl::IFF_MULTI_QUEUE != 0) != (d.flags() & ioctl::IFF_MULTI_QUEUE != 0) {
                return Err(EINVAL);
            }
            if !permitted(&dev) {
                return Err(EPERM);
            }
            d.security.may_open(rtnl)?;
            let skip_filter = flags & ioctl::IFF_NOFILTER != 0;
            let napi = NapiFlags::of_request(flags);
            d.queues
                .attach(&dev, q, d.is_multi_queue(), skip_filter, napi, rtnl)?;
            if d.is_multi_queue() && d.queues.live() + d.queues.disabled() > 1 {
                // More queues of a running multiqueue device: flags are already set.
                dev.state_change(rtnl);
                ifr.set_name(&dev.name(rtnl));
                return Ok(());
            }
            d.set_features_from(flags, rtnl);
            dev.state_change(rtnl);
            dev
        }
        Ok(None) => {
            if !q.net.net_admin_capable() {
                return Err(EPERM);
            }
            TunSecurity::may_create()?;
            let (kind_flag, template) = match want_kind {
                Some(ioctl::IFF_TUN) => (ioctl::IFF_TUN, c"tun%d"),
                Some(_) => (ioctl::IFF_TAP, c"tap%d"),
                None => return Err(EINVAL),
            };
            let name = if ifr.name().is_empty() {
                template
            } else {
                ifr.name()
            };
            let multi = flags & ioctl::IFF_MULTI_QUEUE != 0;
            let queues = if multi { driver.max_queues } else { 1 };
            let sndbuf = q.sock.sndbuf();
            let spec = DevSpec {
                name,
                queues,
                ifindex: q.ifindex.load(Relaxed),
            };
            let napi = NapiFlags::of_request(flags);
            // tun.c's `tun_net_init`: the LSM blob and the first queue come from the
            // device's `ndo_init`, so a refused attach means the device never registered.
            let dev = driver.link.create(
                rtnl,
                &q.net,
                &spec,
                Device::new(kind_flag | (flags & ioctl::TUN_FEATURES), sndbuf),
                |dev, rtnl| {
                    let d = dev.data();
                    d.security.allocate(rtnl)?;
                    d.queues
                        .attach_unpublished(dev, q, multi, false, napi, rtnl)
                },
            )?;
            // Published once registered (see `attach_unpublished`).
            dev.data().queues.publish(&dev, q, rtnl);
            dev
        }
    };
    dev.set_carrier(flags & ioctl::IFF_NO_CARRIER == 0);
    // A persistent device must not stay stopped, whether or not IFF_BACKPRESSURE changed.
    dev.data().queues.wake_all(&dev, rtnl);
    ifr.set_name(&dev.name(rtnl));
    Ok(())
}
