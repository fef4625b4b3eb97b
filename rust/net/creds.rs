// SPDX-License-Identifier: GPL-2.0

//! Credentials and module references: uid/gid checks and conversions for the
//! owner/group rules, and pinning the module while persistent devices exist.

use crate::bindings as b;

/// Whether the caller's effective uid is the kernel uid `uid`.
pub(crate) fn euid_is(uid: u32) -> bool {
    // SAFETY: No precondition: reads the current task's credentials, which every
    // process-context caller has.
    unsafe { b::rtun_current_euid_is(b::kuid_t { val: uid }) }
}

/// Whether the kernel gid `gid` is among the caller's (effective) groups.
pub(crate) fn in_egroup(gid: u32) -> bool {
    // SAFETY: No precondition: reads the current task's credentials.
    unsafe { b::in_egroup_p(b::kgid_t { val: gid }) != 0 }
}

/// A user-namespace uid of the caller mapped to a kernel uid (`u32::MAX`: unmapped).
pub(crate) fn uid_from_user(uid: u32) -> u32 {
    // SAFETY: No precondition: maps through the current task's user namespace.
    unsafe { b::rtun_make_kuid_current(uid).val }
}

/// A user-namespace gid of the caller mapped to a kernel gid (`u32::MAX`: unmapped).
pub(crate) fn gid_from_user(gid: u32) -> u32 {
    // SAFETY: No precondition: maps through the current task's user namespace.
    unsafe { b::rtun_make_kgid_current(gid).val }
}

/// A kernel uid as the caller's user namespace sees it (overflow uid when unmapped).
pub(crate) fn uid_to_user(uid: u32) -> u32 {
    // SAFETY: No precondition: maps through the current task's user namespace; any value
    // is accepted (unmapped ids become the overflow id).
    unsafe { b::rtun_from_kuid_current(b::kuid_t { val: uid }) }
}

/// A kernel gid as the caller's user namespace sees it.
pub(crate) fn gid_to_user(gid: u32) -> u32 {
    // SAFETY: No precondition: maps through the current task's user namespace; any value
    // is accepted (unmapped ids become the overflow id).
    unsafe { b::rtun_from_kgid_current(b::kgid_t { val: gid }) }
}

/// A reference on this module: it stays loaded while one lives (a persistent device holds
/// one, as tun.c's `TUNSETPERSIST` takes one). Dropping it gives exactly that reference back.
pub(crate) struct ModuleRef {
    _private: (),
}

impl ModuleRef {
    /// Takes a reference on this module.
    pub(crate) fn new() -> Self {
        // SAFETY: This runs module code on behalf of an open file or a registered device,
        // either of which already holds the module live, as `__module_get` requires.
        unsafe { b::rtun_module_get() };
        Self { _private: () }
    }
}

impl Drop for ModuleRef {
    fn drop(&mut self) {
        // SAFETY: `new` took this reference, and only this drop gives it back.
        unsafe { b::rtun_module_put() }
    }
}

/// `fasync` on: SIGIO goes to the calling process (tun.c's `__f_setown`).
pub(crate) fn fasync_setown(file: &kernel::fs::File) -> kernel::error::Result {
    // SAFETY: `file` is a valid open file for the call.
    kernel::error::to_result(unsafe { b::rtun_fasync_setown(file.as_ptr().cast()) })
}

/// Whether the caller has `CAP_NET_ADMIN` in the initial user namespace (`capable()`).
pub(crate) fn capable_net_admin() -> bool {
    // SAFETY: Reads the current task's credentials.
    unsafe { b::rtun_capable_net_admin() }
}
