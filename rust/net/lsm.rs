// SPDX-License-Identifier: GPL-2.0

//! The LSM hooks of a tun device (`security_tun_dev_*`), at the points tun.c calls them:
//! what SELinux's `tun_socket` class checks for QEMU and friends. Without
//! `CONFIG_SECURITY` they are no-ops.

use core::ffi::c_void;
use kernel::{error::to_result, prelude::*, sync::SetOnce};

use crate::bindings as b;
use crate::net::{rtnl::Rtnl, sock::QueueSock};

/// A device's LSM blob (`tun->security`): allocated by the device's `ndo_init`, as tun.c's
/// `tun_net_init` does, and freed with the device.
pub(crate) struct TunSecurity {
    blob: SetOnce<Blob>,
}

/// What `security_tun_dev_alloc_security` gave.
///
/// # Invariants
///
/// `0` is what the hook returned (null without an LSM that keeps one), owned by this value.
struct Blob(*mut c_void);

// SAFETY: The blob is only handed to the hooks, which (as tun.c's) run under RTNL: every
// method below that passes it takes `&Rtnl`. The free has exclusive access (`drop`).
unsafe impl Send for Blob {}
// SAFETY: `&Blob` only passes the blob to hooks that run under RTNL (`&Rtnl`), so shared
// references on several threads never use it at once.
unsafe impl Sync for Blob {}

impl Drop for Blob {
    fn drop(&mut self) {
        // SAFETY: Our blob (type invariant), freed once.
        unsafe { b::rtun_security_tun_dev_free_security(self.0) };
    }
}

impl TunSecurity {
    /// No blob yet: [`Self::allocate`] makes it.
    pub(crate) fn new() -> Self {
        Self {
            blob: SetOnce::new(),
        }
    }

    /// Allocates the blob (tun.c's `tun_net_init`, from the device's `ndo_init`).
    /// `EEXIST` if it already has one.
    pub(crate) fn allocate(&self, _rtnl: &Rtnl) -> Result {
        if self.blob.as_ref().is_some() {
            return Err(EEXIST);
        }
        let mut blob = core::ptr::null_mut();
        // SAFETY: `blob` is valid for the write; on success we own what it points to.
        to_result(unsafe { b::rtun_security_tun_dev_alloc_security(&mut blob) })?;
        // INVARIANT: The hook's result, ours; RTNL serialises the check and the populate,
        // so it cannot fail (were it to, `Blob`'s drop would free the blob).
        self.blob.populate(Blob(blob));
        Ok(())
    }

    /// The blob. A device gets it in `ndo_init`, before it is registered and before its
    /// first queue attaches, so every hook call below finds it; without one they refuse.
    fn blob(&self) -> Result<*mut c_void> {
        self.blob.as_ref().map(|b| b.0).ok_or(EINVAL)
    }

    /// Whether the caller may create a device (`TUNSETIFF` of a new name).
    pub(crate) fn may_create() -> Result {
        // SAFETY: Checks the current task's credentials.
        to_result(unsafe { b::rtun_security_tun_dev_create() })
    }

    /// Whether the caller may open this existing device (`TUNSETIFF` of its name).
    pub(crate) fn may_open(&self, _rtnl: &Rtnl) -> Result {
        let blob = self.blob()?;
        // SAFETY: The device's blob, alive while `self` is.
        to_result(unsafe { b::rtun_security_tun_dev_open(blob) })
    }

    /// Whether the caller may enable a disabled queue (`TUNSETQUEUE`).
    pub(crate) fn may_attach_queue(&self, _rtnl: &Rtnl) -> Result {
        let blob = self.blob()?;
        // SAFETY: The device's blob, alive while `self` is.
        to_result(unsafe { b::rtun_security_tun_dev_attach_queue(blob) })
    }

    /// Whether the queue with socket `sock` may attach to the device (every attach;
    /// the LSM labels the socket).
    pub(crate) fn may_attach(&self, sock: &QueueSock, _rtnl: &Rtnl) -> Result {
        let blob = self.blob()?;
        // SAFETY: The device's blob, alive while `self` is, and a valid, initialised sock.
        to_result(unsafe { b::rtun_security_tun_dev_attach(sock.raw_sock(), blob) })
    }
}
