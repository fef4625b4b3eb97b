// SPDX-License-Identifier: GPL-2.0

//! `struct rtnl_link_ops`: the link kind of our devices, which creates them.
//!
//! [`Registration`] registers the kind ("tun", or "rtun" side by side) and the
//! netdevice notifier of its devices, and creates devices whose private data is a `T`.
//! Devices are recognised as ours by their `rtnl_link_ops`, which the registration owns,
//! so a name lookup can never hand out someone else's private data as a `T`.
//!
//! What a device looks like is the driver's: [`RtnlLinkOps::setup`] shapes a new device
//! through a [`DevSetup`] before it is registered, as wireguard's `wg_setup` does.

use core::{fmt, marker::PhantomData, ptr::NonNull};
use kernel::{error::to_result, prelude::*, sync::aref::ARef, types::Opaque};

use crate::bindings as b;
use crate::net::{
    ethtool::{self, EthtoolOps},
    features::Features,
    netdev::{self, call_init, priv_area, Dev, PendingInit, Priv},
    netdev_ops::{NetDevOps, Tables},
    netns::NetNs,
    rtnl::Rtnl,
    sysfs::{AttrGroup, SysfsPage},
};

/// What the device's private data implements: the `rtnl_link_ops` callbacks, the setup
/// of a new device, and the netdevice events of the link kind's devices.
#[vtable]
pub(crate) trait RtnlLinkOps: Sized + Send + Sync + 'static {
    /// The transmit queue length a new device starts with (set at allocation: without
    /// one, the core makes the device queueless).
    const TX_QUEUE_LEN: u32;

    /// What rtnl `validate` answers every `RTM_NEWLINK` naming the kind with (`ip link
    /// add`, before the core creates anything): devices of this layer come only from
    /// [`Registration::create`], so the kind refuses them, with an error of its choice.
    const NEWLINK_ERROR: Error;

    /// The message that goes with [`RtnlLinkOps::NEWLINK_ERROR`] in the netlink extended
    /// ack (`NL_SET_ERR_MSG`: what `ip link add` prints after "Error:").
    const NEWLINK_MESSAGE: &'static CStr;

    /// Shapes a new device, once its private data is initialised and before it is
    /// registered: its link type, header, flags, MTU, addresses and features.
    fn setup(dev: &mut DevSetup<'_, Self>);

    /// rtnl `fill_info`: the device's attributes for `ip -d link`.
    fn fill_info(_dev: &Dev<Self>, _msg: &mut LinkInfoMsg<'_>) -> Result {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// rtnl `get_size`: an upper bound of what `fill_info` writes.
    const INFO_SIZE: usize = 0;

    /// `NETDEV_UP`: the device came up (RTNL held; `IFF_UP` is set).
    fn up(_dev: &Dev<Self>, _rtnl: &Rtnl) {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `NETDEV_CHANGE_TX_QUEUE_LEN`: `tx_queue_len` changed (RTNL held). An error makes
    /// the core put the old length back.
    fn tx_queue_len_changed(_dev: &Dev<Self>, _rtnl: &Rtnl) -> Result {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// The names of the devices' read-only sysfs attributes (`/sys/class/net/DEV/NAME`),
    /// at most [`MAX_ATTRS`](crate::net::sysfs::MAX_ATTRS). With
    /// [`RtnlLinkOps::sysfs_show`], devices carry them as one attribute group.
    const SYSFS_ATTRS: &'static [&'static CStr] = &[];

    /// Writes the value of attribute `index` of [`RtnlLinkOps::SYSFS_ATTRS`] (with its
    /// newline) into `out`, the page a sysfs read returns.
    fn sysfs_show(_dev: &Dev<Self>, _index: usize, _out: &mut SysfsPage<'_>) -> fmt::Result {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
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
        // SAFETY: `skb` is the message being built, valid for the call.
        to_result(unsafe { b::rtun_nla_put_u32(self.skb, attr as i32, v) })
    }
}

/// What a new device is allocated and registered with; the rest is the driver's
/// [`RtnlLinkOps::setup`].
#[derive(Clone, Copy)]
pub(crate) struct DevSpec<'a> {
    /// The name, or a template such as `tun%d`.
    pub(crate) name: &'a CStr,
    /// How many queues the device can have (fixed at allocation).
    pub(crate) queues: u32,
    /// The ifindex to take, or 0 for the next free one.
    pub(crate) ifindex: i32,
}

/// A private flag of a device (`enum netdev_priv_flags`: not visible to userspace) that
/// [`RtnlLinkOps::setup`] may set or clear.
#[derive(Clone, Copy)]
pub(crate) enum PrivFlag {
    /// `IFF_TX_SKB_SHARING`: the core may hand the driver shared skbs (pktgen's clones).
    /// [`DevSetup::ether_setup`] sets it.
    TxSkbSharing,
    /// `IFF_LIVE_ADDR_CHANGE`: the hardware address may change while the device is up.
    LiveAddrChange,
}

// bindgen's layout of the `net_device` fields written through it, against clang's
// (bindgen runs with `--no-layout-tests`): a mismatch fails the build.
const _: () = {
    use core::mem::offset_of;
    assert!(
        offset_of!(b::net_device, __bindgen_anon_1.priv_flags_fast)
            == b::rtun_const_RTUN_NETDEV_PRIV_FLAGS_FAST_OFFSET as usize
    );
    assert!(
        offset_of!(b::net_device, xdp_features)
            == b::rtun_const_RTUN_NETDEV_XDP_FEATURES_OFFSET as usize
    );
};

impl PrivFlag {
    const fn bits(self) -> u32 {
        match self {
            Self::TxSkbSharing => b::netdev_priv_flags_IFF_TX_SKB_SHARING,
            Self::LiveAddrChange => b::netdev_priv_flags_IFF_LIVE_ADDR_CHANGE,
        }
    }
}

/// A new device being shaped by [`RtnlLinkOps::setup`]: allocated, its private data
/// initialised, not yet registered.
///
/// # Invariants
///
/// `dev` is a device `Registration<T>::create` allocated, with initialised private data,
/// that is not registered and that nobody else knows about for `'a`.
pub(crate) struct DevSetup<'a, T> {
    dev: NonNull<b::net_device>,
    /// [`DevSetup::ether_setup`] ran: the device has the Ethernet ops table.
    ether: bool,
    _p: PhantomData<&'a mut T>,
}

impl<T: NetDevOps> DevSetup<'_, T> {
    /// The device's private data.
    pub(crate) fn data(&self) -> &T {
        // SAFETY: The private data is initialised (type invariant), and only mutated
        // through its own interior mutability.
        unsafe { &(*priv_area(self.dev.as_ptr()).cast::<Priv<T>>()).data }
    }

    /// Makes it a device without a link-layer header (tun.c's `IFF_TUN`): the
    /// `net_device_ops` of [`Tables::L3`], IP tunnel header ops, no hardware address.
    pub(crate) fn l3_setup(&mut self) {
        let dev = self.dev.as_ptr();
        // SAFETY: The device is not registered and only we know it (type invariant), so
        // its fields are ours to write; the ops tables are `'static`.
        unsafe {
            (*dev).netdev_ops = &Tables::<T>::L3;
            (*dev).header_ops = &raw const b::ip_tunnel_header_ops;
            (*dev).hard_header_len = 0;
            (*dev).addr_len = 0;
        }
    }

    /// Makes it an Ethernet device (`ether_setup`, tun.c's `IFF_TAP`): the
    /// `net_device_ops` of [`Tables::ETHER`], which include XDP.
    pub(crate) fn ether_setup(&mut self) {
        let dev = self.dev.as_ptr();
        // SAFETY: The device is not registered and only we know it (type invariant), so
        // its fields are ours to write and `ether_setup` may initialise them; the ops
        // table is `'static`.
        unsafe {
            (*dev).netdev_ops = &Tables::<T>::ETHER;
            b::ether_setup(dev);
        }
        self.ether = true;
    }

    /// Sets the `ARPHRD_*` link type.
    pub(crate) fn set_type(&mut self, ty: u16) {
        // SAFETY: The device is not registered and only we know it (type invariant).
        unsafe { (*self.dev.as_ptr()).type_ = ty };
    }

    /// Sets the interface flags (`IFF_POINTOPOINT`, ...).
    pub(crate) fn set_flags(&mut self, flags: u32) {
        // SAFETY: The device is not registered and only we know it (type invariant).
        unsafe { (*self.dev.as_ptr()).flags = flags };
    }

    /// Sets the MTU.
    pub(crate) fn set_mtu(&mut self, mtu: u32) {
        // SAFETY: The device is not registered and only we know it (type invariant).
        unsafe { (*self.dev.as_ptr()).mtu = mtu };
    }

    /// Sets the MTU bounds.
    pub(crate) fn set_mtu_range(&mut self, min: u32, max: u32) {
        let dev = self.dev.as_ptr();
        // SAFETY: The device is not registered and only we know it (type invariant).
        unsafe {
            (*dev).min_mtu = min;
            (*dev).max_mtu = max;
        }
    }

    /// The length of the link-layer header ([`DevSetup::ether_setup`] sets it).
    pub(crate) fn hard_header_len(&self) -> u16 {
        // SAFETY: The device is valid and only we write it (type invariant).
        unsafe { (*self.dev.as_ptr()).hard_header_len }
    }

    /// Sets (`on`) or clears one of the device's private flags.
    ///
    /// bindgen's view of the `priv_flags_fast` group is checked against clang's below; the
    /// bit positions inside it are bindgen's reading of the same declaration.
    pub(crate) fn set_priv_flag(&mut self, flag: PrivFlag, on: bool) {
        let bits = flag.bits() as kernel::ffi::c_ulong;
        // SAFETY: The device is not registered and only we know it (type invariant), so
        // its `priv_flags_fast` group, where the bitfield lives, is ours to change.
        unsafe {
            let group = &mut (*self.dev.as_ptr()).__bindgen_anon_1.priv_flags_fast;
            let flags = group.priv_flags();
            group.set_priv_flags(if on { flags | bits } else { flags & !bits });
        }
    }

    /// Gives the device a random hardware address (`eth_hw_addr_random`).
    pub(crate) fn random_hw_addr(&mut self) {
        // SAFETY: The device is not registered and only we know it (type invariant), and
        // it has an Ethernet address of `addr_len` bytes.
        unsafe { b::rtun_eth_hw_addr_random(self.dev.as_ptr()) };
    }

    /// Sets the XDP features the device advertises (`NETDEV_XDP_ACT_*`), less those its
    /// ops table cannot back: the core trusts them (a devmap redirect into a device that
    /// advertises `NDO_XMIT` calls its `ndo_xdp_xmit`), and only the Ethernet table has
    /// the XDP callbacks the driver implements.
    pub(crate) fn set_xdp_features(&mut self, features: u32) {
        let mut backed = 0;
        if self.ether && T::HAS_XDP_SETUP {
            backed |= b::rtun_const_RTUN_XDP_ACT_PROG;
        }
        if self.ether && T::HAS_XDP_XMIT {
            backed |= b::rtun_const_RTUN_XDP_ACT_XMIT;
        }
        // SAFETY: The device is not registered and only we know it (type invariant).
        unsafe { (*self.dev.as_ptr()).xdp_features = features & backed };
    }

    /// Sets what the device can do (`hw_features`, `hw_enc_features`, and `features`
    /// before `ndo_fix_features`) and what VLAN devices on top of it inherit.
    pub(crate) fn set_features(&mut self, hw: Features, vlan: Features) {
        let dev = self.dev.as_ptr();
        // SAFETY: The device is not registered and only we know it (type invariant).
        unsafe {
            (*dev).hw_features = hw;
            (*dev).hw_enc_features = hw;
            (*dev).features = hw;
            (*dev).vlan_features = vlan;
        }
    }
}

/// The registered rtnl link kind of our devices ("tun" or "rtun").
///
/// # Invariants
///
/// `inner` is registered with `rtnl_link_register` and `events` with
/// `register_netdevice_notifier` until drop, each at a fixed address.
pub(crate) struct Registration<T> {
    inner: Pin<KBox<Opaque<b::rtnl_link_ops>>>,
    events: Pin<KBox<Events>>,
    _t: PhantomData<T>,
}

/// The netdevice notifier of a link kind, which passes the events of its devices on to
/// [`RtnlLinkOps`] (tun.c's `tun_notifier_block`).
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
    fn new<T: NetDevOps + RtnlLinkOps>(link: *const b::rtnl_link_ops) -> impl PinInit<Self, Error> {
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

/// The `rtnl_link_ops` callbacks of one `T` and the netdevice notifier's.
struct Callbacks<T>(PhantomData<T>);

impl<T: NetDevOps + RtnlLinkOps> Callbacks<T> {
    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn setup(dev: *mut b::net_device) {
        // SAFETY: `alloc_netdev_mqs` calls setup on the freshly allocated device.
        unsafe {
            (*dev).needs_free_netdev = true;
            (*dev).priv_destructor = Some(netdev::drop_priv::<T>);
            (*dev).tx_queue_len = T::TX_QUEUE_LEN;
            (*dev).set_pcpu_stat_type(b::netdev_stat_type_NETDEV_PCPU_STAT_TSTATS);
            (*dev).__bindgen_anon_1.priv_flags_fast.set_lltx(1);
        }
    }

    /// # Safety
    ///
    /// Called by the netdevice notifier chain, for any device, with `nb` the block of an
    /// [`Events`] that `Registration<T>::register` registered and `ptr` a
    /// `netdev_notifier_info`.
    unsafe extern "C" fn device_event(
        nb: *mut b::notifier_block,
        event: kernel::ffi::c_ulong,
        ptr: *mut kernel::ffi::c_void,
    ) -> i32 {
        const DONE: i32 = b::rtun_const_RTUN_NOTIFY_DONE as i32;
        // SAFETY: `nb` is the first field of a `repr(C)` `Events` (per the caller).
        let events = unsafe { &*nb.cast::<Events>() };
        // SAFETY: Per the caller, `ptr` is the notifier info of a valid device.
        let dev = unsafe { b::rtun_netdev_notifier_info_to_dev(ptr.cast()) };
        // SAFETY: The device is valid for the call.
        if unsafe { (*dev).rtnl_link_ops } != events.link {
            return DONE;
        }
        // SAFETY: Our link ops are only on devices created by `Registration<T>::create`.
        let dev = unsafe { Dev::<T>::from_raw(dev) };
        let result = match event as u32 {
            b::rtun_const_RTUN_NETDEV_UP if T::HAS_UP => {
                // SAFETY: Netdevice notifiers run with RTNL held.
                unsafe { Rtnl::with_held(|rtnl| T::up(dev, rtnl)) };
                Ok(())
            }
            b::rtun_const_RTUN_NETDEV_CHANGE_TX_QUEUE_LEN if T::HAS_TX_QUEUE_LEN_CHANGED => {
                // SAFETY: Netdevice notifiers run with RTNL held.
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
    /// Called by the kernel for an `RTM_NEWLINK` of the kind, with the arguments the
    /// callback's C contract gives: `extack` null or valid for the request.
    unsafe extern "C" fn validate(
        _tb: *mut *mut b::nlattr,
        _data: *mut *mut b::nlattr,
        extack: *mut b::netlink_ext_ack,
    ) -> i32 {
        // `NL_SET_ERR_MSG`: the tracepoint, then the message, `'static` as the macro's own
        // `static const char[]`.
        let msg = T::NEWLINK_MESSAGE.as_char_ptr();
        // SAFETY: `msg` is a NUL-terminated constant.
        unsafe { b::do_trace_netlink_extack(msg) };
        if !extack.is_null() {
            // SAFETY: A non-null `extack` is the request's, ours to write for the call.
            unsafe { (*extack)._msg = msg };
        }
        T::NEWLINK_ERROR.to_errno()
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn get_size(_dev: *const b::net_device) -> usize {
        T::INFO_SIZE
    }

    /// # Safety
    ///
    /// Called by the kernel only for devices created by `Registration<T>::create`, whose
    /// ops tables these are, with the arguments the callback's C contract gives.
    unsafe extern "C" fn fill_info(skb: *mut b::sk_buff, dev: *const b::net_device) -> i32 {
        // SAFETY: One of ours (the link ops are only on our devices); skb is the message.
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
}

// SAFETY: The registration may be dropped on any thread; the devices' private data it
// hands out and drops is `Send + Sync`.
unsafe impl<T: Send + Sync> Send for Registration<T> {}
// SAFETY: `&self` only compares addresses and calls RTNL-serialised kernel functions, and
// the private data it hands out (`&Dev<T>`) is `Sync`.
unsafe impl<T: Send + Sync> Sync for Registration<T> {}

impl<T: NetDevOps + EthtoolOps + RtnlLinkOps> Registration<T> {
    /// Registers the link kind `kind`.
    pub(crate) fn register(kind: &'static CStr) -> Result<Self> {
        let inner = KBox::pin_init(
            Opaque::try_ffi_init(move |slot: *mut b::rtnl_link_ops| {
                let mut ops: b::rtnl_link_ops = pin_init::zeroed();
                ops.kind = kind.as_char_ptr();
                ops.priv_size = core::mem::size_of::<Priv<T>>();
                ops.setup = Some(Callbacks::<T>::setup);
                ops.validate = Some(Callbacks::<T>::validate);
                if T::HAS_FILL_INFO {
                    ops.get_size = Some(Callbacks::<T>::get_size);
                    ops.fill_info = Some(Callbacks::<T>::fill_info);
                }
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
                // SAFETY: Registered above, and no device of this kind exists yet.
                unsafe { b::rtnl_link_unregister(inner.get()) };
                return Err(e);
            }
        };
        // SAFETY: The block is pinned and valid until `drop` unregisters it; its callback
        // only acts on devices whose link ops are `inner`.
        let r = unsafe { b::register_netdevice_notifier(events.nb.get()) };
        if r < 0 {
            // SAFETY: Registered above, and no device of this kind exists yet.
            unsafe { b::rtnl_link_unregister(inner.get()) };
            return Err(Error::from_errno(r));
        }
        // INVARIANT: Both registered above.
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
        // SAFETY: A device found under RTNL stays valid while RTNL is held.
        if unsafe { (*dev).rtnl_link_ops } != self.inner.get().cast_const() {
            return Err(EINVAL);
        }
        // SAFETY: Our link ops are only on devices created by `create`, and RTNL keeps the
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
            queues,
            ifindex,
        } = *spec;
        // SAFETY: The private area is sized for `Priv<T>`, the setup callback is ours and
        // the name is NUL-terminated; a NULL result is checked below.
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
        // area is sized and aligned (NETDEV_ALIGN) for `Priv<T>`, and the ops tables are
        // `'static`.
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
            (*dev).ethtool_ops = &ethtool::Table::<T>::OPS;
            if T::HAS_SYSFS_SHOW {
                (*dev).sysfs_groups[0] = AttrGroup::<T>::GROUP_REF;
            }
            (*dev).ifindex = ifindex;
        }
        // Without a link-layer header unless `setup` makes it Ethernet: the core needs an
        // ops table whatever `setup` does.
        // SAFETY: The device is not registered and only we know it; the table is `'static`.
        unsafe { (*dev).netdev_ops = &Tables::<T>::L3 };
        // INVARIANT: Allocated above, private data initialised, not registered.
        T::setup(&mut DevSetup {
            // SAFETY: Checked for NULL above.
            dev: unsafe { NonNull::new_unchecked(dev) },
            ether: false,
            _p: PhantomData,
        });
        // Register with one queue of each kind, as tun.c does by attaching first:
        // `alloc_netdev_mqs` makes all of them real, and registering that many
        // would create (and shrinking then delete) a sysfs kobject per queue.
        // Cannot fail: 1 is within the counts just allocated.
        // SAFETY: The device is not registered and only we know it, so its queue counts
        // are ours to set.
        unsafe {
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
                // SAFETY: A device that failed registration is ours to free.
                unsafe { b::free_netdev(dev) };
            } else if refs != 1 {
                // Never registered, and `init` left a reference behind (nothing else could
                // reach the device): `free_netdev` would free it under its holder, so it is
                // leaked instead. A driver bug, not reachable from the driver as it is.
                pr_err!("device left with {refs} references after a failed registration: leaked\n");
            } else {
                // SAFETY: Registration failed before the device was published and nobody
                // holds a reference: ours to free. Some failure paths already ran the
                // destructor (`live` tells), the others did not.
                unsafe {
                    netdev::drop_priv::<T>(dev);
                    b::free_netdev(dev);
                }
            }
            return Err(Error::from_errno(r));
        }
        let _ = rtnl;
        // SAFETY: Registered, ours; RTNL keeps it alive while we take a reference.
        Ok(unsafe { Dev::<T>::from_raw(dev) }.to_aref())
    }
}

impl<T> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: Registered by the type invariant; once this returns, the callback runs
        // no more.
        unsafe { b::unregister_netdevice_notifier(self.events.nb.get()) };
        // SAFETY: Registered by the type invariant; this also deletes every device of this
        // kind that is left (e.g. persistent ones), running their `uninit`.
        unsafe { b::rtnl_link_unregister(self.inner.get()) }
    }
}
