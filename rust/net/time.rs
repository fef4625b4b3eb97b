// SPDX-License-Identifier: GPL-2.0

//! The jiffies clock. The kernel crate converts milliseconds (`kernel::time`) but has no
//! reader of the counter itself.

use crate::bindings as b;

/// The current jiffies.
pub(crate) fn jiffies() -> usize {
    // SAFETY: No precondition: a `READ_ONCE` of the jiffies counter.
    unsafe { b::rtun_jiffies() as usize }
}

/// `ms` milliseconds in jiffies, in the type [`jiffies`] returns.
pub(crate) fn msecs_to_jiffies(ms: u32) -> usize {
    kernel::time::msecs_to_jiffies(ms) as usize
}
