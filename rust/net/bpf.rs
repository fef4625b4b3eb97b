// SPDX-License-Identifier: GPL-2.0

//! eBPF programs a device runs on its packets: socket filters (`TUNSETSTEERINGEBPF`,
//! `TUNSETFILTEREBPF`), from a program fd, and the XDP program the core attaches
//! (`ndo_bpf`); an RCU slot holds at most one program, replaced under RTNL and run by the
//! datapath under RCU.

use core::ptr::NonNull;
use kernel::prelude::*;
use kernel::sync::atomic::{Acquire, Atomic, Full, Relaxed};

use crate::bindings as b;
use crate::net::{netdev_ops::SkbRef, rcu::RcuSection, rtnl::Rtnl, skb::Skb, xdp::XdpProg};

/// A reference to a loaded `BPF_PROG_TYPE_SOCKET_FILTER` program, or a classic BPF
/// program this value owns.
///
/// # Invariants
///
/// `ptr` is a program this value holds one reference to.
pub(crate) struct BpfProg {
    ptr: NonNull<b::bpf_prog>,
    kind: ProgKind,
}

/// How a program is released: what it is decides that.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProgKind {
    /// A socket filter, or a classic program translated for the device
    /// (`bpf_prog_destroy`, tun.c's `tun_prog_free`).
    Filter,
    /// An XDP program the core attached (`bpf_prog_put`).
    Xdp,
}

// SAFETY: A program reference may be used and released from any thread.
unsafe impl Send for BpfProg {}
// SAFETY: Running a program concurrently is allowed; it has no `&self` mutation.
unsafe impl Sync for BpfProg {}

impl BpfProg {
    /// The socket-filter program behind `fd`: `EBADF` for a bad fd, `EINVAL` for an fd
    /// that is not a program of that type (tun.c's `bpf_prog_get_type` errors).
    pub(crate) fn from_fd(fd: i32) -> Result<Self> {
        // `bpf_prog_get_type`, an inline of this call without a device to attach to; the
        // fd converts to `u32` as it does in C.
        // SAFETY: No precondition: an fd of anything else is refused with an error pointer.
        let ptr = kernel::error::from_err_ptr(unsafe {
            b::bpf_prog_get_type_dev(
                fd as u32,
                b::bpf_prog_type_BPF_PROG_TYPE_SOCKET_FILTER,
                false,
            )
        })?;
        let ptr = NonNull::new(ptr).ok_or(EINVAL)?;
        // INVARIANT: Not an error pointer, so we hold a reference to `ptr`.
        Ok(Self {
            ptr,
            kind: ProgKind::Filter,
        })
    }

    /// A program whose reference the caller hands over (`ndo_bpf`'s `XDP_SETUP_PROG`).
    ///
    /// # Safety
    ///
    /// `ptr` is a valid program and the caller gives its reference to the value.
    pub(crate) unsafe fn from_owned_xdp(ptr: NonNull<b::bpf_prog>) -> Self {
        // INVARIANT: Per the caller.
        Self {
            ptr,
            kind: ProgKind::Xdp,
        }
    }

    fn into_raw(self) -> *mut b::bpf_prog {
        let p = self.ptr.as_ptr();
        core::mem::forget(self);
        p
    }

    /// # Safety
    ///
    /// `p` comes from [`BpfProg::into_raw`] of a program of `kind`, and its reference is
    /// not used elsewhere.
    unsafe fn from_raw(p: *mut b::bpf_prog, kind: ProgKind) -> Self {
        // SAFETY: The caller passes a non-null pointer from `into_raw`.
        let ptr = unsafe { NonNull::new_unchecked(p) };
        Self { ptr, kind }
    }
}

impl Drop for BpfProg {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we hold a reference, given up here the way its
        // kind is released.
        unsafe {
            match self.kind {
                ProgKind::Filter => b::rtun_bpf_prog_put(self.ptr.as_ptr()),
                ProgKind::Xdp => b::bpf_prog_put(self.ptr.as_ptr()),
            }
        }
    }
}

/// At most one program, read under RCU, replaced under RTNL.
///
/// # Invariants
///
/// `ptr` is null or comes from [`BpfProg::into_raw`] of a program of `kind`; a replaced
/// program is released only after a grace period.
pub(crate) struct BpfSlot {
    ptr: Atomic<*mut b::bpf_prog>,
    kind: ProgKind,
}

impl BpfSlot {
    /// An empty slot for programs of `kind`.
    pub(crate) const fn new(kind: ProgKind) -> Self {
        Self {
            ptr: Atomic::new(core::ptr::null_mut()),
            kind,
        }
    }

    /// Whether a program is set (`rcu_access_pointer`: no read section needed to test).
    pub(crate) fn is_set(&self) -> bool {
        !self.ptr.load(Relaxed).is_null()
    }

    /// Sets `prog` (or none), releasing the previous program after a grace period.
    pub(crate) fn set(&self, prog: Option<BpfProg>, _rtnl: &Rtnl) {
        // Only programs of the slot's kind are stored (the invariant's release); the
        // callers never pass another (it would be released as it came, the slot emptied).
        let prog = prog.filter(|p| p.kind == self.kind);
        let new = prog.map_or(core::ptr::null_mut(), BpfProg::into_raw);
        // Full (core's AcqRel before): its release pairs with the Acquire in `run_raw`
        // (rcu_assign_pointer's role).
        let old = self.ptr.xchg(new, Full);
        if !old.is_null() {
            // SAFETY: Process context holding RTNL, where synchronize_net may sleep.
            unsafe { b::synchronize_net() };
            // SAFETY: `old` came from `into_raw` (type invariant) and the grace period
            // above ended every read section that could run it.
            drop(unsafe { BpfProg::from_raw(old, self.kind) });
        }
    }

    /// The XDP program in the slot, for the read section `_section`.
    pub(crate) fn xdp<'g>(&self, _section: &RcuSection<'g>) -> Option<XdpProg<'g>> {
        let p = NonNull::new(self.ptr.load(Acquire))?;
        // SAFETY: `p` stays valid until a grace period after it is replaced, and the
        // section lasts `'g`.
        Some(unsafe { XdpProg::new(p) })
    }

    fn run_raw(&self, _section: &RcuSection<'_>, skb: *mut b::sk_buff) -> Option<u32> {
        let p = self.ptr.load(Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: `p` stays valid until a grace period after it is replaced, and
        // `_section` holds the read section open; `skb` is valid (callers' contracts).
        Some(unsafe { b::rtun_bpf_prog_run_clear_cb(p, skb) })
    }

    /// Runs the program, if one is set, on a packet being transmitted.
    pub(crate) fn run(&self, section: &RcuSection<'_>, skb: &mut Skb) -> Option<u32> {
        self.run_raw(section, skb.as_raw())
    }

    /// As [`BpfSlot::run`], on a packet the stack lends to `ndo_select_queue`.
    pub(crate) fn run_ref(&self, section: &RcuSection<'_>, skb: &mut SkbRef<'_>) -> Option<u32> {
        self.run_raw(section, skb.as_raw())
    }
}

impl Drop for BpfSlot {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: `&mut self`: the owning device is being freed after its last
            // grace period, so no reader runs the program; `p` came from `into_raw`.
            drop(unsafe { BpfProg::from_raw(p, self.kind) });
        }
    }
}
