// SPDX-License-Identifier: GPL-2.0

//! Network devices, and those whose private data is a Rust value.
//!
//! [`NetDev`] is any `struct net_device`, reference-counted with `dev_hold`/`dev_put`.
//! [`Dev<T>`] is one of ours: its private area holds a `T`, pin-initialised before
//! registration (`rtnl_link::Registration::create`) and dropped by the `priv_destructor`
//! when the core frees the device.

use core::{ffi::c_void, marker::PhantomData, ops::Deref, ptr::NonNull};
use kernel::{
    error::to_result,
    prelude::*,
    sync::aref::{ARef, AlwaysRefCounted},
    types::Opaque,
};

use crate::bindings as b;
use crate::net::{features::Features, preempt::NoBh, rcu::RcuSection, rtnl::Rtnl, skb::Skb};

/// Any registered or registering `struct net_device`.
#[repr(transparent)]
pub(crate) struct NetDev(Opaque<b::net_device>);

// SAFETY: Net devices are shared across threads by design; mutation goes through the
// kernel's own synchronisation (RTNL, atomics).
unsafe impl Send for NetDev {}
// SAFETY: `&NetDev` methods change the device only under RTNL (`&Rtnl`) or with the
// kernel's atomic accessors.
unsafe impl Sync for NetDev {}

// SAFETY: `dev_hold`/`dev_put` keep the device allocated while the count is non-zero.
unsafe impl AlwaysRefCounted for NetDev {
    fn inc_ref(&self) {
        // SAFETY: `self` is a valid device.
        unsafe { b::rtun_dev_hold(self.as_raw()) }
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference that it gives up.
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
        // SAFETY: A valid device; the state bit is read atomically.
        unsafe { b::rtun_netif_running(self.as_raw()) }
    }

    /// The transmit queue `index`, if the device has it.
    pub(crate) fn tx_queue(&self, index: u32) -> Option<TxQueue<'_>> {
        if index >= self.num_tx_queues() {
            return None;
        }
        // SAFETY: A valid device and an index below its allocated queue count.
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
        // SAFETY: Reading an aligned word of a valid device (updated under RTNL).
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
        // SAFETY: The notifier chain is called under RTNL (`_rtnl`) on a valid device.
        unsafe { b::call_netdevice_notifiers(event as usize, self.as_raw()) }
    }

    /// The network namespace of the device, as a new file descriptor (`TUNGETDEVNETNS`).
    pub(crate) fn open_netns(&self) -> Result<isize> {
        // SAFETY: A registered device has a valid netns; the shim returns an fd or -errno.
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
        // SAFETY: Reading a field of a valid device that never changes after allocation.
        unsafe { (*self.as_raw()).num_tx_queues }
    }

    /// The receive queues the stack uses now (`real_num_rx_queues`).
    pub(crate) fn real_num_rx_queues(&self) -> u32 {
        // SAFETY: Reading an aligned field of a valid device (READ_ONCE: RTNL holders
        // change it).
        unsafe { core::ptr::read_volatile(&(*self.as_raw()).real_num_rx_queues) }
    }

    /// The features the device has on (`dev->features`), read without a lock
    /// (READ_ONCE: RTNL holders change them).
    pub(crate) fn features(&self) -> Features {
        // SAFETY: Reading an aligned field of a valid device.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_raw()).features) }
    }

    /// The transmit queue length (`ip link set txqueuelen`).
    pub(crate) fn tx_queue_len(&self) -> u32 {
        // SAFETY: Reading an aligned field of a valid device.
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
        // SAFETY: The offsets are those of two `u64` counters of the device's per-CPU
        // `struct pcpu_sw_netstats` (`tstats_add`).
        unsafe {
            self.tstats_add(b::rtun_const_RTUN_TSTATS_RX_BYTES_OFFSET, len.into());
            self.tstats_add(b::rtun_const_RTUN_TSTATS_RX_PACKETS_OFFSET, 1);
        }
    }

    /// Counts a transmitted packet of `len` bytes (from process context, as `read`).
    #[cfg(all(CONFIG_X86_64, not(CONFIG_UML)))]
    pub(crate) fn count_tx(&self, len: u32) {
        // SAFETY: The offsets are those of two `u64` counters of the device's per-CPU
        // `struct pcpu_sw_netstats` (`tstats_add`).
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
    /// has per-CPU tstats (every device `Registration::create` makes: `NETDEV_PCPU_STAT_TSTATS`).
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
        // SAFETY: `self` is valid and has per-CPU tstats (set up by `Registration::create`);
        // bottom halves are off (`_bh`), so this CPU's counters stay ours for the update.
        unsafe { b::rtun_dev_sw_netstats_rx_add(self.as_raw(), len) }
    }

    /// Counts a transmitted packet of `len` bytes (from process context, as `read`).
    #[cfg(not(all(CONFIG_X86_64, not(CONFIG_UML))))]
    pub(crate) fn count_tx(&self, len: u32) {
        let _cpu = crate::net::preempt::NoPreempt::new();
        // SAFETY: `self` is valid and has per-CPU tstats (set up by `Registration::create`);
        // preemption is off (`_cpu`), so this CPU's counters stay ours for the update.
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
        // SAFETY: `self` is a valid device and RTNL is held (`_rtnl`), as the function requires.
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
        // SAFETY: A registered device has a valid netns.
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
        // SAFETY: A valid queue (type invariant); the state bit is set atomically.
        unsafe { b::rtun_netif_tx_stop_queue(self.ptr.as_ptr()) }
    }

    /// Wakes a stopped queue and schedules its qdisc.
    pub(crate) fn wake(&self) {
        // SAFETY: A valid queue (type invariant); callable from any context.
        unsafe { b::rtun_netif_tx_wake_queue(self.ptr.as_ptr()) }
    }

    /// Whether the driver stopped the queue.
    pub(crate) fn is_stopped(&self) -> bool {
        // SAFETY: A valid queue (type invariant).
        unsafe { b::rtun_netif_tx_queue_stopped(self.ptr.as_ptr()) }
    }

    /// Whether the queue has no qdisc that could hold packets (`noqueue`): stopping it
    /// would only drop them.
    pub(crate) fn has_no_qdisc(&self, _rcu: &RcuSection<'_>) -> bool {
        // SAFETY: A valid queue (type invariant); the qdisc it points to is freed only
        // after a grace period, and we are in a read-side critical section.
        unsafe { b::rtun_qdisc_txq_has_no_queue(self.ptr.as_ptr()) }
    }
}

/// One of our devices: a [`NetDev`] whose private data is a `T`.
///
/// # Invariants
///
/// The device was created by `Registration<T>::create`, so its private area holds an
/// initialised `Priv<T>` until the `priv_destructor` runs (after the last reference).
#[repr(transparent)]
pub(crate) struct Dev<T>(NetDev, PhantomData<T>);

// SAFETY: A `Dev<T>` is a `NetDev` (`Send`) whose private data, a `T: Send + Sync`, may be
// used from any thread.
unsafe impl<T: Send + Sync> Send for Dev<T> {}
// SAFETY: A `Dev<T>` is a `NetDev` (`Sync`), and `&Dev<T>` only lends `&T`, `T: Sync`.
unsafe impl<T: Send + Sync> Sync for Dev<T> {}

// SAFETY: `inc_ref` and `dec_ref` are `NetDev`'s `dev_hold`/`dev_put`, which keep the
// device, and so its private data, allocated while the count is non-zero.
unsafe impl<T> AlwaysRefCounted for Dev<T> {
    fn inc_ref(&self) {
        self.0.inc_ref()
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: `Dev<T>` is a transparent `NetDev`, and the caller gives up the reference
        // it owns.
        unsafe { NetDev::dec_ref(obj.cast()) }
    }
}

impl<T> Deref for Dev<T> {
    type Target = NetDev;

    fn deref(&self) -> &NetDev {
        &self.0
    }
}

/// The private area of our devices.
#[pin_data]
pub(super) struct Priv<T> {
    /// Whether `data` is initialised (so the destructor drops it exactly once).
    pub(super) live: bool,
    /// The first steps of the device, which `ndo_init` runs: set by
    /// `Registration::create` for the length of its `register_netdevice` call only.
    pub(super) init: Option<PendingInit<T>>,
    /// The driver's device state.
    #[pin]
    pub(super) data: T,
}

/// A `Registration::create` caller's closure, type-erased for `ndo_init`.
pub(super) struct PendingInit<T> {
    /// `call_init::<T, F>` for the closure's type `F`.
    pub(super) call: unsafe fn(*mut c_void, &Dev<T>, &mut Rtnl) -> Result,
    /// The `Option<F>` slot on `create`'s stack.
    pub(super) slot: *mut c_void,
}

/// Runs the closure in `slot` (once: it is taken out).
///
/// # Safety
///
/// `slot` points to a live `Option<F>` that nothing else borrows for the call.
pub(super) unsafe fn call_init<T, F>(slot: *mut c_void, dev: &Dev<T>, rtnl: &mut Rtnl) -> Result
where
    F: FnOnce(&Dev<T>, &mut Rtnl) -> Result,
{
    // SAFETY: The caller passes a live `Option<F>` that nothing else borrows for the call.
    let slot = unsafe { &mut *slot.cast::<Option<F>>() };
    slot.take().map_or(Ok(()), |f| f(dev, rtnl))
}

impl<T> Dev<T> {
    /// # Safety
    ///
    /// `ptr` must be a valid device created by `Registration<T>`, valid for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *const b::net_device) -> &'a Self {
        // SAFETY: `Dev<T>` is a transparent `NetDev`, itself a transparent
        // `struct net_device`, and the caller passes one of ours that is valid for `'a`.
        unsafe { &*ptr.cast() }
    }

    fn priv_ptr(&self) -> *mut Priv<T> {
        // The private area of our devices is sized and aligned for `Priv<T>`.
        priv_area(self.as_raw()).cast()
    }

    /// The private data.
    pub(crate) fn data(&self) -> &T {
        // SAFETY: By the type invariant the private data is initialised while the device
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
pub(crate) struct Unregistering<'a, T> {
    dev: &'a Dev<T>,
    rtnl: &'a mut Rtnl,
    /// False when `register_netdevice` failed after `ndo_init`: no grace period follows.
    holds_registration: bool,
}

impl<'a, T> Unregistering<'a, T> {
    /// The proof for `dev`'s `ndo_uninit`. Whether the core holds the registration
    /// reference is read from the device itself, not taken from the caller.
    ///
    /// # Safety
    ///
    /// Called only from `dev`'s `ndo_uninit` (with RTNL held, as `rtnl` proves), for the
    /// duration of that call.
    pub(super) unsafe fn new(dev: &'a Dev<T>, rtnl: &'a mut Rtnl) -> Self {
        // SAFETY: `dev` is a valid device (a reference). `ndo_uninit` runs from
        // `unregister_netdevice_many_notify` on a device marked unregistering, or from a
        // failed `register_netdevice` on one never registered: the state tells them apart.
        let holds_registration = unsafe { b::rtun_dev_unregistering(dev.as_raw()) };
        Self {
            dev,
            rtnl,
            holds_registration,
        }
    }
}

impl<T> Unregistering<'_, T> {
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
pub(super) fn priv_area(dev: *const b::net_device) -> *mut u8 {
    dev.cast::<u8>()
        .cast_mut()
        .wrapping_add(b::rtun_const_RTUN_NETDEV_PRIV_OFFSET as usize)
}

/// The `priv_destructor` of our devices: drops the private data, if it is initialised.
///
/// # Safety
///
/// `dev` is a device `Registration<T>::create` allocated, which the core (or `create`,
/// on a failed registration) is done with: nobody can reach its private data any more.
pub(super) unsafe extern "C" fn drop_priv<T>(dev: *mut b::net_device) {
    // SAFETY: The private area holds a `Priv<T>` whose `data` is initialised when `live`
    // says so, and nobody else reaches it any more (per the caller).
    unsafe {
        let p = priv_area(dev).cast::<Priv<T>>();
        if (*p).live {
            (*p).live = false;
            core::ptr::drop_in_place(&raw mut (*p).data);
        }
    }
}
