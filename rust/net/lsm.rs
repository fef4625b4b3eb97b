// SPDX-License-Identifier: GPL-2.0

//! The LSM hooks of a tun device (`security_tun_dev_*`), at the points tun.c calls them:
//! what SELinux's `tun_socket` class checks for QEMU and friends. Without
//! `CONFIG_SECURITY` they are no-ops.

use core::ffi::c_void;
use kernel::{error::to_result, prelude::*};

use crate::bindings as b;
use crate::net::sock::QueueSock;

/// A device's LSM blob (`tun->security`), allocated with the device and freed with it.
///
/// # Invariants
///
/// `blob` is what `security_tun_dev_alloc_security` returned (null without an LSM that
/// keeps one), owned by this value.
pub(crate) struct TunSecurity {
    blob: *mut c_void,
}

// SAFETY: the blob is the LSM's, which synchronises its own state; we only hand it back.
unsafe impl Send for TunSecurity {}
// SAFETY: as above.
unsafe impl Sync for TunSecurity {}

impl TunSecurity {
    /// The blob of a new device (tun.c's `tun_net_init`).
    pub(crate) fn new() -> Result<Self> {
        let mut blob = core::ptr::null_mut();
        // SAFETY: `blob` is valid for the write; on success we own what it points to.
        to_result(unsafe { b::rtun_security_tun_dev_alloc_security(&mut blob) })?;
        // INVARIANT: the hook's result, ours.
        Ok(Self { blob })
    }

    /// Whether the caller may create a device (`TUNSETIFF` of a new name).
    pub(crate) fn may_create() -> Result {
        // SAFETY: checks the current task's credentials.
        to_result(unsafe { b::rtun_security_tun_dev_create() })
    }

    /// Whether the caller may open this existing device (`TUNSETIFF` of its name).
    pub(crate) fn may_open(&self) -> Result {
        // SAFETY: the device's blob (type invariant).
        to_result(unsafe { b::rtun_security_tun_dev_open(self.blob) })
    }

    /// Whether the caller may enable a disabled queue (`TUNSETQUEUE`).
    pub(crate) fn may_attach_queue(&self) -> Result {
        // SAFETY: the device's blob (type invariant).
        to_result(unsafe { b::rtun_security_tun_dev_attach_queue(self.blob) })
    }

    /// Whether the queue with socket `sock` may attach to the device (every attach;
    /// the LSM labels the socket).
    pub(crate) fn may_attach(&self, sock: &QueueSock) -> Result {
        // SAFETY: the device's blob (type invariant) and a valid, initialised sock.
        to_result(unsafe { b::rtun_security_tun_dev_attach(sock.raw_sock(), self.blob) })
    }
}

impl Drop for TunSecurity {
    fn drop(&mut self) {
        // SAFETY: our blob (type invariant), freed once.
        unsafe { b::rtun_security_tun_dev_free_security(self.blob) };
    }
}
