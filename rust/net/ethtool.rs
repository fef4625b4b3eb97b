// SPDX-License-Identifier: GPL-2.0

//! `struct ethtool_ops`: what `ethtool` shows and sets on our devices.
//!
//! [`EthtoolOps`] is a `#[vtable]` trait: a callback the driver does not implement stays
//! NULL in the table, and ethtool reports the operation as unsupported.

use core::marker::PhantomData;
use kernel::prelude::*;

use crate::bindings as b;
use crate::net::optional;
use crate::net::{
    netdev::Dev,
    rtnl::{Rtnl, RtnlLocked},
};

/// What the device's private data implements: the `ethtool_ops` callbacks.
#[vtable]
pub(crate) trait EthtoolOps: Sized + Send + Sync + 'static {
    /// The driver version `ethtool -i` shows (the driver name is the link kind's).
    const VERSION: &'static CStr;

    /// ethtool `bus_info` (empty without it).
    fn bus_info(_dev: &Dev<Self>) -> &'static CStr {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// ethtool message level (`get_msglevel`).
    fn msglevel(_dev: &Dev<Self>) -> u32 {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Sets the ethtool message level (`set_msglevel`).
    fn set_msglevel(_dev: &Dev<Self>, _level: u32) {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// ethtool coalescing (`get_coalesce`): how many written packets may be held for
    /// one batch (ethtool's `rx-frames`, the only parameter supported).
    fn rx_coalesce_frames(_dev: &Dev<Self>) -> u32 {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Sets it, from ethtool (`set_coalesce`).
    fn set_rx_coalesce_frames(_dev: &Dev<Self>, _frames: u32) {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// The ethtool link settings the device keeps for userspace (RTNL held to touch
    /// them): `get_link_ksettings` and `set_link_ksettings`.
    fn link_settings(_dev: &Dev<Self>) -> &RtnlLocked<LinkSettings> {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// ethtool channels (`get_channels`): (live, maximum) combined channels.
    fn channels(_dev: &Dev<Self>) -> (u32, u32) {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// The names of the per-queue counters of `ethtool -S`.
    const QUEUE_STAT_NAMES: &'static [&'static str] = &[];

    /// Number of queues `ethtool -S` reports.
    fn stat_queues(_dev: &Dev<Self>) -> u32 {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Per-queue counter values, `QUEUE_STAT_NAMES.len()` per queue, for at most
    /// `stat_queues` queues, into `out` (`get_ethtool_stats`, with `get_sset_count` and
    /// `get_strings` from [`EthtoolOps::stat_queues`]).
    fn queue_stats(_dev: &Dev<Self>, _out: &mut [u64]) {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// A device's ethtool link settings (`struct ethtool_link_ksettings`), which tun.c keeps
/// as userspace sets them and reports back; nothing else reads them.
#[derive(Clone, Copy)]
pub(crate) struct LinkSettings(b::ethtool_link_ksettings);

// Copied whole, as tun.c's memcpy: bindgen's view of the struct must be C's.
const _: () = assert!(
    core::mem::size_of::<b::ethtool_link_ksettings>()
        == b::rtun_const_RTUN_LINK_KSETTINGS_SIZE as usize
);

impl LinkSettings {
    /// tun.c's `tun_default_link_ksettings`: 10 Gb/s, full duplex, twisted pair, no
    /// autonegotiation, no link modes.
    pub(crate) fn tun_default() -> Self {
        let mut s: b::ethtool_link_ksettings = pin_init::zeroed();
        s.base.speed = b::rtun_const_RTUN_SPEED_10000;
        s.base.duplex = b::rtun_const_RTUN_DUPLEX_FULL as u8;
        s.base.port = b::rtun_const_RTUN_PORT_TP as u8;
        s.base.autoneg = b::rtun_const_RTUN_AUTONEG_DISABLE as u8;
        Self(s)
    }
}

// SAFETY: `struct ethtool_link_ksettings` holds integers and bitmaps only, nothing tied to
// a thread.
unsafe impl Send for LinkSettings {}

/// The `ethtool_ops` table of one `T`, and the callbacks in it.
pub(super) struct Table<T>(PhantomData<T>);

impl<T: EthtoolOps> Table<T> {
    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_drvinfo(dev: *mut b::net_device, info: *mut b::ethtool_drvinfo) {
        // SAFETY: Ethtool ops are only installed on our devices; `info` is valid.
        unsafe {
            let d = Dev::<T>::from_raw(dev);
            let kind = CStr::from_char_ptr((*(*dev).rtnl_link_ops).kind);
            copy_cstr(&mut (*info).driver, kind);
            copy_cstr(&mut (*info).version, T::VERSION);
            if T::HAS_BUS_INFO {
                copy_cstr(&mut (*info).bus_info, T::bus_info(d));
            }
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_msglevel(dev: *mut b::net_device) -> u32 {
        // SAFETY: The table is only on our devices, and the core passes one valid for the call.
        T::msglevel(unsafe { Dev::<T>::from_raw(dev) })
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn set_msglevel(dev: *mut b::net_device, level: u32) {
        // SAFETY: The table is only on our devices, and the core passes one valid for the call.
        T::set_msglevel(unsafe { Dev::<T>::from_raw(dev) }, level)
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_coalesce(
        dev: *mut b::net_device,
        ec: *mut b::ethtool_coalesce,
        _kernel: *mut b::kernel_ethtool_coalesce,
        _extack: *mut b::netlink_ext_ack,
    ) -> i32 {
        // SAFETY: One of our devices; `ec` is valid for writes.
        unsafe { (*ec).rx_max_coalesced_frames = T::rx_coalesce_frames(Dev::<T>::from_raw(dev)) };
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn set_coalesce(
        dev: *mut b::net_device,
        ec: *mut b::ethtool_coalesce,
        _kernel: *mut b::kernel_ethtool_coalesce,
        _extack: *mut b::netlink_ext_ack,
    ) -> i32 {
        // SAFETY: One of our devices; `ec` is valid for reads. Only the parameters of
        // `supported_coalesce_params` reach us set.
        unsafe {
            T::set_rx_coalesce_frames(Dev::<T>::from_raw(dev), (*ec).rx_max_coalesced_frames)
        };
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_link_ksettings(
        dev: *mut b::net_device,
        cmd: *mut b::ethtool_link_ksettings,
    ) -> i32 {
        // SAFETY: One of our devices; the core holds RTNL for ethtool callbacks of a
        // driver that is not ops-locked; `cmd` is valid for writes.
        unsafe {
            let dev = Dev::<T>::from_raw(dev);
            Rtnl::with_held(|rtnl| *cmd = T::link_settings(dev).get(rtnl).0);
        }
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn set_link_ksettings(
        dev: *mut b::net_device,
        cmd: *const b::ethtool_link_ksettings,
    ) -> i32 {
        // SAFETY: One of our devices; the core holds RTNL for ethtool callbacks of a
        // driver that is not ops-locked, and the driver never calls into ethtool, so no
        // borrow made through another token of this thread is alive; `cmd` is valid for
        // reads.
        unsafe {
            let dev = Dev::<T>::from_raw(dev);
            Rtnl::with_held_mut(|rtnl| T::link_settings(dev).get_mut(rtnl).0 = *cmd);
        }
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_channels(dev: *mut b::net_device, ch: *mut b::ethtool_channels) {
        // SAFETY: One of our devices; `ch` is valid for writes.
        unsafe {
            let (live, max) = T::channels(Dev::<T>::from_raw(dev));
            (*ch).combined_count = live;
            (*ch).max_combined = max;
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_sset_count(dev: *mut b::net_device, sset: i32) -> i32 {
        if sset != b::ethtool_stringset_ETH_SS_STATS as i32 {
            return EOPNOTSUPP.to_errno();
        }
        // SAFETY: The table is only on our devices, and the core passes one valid for the call.
        let n = T::stat_queues(unsafe { Dev::<T>::from_raw(dev) }) as usize;
        match n * T::QUEUE_STAT_NAMES.len() {
            // No queue, no counters: the core warns on an empty set (`ethtool_get_stats`,
            // `ethtool_get_strings`), so say there is none, as tun.c (no stats at all) does.
            0 => EOPNOTSUPP.to_errno(),
            count => count as i32,
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_strings(dev: *mut b::net_device, sset: u32, data: *mut u8) {
        if sset != b::ethtool_stringset_ETH_SS_STATS {
            return;
        }
        // SAFETY: The table is only on our devices, and the core passes one valid for the call.
        let n = T::stat_queues(unsafe { Dev::<T>::from_raw(dev) });
        let names = T::QUEUE_STAT_NAMES;
        let total = n as usize * names.len();
        // SAFETY: The core allocated `get_sset_count` strings of ETH_GSTRING_LEN bytes,
        // and the count cannot change while the caller holds RTNL.
        let buf = unsafe { core::slice::from_raw_parts_mut(data, total * ETH_GSTRING_LEN) };
        for (i, slot) in buf.chunks_exact_mut(ETH_GSTRING_LEN).enumerate() {
            let mut w = FixedBuf { buf: slot, len: 0 };
            let _ = core::fmt::write(
                &mut w,
                format_args!("queue_{}_{}", i / names.len(), names[i % names.len()]),
            );
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_ethtool_stats(
        dev: *mut b::net_device,
        _stats: *mut b::ethtool_stats,
        data: *mut u64,
    ) {
        // SAFETY: The table is only on our devices, and the core passes one valid for the call.
        let d = unsafe { Dev::<T>::from_raw(dev) };
        let total = T::stat_queues(d) as usize * T::QUEUE_STAT_NAMES.len();
        // SAFETY: The core allocated `get_sset_count` u64s (RTNL keeps the count stable).
        let out = unsafe { core::slice::from_raw_parts_mut(data, total) };
        out.fill(0);
        T::queue_stats(d, out);
    }

    /// The table (tun.c's `tun_ethtool_ops`): the link state and timestamping
    /// information are the core's generic ones.
    pub(super) const OPS: b::ethtool_ops = b::ethtool_ops {
        get_channels: optional!(T::HAS_CHANNELS, Self::get_channels),
        get_sset_count: optional!(
            T::HAS_STAT_QUEUES && T::HAS_QUEUE_STATS,
            Self::get_sset_count
        ),
        get_strings: optional!(T::HAS_STAT_QUEUES && T::HAS_QUEUE_STATS, Self::get_strings),
        get_ethtool_stats: optional!(
            T::HAS_STAT_QUEUES && T::HAS_QUEUE_STATS,
            Self::get_ethtool_stats
        ),
        get_drvinfo: Some(Self::get_drvinfo),
        get_msglevel: optional!(T::HAS_MSGLEVEL, Self::get_msglevel),
        set_msglevel: optional!(T::HAS_SET_MSGLEVEL, Self::set_msglevel),
        get_link: Some(b::ethtool_op_get_link),
        get_ts_info: Some(b::ethtool_op_get_ts_info),
        supported_coalesce_params: if T::HAS_RX_COALESCE_FRAMES {
            b::rtun_const_RTUN_ETHTOOL_COALESCE_RX_MAX_FRAMES
        } else {
            0
        },
        get_coalesce: optional!(T::HAS_RX_COALESCE_FRAMES, Self::get_coalesce),
        set_coalesce: optional!(T::HAS_SET_RX_COALESCE_FRAMES, Self::set_coalesce),
        get_link_ksettings: optional!(T::HAS_LINK_SETTINGS, Self::get_link_ksettings),
        set_link_ksettings: optional!(T::HAS_LINK_SETTINGS, Self::set_link_ksettings),
        // No further callbacks.
        ..pin_init::zeroed()
    };
}

/// `ETH_GSTRING_LEN`.
const ETH_GSTRING_LEN: usize = b::ETH_GSTRING_LEN as usize;

/// A `fmt::Write` into a fixed, zero-filled buffer, truncating and NUL-terminated.
struct FixedBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl core::fmt::Write for FixedBuf<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &c in s.as_bytes() {
            if self.len + 1 >= self.buf.len() {
                break;
            }
            self.buf[self.len] = c;
            self.len += 1;
        }
        if let Some(end) = self.buf.get_mut(self.len) {
            *end = 0;
        }
        Ok(())
    }
}

/// Copies `src` into the fixed-size C string `dst`, truncating, NUL-terminated.
fn copy_cstr(dst: &mut [kernel::ffi::c_char], src: &CStr) {
    let n = src.to_bytes().len().min(dst.len().saturating_sub(1));
    for (d, s) in dst.iter_mut().zip(src.to_bytes()[..n].iter()) {
        *d = *s as kernel::ffi::c_char;
    }
    if let Some(end) = dst.get_mut(n) {
        *end = 0;
    }
}
