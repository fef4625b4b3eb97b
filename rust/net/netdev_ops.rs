// SPDX-License-Identifier: GPL-2.0

//! `struct net_device_ops`: the callbacks the core calls on our devices.
//!
//! [`NetDevOps`] is a `#[vtable]` trait, as `rust/kernel/net/phy.rs` maps its `Driver`
//! onto a `phy_driver`: a callback the driver does not implement stays NULL in the table,
//! and the core's default applies. The tables are built per `T` at compile time, one for
//! devices without a link-layer header and one for Ethernet devices ([`Tables`]).

use core::{marker::PhantomData, ptr::NonNull};
use kernel::prelude::*;

use crate::bindings as b;
use crate::net::optional;
use crate::net::{
    bpf::BpfProg,
    netdev::{priv_area, Dev, Priv, Unregistering},
    preempt::BhOff,
    rcu::RcuSection,
    rtnl::Rtnl,
    skb::Skb,
    xdp::XdpXmitFrames,
};

/// What the device's private data implements: the `net_device_ops` callbacks.
#[vtable]
pub(crate) trait NetDevOps: Sized + Send + Sync + 'static {
    /// `ndo_start_xmit`: the stack hands over a packet; it is always consumed. Runs in
    /// an RCU read-side critical section (`rcu`). The verdict tells a sender that
    /// bypasses the qdisc (`PACKET_QDISC_BYPASS`) whether its packet was dropped.
    fn start_xmit(dev: &Dev<Self>, skb: Skb, rcu: &RcuSection<'_>, bh: &BhOff<'_>) -> Xmit;

    /// `ndo_uninit`: the device is being unregistered (RTNL held).
    fn uninit(dev: &Dev<Self>, ctx: &mut Unregistering<'_, Self>);

    /// `ndo_stop`, before every transmit queue is stopped (RTNL held).
    fn stopping(_dev: &Dev<Self>, _rtnl: &Rtnl) {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Frames userspace wrote with a malformed header, added to `rx_frame_errors` by
    /// `ndo_get_stats64` (without it, the per-CPU counters alone: `dev_get_tstats64`).
    fn rx_frame_errors(_dev: &Dev<Self>) -> u64 {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `ndo_change_carrier` (RTNL held).
    fn change_carrier(_dev: &Dev<Self>, _on: bool, _rtnl: &Rtnl) -> Result {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `ndo_fix_features`: the features the device can have now.
    fn fix_features(_dev: &Dev<Self>, _features: u64) -> u64 {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `ndo_bpf` with `XDP_SETUP_PROG` (RTNL held, Ethernet devices only): `prog`
    /// replaces the device's XDP program; `None` detaches it. Cannot fail: the core gives
    /// the program's reference to the callee only on success.
    fn xdp_setup(_dev: &Dev<Self>, _prog: Option<BpfProg>, _rtnl: &mut Rtnl) {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `ndo_xdp_xmit` (Ethernet devices only): frames an XDP program redirected into the
    /// device; returns how many it took (the rest stay the caller's), `flush` when the
    /// readers are to be told now.
    fn xdp_xmit(
        _dev: &Dev<Self>,
        _frames: XdpXmitFrames<'_>,
        _flush: bool,
        _rcu: &RcuSection<'_>,
        _bh: &BhOff<'_>,
    ) -> Result<u32> {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `ndo_select_queue`: the transmit queue for `skb`.
    fn select_queue(_dev: &Dev<Self>, _skb: &mut SkbRef<'_>) -> u16 {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// What `ndo_start_xmit` did with a packet.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Xmit {
    /// Queued for the device's reader (`NETDEV_TX_OK`).
    Queued,
    /// Dropped and counted (`NET_XMIT_DROP`, as tun.c answers).
    Dropped,
}

/// A packet the stack still owns (for `select_queue`).
pub(crate) struct SkbRef<'a> {
    ptr: *mut b::sk_buff,
    _p: PhantomData<&'a mut b::sk_buff>,
}

impl SkbRef<'_> {
    /// The borrowed `struct sk_buff`, for the other abstractions in this layer.
    pub(crate) fn as_raw(&mut self) -> *mut b::sk_buff {
        self.ptr
    }

    /// The symmetric flow hash of the packet (same for both directions of a flow).
    pub(crate) fn flow_hash_symmetric(&mut self) -> u32 {
        // SAFETY: `ptr` is a valid skb for the call.
        unsafe { b::rtun_skb_get_hash_symmetric(self.ptr) }
    }
}

/// The `net_device_ops` tables of one `T`, and the callbacks in them.
pub(super) struct Tables<T>(PhantomData<T>);

impl<T: NetDevOps> Tables<T> {
    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn start_xmit(
        skb: *mut b::sk_buff,
        dev: *mut b::net_device,
    ) -> b::netdev_tx_t {
        // SAFETY: The core passes one of our devices (our ops table is only installed by
        // `Registration<T>::create`) and gives us the skb.
        let (dev, skb) = unsafe {
            (
                Dev::<T>::from_raw(dev),
                Skb::from_raw(NonNull::new_unchecked(skb)),
            )
        };
        // `__dev_queue_xmit` holds rcu_read_lock_bh, qdisc runs and pktgen disable
        // bottom halves, netpoll disables interrupts.
        // SAFETY: Every caller has bottom halves or interrupts off for the whole call, which
        // makes it an RCU read-side critical section.
        let rcu = unsafe { RcuSection::assume() };
        // SAFETY: Every caller has bottom halves or interrupts off for the whole call, so
        // softirqs cannot run meanwhile.
        let bh = unsafe { BhOff::assume() };
        match T::start_xmit(dev, skb, &rcu, &bh) {
            Xmit::Queued => b::netdev_tx_NETDEV_TX_OK,
            // The skb is consumed either way: a "complete" code (`dev_xmit_complete`).
            Xmit::Dropped => b::rtun_const_RTUN_NET_XMIT_DROP as b::netdev_tx_t,
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn init(dev: *mut b::net_device) -> i32 {
        // SAFETY: One of our devices; `register_netdevice` is its only caller, which
        // `create` calls under RTNL: no other thread touches `init` meanwhile.
        let (dev, pending) = unsafe {
            (
                Dev::<T>::from_raw(dev),
                (*priv_area(dev).cast::<Priv<T>>()).init.take(),
            )
        };
        let Some(pending) = pending else {
            return 0;
        };
        // SAFETY: RTNL is held (`register_netdevice`'s contract), and `create` makes no
        // use of its own `&mut Rtnl` until the call returns. `pending` is what `create`
        // set for this call: its slot lives on `create`'s stack, borrowed by nothing else.
        let r = unsafe { Rtnl::with_held_mut(|rtnl| (pending.call)(pending.slot, dev, rtnl)) };
        match r {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn uninit(dev: *mut b::net_device) {
        // SAFETY: The table is only on our devices, and the core passes one valid for the call.
        let dev = unsafe { Dev::<T>::from_raw(dev) };
        // SAFETY: The core calls ndo_uninit with RTNL held, from `unregister_netdevice*`
        // or a failed `register_netdevice`, which this layer calls only with `&mut Rtnl`
        // (`NetDev::unregister`, `Registration::create`), and from `rtnl_link_unregister` and
        // netns teardown, which hold no token of ours. The proof is made here, in
        // `dev`'s ndo_uninit, and lives only for the call (`register_netdevice` also calls
        // ndo_uninit when it fails: `Unregistering::new` tells the two apart).
        unsafe { Rtnl::with_held_mut(|rtnl| T::uninit(dev, &mut Unregistering::new(dev, rtnl))) };
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn open(dev: *mut b::net_device) -> i32 {
        // SAFETY: A valid device, RTNL held.
        unsafe { b::rtun_netif_tx_start_all_queues(dev) };
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn stop(dev: *mut b::net_device) -> i32 {
        // SAFETY: The table is only on our devices, and the core passes one valid for the call.
        let d = unsafe { Dev::<T>::from_raw(dev) };
        if T::HAS_STOPPING {
            // SAFETY: The core calls this with RTNL held.
            unsafe { Rtnl::with_held(|rtnl| T::stopping(d, rtnl)) };
        }
        // SAFETY: A valid device, RTNL held.
        unsafe { b::rtun_netif_tx_stop_all_queues(dev) };
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_stats64(dev: *mut b::net_device, stats: *mut b::rtnl_link_stats64) {
        // SAFETY: One of our devices, with per-CPU tstats; `stats` is valid for writes.
        unsafe { b::dev_get_tstats64(dev, stats) };
        // SAFETY: The table is only on our devices, and the core passes one valid for the call.
        let frame_errors = T::rx_frame_errors(unsafe { Dev::<T>::from_raw(dev) });
        // `stats` may be only 4-byte aligned: rtnl_fill_stats() points it into a netlink
        // attribute, which x86 does not pad to 8 bytes. So no reference, no aligned access.
        // SAFETY: `stats` is valid for reads and writes of a `rtnl_link_stats64`;
        // `addr_of_mut!` makes no reference and the accesses are unaligned.
        unsafe {
            let field = core::ptr::addr_of_mut!((*stats).rx_frame_errors);
            field.write_unaligned(field.read_unaligned() + frame_errors);
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn change_carrier(dev: *mut b::net_device, on: bool) -> i32 {
        // SAFETY: The table is only on our devices, and the core passes one valid for the call.
        let dev = unsafe { Dev::<T>::from_raw(dev) };
        // SAFETY: The core calls this with RTNL held.
        match unsafe { Rtnl::with_held(|rtnl| T::change_carrier(dev, on, rtnl)) } {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn bpf(dev: *mut b::net_device, cmd: *mut b::netdev_bpf) -> i32 {
        // SAFETY: One of our devices; `cmd` is valid for the call.
        let (dev, cmd) = unsafe { (Dev::<T>::from_raw(dev), &*cmd) };
        if cmd.command != b::rtun_const_RTUN_XDP_SETUP_PROG {
            return EINVAL.to_errno();
        }
        // SAFETY: `XDP_SETUP_PROG` fills the union's first member.
        let prog = unsafe { cmd.__bindgen_anon_1.__bindgen_anon_1.prog };
        // SAFETY: The core took a reference for us (`dev_xdp_install`), ours on success,
        // which `xdp_setup` always is.
        let prog = NonNull::new(prog).map(|p| unsafe { BpfProg::from_owned_xdp(p) });
        // SAFETY: The core calls ndo_bpf with RTNL held, when a program is attached or
        // detached through netlink or a BPF link (no driver call) and when the device
        // is unregistered (which the driver does with `&mut Rtnl`).
        unsafe { Rtnl::with_held_mut(|rtnl| T::xdp_setup(dev, prog, rtnl)) };
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn xdp_xmit(
        dev: *mut b::net_device,
        n: i32,
        frames: *mut *mut b::xdp_frame,
        flags: u32,
    ) -> i32 {
        if flags & !b::rtun_const_RTUN_XDP_XMIT_FLAGS_MASK != 0 {
            return EINVAL.to_errno();
        }
        // SAFETY: One of our devices; the caller lends `n` valid frames, each ours once
        // taken (the untaken ones it frees).
        let (dev, frames) = unsafe {
            (
                Dev::<T>::from_raw(dev),
                XdpXmitFrames::from_raw(frames, n.max(0) as usize),
            )
        };
        // The core calls ndo_xdp_xmit from XDP's flush, in NAPI context or a section
        // with bottom halves off (and a BPF net context).
        // SAFETY: NAPI context and sections with bottom halves off are RCU read-side
        // critical sections, for the whole call.
        let rcu = unsafe { RcuSection::assume() };
        // SAFETY: In NAPI context or with bottom halves off, softirqs cannot run meanwhile.
        let bh = unsafe { BhOff::assume() };
        let flush = flags & b::rtun_const_RTUN_XDP_XMIT_FLUSH != 0;
        match T::xdp_xmit(dev, frames, flush, &rcu, &bh) {
            Ok(n) => n as i32,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn fix_features(dev: *mut b::net_device, features: u64) -> u64 {
        // SAFETY: The table is only on our devices, and the core passes one valid for the call.
        T::fix_features(unsafe { Dev::<T>::from_raw(dev) }, features)
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn select_queue(
        dev: *mut b::net_device,
        skb: *mut b::sk_buff,
        _sb_dev: *mut b::net_device,
    ) -> u16 {
        // SAFETY: One of our devices; the skb is valid for the call.
        let dev = unsafe { Dev::<T>::from_raw(dev) };
        let mut skb = SkbRef {
            ptr: skb,
            _p: PhantomData,
        };
        T::select_queue(dev, &mut skb)
    }

    /// The callbacks of a device without a link-layer header (tun.c's
    /// `tun_netdev_ops`).
    pub(super) const L3: b::net_device_ops = b::net_device_ops {
        ndo_init: Some(Self::init),
        ndo_uninit: Some(Self::uninit),
        ndo_open: Some(Self::open),
        ndo_stop: Some(Self::stop),
        ndo_start_xmit: Some(Self::start_xmit),
        ndo_select_queue: optional!(T::HAS_SELECT_QUEUE, Self::select_queue),
        ndo_fix_features: optional!(T::HAS_FIX_FEATURES, Self::fix_features),
        ndo_get_stats64: if T::HAS_RX_FRAME_ERRORS {
            Some(Self::get_stats64)
        } else {
            Some(b::dev_get_tstats64)
        },
        ndo_change_carrier: optional!(T::HAS_CHANGE_CARRIER, Self::change_carrier),
        // No further callbacks.
        ..pin_init::zeroed()
    };

    /// The callbacks of an Ethernet device: those of [`Tables::L3`], the Ethernet
    /// helpers, and XDP (tun.c's `tap_netdev_ops`).
    pub(super) const ETHER: b::net_device_ops = b::net_device_ops {
        ndo_bpf: optional!(T::HAS_XDP_SETUP, Self::bpf),
        ndo_xdp_xmit: optional!(T::HAS_XDP_XMIT, Self::xdp_xmit),
        ndo_set_mac_address: Some(b::eth_mac_addr),
        ndo_validate_addr: Some(b::eth_validate_addr),
        ndo_features_check: Some(b::passthru_features_check),
        ..Self::L3
    };
}
