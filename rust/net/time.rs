// SPDX-License-Identifier: GPL-2.0

//! The jiffies clock.

use crate::bindings as b;

/// The current jiffies.
pub(crate) fn jiffies() -> usize {
    // SAFETY: No precondition: a `READ_ONCE` of the jiffies counter.
    unsafe { b::rtun_jiffies() as usize }
}

/// `ms` milliseconds in jiffies.
pub(crate) fn msecs_to_jiffies(ms: u32) -> usize {
    // SAFETY: No precondition: arithmetic on its argument.
    unsafe { b::__msecs_to_jiffies(ms) as usize }
}
