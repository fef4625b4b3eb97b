// SPDX-License-Identifier: GPL-2.0

//! The device: private data of a tun/tap `net_device` (tun.c's `tun_struct`), its
//! per-device ioctls, and the netdev callbacks. Attaching files is in `attach.rs`.

use core::fmt::{self, Write};
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::{prelude::*, sync::Arc};

use crate::backpressure;
use crate::ioctl;
use crate::net::{
    bpf::{BpfProg, BpfSlot, ProgKind},
    creds::{self, AtomicId, Kgid, Kuid, ModuleRef},
    ethtool::{EthtoolOps, LinkSettings},
    lsm::TunSecurity,
    netdev::{Dev, Unregistering},
    netdev_ops::{NetDevOps, SkbRef, Xmit},
    preempt::BhOff,
    rcu::{read_section, RcuSection},
    rtnl::{Rtnl, RtnlLocked},
    rtnl_link::{DevSetup, LinkInfoMsg, PrivFlag, RtnlLinkOps},
    skb::Skb,
    sysfs::SysfsPage,
    xdp::XdpXmitFrames,
};
use crate::offload;
use crate::queue::Queue;
use crate::queue_set::QueueSet;
use crate::steering::{self, FlowTable};
use crate::txfilter::TxFilter;

/// One of rtun's devices.
pub(crate) type TunDev = Dev<Device>;

/// The MTU bounds of tun.c.
const MIN_MTU: u32 = 68;
const MAX_MTU: u32 = 65535;

/// The most `rx-frames` ethtool may set (tun.c: a NAPI poll's weight).
const RX_BATCHED_MAX: u32 = crate::net::napi::POLL_WEIGHT;

/// The private data of a tun/tap device (tun.c's `struct tun_struct`).
#[pin_data]
pub(crate) struct Device {
    /// `IFF_TUN`/`IFF_TAP`, `IFF_PERSIST` and the `TUN_FEATURES` flags. Changed under RTNL.
    flags: Atomic<u32>,
    /// Owner uid and group gid, if set (`TUNSETOWNER`, `TUNSETGROUP`).
    owner: AtomicId<Kuid>,
    group: AtomicId<Kgid>,
    /// The queues, live and disabled.
    #[pin]
    pub(crate) queues: QueueSet,
    /// Flow → queue memory for multiqueue devices (see steering.rs).
    flows: Option<FlowTable>,
    /// `TUNSETSNDBUF` value applied to queues attached later.
    sndbuf: Atomic<i32>,
    /// `TUNSETDEBUG` / ethtool message level.
    msglevel: Atomic<u32>,
    /// Size of the virtio-net header in front of packets (`TUNSETVNETHDRSZ`).
    vnet_hdr_sz: Atomic<i32>,
    /// The offloads userspace accepts (`TUNSETOFFLOAD`), as netdev features.
    set_features: Atomic<u64>,
    /// `TUNSETSTEERINGEBPF`: when set, its result (modulo the live queues) picks the
    /// transmit queue instead of the flow table.
    pub(crate) steering_prog: BpfSlot,
    /// `TUNSETFILTEREBPF`: when set, its result is how much of a transmitted packet
    /// userspace gets (0 drops it).
    pub(crate) filter_prog: BpfSlot,
    /// The XDP program (`ndo_bpf`, TAP only): runs on written packets (see xdp.rs).
    pub(crate) xdp_prog: BpfSlot,
    /// The classic socket filter of `TUNATTACHFILTER` (tun.c's `fprog` and
    /// `filter_attached`), one value under RTNL.
    socket_filter: RtnlLocked<SocketFilter>,
    /// `TUNSETTXFILTER`: the destination addresses a TAP device's reader wants.
    pub(crate) tx_filter: TxFilter,
    /// Writes refused for a malformed virtio-net header (tun.c's `rx_frame_errors`).
    rx_frame_errors: Atomic<u64>,
    /// ethtool's `rx-frames`: written packets held for one batch while vhost-net says
    /// more come (tun.c's `rx_batched`), at most a NAPI poll's weight.
    rx_batched: Atomic<u32>,
    /// ethtool link settings, as userspace set them.
    link_settings: RtnlLocked<LinkSettings>,
    /// The device's LSM blob and hooks.
    pub(crate) security: TunSecurity,
    /// The module reference of a persistent device (`IFF_PERSIST` set), given back when
    /// the flag is cleared or the device is deleted.
    persist_pin: RtnlLocked<Option<ModuleRef>>,
}

impl Device {
    /// The device state for a `TUNSETIFF` with `initial_flags`, and a send buffer of
    /// `sndbuf` bytes for its queues.
    pub(crate) fn new(initial_flags: u32, sndbuf: i32) -> impl PinInit<Self, Error> {
        let multi = initial_flags & ioctl::IFF_MULTI_QUEUE != 0;
        try_pin_init!(Self {
            flags: Atomic::new(initial_flags),
            owner: AtomicId::none(),
            group: AtomicId::none(),
            queues <- QueueSet::new(),
            flows: if multi { Some(FlowTable::new()?) } else { None },
            sndbuf: Atomic::new(sndbuf),
            msglevel: Atomic::new(0),
            vnet_hdr_sz: Atomic::new(ioctl::VNET_HDR_LEN),
            set_features: Atomic::new(0),
            steering_prog: BpfSlot::new(ProgKind::Filter),
            filter_prog: BpfSlot::new(ProgKind::Filter),
            xdp_prog: BpfSlot::new(ProgKind::Xdp),
            socket_filter: RtnlLocked::new(SocketFilter {
                fprog: ioctl::SockFprog { len: 0, filter: 0 },
                attached: false,
            }),
            tx_filter: TxFilter::new(),
            rx_frame_errors: Atomic::new(0),
            rx_batched: Atomic::new(0),
            link_settings: RtnlLocked::new(LinkSettings::tun_default()),
            security: TunSecurity::new(),
            persist_pin: RtnlLocked::new(None),
        })
    }

    /// The device flags as `TUNGETIFF` reports them.
    pub(crate) fn flags(&self) -> u32 {
        self.flags.load(Relaxed)
    }

    /// Takes the `TUN_FEATURES` flags of a `TUNSETIFF` request (the first queue's, or
    /// any queue's on a single-queue device), keeping the rest.
    pub(crate) fn set_features_from(&self, request: u32, _rtnl: &Rtnl) {
        self.flags.store(
            (self.flags() & !ioctl::TUN_FEATURES) | (request & ioctl::TUN_FEATURES),
            Relaxed,
        );
    }

    /// ethtool's `rx-frames` (see `rx_batched`).
    pub(crate) fn rx_batched(&self) -> u32 {
        self.rx_batched.load(Relaxed)
    }

    /// Whether the device is TAP (Ethernet).
    pub(crate) fn is_tap(&self) -> bool {
        self.flags() & ioctl::TUN_TYPE_MASK == ioctl::IFF_TAP
    }

    /// Sets or clears `IFF_PERSIST`, pinning the module while it is set; returns whether
    /// it changed. `ENODEV` if the module is being unloaded.
    pub(crate) fn set_persist(&self, on: bool, rtnl: &mut Rtnl) -> Result<bool> {
        let pin = self.persist_pin.get_mut(rtnl);
        if pin.is_some() == on {
            return Ok(false);
        }
        *pin = if on {
            Some(ModuleRef::new().ok_or(ENODEV)?)
        } else {
            None
        };
        // A load and a store, not a read-modify-write (the kernel crate's `Atomic` has no
        // `fetch_or`/`fetch_and`): every writer of `flags` holds RTNL, as `rtnl` here, so
        // no change can come between them; lockless readers see the old or the new word.
        let flags = self.flags();
        self.flags.store(
            if on {
                flags | ioctl::IFF_PERSIST
            } else {
                flags & !ioctl::IFF_PERSIST
            },
            Relaxed,
        );
        Ok(true)
    }

    /// The user that may attach besides `CAP_NET_ADMIN` (`TUNSETOWNER`), if set.
    pub(crate) fn owner(&self) -> Option<Kuid> {
        self.owner.get()
    }

    /// The group that may attach besides `CAP_NET_ADMIN` (`TUNSETGROUP`), if set.
    pub(crate) fn group(&self) -> Option<Kgid> {
        self.group.get()
    }

    /// `TUNSETOWNER`.
    pub(crate) fn set_owner(&self, uid: Kuid, _rtnl: &Rtnl) {
        self.owner.set(uid)
    }

    /// `TUNSETGROUP`.
    pub(crate) fn set_group(&self, gid: Kgid, _rtnl: &Rtnl) {
        self.group.set(gid)
    }

    /// The send buffer a queue attaching now gets (`TUNSETSNDBUF`).
    pub(crate) fn sndbuf(&self) -> i32 {
        self.sndbuf.load(Relaxed)
    }

    /// `TUNSETSNDBUF`: the device value, every attached queue's, and (by `attach`) the
    /// value of queues attached later.
    pub(crate) fn set_sndbuf(&self, v: i32, rtnl: &Rtnl) {
        self.sndbuf.store(v, Relaxed);
        for q in self.queues.read_rtnl(rtnl) {
            q.sock.set_sndbuf(v);
        }
    }

    /// `TUNSETSTEERINGEBPF` / `TUNSETFILTEREBPF`: the socket-filter program behind `fd`,
    /// or none for -1, replacing the previous one.
    pub(crate) fn set_ebpf(&self, hook: ioctl::EbpfHook, fd: i32, rtnl: &Rtnl) -> Result {
        let prog = if fd == -1 {
            None
        } else {
            Some(BpfProg::from_fd(fd)?)
        };
        let slot = match hook {
            ioctl::EbpfHook::Steering => &self.steering_prog,
            ioctl::EbpfHook::Filter => &self.filter_prog,
        };
        slot.set(prog, rtnl);
        Ok(())
    }

    /// Whether this is a TAP device: the filter ioctls are refused (`EINVAL`) on TUN.
    fn tap_only(&self) -> Result {
        if self.flags() & ioctl::TUN_TYPE_MASK == ioctl::IFF_TAP {
            Ok(())
        } else {
            Err(EINVAL)
        }
    }

    /// `TUNSETTXFILTER`: returns the number of exact addresses, as tun.c does.
    pub(crate) fn set_tx_filter(&self, arg: usize) -> Result<u32> {
        self.tap_only()?;
        Ok(match ioctl::read_tx_filter(arg)? {
            Some(new) => self.tx_filter.install(&new),
            None => {
                self.tx_filter.disable();
                0
            }
        })
    }

    /// `TUNATTACHFILTER`: the classic filter on the socket of every live queue, and
    /// (see [`Device::prepare_queue`]) of queues attached later; all or none of the
    /// live ones. As tun.c, the structure is kept even when the program is refused, and
    /// disabled queues keep the filter they had.
    pub(crate) fn attach_filter(&self, arg: usize, rtnl: &mut Rtnl) -> Result {
        self.tap_only()?;
        let fprog = ioctl::SockFprog::read(arg)?;
        self.socket_filter.get_mut(rtnl).fprog = fprog;
        let attached = Self::attach_filters(self.queues.read_rtnl(rtnl), fprog);
        self.socket_filter.get_mut(rtnl).attached = attached.is_ok();
        attached
    }

    /// The filter on every queue of `queues`, or (on a refusal) on none.
    fn attach_filters(queues: &[Arc<Queue>], fprog: ioctl::SockFprog) -> Result {
        for (i, q) in queues.iter().enumerate() {
            if let Err(e) = q.sock.attach_filter(fprog.len, fprog.filter) {
                Self::detach_filters(&queues[..i]);
                return Err(e);
            }
        }
        Ok(())
    }

    /// `TUNDETACHFILTER`: off every live queue's socket (disabled ones keep theirs).
    pub(crate) fn detach_filter(&self, rtnl: &mut Rtnl) -> Result {
        self.tap_only()?;
        Self::detach_filters(self.queues.read_rtnl(rtnl));
        self.socket_filter.get_mut(rtnl).attached = false;
        Ok(())
    }

    fn detach_filters(queues: &[Arc<Queue>]) {
        for q in queues {
            q.sock.detach_filter();
        }
    }

    /// A queue joins the live ones: the device's send buffer and, unless `skip_filter`
    /// (`IFF_NOFILTER` in a `TUNSETIFF` that attaches), its filter go to the queue's
    /// socket (tun.c's `tun_attach`). A program that is refused now refuses the attach.
    pub(crate) fn prepare_queue(&self, q: &Queue, skip_filter: bool, rtnl: &Rtnl) -> Result {
        q.sock.set_sndbuf(self.sndbuf());
        let filter = self.socket_filter.get(rtnl);
        if !skip_filter && filter.attached {
            q.sock
                .attach_filter(filter.fprog.len, filter.fprog.filter)?;
        }
        Ok(())
    }

    /// `TUNGETFILTER`: the structure last given to `TUNATTACHFILTER`.
    pub(crate) fn get_filter(&self, arg: usize, rtnl: &Rtnl) -> Result {
        self.tap_only()?;
        self.socket_filter.get(rtnl).fprog.write(arg)
    }

    /// Sets the message level (`TUNSETDEBUG`).
    pub(crate) fn set_msglevel(&self, level: u32) {
        self.msglevel.store(level, Relaxed)
    }

    /// The virtio-net header size, whether `IFF_VNET_HDR` is on or not (vhost-net's
    /// batches carry a header either way).
    pub(crate) fn vnet_hdr_size(&self) -> i32 {
        self.vnet_hdr_sz.load(Relaxed)
    }

    /// The virtio-net header size, when `IFF_VNET_HDR` is on.
    pub(crate) fn vnet_hdr_sz(&self) -> Option<i32> {
        (self.flags() & ioctl::IFF_VNET_HDR != 0).then(|| self.vnet_hdr_sz.load(Relaxed))
    }

    /// The vnet ioctls: header size and endianness (flags `TUN_VNET_LE`/`_BE`).
    pub(crate) fn vnet_ioctl(&self, cmd: u32, arg: usize, _rtnl: &Rtnl) -> Result {
        let mut sz = self.vnet_hdr_sz.load(Relaxed);
        let mut flags = self.flags();
        let r = crate::net::vnet::ioctl(&mut sz, &mut flags, cmd, arg);
        self.vnet_hdr_sz.store(sz, Relaxed);
        self.flags.store(flags, Relaxed);
        r
    }

    /// `TUNSETOFFLOAD`: which offloads the reader can take.
    pub(crate) fn set_offload(dev: &TunDev, arg: usize, rtnl: &Rtnl) -> Result {
        let features = offload::features_of(arg)?;
        dev.data().set_features.store(features, Relaxed);
        dev.set_wanted_features(offload::USER_FEATURES, features, rtnl);
        Ok(())
    }

    /// Counts a write refused for its malformed virtio-net header.
    pub(crate) fn count_rx_frame_error(&self) {
        self.rx_frame_errors.add(1, Relaxed);
    }

    /// The flow table, on multiqueue devices.
    pub(crate) fn flows(&self) -> Option<&FlowTable> {
        self.flows.as_ref()
    }

    /// Whether the device takes more than one queue.
    pub(crate) fn is_multi_queue(&self) -> bool {
        self.flags() & ioctl::IFF_MULTI_QUEUE != 0
    }
}

#[vtable]
impl NetDevOps for Device {
    fn start_xmit(dev: &TunDev, skb: Skb, rcu: &RcuSection<'_>, bh: &BhOff<'_>) -> Xmit {
        crate::tx::xmit(dev, skb, rcu, bh)
    }

    fn uninit(dev: &TunDev, ctx: &mut Unregistering<'_, Self>) {
        let d = dev.data();
        d.queues.delete_all(ctx);
        // A persistent device gives its module reference back (tun.c's module_put).
        drop(d.persist_pin.get_mut(ctx.rtnl_mut()).take());
    }

    fn stopping(dev: &TunDev, rtnl: &Rtnl) {
        for q in dev.data().queues.read_rtnl(rtnl) {
            backpressure::forget_consumed(q);
        }
    }

    fn rx_frame_errors(dev: &TunDev) -> u64 {
        dev.data().rx_frame_errors.load(Relaxed)
    }

    fn change_carrier(dev: &TunDev, on: bool, rtnl: &Rtnl) -> Result {
        if on {
            let _ = rtnl;
            if dev.data().queues.live() == 0 {
                return Err(EPERM);
            }
        }
        dev.set_carrier(on);
        Ok(())
    }

    fn fix_features(dev: &TunDev, features: u64) -> u64 {
        // Offloads stay off until TUNSETOFFLOAD says the reader handles them.
        let set = dev.data().set_features.load(Relaxed);
        (features & set) | (features & !offload::USER_FEATURES)
    }

    fn xdp_setup(dev: &TunDev, prog: Option<BpfProg>, rtnl: &mut Rtnl) {
        crate::xdp::set_prog(dev, prog, rtnl);
    }

    fn xdp_xmit(
        dev: &TunDev,
        frames: XdpXmitFrames<'_>,
        flush: bool,
        rcu: &RcuSection<'_>,
        bh: &BhOff<'_>,
    ) -> Result<u32> {
        crate::xdp::xmit(dev, frames, flush, rcu, bh)
    }

    fn select_queue(dev: &TunDev, skb: &mut SkbRef<'_>) -> u16 {
        let d = dev.data();
        let live = d.queues.live();
        if d.steering_prog.is_set() {
            // tun.c's tun_ebpf_select_queue: no queue, no program run; the result is
            // cut to 16 bits before the modulo. Mid-change, `live` may run ahead of the
            // stack's count; the core caps the index to that.
            if live == 0 {
                return 0;
            }
            let pick = read_section(|rcu| d.steering_prog.run_ref(rcu, skb));
            if let Some(pick) = pick {
                return (u32::from(pick as u16) % live) as u16;
            }
        }
        if live <= 1 {
            return 0;
        }
        steering::select(d.flows(), skb.flow_hash_symmetric(), live)
    }
}

#[vtable]
impl RtnlLinkOps for Device {
    // tun.c's `TUN_READQ_SIZE`.
    const TX_QUEUE_LEN: u32 = 500;

    // tun.c's `tun_validate`.
    const NEWLINK_ERROR: Error = EOPNOTSUPP;
    const NEWLINK_MESSAGE: &'static CStr = c"tun/tap creation via rtnetlink is not supported.";

    fn setup(dev: &mut DevSetup<'_, Self>) {
        // tun.c's `tun_net_initialize`.
        if dev.data().is_tap() {
            dev.ether_setup();
            // No shared skbs, and MAC changes while up.
            dev.set_priv_flag(PrivFlag::TxSkbSharing, false);
            dev.set_priv_flag(PrivFlag::LiveAddrChange, true);
            dev.random_hw_addr();
            // As tun.c: only a TAP device does XDP.
            dev.set_xdp_features(ioctl::TAP_XDP_FEATURES);
        } else {
            dev.l3_setup();
            dev.set_mtu(1500);
            dev.set_type(ioctl::ARPHRD_NONE);
            dev.set_flags(ioctl::TUN_DEV_FLAGS);
        }
        dev.set_mtu_range(MIN_MTU, MAX_MTU - u32::from(dev.hard_header_len()));
        dev.set_features(offload::HW_FEATURES, offload::VLAN_FEATURES);
    }

    fn fill_info(dev: &TunDev, msg: &mut LinkInfoMsg<'_>) -> Result {
        let d = dev.data();
        let flags = d.flags();
        msg.put_u8(ioctl::IFLA_TUN_TYPE, (flags & ioctl::TUN_TYPE_MASK) as u8)?;
        if let Some(uid) = d.owner() {
            msg.put_u32(ioctl::IFLA_TUN_OWNER, creds::kuid_to_user(uid))?;
        }
        if let Some(gid) = d.group() {
            msg.put_u32(ioctl::IFLA_TUN_GROUP, gid.to_user())?;
        }
        msg.put_u8(ioctl::IFLA_TUN_PI, u8::from(flags & ioctl::IFF_NO_PI == 0))?;
        msg.put_u8(
            ioctl::IFLA_TUN_VNET_HDR,
            u8::from(flags & ioctl::IFF_VNET_HDR != 0),
        )?;
        msg.put_u8(
            ioctl::IFLA_TUN_PERSIST,
            u8::from(flags & ioctl::IFF_PERSIST != 0),
        )?;
        msg.put_u8(
            ioctl::IFLA_TUN_MULTI_QUEUE,
            u8::from(flags & ioctl::IFF_MULTI_QUEUE != 0),
        )?;
        if flags & ioctl::IFF_MULTI_QUEUE != 0 {
            msg.put_u32(ioctl::IFLA_TUN_NUM_QUEUES, d.queues.live())?;
            msg.put_u32(ioctl::IFLA_TUN_NUM_DISABLED_QUEUES, d.queues.disabled())?;
        }
        Ok(())
    }

    // Four u32 and five u8 attributes, each padded to 8 bytes with its header.
    const INFO_SIZE: usize = 9 * 8;

    fn up(dev: &TunDev, rtnl: &Rtnl) {
        // tun.c's NETDEV_UP: writers that polled while the device was down get EPOLLOUT.
        for q in dev.data().queues.read_rtnl(rtnl) {
            q.write_space();
        }
    }

    fn tx_queue_len_changed(dev: &TunDev, rtnl: &Rtnl) -> Result {
        // tun.c resizes every ring to the new length; rtun shares it among live queues
        // (disabled queues are resized when enabled).
        dev.data().queues.share_budget(dev, rtnl)
    }

    const SYSFS_ATTRS: &'static [&'static CStr] = &[c"tun_flags", c"owner", c"group"];

    /// tun.c: "0x%x\n" for the flags, "%u\n" for an id, "-1\n" for none.
    fn sysfs_show(dev: &TunDev, index: usize, out: &mut SysfsPage<'_>) -> fmt::Result {
        let d = dev.data();
        let id = match index {
            0 => return writeln!(out, "0x{:x}", d.flags() & REPORTED_FLAGS),
            1 => d.owner().map(creds::kuid_to_user),
            _ => d.group().map(Kgid::to_user),
        };
        match id {
            Some(id) => writeln!(out, "{id}"),
            None => writeln!(out, "-1"),
        }
    }
}

#[vtable]
impl EthtoolOps for Device {
    // tun.c's `DRV_VERSION`.
    const VERSION: &'static CStr = c"1.6";

    fn bus_info(dev: &TunDev) -> &'static CStr {
        if dev.data().is_tap() {
            c"tap"
        } else {
            c"tun"
        }
    }

    fn msglevel(dev: &TunDev) -> u32 {
        dev.data().msglevel.load(Relaxed)
    }

    fn set_msglevel(dev: &TunDev, level: u32) {
        dev.data().set_msglevel(level)
    }

    fn rx_coalesce_frames(dev: &TunDev) -> u32 {
        dev.data().rx_batched()
    }

    fn set_rx_coalesce_frames(dev: &TunDev, frames: u32) {
        // tun.c: at most a NAPI poll's weight.
        dev.data()
            .rx_batched
            .store(frames.min(RX_BATCHED_MAX), Relaxed);
    }

    fn link_settings(dev: &TunDev) -> &RtnlLocked<LinkSettings> {
        &dev.data().link_settings
    }

    fn channels(dev: &TunDev) -> (u32, u32) {
        let d = dev.data();
        (d.queues.live(), dev.num_tx_queues())
    }

    const QUEUE_STAT_NAMES: &'static [&'static str] = &crate::queue::STAT_NAMES;

    fn stat_queues(dev: &TunDev) -> u32 {
        dev.data().queues.live()
    }

    fn queue_stats(dev: &TunDev, out: &mut [u64]) {
        read_section(|rcu| {
            let queues = dev.data().queues.read(rcu);
            for (q, slot) in queues
                .iter()
                .zip(out.chunks_exact_mut(crate::queue::STAT_NAMES.len()))
            {
                slot.copy_from_slice(&q.stats.values());
            }
        })
    }
}

/// The flags `TUNGETIFF` and sysfs `tun_flags` report (tun.c's `tun_flags()`).
pub(crate) const REPORTED_FLAGS: u32 =
    ioctl::TUN_FEATURES | ioctl::IFF_PERSIST | ioctl::IFF_TUN | ioctl::IFF_TAP;

/// A device's classic socket filter: the last `TUNATTACHFILTER` structure (kept even when
/// its program was refused, for `TUNGETFILTER`, as tun.c), and whether it is attached, so
/// that queues attached later get it too. The program is read from the user pointer each
/// time, as tun.c does.
#[derive(Clone, Copy)]
struct SocketFilter {
    fprog: ioctl::SockFprog,
    attached: bool,
}
