// SPDX-License-Identifier: GPL-2.0

//! Network namespaces (`struct net`), held with `get_net`/`put_net`.

use core::ptr::NonNull;
use kernel::{error::to_result, prelude::*};

use crate::bindings as b;

/// A network namespace reference (`get_net`/`put_net`).
///
/// # Invariants
///
/// `ptr` is a valid `struct net` on which this value owns one reference.
pub(crate) struct NetNs {
    ptr: NonNull<b::net>,
}

// SAFETY: A counted `struct net` reference may move between threads.
unsafe impl Send for NetNs {}
// SAFETY: `&NetNs` only reads immutable namespace properties.
unsafe impl Sync for NetNs {}

impl NetNs {
    /// The network namespace of the calling task.
    pub(crate) fn current() -> Self {
        // SAFETY: Needs a task with a namespace proxy: every process-context caller (file
        // open) has one. Returns a counted, non-null reference.
        let ptr = unsafe { b::rtun_get_current_net() };
        // INVARIANT: `get_net` took the reference this value owns.
        Self {
            ptr: NonNull::new(ptr).expect("current task has a netns"),
        }
    }

    /// Whether the caller has CAP_NET_ADMIN in the user namespace owning this netns.
    pub(crate) fn net_admin_capable(&self) -> bool {
        // SAFETY: `ptr` is valid by the type invariant.
        unsafe { b::rtun_ns_capable_net_admin(self.ptr.as_ptr()) }
    }

    /// The `struct net`, for the calls of this layer that take one.
    pub(crate) fn as_raw(&self) -> *mut b::net {
        self.ptr.as_ptr()
    }

    /// This namespace as a new file descriptor (`SIOCGSKNS`).
    pub(crate) fn open_fd(&self) -> Result<isize> {
        // SAFETY: `ptr` is valid; the shim returns an fd or -errno.
        let r = unsafe { b::rtun_open_netns(self.ptr.as_ptr()) };
        to_result(r).map(|()| r as isize)
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        // SAFETY: We own one reference (type invariant).
        unsafe { b::rtun_put_net(self.ptr.as_ptr()) }
    }
}
