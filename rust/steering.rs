// SPDX-License-Identifier: GPL-2.0

//! Choosing the transmit queue (`ndo_select_queue`): the flow table first, else the flow
//! hash scaled to the number of live queues.
//!
//! The flow table remembers, per flow (symmetric hash), the queue that last *wrote* a
//! packet of that flow, so that the answers to a flow go back to the queue that serves it
//! (tun.c's "automq"). Unlike tun.c's hash chains plus garbage-collection timer, this is a
//! direct-mapped array of atomics: a colliding flow replaces the older one, and age is
//! checked when an entry is read, so there is no allocation, lock or timer on any path.
//! A torn read (hash of one flow, queue of another) can only pick a suboptimal queue, and
//! every index is checked against the live queue count before it is used.

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};

use crate::net::time;

/// Number of entries (a power of two), as tun.c's `TUN_NUM_FLOW_ENTRIES`.
const FLOW_ENTRIES: usize = 1024;
/// An entry not refreshed for this long is ignored (tun.c's `TUN_FLOW_EXPIRE`, 3 s).
const FLOW_EXPIRE_MS: u32 = 3000;

/// One remembered flow.
struct FlowEntry {
    /// The flow's symmetric hash; 0 = empty.
    hash: Atomic<u32>,
    /// The queue that last wrote a packet of the flow.
    queue: Atomic<u32>,
    /// When, in jiffies.
    updated: Atomic<usize>,
}

/// The flow → queue table of a multiqueue device.
pub(crate) struct FlowTable {
    entries: KVec<FlowEntry>,
}

impl FlowTable {
    /// An empty table.
    pub(crate) fn new() -> Result<Self> {
        let mut entries = KVec::with_capacity(FLOW_ENTRIES, GFP_KERNEL)?;
        for _ in 0..FLOW_ENTRIES {
            entries.push(
                FlowEntry {
                    hash: Atomic::new(0),
                    queue: Atomic::new(0),
                    updated: Atomic::new(0),
                },
                GFP_KERNEL,
            )?;
        }
        Ok(Self { entries })
    }

    fn entry(&self, hash: u32) -> &FlowEntry {
        &self.entries[hash as usize & (FLOW_ENTRIES - 1)]
    }

    /// Records that `queue` wrote a packet of flow `hash`.
    pub(crate) fn update(&self, hash: u32, queue: u32) {
        if hash == 0 {
            return;
        }
        let e = self.entry(hash);
        let now = time::jiffies();
        if e.hash.load(Relaxed) != hash {
            e.hash.store(hash, Relaxed);
        }
        if e.queue.load(Relaxed) != queue {
            e.queue.store(queue, Relaxed);
        }
        if e.updated.load(Relaxed) != now {
            e.updated.store(now, Relaxed);
        }
    }

    /// The queue recorded for flow `hash`, if fresh and still below `live`.
    pub(crate) fn lookup(&self, hash: u32, live: u32) -> Option<u32> {
        let e = self.entry(hash);
        if hash == 0 || e.hash.load(Relaxed) != hash {
            return None;
        }
        let age = time::jiffies().wrapping_sub(e.updated.load(Relaxed));
        if age > time::msecs_to_jiffies(FLOW_EXPIRE_MS) {
            return None;
        }
        let q = e.queue.load(Relaxed);
        (q < live).then_some(q)
    }

    /// Forgets every flow of `queue` (it went away, or another queue took its index).
    pub(crate) fn forget_queue(&self, queue: u32) {
        for e in self.entries.iter() {
            if e.queue.load(Relaxed) == queue {
                e.hash.store(0, Relaxed);
            }
        }
    }
}

/// Scales a 32-bit hash to `0..n` without a division (`reciprocal_scale`).
pub(crate) fn scale(hash: u32, n: u32) -> u32 {
    ((u64::from(hash) * u64::from(n)) >> 32) as u32
}

/// Picks the queue for a packet of flow `hash` among `live` queues.
pub(crate) fn select(flows: Option<&FlowTable>, hash: u32, live: u32) -> u16 {
    if live <= 1 {
        return 0;
    }
    let q = flows
        .and_then(|f| f.lookup(hash, live))
        .unwrap_or_else(|| scale(hash, live));
    q as u16
}

#[kunit_tests(rtun_steering)]
mod tests {
    use super::*;

    #[test]
    fn scale_stays_in_range() {
        for n in [1u32, 2, 3, 7, 256, 1024] {
            for h in [0u32, 1, 0x8000_0000, u32::MAX, 0xdead_beef] {
                assert!(scale(h, n) < n);
            }
        }
        assert_eq!(scale(u32::MAX, 4), 3);
        assert_eq!(scale(0, 4), 0);
    }

    #[test]
    fn flow_recorded_then_forgotten() {
        let t = FlowTable::new().expect("alloc");
        t.update(0x1234_5678, 5);
        assert_eq!(t.lookup(0x1234_5678, 8), Some(5));
        // An index that no longer exists is never returned.
        assert_eq!(t.lookup(0x1234_5678, 5), None);
        assert_eq!(select(Some(&t), 0x1234_5678, 8), 5);
        t.forget_queue(5);
        assert_eq!(t.lookup(0x1234_5678, 8), None);
        assert_eq!(
            select(Some(&t), 0x1234_5678, 8),
            scale(0x1234_5678, 8) as u16
        );
    }

    #[test]
    fn single_queue_is_zero() {
        assert_eq!(select(None, 0xffff_ffff, 1), 0);
        assert_eq!(select(None, 0xffff_ffff, 0), 0);
    }
}
