// SPDX-License-Identifier: GPL-2.0

//! Network devices whose private data is a Rust value.
//!
//! [`NetDev`] is any `struct net_device`, reference-counted with `dev_hold`/`dev_put`.
//! [`Dev<T>`] is one of ours: its private area holds a `T: NetDevOps`, pin-initialised
//! before registration and dropped by the `priv_destructor` when the core frees the
//! device. Devices are recognised as ours by their `rtnl_link_ops`, which [`LinkOps`]
//! owns, so a name lookup can never hand out someone else's private data as a `T`.

use core::{ffi::c_void, marker::PhantomData, ops::Deref, ptr::NonNull};
use kernel::{
    error::to_result,
    prelude::*,
    sync::aref::{ARef, AlwaysRefCounted},
    types::Opaque,
};

use crate::bindings as b;
use crate::net::{
    bpf::BpfProg,
    features::Features,
    netns::NetNs,
    preempt::{BhOff, NoBh},
    rcu::RcuSection,
    rtnl::{Rtnl, RtnlLocked},
    skb::Skb,
    xdp::XdpXmitFrames,
};

/// Any registered or registering `struct net_device`.
#[repr(transparent)]
pub(crate) struct NetDev(Opaque<b::net_device>);

// SAFETY: net devices are shared across threads by design; mutation goes through the
// kernel's own synchronisation (RTNL, atomics).
unsafe impl Send for NetDev {}
// SAFETY: as above.
unsafe impl Sync for NetDev {}

// SAFETY: `dev_hold`/`dev_put` keep the device allocated while the count is non-zero.
unsafe impl AlwaysRefCounted for NetDev {
    fn inc_ref(&self) {
        // SAFETY: `self` is a valid device.
        unsafe { b::rtun_dev_hold(self.as_raw()) }
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller owns a reference that it gives up.
        unsafe { b::rtun_dev_put(obj.as_ptr().cast()) }
    }
}

impl NetDev {
    /// The raw `struct net_device *`.
    pub(crate) fn as_raw(&self) -> *mut b::net_device {
        self.0.get()
    }

    /// The interface name (a copy: it can change on rename once RTNL is released).
    pub(crate) fn name(&self, _rtnl: &Rtnl) -> [u8; 16] {
        let mut out = [0u8; 16];
        // SAFETY: `name` is an array inside a valid device, and renames happen under RTNL,
        // which `_rtnl` proves held: nobody writes it during the copy.
        let name = unsafe { &(*self.as_raw()).name };
        for (o, c) in out.iter_mut().zip(name.iter()) {
            *o = c.to_ne_bytes()[0];
        }
        out[15] = 0;
        out
    }

    /// Whether the device is running (`netif_running`: opened, until `ndo_stop`). Its
    /// transmit queues are then the driver's to stop and wake.
    pub(crate) fn is_running(&self) -> bool {
        // SAFETY: a valid device; the state bit is read atomically.
        unsafe { b::rtun_netif_running(self.as_raw()) }
    }

    /// The transmit queue `index`, if the device has it.
    pub(crate) fn tx_queue(&self, index: u32) -> Option<TxQueue<'_>> {
        if index >= self.num_tx_queues() {
            return None;
        }
        // SAFETY: a valid device and an index below its allocated queue count.
        let txq = unsafe { b::rtun_netdev_get_tx_queue(self.as_raw(), index) };
        NonNull::new(txq).map(|ptr| TxQueue {
            ptr,
            _dev: PhantomData,
        })
    }

    /// Whether the interface is up (`IFF_UP`).
    pub(crate) fn is_up(&self) -> bool {
        self.flags() & b::net_device_flags_IFF_UP != 0
    }

    /// The interface flags (`IFF_UP`, ...).
    pub(crate) fn flags(&self) -> u32 {
        // SAFETY: reading an aligned word of a valid device (updated under RTNL).
        unsafe { core::ptr::read_volatile(&(*self.as_raw()).flags) }
    }

    /// Sets the ARPHRD_* type and address length (`TUNSETLINK`), with the notifiers
    /// that let upper layers refuse; the caller checks the device is down.
    pub(crate) fn set_link_type(&self, ty: u16, addr_len: u8, rtnl: &Rtnl) -> Result {
        notifier_to_errno(self.notify(b::rtun_const_RTUN_NETDEV_PRE_TYPE_CHANGE, rtnl))?;
        let dev = self.as_raw();
        // SAFETY: `type` and `addr_len` of a valid device are written under RTNL, which
        // `rtnl` proves held.
        unsafe {
            (*dev).type_ = ty;
            (*dev).addr_len = addr_len;
        }
        self.notify(b::rtun_const_RTUN_NETDEV_POST_TYPE_CHANGE, rtnl);
        Ok(())
    }

    /// Calls the netdevice notifiers for `event` on this device; returns their verdict.
    fn notify(&self, event: u32, _rtnl: &Rtnl) -> i32 {
        // SAFETY: the notifier chain is called under RTNL (`_rtnl`) on a valid device.
        unsafe { b::call_netdevice_notifiers(event as usize, self.as_raw()) }
    }

    /// The network namespace of the device, as a new file descriptor (`TUNGETDEVNETNS`).
    pub(crate) fn open_netns(&self) -> Result<isize> {
        // SAFETY: a registered device has a valid netns; the shim returns an fd or -errno.
        let r = unsafe { b::rtun_open_netns(b::rtun_dev_net(self.as_raw())) };
        to_result(r).map(|()| r as isize)
    }

    /// The hardware address into the `struct sockaddr` of an ifreq (`SIOCGIFHWADDR`).
    pub(crate) fn get_mac_address(&self, sockaddr: &mut [u8; 16], rtnl: &Rtnl) -> Result {
        let name = self.name(rtnl);
        // SAFETY: `sockaddr` is a writable `struct sockaddr`; the name is NUL-terminated.
        to_result(unsafe {
            b::netif_get_mac_address(
                sockaddr.as_mut_ptr().cast(),
                b::rtun_dev_net(self.as_raw()),
                name.as_ptr().cast_mut().cast(),
            )
        })
    }

    /// Sets the hardware address from the union of an ifreq (`SIOCSIFHWADDR`): a
    /// `struct sockaddr` whose address may run past its 14 bytes of `sa_data` into the
    /// rest of the union, as tun.c passes the ifreq itself.
    pub(crate) fn set_mac_address(&self, sockaddr: &[u8], _rtnl: &Rtnl) -> Result {
        let mut ss: b::__kernel_sockaddr_storage = pin_init::zeroed();
        let n = sockaddr.len().min(core::mem::size_of_val(&ss));
        // SAFETY: `ss` has room for `n` bytes, `sockaddr` holds them, and they don't overlap.
        unsafe { core::ptr::copy_nonoverlapping(sockaddr.as_ptr(), (&raw mut ss).cast::<u8>(), n) };
        // `dev_set_mac_address_user` reads `addr_len` (at most 16 for our link types)
        // bytes after the family: within the 128 bytes of `ss`, zeroes past the union.
        // SAFETY: RTNL is held; `ss` is valid for the call.
        to_result(unsafe {
            b::dev_set_mac_address_user(self.as_raw(), &mut ss, core::ptr::null_mut())
        })
    }

    /// Replaces the `mask` bits of the wanted features with `features` and re-evaluates
    /// the device's features (through `ndo_fix_features`), as `TUNSETOFFLOAD` does.
    pub(crate) fn set_wanted_features(&self, mask: Features, features: Features, _rtnl: &Rtnl) {
        let dev = self.as_raw();
        // SAFETY: `wanted_features` of a valid device is written under RTNL, which `_rtnl`
        // proves held, as `netdev_update_features` requires too.
        unsafe {
            (*dev).wanted_features = ((*dev).wanted_features & !mask) | (features & mask);
            b::netdev_update_features(dev);
        }
    }

    /// Whether the device is registered (not yet being unregistered).
    pub(crate) fn is_registered(&self) -> bool {
        // SAFETY: `self` is valid.
        unsafe { b::rtun_dev_registered(self.as_raw()) }
    }

    /// How many transmit queues the device was allocated with: the most it can use.
    pub(crate) fn num_tx_queues(&self) -> u32 {
        // SAFETY: reading a field of a valid device that never changes after allocation.
        unsafe { (*self.as_raw()).num_tx_queues }
    }

    /// The receive queues the stack uses now (`real_num_rx_queues`).
    pub(crate) fn real_num_rx_queues(&self) -> u32 {
        // SAFETY: reading an aligned field of a valid device (READ_ONCE: RTNL holders
        // change it).
        unsafe { core::ptr::read_volatile(&(*self.as_raw()).real_num_rx_queues) }
    }

    /// The transmit queue length (`ip link set txqueuelen`).
    pub(crate) fn tx_queue_len(&self) -> u32 {
        // SAFETY: reading an aligned field of a valid device.
        unsafe { core::ptr::read_volatile(&(*self.as_raw()).tx_queue_len) }
    }

    /// Turns the carrier on or off.
    pub(crate) fn set_carrier(&self, on: bool) {
        // SAFETY: `self` is valid; both functions may be called in process context.
        unsafe {
            if on {
                b::netif_carrier_on(self.as_raw())
            } else {
                b::netif_carrier_off(self.as_raw())
            }
        }
    }

    /// Hands a received packet to the stack, processing it now.
    pub(crate) fn receive(&self, skb: Skb, _bh: &NoBh) {
        // SAFETY: `netif_receive_skb` takes ownership of the skb whatever it returns, and
        // is called with bottom halves off (`_bh`), as the receive path expects.
        unsafe { b::netif_receive_skb(skb.into_raw()) };
    }

    /// Counts a received packet of `len` bytes.
    #[cfg(all(CONFIG_X86_64, not(CONFIG_UML)))]
    pub(crate) fn count_rx(&self, len: u32, _bh: &NoBh) {
        // SAFETY: the device's per-CPU counters (`tstats_add`), two of its `u64`s.
        unsafe {
            self.tstats_add(b::rtun_const_RTUN_TSTATS_RX_BYTES_OFFSET, len.into());
            self.tstats_add(b::rtun_const_RTUN_TSTATS_RX_PACKETS_OFFSET, 1);
        }
    }

    /// Counts a transmitted packet of `len` bytes (from process context, as `read`).
    #[cfg(all(CONFIG_X86_64, not(CONFIG_UML)))]
    pub(crate) fn count_tx(&self, len: u32) {
        // SAFETY: as in `count_rx`.
        unsafe {
            self.tstats_add(b::rtun_const_RTUN_TSTATS_TX_BYTES_OFFSET, len.into());
            self.tstats_add(b::rtun_const_RTUN_TSTATS_TX_PACKETS_OFFSET, 1);
        }
    }

    /// Adds `val` to this CPU's copy of the `u64` counter at `offset` in the device's
    /// per-CPU `struct pcpu_sw_netstats` (`dev->tstats`), as `this_cpu_add` does on
    /// x86-64: one instruction on the `%gs`-relative per-CPU address, which neither a
    /// preemption nor an interrupt can split. On 64-bit the counters' `u64_stats_sync` is
    /// empty (readers sum each `u64` as it is), so nothing else is to be done; what C's
    /// `dev_sw_netstats_*_add` would do, without the call.
    ///
    /// # Safety
    ///
    /// `offset` is that of a `u64_stats_t` in `struct pcpu_sw_netstats`, and the device
    /// has per-CPU tstats (every device `LinkOps::create` makes: `NETDEV_PCPU_STAT_TSTATS`).
    #[cfg(all(CONFIG_X86_64, not(CONFIG_UML)))]
    #[inline(always)]
    unsafe fn tstats_add(&self, offset: u32, val: u64) {
        // SAFETY: `self` is valid; `tstats` is a `__percpu` pointer, set for the device's
        // lifetime (per the caller).
        let tstats = unsafe {
            self.as_raw()
                .cast::<u8>()
                .add(b::rtun_const_RTUN_NETDEV_TSTATS_OFFSET as usize)
                .cast::<*mut u8>()
                .read()
        };
        // A per-CPU address is an offset from this CPU's `%gs` base, not a pointer to
        // dereference: only arithmetic on it here.
        let counter = tstats.wrapping_add(offset as usize);
        // SAFETY: `counter` is the per-CPU address of a `u64` counter of this device (per
        // the caller), so `%gs:counter` is this CPU's copy, live while the device is;
        // the add touches nothing else and no stack.
        unsafe {
            core::arch::asm!(
                "add qword ptr gs:[{counter}], {val}",
                counter = in(reg) counter,
                val = in(reg) val,
                options(nostack),
            )
        }
    }

    /// Counts a received packet of `len` bytes.
    #[cfg(not(all(CONFIG_X86_64, not(CONFIG_UML))))]
    pub(crate) fn count_rx(&self, len: u32, _bh: &NoBh) {
        // SAFETY: `self` is valid and has per-CPU tstats (set up by `LinkOps::create`);
        // bottom halves are off (`_bh`), so this CPU's counters stay ours for the update.
        unsafe { b::rtun_dev_sw_netstats_rx_add(self.as_raw(), len) }
    }

    /// Counts a transmitted packet of `len` bytes (from process context, as `read`).
    #[cfg(not(all(CONFIG_X86_64, not(CONFIG_UML))))]
    pub(crate) fn count_tx(&self, len: u32) {
        let _cpu = crate::net::preempt::NoPreempt::new();
        // SAFETY: as in `count_rx`.
        unsafe { b::rtun_dev_sw_netstats_tx_add(self.as_raw(), len) }
    }

    /// Counts a packet dropped on receive.
    pub(crate) fn count_rx_dropped(&self) {
        // SAFETY: `self` is valid.
        unsafe { b::rtun_dev_core_stats_rx_dropped_inc(self.as_raw()) }
    }

    /// Counts a packet dropped on transmit.
    pub(crate) fn count_tx_dropped(&self) {
        // SAFETY: `self` is valid.
        unsafe { b::rtun_dev_core_stats_tx_dropped_inc(self.as_raw()) }
    }

    /// Tells the stack how many transmit queues are live (at least 1).
    pub(crate) fn set_real_num_tx_queues(&self, n: u32, _rtnl: &Rtnl) -> Result {
        // SAFETY: RTNL is held, as the function requires.
        to_result(unsafe { b::netif_set_real_num_tx_queues(self.as_raw(), n.max(1)) })
    }

    /// Raises the receive queues the stack knows to `n`, if it knows fewer.
    pub(crate) fn grow_real_num_rx_queues(&self, n: u32, rtnl: &Rtnl) -> Result {
        if n <= self.real_num_rx_queues() {
            return Ok(());
        }
        let _ = rtnl;
        // SAFETY: RTNL is held (`rtnl`), as the function requires.
        to_result(unsafe { b::netif_set_real_num_rx_queues(self.as_raw(), n) })
    }

    /// Notifies listeners that the device state changed (`NETDEV_CHANGE`).
    pub(crate) fn state_change(&self, _rtnl: &Rtnl) {
        // SAFETY: RTNL is held.
        unsafe { b::netdev_state_change(self.as_raw()) }
    }

    /// Unregisters the device; the core frees it once the last reference is gone. Runs
    /// `ndo_uninit`, which may change RTNL-guarded state: hence `&mut Rtnl`.
    pub(crate) fn unregister(&self, _rtnl: &mut Rtnl) {
        if self.is_registered() {
            // SAFETY: RTNL is held and the device is registered.
            unsafe { b::unregister_netdevice_queue(self.as_raw(), core::ptr::null_mut()) }
        }
    }

    /// Whether the caller has CAP_NET_ADMIN over the device's network namespace.
    pub(crate) fn net_admin_capable(&self) -> bool {
        // SAFETY: a registered device has a valid netns.
        unsafe { b::rtun_ns_capable_net_admin(b::rtun_dev_net(self.as_raw())) }
    }
}

/// A notifier chain's verdict as a result (`notifier_to_errno`).
fn notifier_to_errno(ret: i32) -> Result {
    let ret = ret & !(b::rtun_const_RTUN_NOTIFY_STOP_MASK as i32);
    let ok = b::rtun_const_RTUN_NOTIFY_OK as i32;
    if ret > ok {
        Err(Error::from_errno(ok - ret))
    } else {
        Ok(())
    }
}

/// Which kind of tun device: layer 3 or Ethernet.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Point-to-point, no link-layer header (`IFF_TUN`).
    Tun,
    /// Ethernet (`IFF_TAP`).
    Tap,
}

/// What the device's private data implements: the netdev callbacks.
pub(crate) trait NetDevOps: Sized + Send + Sync + 'static {
    /// `ndo_start_xmit`: the stack hands over a packet; it is always consumed. Runs in
    /// an RCU read-side critical section (`rcu`). The verdict tells a sender that
    /// bypasses the qdisc (`PACKET_QDISC_BYPASS`) whether its packet was dropped.
    fn start_xmit(dev: &Dev<Self>, skb: Skb, rcu: &RcuSection<'_>, bh: &BhOff<'_>) -> Xmit;

    /// `ndo_uninit`: the device is being unregistered (RTNL held).
    fn uninit(dev: &Dev<Self>, ctx: &mut Unregistering<'_, Self>);

    /// `NETDEV_UP`: the device came up (RTNL held; `IFF_UP` is set).
    fn up(dev: &Dev<Self>, rtnl: &Rtnl);

    /// `ndo_stop`, before every transmit queue is stopped (RTNL held).
    fn stopping(dev: &Dev<Self>, rtnl: &Rtnl);

    /// `NETDEV_CHANGE_TX_QUEUE_LEN`: `tx_queue_len` changed (RTNL held). An error makes
    /// the core put the old length back.
    fn tx_queue_len_changed(dev: &Dev<Self>, rtnl: &Rtnl) -> Result;

    /// Frames userspace wrote with a malformed header, added to `rx_frame_errors`.
    fn rx_frame_errors(dev: &Dev<Self>) -> u64;

    /// `ndo_change_carrier` (RTNL held).
    fn change_carrier(dev: &Dev<Self>, on: bool, rtnl: &Rtnl) -> Result;

    /// `ndo_fix_features`: the features the device can have now.
    fn fix_features(dev: &Dev<Self>, features: u64) -> u64;

    /// `ndo_bpf` with `XDP_SETUP_PROG` (RTNL held, TAP devices only): `prog` replaces
    /// the device's XDP program; `None` detaches it. Cannot fail: the core gives the
    /// program's reference to the callee only on success.
    fn xdp_setup(dev: &Dev<Self>, prog: Option<BpfProg>, rtnl: &mut Rtnl);

    /// `ndo_xdp_xmit` (TAP devices only): frames an XDP program redirected into the
    /// device; returns how many it took (the rest stay the caller's), `flush` when the
    /// readers are to be told now.
    fn xdp_xmit(
        dev: &Dev<Self>,
        frames: XdpXmitFrames<'_>,
        flush: bool,
        rcu: &RcuSection<'_>,
        bh: &BhOff<'_>,
    ) -> Result<u32>;

    /// `ndo_select_queue`: the transmit queue for `skb`.
    fn select_queue(dev: &Dev<Self>, skb: &mut SkbRef<'_>) -> u16;

    /// rtnl `fill_info`: the device's attributes for `ip -d link`.
    fn fill_info(dev: &Dev<Self>, msg: &mut LinkInfoMsg<'_>) -> Result;

    /// rtnl `get_size`: an upper bound of what `fill_info` writes.
    const INFO_SIZE: usize;

    /// A sysfs attribute's value (`None`: unset, shown as -1).
    fn sysfs_value(dev: &Dev<Self>, attr: SysfsAttr) -> Option<u32>;

    /// ethtool `bus_info`.
    fn bus_info(dev: &Dev<Self>) -> &'static CStr;

    /// ethtool message level (`TUNSETDEBUG` sets it too).
    fn msglevel(dev: &Dev<Self>) -> u32;

    /// Sets the ethtool message level.
    fn set_msglevel(dev: &Dev<Self>, level: u32);

    /// ethtool coalescing: how many written packets may be held for one batch (tun.c's
    /// `rx_batched`, ethtool's `rx-frames`).
    fn rx_coalesce_frames(dev: &Dev<Self>) -> u32;

    /// Sets it, from ethtool.
    fn set_rx_coalesce_frames(dev: &Dev<Self>, frames: u32);

    /// The ethtool link settings the device keeps for userspace (RTNL held to touch them).
    fn link_settings(dev: &Dev<Self>) -> &RtnlLocked<LinkSettings>;

    /// ethtool channels: (live, maximum) combined channels.
    fn channels(dev: &Dev<Self>) -> (u32, u32);

    /// The names of the per-queue counters of `ethtool -S`.
    const QUEUE_STAT_NAMES: &'static [&'static str];

    /// Number of queues `ethtool -S` reports.
    fn stat_queues(dev: &Dev<Self>) -> u32;

    /// Per-queue counter values, `QUEUE_STAT_NAMES.len()` per queue, for at most
    /// `stat_queues` queues, into `out`.
    fn queue_stats(dev: &Dev<Self>, out: &mut [u64]);
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

// SAFETY: plain data.
unsafe impl Send for LinkSettings {}

/// One transmit queue of a device (`struct netdev_queue`), which the driver stops when
/// it has no room and wakes when room comes (`IFF_BACKPRESSURE`).
///
/// # Invariants
///
/// `ptr` is a transmit queue of a device that outlives `'a`.
pub(crate) struct TxQueue<'a> {
    ptr: NonNull<b::netdev_queue>,
    _dev: PhantomData<&'a NetDev>,
}

impl TxQueue<'_> {
    /// Stops the queue: the qdisc keeps its packets until [`TxQueue::wake`].
    pub(crate) fn stop(&self) {
        // SAFETY: a valid queue (type invariant); the state bit is set atomically.
        unsafe { b::rtun_netif_tx_stop_queue(self.ptr.as_ptr()) }
    }

    /// Wakes a stopped queue and schedules its qdisc.
    pub(crate) fn wake(&self) {
        // SAFETY: a valid queue (type invariant); callable from any context.
        unsafe { b::rtun_netif_tx_wake_queue(self.ptr.as_ptr()) }
    }

    /// Whether the driver stopped the queue.
    pub(crate) fn is_stopped(&self) -> bool {
        // SAFETY: a valid queue (type invariant).
        unsafe { b::rtun_netif_tx_queue_stopped(self.ptr.as_ptr()) }
    }

    /// Whether the queue has no qdisc that could hold packets (`noqueue`): stopping it
    /// would only drop them.
    pub(crate) fn has_no_qdisc(&self, _rcu: &RcuSection<'_>) -> bool {
        // SAFETY: a valid queue (type invariant); the qdisc it points to is freed only
        // after a grace period, and we are in a read-side critical section.
        unsafe { b::rtun_qdisc_txq_has_no_queue(self.ptr.as_ptr()) }
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

/// The sysfs attributes of a device (`tun_flags`, `owner`, `group`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SysfsAttr {
    /// `tun_flags`, shown in hex.
    TunFlags,
    /// `owner`, a uid in the reader's user namespace.
    Owner,
    /// `group`, a gid in the reader's user namespace.
    Group,
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

/// A netlink message being filled with `IFLA_TUN_*` attributes.
pub(crate) struct LinkInfoMsg<'a> {
    skb: *mut b::sk_buff,
    _p: PhantomData<&'a mut b::sk_buff>,
}

impl LinkInfoMsg<'_> {
    /// Adds a u8 attribute.
    pub(crate) fn put_u8(&mut self, attr: u32, v: u8) -> Result {
        // SAFETY: `skb` is the message being built, valid for the call.
        to_result(unsafe { b::rtun_nla_put_u8(self.skb, attr as i32, v) })
    }

    /// Adds a u32 attribute.
    pub(crate) fn put_u32(&mut self, attr: u32, v: u32) -> Result {
        // SAFETY: as above.
        to_result(unsafe { b::rtun_nla_put_u32(self.skb, attr as i32, v) })
    }
}

/// One of our devices: a [`NetDev`] whose private data is a `T`.
///
/// # Invariants
///
/// The device was created by `LinkOps<T>::create`, so its private area holds an
/// initialised `Priv<T>` until the `priv_destructor` runs (after the last reference).
#[repr(transparent)]
pub(crate) struct Dev<T: NetDevOps>(NetDev, PhantomData<T>);

// SAFETY: as for `NetDev`; `T` is `Send + Sync`.
unsafe impl<T: NetDevOps> Send for Dev<T> {}
// SAFETY: as above.
unsafe impl<T: NetDevOps> Sync for Dev<T> {}

// SAFETY: same counting as `NetDev`.
unsafe impl<T: NetDevOps> AlwaysRefCounted for Dev<T> {
    fn inc_ref(&self) {
        self.0.inc_ref()
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: forwarded; `Dev<T>` is a transparent `NetDev`.
        unsafe { NetDev::dec_ref(obj.cast()) }
    }
}

impl<T: NetDevOps> Deref for Dev<T> {
    type Target = NetDev;

    fn deref(&self) -> &NetDev {
        &self.0
    }
}

/// The private area of our devices.
#[pin_data]
struct Priv<T: NetDevOps> {
    /// Whether `data` is initialised (so the destructor drops it exactly once).
    live: bool,
    /// The first steps of the device, which `ndo_init` runs: set by `LinkOps::create` for
    /// the length of its `register_netdevice` call only.
    init: Option<PendingInit<T>>,
    #[pin]
    data: T,
}

/// A `LinkOps::create` caller's closure, type-erased for `ndo_init`.
struct PendingInit<T: NetDevOps> {
    /// `call_init::<T, F>` for the closure's type `F`.
    call: unsafe fn(*mut c_void, &Dev<T>, &mut Rtnl) -> Result,
    /// The `Option<F>` slot on `create`'s stack.
    slot: *mut c_void,
}

/// Runs the closure in `slot` (once: it is taken out).
///
/// # Safety
///
/// `slot` points to a live `Option<F>` that nothing else borrows for the call.
unsafe fn call_init<T, F>(slot: *mut c_void, dev: &Dev<T>, rtnl: &mut Rtnl) -> Result
where
    T: NetDevOps,
    F: FnOnce(&Dev<T>, &mut Rtnl) -> Result,
{
    // SAFETY: per the caller.
    let slot = unsafe { &mut *slot.cast::<Option<F>>() };
    slot.take().map_or(Ok(()), |f| f(dev, rtnl))
}

impl<T: NetDevOps> Dev<T> {
    /// # Safety
    ///
    /// `ptr` must be a valid device created by `LinkOps<T>`, valid for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *const b::net_device) -> &'a Self {
        // SAFETY: transparent wrapper; per the caller.
        unsafe { &*ptr.cast() }
    }

    fn priv_ptr(&self) -> *mut Priv<T> {
        // The private area of our devices is sized and aligned for `Priv<T>`.
        priv_area(self.as_raw()).cast()
    }

    /// The private data.
    pub(crate) fn data(&self) -> &T {
        // SAFETY: by the type invariant the private data is initialised while the device
        // is referenced, and it is only mutated through its own interior mutability.
        unsafe { &(*self.priv_ptr()).data }
    }

    /// A new counted reference.
    pub(crate) fn to_aref(&self) -> ARef<Self> {
        ARef::from(self)
    }
}

/// What `ndo_uninit` is given: RTNL, and proof that the core holds `dev`'s registration
/// reference until a grace period after `ndo_uninit` returns
/// (`unregister_netdevice_many_notify`).
pub(crate) struct Unregistering<'a, T: NetDevOps> {
    dev: &'a Dev<T>,
    rtnl: &'a mut Rtnl,
    /// False when `register_netdevice` failed after `ndo_init`: no grace period follows.
    holds_registration: bool,
}

impl<T: NetDevOps> Unregistering<'_, T> {
    /// The device being unregistered.
    pub(crate) fn dev(&self) -> &Dev<T> {
        self.dev
    }

    /// RTNL, held throughout.
    pub(crate) fn rtnl(&self) -> &Rtnl {
        self.rtnl
    }

    /// RTNL, for changes to RTNL-guarded state.
    pub(crate) fn rtnl_mut(&mut self) -> &mut Rtnl {
        self.rtnl
    }

    /// Whether the core holds the registration reference until a grace period after
    /// `ndo_uninit` (a real unregistration, not a failed registration).
    pub(crate) fn holds_registration(&self) -> bool {
        self.holds_registration
    }
}

/// `netdev_priv()`: the private area, at a fixed offset that clang computed from the
/// kernel's own struct (no call, unlike a C shim).
fn priv_area(dev: *const b::net_device) -> *mut u8 {
    dev.cast::<u8>()
        .cast_mut()
        .wrapping_add(b::rtun_const_RTUN_NETDEV_PRIV_OFFSET as usize)
}

/// The callbacks the kernel sees, for one `T`.
struct Callbacks<T>(PhantomData<T>);

impl<T: NetDevOps> Callbacks<T> {
    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn start_xmit(
        skb: *mut b::sk_buff,
        dev: *mut b::net_device,
    ) -> b::netdev_tx_t {
        // SAFETY: the core passes one of our devices (our ops table is only installed by
        // `LinkOps<T>::create`) and gives us the skb.
        let (dev, skb) = unsafe {
            (
                Dev::<T>::from_raw(dev),
                Skb::from_raw(NonNull::new_unchecked(skb)),
            )
        };
        // `__dev_queue_xmit` holds rcu_read_lock_bh, qdisc runs and pktgen disable
        // bottom halves, netpoll disables interrupts.
        // SAFETY: so the whole call is inside an RCU read-side critical section.
        let rcu = unsafe { RcuSection::assume() };
        // SAFETY: as above, softirqs cannot run meanwhile.
        let bh = unsafe { BhOff::assume() };
        match T::start_xmit(dev, skb, &rcu, &bh) {
            Xmit::Queued => b::netdev_tx_NETDEV_TX_OK,
            // The skb is consumed either way: a "complete" code (`dev_xmit_complete`).
            Xmit::Dropped => b::rtun_const_RTUN_NET_XMIT_DROP as b::netdev_tx_t,
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn init(dev: *mut b::net_device) -> i32 {
        // SAFETY: one of our devices; `register_netdevice` is its only caller, which
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
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn uninit(dev: *mut b::net_device) {
        // SAFETY: one of our devices.
        let dev = unsafe { Dev::<T>::from_raw(dev) };
        // `register_netdevice` also calls ndo_uninit when it fails, with no
        // registration reference taken: the proof holds only when unregistering.
        // SAFETY: `dev` is valid.
        let holds_registration = unsafe { b::rtun_dev_unregistering(dev.as_raw()) };
        // SAFETY: the core calls ndo_uninit with RTNL held, from `unregister_netdevice*`
        // or a failed `register_netdevice`, which this layer calls only with `&mut Rtnl`
        // (`NetDev::unregister`, `LinkOps::create`), and from `rtnl_link_unregister` and
        // netns teardown, which hold no token of ours.
        unsafe {
            Rtnl::with_held_mut(|rtnl| {
                T::uninit(
                    dev,
                    &mut Unregistering {
                        dev,
                        rtnl,
                        holds_registration,
                    },
                )
            })
        };
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn open(dev: *mut b::net_device) -> i32 {
        // SAFETY: a valid device, RTNL held.
        unsafe { b::rtun_netif_tx_start_all_queues(dev) };
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn stop(dev: *mut b::net_device) -> i32 {
        // SAFETY: one of our devices.
        let d = unsafe { Dev::<T>::from_raw(dev) };
        // SAFETY: the core calls this with RTNL held.
        unsafe { Rtnl::with_held(|rtnl| T::stopping(d, rtnl)) };
        // SAFETY: a valid device, RTNL held.
        unsafe { b::rtun_netif_tx_stop_all_queues(dev) };
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_stats64(dev: *mut b::net_device, stats: *mut b::rtnl_link_stats64) {
        // SAFETY: one of our devices, with per-CPU tstats; `stats` is valid for writes.
        unsafe { b::dev_get_tstats64(dev, stats) };
        // SAFETY: one of our devices.
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
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn change_carrier(dev: *mut b::net_device, on: bool) -> i32 {
        // SAFETY: one of our devices.
        let dev = unsafe { Dev::<T>::from_raw(dev) };
        // SAFETY: the core calls this with RTNL held.
        match unsafe { Rtnl::with_held(|rtnl| T::change_carrier(dev, on, rtnl)) } {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn bpf(dev: *mut b::net_device, cmd: *mut b::netdev_bpf) -> i32 {
        // SAFETY: one of our devices; `cmd` is valid for the call.
        let (dev, cmd) = unsafe { (Dev::<T>::from_raw(dev), &*cmd) };
        if cmd.command != b::rtun_const_RTUN_XDP_SETUP_PROG {
            return EINVAL.to_errno();
        }
        // SAFETY: `XDP_SETUP_PROG` fills the union's first member.
        let prog = unsafe { cmd.__bindgen_anon_1.__bindgen_anon_1.prog };
        // SAFETY: the core took a reference for us (`dev_xdp_install`), ours on success,
        // which `xdp_setup` always is.
        let prog = NonNull::new(prog).map(|p| unsafe { BpfProg::from_owned_xdp(p) });
        // SAFETY: the core calls ndo_bpf with RTNL held, when a program is attached or
        // detached through netlink or a BPF link (no driver call) and when the device
        // is unregistered (which the driver does with `&mut Rtnl`).
        unsafe { Rtnl::with_held_mut(|rtnl| T::xdp_setup(dev, prog, rtnl)) };
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
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
        // SAFETY: one of our devices; the caller lends `n` valid frames, each ours once
        // taken (the untaken ones it frees).
        let (dev, frames) = unsafe {
            (
                Dev::<T>::from_raw(dev),
                XdpXmitFrames::from_raw(frames, n.max(0) as usize),
            )
        };
        // The core calls ndo_xdp_xmit from XDP's flush, in NAPI context or a section
        // with bottom halves off (and a BPF net context).
        // SAFETY: so the call is inside an RCU read-side critical section.
        let rcu = unsafe { RcuSection::assume() };
        // SAFETY: as above, softirqs cannot run meanwhile.
        let bh = unsafe { BhOff::assume() };
        let flush = flags & b::rtun_const_RTUN_XDP_XMIT_FLUSH != 0;
        match T::xdp_xmit(dev, frames, flush, &rcu, &bh) {
            Ok(n) => n as i32,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn fix_features(dev: *mut b::net_device, features: u64) -> u64 {
        // SAFETY: one of our devices.
        T::fix_features(unsafe { Dev::<T>::from_raw(dev) }, features)
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn select_queue(
        dev: *mut b::net_device,
        skb: *mut b::sk_buff,
        _sb_dev: *mut b::net_device,
    ) -> u16 {
        // SAFETY: one of our devices; the skb is valid for the call.
        let dev = unsafe { Dev::<T>::from_raw(dev) };
        let mut skb = SkbRef {
            ptr: skb,
            _p: PhantomData,
        };
        T::select_queue(dev, &mut skb)
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn setup(dev: *mut b::net_device) {
        // SAFETY: `alloc_netdev_mqs` calls setup on the freshly allocated device.
        unsafe {
            (*dev).needs_free_netdev = true;
            (*dev).priv_destructor = Some(Self::destructor);
            (*dev).tx_queue_len = TX_QUEUE_LEN;
            (*dev).set_pcpu_stat_type(b::netdev_stat_type_NETDEV_PCPU_STAT_TSTATS);
            b::rtun_netdev_set_lltx(dev);
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn destructor(dev: *mut b::net_device) {
        // SAFETY: the core calls this once it is done with the device; nobody else can
        // reach the private data any more.
        unsafe {
            let p = priv_area(dev).cast::<Priv<T>>();
            if (*p).live {
                (*p).live = false;
                core::ptr::drop_in_place(&raw mut (*p).data);
            }
        }
    }

    /// # Safety
    ///
    /// Called by the netdevice notifier chain, for any device, with `nb` the block of an
    /// [`Events`] that `LinkOps<T>::register` registered and `ptr` a
    /// `netdev_notifier_info`.
    unsafe extern "C" fn device_event(
        nb: *mut b::notifier_block,
        event: kernel::ffi::c_ulong,
        ptr: *mut kernel::ffi::c_void,
    ) -> i32 {
        const DONE: i32 = b::rtun_const_RTUN_NOTIFY_DONE as i32;
        // SAFETY: `nb` is the first field of a `repr(C)` `Events` (per the caller).
        let events = unsafe { &*nb.cast::<Events>() };
        // SAFETY: per the caller, `ptr` is the notifier info of a valid device.
        let dev = unsafe { b::rtun_netdev_notifier_info_to_dev(ptr.cast()) };
        // SAFETY: the device is valid for the call.
        if unsafe { (*dev).rtnl_link_ops } != events.link {
            return DONE;
        }
        // SAFETY: our link ops are only on devices created by `LinkOps<T>::create`.
        let dev = unsafe { Dev::<T>::from_raw(dev) };
        let result = match event as u32 {
            b::rtun_const_RTUN_NETDEV_UP => {
                // SAFETY: netdevice notifiers run with RTNL held.
                unsafe { Rtnl::with_held(|rtnl| T::up(dev, rtnl)) };
                Ok(())
            }
            b::rtun_const_RTUN_NETDEV_CHANGE_TX_QUEUE_LEN => {
                // SAFETY: as above.
                unsafe { Rtnl::with_held(|rtnl| T::tx_queue_len_changed(dev, rtnl)) }
            }
            _ => Ok(()),
        };
        match result {
            Ok(()) => DONE,
            Err(_) => b::rtun_const_RTUN_NOTIFY_BAD as i32,
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn validate(
        _tb: *mut *mut b::nlattr,
        _data: *mut *mut b::nlattr,
        _extack: *mut b::netlink_ext_ack,
    ) -> i32 {
        // tun.c: "tun/tap creation via rtnetlink is not supported."
        EOPNOTSUPP.to_errno()
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_size(_dev: *const b::net_device) -> usize {
        T::INFO_SIZE
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn fill_info(skb: *mut b::sk_buff, dev: *const b::net_device) -> i32 {
        // SAFETY: one of ours (the link ops are only on our devices); skb is the message.
        let dev = unsafe { Dev::<T>::from_raw(dev) };
        let mut msg = LinkInfoMsg {
            skb,
            _p: PhantomData,
        };
        match T::fill_info(dev, &mut msg) {
            Ok(()) => 0,
            Err(_) => EMSGSIZE.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn sysfs_value(dev: *mut b::net_device, attr: b::rtun_sysfs_attr) -> i64 {
        // SAFETY: the attribute group is only installed on our devices, and sysfs keeps the
        // device alive while an attribute is read.
        let dev = unsafe { Dev::<T>::from_raw(dev) };
        let attr = match attr {
            b::rtun_sysfs_attr_RTUN_SYSFS_OWNER => SysfsAttr::Owner,
            b::rtun_sysfs_attr_RTUN_SYSFS_GROUP => SysfsAttr::Group,
            _ => SysfsAttr::TunFlags,
        };
        T::sysfs_value(dev, attr).map_or(-1, i64::from)
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_drvinfo(dev: *mut b::net_device, info: *mut b::ethtool_drvinfo) {
        // SAFETY: ethtool ops are only installed on our devices; `info` is valid.
        unsafe {
            let d = Dev::<T>::from_raw(dev);
            let kind = CStr::from_char_ptr((*(*dev).rtnl_link_ops).kind);
            copy_cstr(&mut (*info).driver, kind);
            copy_cstr(&mut (*info).version, c"1.6");
            copy_cstr(&mut (*info).bus_info, T::bus_info(d));
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_msglevel(dev: *mut b::net_device) -> u32 {
        // SAFETY: one of our devices.
        T::msglevel(unsafe { Dev::<T>::from_raw(dev) })
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn set_msglevel(dev: *mut b::net_device, level: u32) {
        // SAFETY: one of our devices.
        T::set_msglevel(unsafe { Dev::<T>::from_raw(dev) }, level)
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_coalesce(
        dev: *mut b::net_device,
        ec: *mut b::ethtool_coalesce,
        _kernel: *mut b::kernel_ethtool_coalesce,
        _extack: *mut b::netlink_ext_ack,
    ) -> i32 {
        // SAFETY: one of our devices; `ec` is valid for writes.
        unsafe { (*ec).rx_max_coalesced_frames = T::rx_coalesce_frames(Dev::<T>::from_raw(dev)) };
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn set_coalesce(
        dev: *mut b::net_device,
        ec: *mut b::ethtool_coalesce,
        _kernel: *mut b::kernel_ethtool_coalesce,
        _extack: *mut b::netlink_ext_ack,
    ) -> i32 {
        // SAFETY: one of our devices; `ec` is valid for reads. Only the parameters of
        // `supported_coalesce_params` reach us set.
        unsafe {
            T::set_rx_coalesce_frames(Dev::<T>::from_raw(dev), (*ec).rx_max_coalesced_frames)
        };
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_link_ksettings(
        dev: *mut b::net_device,
        cmd: *mut b::ethtool_link_ksettings,
    ) -> i32 {
        // SAFETY: one of our devices; the core holds RTNL for ethtool callbacks of a
        // driver that is not ops-locked; `cmd` is valid for writes.
        unsafe {
            let dev = Dev::<T>::from_raw(dev);
            Rtnl::with_held_mut(|rtnl| *cmd = T::link_settings(dev).get_mut(rtnl).0);
        }
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn set_link_ksettings(
        dev: *mut b::net_device,
        cmd: *const b::ethtool_link_ksettings,
    ) -> i32 {
        // SAFETY: as in `get_link_ksettings`; `cmd` is valid for reads.
        unsafe {
            let dev = Dev::<T>::from_raw(dev);
            Rtnl::with_held_mut(|rtnl| T::link_settings(dev).get_mut(rtnl).0 = *cmd);
        }
        0
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_channels(dev: *mut b::net_device, ch: *mut b::ethtool_channels) {
        // SAFETY: one of our devices; `ch` is valid for writes.
        unsafe {
            let (live, max) = T::channels(Dev::<T>::from_raw(dev));
            (*ch).combined_count = live;
            (*ch).max_combined = max;
        }
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_sset_count(dev: *mut b::net_device, sset: i32) -> i32 {
        if sset != b::ethtool_stringset_ETH_SS_STATS as i32 {
            return EOPNOTSUPP.to_errno();
        }
        // SAFETY: one of our devices.
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
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_strings(dev: *mut b::net_device, sset: u32, data: *mut u8) {
        if sset != b::ethtool_stringset_ETH_SS_STATS {
            return;
        }
        // SAFETY: one of our devices.
        let n = T::stat_queues(unsafe { Dev::<T>::from_raw(dev) });
        let names = T::QUEUE_STAT_NAMES;
        let total = n as usize * names.len();
        // SAFETY: the core allocated `get_sset_count` strings of ETH_GSTRING_LEN bytes,
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
    /// Called by the kernel only for devices created by `LinkOps<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_ethtool_stats(
        dev: *mut b::net_device,
        _stats: *mut b::ethtool_stats,
        data: *mut u64,
    ) {
        // SAFETY: one of our devices.
        let d = unsafe { Dev::<T>::from_raw(dev) };
        let total = T::stat_queues(d) as usize * T::QUEUE_STAT_NAMES.len();
        // SAFETY: the core allocated `get_sset_count` u64s (RTNL keeps the count stable).
        let out = unsafe { core::slice::from_raw_parts_mut(data, total) };
        out.fill(0);
        T::queue_stats(d, out);
    }

    const ETHTOOL_OPS: b::ethtool_ops = b::ethtool_ops {
        get_channels: Some(Self::get_channels),
        get_sset_count: Some(Self::get_sset_count),
        get_strings: Some(Self::get_strings),
        get_ethtool_stats: Some(Self::get_ethtool_stats),
        get_drvinfo: Some(Self::get_drvinfo),
        get_msglevel: Some(Self::get_msglevel),
        set_msglevel: Some(Self::set_msglevel),
        get_link: Some(b::ethtool_op_get_link),
        get_ts_info: Some(b::ethtool_op_get_ts_info),
        supported_coalesce_params: b::rtun_const_RTUN_ETHTOOL_COALESCE_RX_MAX_FRAMES,
        get_coalesce: Some(Self::get_coalesce),
        set_coalesce: Some(Self::set_coalesce),
        get_link_ksettings: Some(Self::get_link_ksettings),
        set_link_ksettings: Some(Self::set_link_ksettings),
        // No further callbacks.
        ..pin_init::zeroed()
    };

    /// The callbacks of a TUN device (tun.c's `tun_netdev_ops`).
    const TUN_OPS: b::net_device_ops = b::net_device_ops {
        ndo_init: Some(Self::init),
        ndo_uninit: Some(Self::uninit),
        ndo_open: Some(Self::open),
        ndo_stop: Some(Self::stop),
        ndo_start_xmit: Some(Self::start_xmit),
        ndo_select_queue: Some(Self::select_queue),
        ndo_fix_features: Some(Self::fix_features),
        ndo_get_stats64: Some(Self::get_stats64),
        ndo_change_carrier: Some(Self::change_carrier),
        // No further callbacks.
        ..pin_init::zeroed()
    };

    /// TUN's callbacks plus the Ethernet and XDP ones (tun.c's `tap_netdev_ops`).
    const TAP_OPS: b::net_device_ops = b::net_device_ops {
        ndo_bpf: Some(Self::bpf),
        ndo_xdp_xmit: Some(Self::xdp_xmit),
        ndo_set_mac_address: Some(b::eth_mac_addr),
        ndo_validate_addr: Some(b::eth_validate_addr),
        ndo_features_check: Some(b::passthru_features_check),
        ..Self::TUN_OPS
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

/// tun.c's default `tx_queue_len` (`TUN_READQ_SIZE`).
const TX_QUEUE_LEN: u32 = 500;
/// The MTU bounds of tun.c.
const MIN_MTU: u32 = 68;
const MAX_MTU: u32 = 65535;

/// What a new device looks like.
#[derive(Clone, Copy)]
pub(crate) struct DevSpec<'a> {
    /// The name, or a template such as `tun%d`.
    pub(crate) name: &'a CStr,
    /// TUN or TAP.
    pub(crate) kind: Kind,
    /// How many queues the device can have (fixed at allocation).
    pub(crate) queues: u32,
    /// The ifindex to take, or 0 for the next free one.
    pub(crate) ifindex: i32,
    /// What the device can do (`hw_features`, `hw_enc_features`, and `features` before
    /// `ndo_fix_features`).
    pub(crate) hw_features: Features,
    /// What VLAN devices on top of it inherit.
    pub(crate) vlan_features: Features,
}

/// The registered rtnl link kind of our devices ("tun" or "rtun").
///
/// # Invariants
///
/// `inner` is registered with `rtnl_link_register` and `events` with
/// `register_netdevice_notifier` until drop, each at a fixed address.
pub(crate) struct LinkOps<T: NetDevOps> {
    inner: Pin<KBox<Opaque<b::rtnl_link_ops>>>,
    events: Pin<KBox<Events>>,
    _t: PhantomData<T>,
}

/// The netdevice notifier of a link kind, which passes the events of its devices on to
/// [`NetDevOps`] (tun.c's `tun_notifier_block`).
#[repr(C)]
#[pin_data]
struct Events {
    /// First, so that the callback finds the rest at the address it is given.
    #[pin]
    nb: Opaque<b::notifier_block>,
    /// The link ops whose devices are ours.
    link: *const b::rtnl_link_ops,
}

impl Events {
    fn new<T: NetDevOps>(link: *const b::rtnl_link_ops) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            nb <- Opaque::try_ffi_init(|slot: *mut b::notifier_block| {
                // SAFETY: `slot` is valid for writes and pinned. Zeroes: no link, priority 0.
                unsafe {
                    slot.write(pin_init::zeroed());
                    (*slot).notifier_call = Some(Callbacks::<T>::device_event);
                }
                Ok::<(), Error>(())
            }),
            link,
        })
    }
}

// SAFETY: the registration may be dropped on any thread.
unsafe impl<T: NetDevOps> Send for LinkOps<T> {}
// SAFETY: `&self` only compares addresses and calls RTNL-serialised kernel functions.
unsafe impl<T: NetDevOps> Sync for LinkOps<T> {}

impl<T: NetDevOps> LinkOps<T> {
    /// Registers the link kind `kind`.
    pub(crate) fn register(kind: &'static CStr) -> Result<Self> {
        let inner = KBox::pin_init(
            Opaque::try_ffi_init(move |slot: *mut b::rtnl_link_ops| {
                let mut ops: b::rtnl_link_ops = pin_init::zeroed();
                ops.kind = kind.as_char_ptr();
                ops.priv_size = core::mem::size_of::<Priv<T>>();
                ops.setup = Some(Callbacks::<T>::setup);
                ops.validate = Some(Callbacks::<T>::validate);
                ops.get_size = Some(Callbacks::<T>::get_size);
                ops.fill_info = Some(Callbacks::<T>::fill_info);
                // SAFETY: `slot` is valid for writes and pinned.
                unsafe { slot.write(ops) };
                // SAFETY: `slot` holds valid ops with 'static strings; they stay registered
                // until `drop`, before the box is freed.
                to_result(unsafe { b::rtnl_link_register(slot) })
            }),
            GFP_KERNEL,
        )?;
        let events = match KBox::pin_init(Events::new::<T>(inner.get()), GFP_KERNEL) {
            Ok(events) => events,
            Err(e) => {
                // SAFETY: registered above, and no device of this kind exists yet.
                unsafe { b::rtnl_link_unregister(inner.get()) };
                return Err(e);
            }
        };
        // SAFETY: the block is pinned and valid until `drop` unregisters it; its callback
        // only acts on devices whose link ops are `inner`.
        let r = unsafe { b::register_netdevice_notifier(events.nb.get()) };
        if r < 0 {
            // SAFETY: registered above, and no device of this kind exists yet.
            unsafe { b::rtnl_link_unregister(inner.get()) };
            return Err(Error::from_errno(r));
        }
        // SAFETY: the callback is a plain function valid for the module's lifetime; the
        // attribute group that calls it is only installed on devices of this link kind.
        unsafe { b::rtun_set_sysfs_value_fn(Some(Callbacks::<T>::sysfs_value)) };
        // INVARIANT: both registered above.
        Ok(Self {
            inner,
            events,
            _t: PhantomData,
        })
    }

    /// Our device named `name` in `net`, if there is one; `Err(EINVAL)` if the name belongs
    /// to a device that is not ours.
    pub(crate) fn find<'r>(
        &self,
        net: &NetNs,
        name: &CStr,
        _rtnl: &'r Rtnl,
    ) -> Result<Option<&'r Dev<T>>> {
        // SAFETY: RTNL is held, as `__dev_get_by_name` requires.
        let dev = unsafe { b::__dev_get_by_name(net.as_raw(), name.as_char_ptr()) };
        if dev.is_null() {
            return Ok(None);
        }
        // SAFETY: a device found under RTNL stays valid while RTNL is held.
        if unsafe { (*dev).rtnl_link_ops } != self.inner.get().cast_const() {
            return Err(EINVAL);
        }
        // SAFETY: our link ops are only on devices created by `create`, and RTNL keeps the
        // device alive for `'r`.
        Ok(Some(unsafe { Dev::from_raw(dev) }))
    }

    /// Creates and registers a device in `net`; `name` may be a template such as `tun%d`.
    ///
    /// `init` runs as the device's `ndo_init`, inside `register_netdevice` once the core
    /// has accepted the name and before it reserves the ifindex or tells anyone (tun.c's
    /// `tun_net_init`); its error fails the registration. A registration that fails after
    /// it runs `ndo_uninit`: hence `&mut Rtnl`. `init` must not publish the device (hand
    /// a reference to anyone who could keep it) unless `ndo_uninit` takes it back: a device
    /// that never registered is freed without waiting for references (tun.c publishes
    /// `tfile->tun` after registering for this reason). One left behind makes `create`
    /// leak the device rather than free it under its holder.
    pub(crate) fn create<F>(
        &self,
        rtnl: &mut Rtnl,
        net: &NetNs,
        spec: &DevSpec<'_>,
        data: impl PinInit<T, Error>,
        init: F,
    ) -> Result<ARef<Dev<T>>>
    where
        F: FnOnce(&Dev<T>, &mut Rtnl) -> Result,
    {
        let DevSpec {
            name,
            kind,
            queues,
            ifindex,
            ..
        } = *spec;
        // SAFETY: valid arguments; setup is ours; the result is checked.
        let dev = unsafe {
            b::alloc_netdev_mqs(
                core::mem::size_of::<Priv<T>>() as i32,
                name.as_char_ptr(),
                b::NET_NAME_UNKNOWN as u8,
                Some(Callbacks::<T>::setup),
                queues,
                queues,
            )
        };
        if dev.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `dev` is a new, unregistered device only we know about; its private
        // area is sized and aligned (NETDEV_ALIGN) for `Priv<T>`.
        unsafe {
            let p = priv_area(dev).cast::<Priv<T>>();
            if let Err(e) = data.__init(&raw mut (*p).data) {
                b::free_netdev(dev);
                return Err(e);
            }
            (*p).live = true;
            (&raw mut (*p).init).write(None);
            b::rtun_dev_net_set(dev, net.as_raw());
            (*dev).rtnl_link_ops = self.inner.get();
            (*dev).ethtool_ops = &Callbacks::<T>::ETHTOOL_OPS;
            b::rtun_netdev_set_sysfs_group(dev);
            (*dev).ifindex = ifindex;
            (*dev).min_mtu = MIN_MTU;
            match kind {
                Kind::Tun => {
                    (*dev).netdev_ops = &Callbacks::<T>::TUN_OPS;
                    (*dev).header_ops = &raw const b::ip_tunnel_header_ops;
                    (*dev).hard_header_len = 0;
                    (*dev).addr_len = 0;
                    (*dev).mtu = 1500;
                    (*dev).type_ = b::ARPHRD_NONE as u16;
                    (*dev).flags = b::net_device_flags_IFF_POINTOPOINT
                        | b::net_device_flags_IFF_NOARP
                        | b::net_device_flags_IFF_MULTICAST;
                }
                Kind::Tap => {
                    (*dev).netdev_ops = &Callbacks::<T>::TAP_OPS;
                    b::ether_setup(dev);
                    b::rtun_netdev_tap_priv_flags(dev);
                    b::rtun_eth_hw_addr_random(dev);
                    // As tun.c: only a TAP device does XDP.
                    b::rtun_netdev_set_xdp_features(dev, b::rtun_const_RTUN_TAP_XDP_FEATURES);
                }
            }
            (*dev).max_mtu = MAX_MTU - u32::from((*dev).hard_header_len);
            (*dev).hw_features = spec.hw_features;
            (*dev).hw_enc_features = spec.hw_features;
            (*dev).features = spec.hw_features;
            (*dev).vlan_features = spec.vlan_features;
            // Register with one queue of each kind, as tun.c does by attaching first:
            // `alloc_netdev_mqs` makes all of them real, and registering that many
            // would create (and shrinking then delete) a sysfs kobject per queue.
            // Cannot fail: 1 is within the counts just allocated.
            b::netif_set_real_num_tx_queues(dev, 1);
            b::netif_set_real_num_rx_queues(dev, 1);
        }
        let mut init = Some(init);
        // SAFETY: RTNL is held (`rtnl`); the device is fully set up. `ndo_init`, the only
        // reader of `init`, runs inside this `register_netdevice` call, while the slot it
        // points to is alive and unborrowed; it is cleared before the slot goes.
        let r = unsafe {
            let p = priv_area(dev).cast::<Priv<T>>();
            (*p).init = Some(PendingInit {
                call: call_init::<T, F>,
                slot: (&raw mut init).cast(),
            });
            let r = b::register_netdevice(dev);
            (*p).init = None;
            r
        };
        if r < 0 {
            // SAFETY: `dev` is valid until freed below; reading its state needs nothing.
            let (unregistering, refs) =
                unsafe { (b::rtun_dev_unregistering(dev), b::netdev_refcnt_read(dev)) };
            if unregistering {
                // A NETDEV_REGISTER notifier refused it after the core published it: the
                // core unregistered it, and whoever took a reference meanwhile may hold it
                // still, so `free_netdev` only marks it and `netdev_run_todo` runs our
                // destructor after the last reference is gone.
                // SAFETY: a device that failed registration is ours to free.
                unsafe { b::free_netdev(dev) };
            } else if refs != 1 {
                // Never registered, and `init` left a reference behind (nothing else could
                // reach the device): `free_netdev` would free it under its holder, so it is
                // leaked instead. A driver bug, not reachable from the driver as it is.
                pr_err!("device left with {refs} references after a failed registration: leaked\n");
            } else {
                // SAFETY: registration failed before the device was published and nobody
                // holds a reference: ours to free. Some failure paths already ran the
                // destructor (`live` tells), the others did not.
                unsafe {
                    Callbacks::<T>::destructor(dev);
                    b::free_netdev(dev);
                }
            }
            return Err(Error::from_errno(r));
        }
        let _ = rtnl;
        // SAFETY: registered, ours; RTNL keeps it alive while we take a reference.
        Ok(unsafe { Dev::<T>::from_raw(dev) }.to_aref())
    }
}

impl<T: NetDevOps> Drop for LinkOps<T> {
    fn drop(&mut self) {
        // SAFETY: registered by the type invariant; once this returns, the callback runs
        // no more.
        unsafe { b::unregister_netdevice_notifier(self.events.nb.get()) };
        // SAFETY: registered by the type invariant; this also deletes every device of this
        // kind that is left (e.g. persistent ones), running their `uninit`.
        unsafe { b::rtnl_link_unregister(self.inner.get()) }
    }
}
