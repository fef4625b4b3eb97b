// SPDX-License-Identifier: GPL-2.0

//! Credentials and module references: uid/gid checks and conversions for the
//! owner/group rules, and pinning the module while persistent devices exist.

use crate::bindings as b;

use kernel::sync::atomic::{Atomic, Relaxed};

pub(crate) use kernel::task::Kuid;

/// The value of `INVALID_UID` and `INVALID_GID`: what `make_kuid` gives for an id the
/// namespace does not map (`uid_valid()` is false for it).
const INVALID_ID: u32 = u32::MAX;

/// A kernel group id (`kgid_t`), as [`Kuid`] is for user ids.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kgid(u32);

/// A kernel id, the type of an [`AtomicId`].
pub(crate) trait KernelId: Copy {
    /// The raw value (never `INVALID_ID`).
    fn to_raw(self) -> u32;
    /// From a raw value that is not `INVALID_ID`.
    fn from_raw(raw: u32) -> Self;
}

impl KernelId for Kuid {
    fn to_raw(self) -> u32 {
        self.into_raw().val
    }
    fn from_raw(raw: u32) -> Self {
        Kuid::from_raw(kernel::bindings::kuid_t { val: raw })
    }
}

impl KernelId for Kgid {
    fn to_raw(self) -> u32 {
        self.0
    }
    fn from_raw(raw: u32) -> Self {
        Kgid(raw)
    }
}

/// A uid of the caller's user namespace as a kernel uid; `None` when the namespace does
/// not map it (`make_kuid()` and `uid_valid()`).
pub(crate) fn kuid_from_user(uid: u32) -> Option<Kuid> {
    // SAFETY: The current task's user namespace lives as long as its credentials, which
    // the task does not change under its own system call; any uid may be asked for.
    let raw = unsafe { b::rtun_make_kuid(b::rtun_current_user_ns(), uid).val };
    (raw != INVALID_ID).then(|| <Kuid as KernelId>::from_raw(raw))
}

/// A kernel uid as the caller's user namespace sees it (the overflow uid when unmapped:
/// `from_kuid_munged()`, which tun.c reports).
pub(crate) fn kuid_to_user(uid: Kuid) -> u32 {
    // SAFETY: The current task's user namespace, alive as for `kuid_from_user`; any
    // kernel uid is accepted.
    unsafe { b::rtun_from_kuid_munged(b::rtun_current_user_ns(), b::kuid_t { val: uid.to_raw() }) }
}

/// Whether the caller's effective uid is `uid`.
pub(crate) fn euid_is(uid: Kuid) -> bool {
    Kuid::current_euid() == uid
}

impl Kgid {
    /// A gid of the caller's user namespace as a kernel gid; `None` when the namespace
    /// does not map it.
    pub(crate) fn from_user(gid: u32) -> Option<Self> {
        // SAFETY: The current task's user namespace, alive as for `kuid_from_user`; any
        // gid may be asked for.
        let raw = unsafe { b::rtun_make_kgid(b::rtun_current_user_ns(), gid).val };
        (raw != INVALID_ID).then_some(Self(raw))
    }

    /// The gid as the caller's user namespace sees it (the overflow gid when unmapped).
    pub(crate) fn to_user(self) -> u32 {
        // SAFETY: The current task's user namespace, alive as for `kuid_from_user`; any
        // kernel gid is accepted.
        unsafe { b::rtun_from_kgid_munged(b::rtun_current_user_ns(), b::kgid_t { val: self.0 }) }
    }

    /// Whether the gid is among the caller's effective or supplementary groups.
    pub(crate) fn is_caller_group(self) -> bool {
        // SAFETY: No precondition: reads the current task's credentials.
        unsafe { b::in_egroup_p(b::kgid_t { val: self.0 }) != 0 }
    }
}

/// A kernel id that may be unset, read without a lock (a device's owner and group: the
/// attach check and sysfs read them while RTNL is held elsewhere).
pub(crate) struct AtomicId<T> {
    raw: Atomic<u32>,
    _t: core::marker::PhantomData<T>,
}

impl<T: KernelId> AtomicId<T> {
    /// Unset.
    pub(crate) const fn none() -> Self {
        Self {
            raw: Atomic::new(INVALID_ID),
            _t: core::marker::PhantomData,
        }
    }

    /// The id, if set.
    pub(crate) fn get(&self) -> Option<T> {
        let raw = self.raw.load(Relaxed);
        (raw != INVALID_ID).then(|| T::from_raw(raw))
    }

    /// Sets the id.
    pub(crate) fn set(&self, id: T) {
        self.raw.store(id.to_raw(), Relaxed)
    }
}

/// A reference on this module: it stays loaded while one lives (a persistent device holds
/// one, as tun.c's `TUNSETPERSIST` takes one). Dropping it gives exactly that reference back.
pub(crate) struct ModuleRef {
    _private: (),
}

impl ModuleRef {
    /// Takes a reference on this module; `None` once it is being unloaded
    /// (`try_module_get`, where tun.c's `__module_get` relies on its caller's reference:
    /// an open file holds one, so this does not fail for a file's ioctl).
    pub(crate) fn new() -> Option<Self> {
        // SAFETY: `try_module_get` may be called at any time: it takes no reference from
        // a module whose unloading has begun.
        unsafe { b::rtun_try_module_get() }.then_some(Self { _private: () })
    }
}

impl Drop for ModuleRef {
    fn drop(&mut self) {
        // SAFETY: `new` took this reference, and only this drop gives it back.
        unsafe { b::rtun_module_put() }
    }
}

/// A file whose owner (`F_GETOWN`/`F_SETOWN`) is allocated: `fasync` on, before
/// `fasync_helper`, as tun.c's `tun_chr_fasync` does.
pub(crate) struct FileOwner<'a> {
    file: &'a kernel::fs::File,
}

impl<'a> FileOwner<'a> {
    /// Allocates `file`'s owner (`file_f_owner_allocate`; kept if it has one).
    pub(crate) fn allocate(file: &'a kernel::fs::File) -> kernel::error::Result<Self> {
        // SAFETY: `file` is a valid open file for the call.
        kernel::error::to_result(unsafe { b::file_f_owner_allocate(file.as_ptr().cast()) })?;
        Ok(Self { file })
    }

    /// SIGIO goes to the calling process (`__f_setown` with the caller's thread-group
    /// pid): once `fasync_helper` has succeeded, as in tun.c.
    pub(crate) fn set_to_caller(self) {
        // SAFETY: The file is valid and has its owner struct (`allocate`); the current
        // task's pid is valid while it runs, and `__f_setown` takes its own reference.
        unsafe {
            b::__f_setown(
                self.file.as_ptr().cast(),
                b::rtun_task_pid_current(),
                b::pid_type_PIDTYPE_TGID,
                0,
            )
        };
    }
}

/// Whether the caller has `CAP_NET_ADMIN` in the initial user namespace (`capable()`).
pub(crate) fn capable_net_admin() -> bool {
    // SAFETY: Reads the current task's credentials.
    unsafe { b::rtun_capable_net_admin() }
}
