// SPDX-License-Identifier: GPL-2.0

//! The TAP transmit address filter (`TUNSETTXFILTER`): the destination MAC addresses
//! whose packets userspace wants to read. The first [`EXACT`] addresses of the list match
//! exactly; further ones, which must be multicast, set a bit in a 64-bit hash of their
//! Ethernet CRC (tun.c's `struct tap_filter`).
//!
//! As in tun.c the filter changes without a lock: the writer disables it, rewrites it and
//! enables it again, so a concurrent transmit sees the old filter, no filter (and lets a
//! packet through it would have dropped) or the new one. Each address is one atomic word,
//! so none is ever seen torn.

use kernel::prelude::*;
use kernel::sync::atomic::{Acquire, Atomic, Relaxed, Release};

/// How many addresses match exactly (tun.c's `FLT_EXACT_COUNT`).
pub(crate) const EXACT: usize = 8;

pub(crate) use crate::ioctl::FLT_ALLMULTI;

/// A MAC address in the low 48 bits of a word.
fn pack(addr: &[u8; 6]) -> u64 {
    let mut w = [0u8; 8];
    w[..6].copy_from_slice(addr);
    u64::from_le_bytes(w)
}

fn is_multicast(addr: &[u8; 6]) -> bool {
    addr[0] & 1 != 0
}

/// The kernel's `ether_crc()`: the bit-reversed little-endian CRC-32 of the address.
fn ether_crc(addr: &[u8; 6]) -> u32 {
    let mut crc = !0u32;
    for &byte in addr {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ if crc & 1 != 0 { 0xedb8_8320 } else { 0 };
        }
    }
    crc.reverse_bits()
}

/// The hash bit of a multicast address (tun.c's `addr_hash_set`): the CRC's top 6 bits.
fn hash_bit(addr: &[u8; 6]) -> u32 {
    ether_crc(addr) >> 26
}

/// A filter built from userspace's list, not yet installed.
pub(crate) struct NewFilter {
    exact: [u64; EXACT],
    count: usize,
    mask: [u32; 2],
    /// A unicast address past the exact ones: tun.c then leaves the filter off.
    give_up: bool,
}

impl NewFilter {
    /// An empty list with `TUN_FLT_*` `flags`.
    pub(crate) fn new(flags: u16) -> Self {
        let all = if flags & FLT_ALLMULTI != 0 { !0 } else { 0 };
        Self {
            exact: [0; EXACT],
            count: 0,
            mask: [all; 2],
            give_up: false,
        }
    }

    /// The next address of the list.
    pub(crate) fn push(&mut self, addr: &[u8; 6]) {
        if self.count < EXACT {
            self.exact[self.count] = pack(addr);
            self.count += 1;
        } else if is_multicast(addr) {
            let n = hash_bit(addr);
            self.mask[(n >> 5) as usize] |= 1 << (n & 31);
        } else {
            self.give_up = true;
        }
    }
}

/// The installed filter of a TAP device.
pub(crate) struct TxFilter {
    /// Exact addresses in use; 0 turns the filter off.
    count: Atomic<u32>,
    exact: [Atomic<u64>; EXACT],
    mask: [Atomic<u32>; 2],
}

impl TxFilter {
    /// No filter: every packet passes.
    pub(crate) const fn new() -> Self {
        Self {
            count: Atomic::new(0),
            exact: [const { Atomic::new(0) }; EXACT],
            mask: [const { Atomic::new(0) }; 2],
        }
    }

    /// Whether the filter is on (else every packet passes).
    pub(crate) fn is_on(&self) -> bool {
        self.count.load(Relaxed) != 0
    }

    /// Turns the filter off (`TUNSETTXFILTER` with an empty list).
    pub(crate) fn disable(&self) {
        self.count.store(0, Release);
    }

    /// Installs `new`; returns what tun.c's ioctl returns, the number of exact
    /// addresses (0 when a unicast address past them left the filter off).
    pub(crate) fn install(&self, new: &NewFilter) -> u32 {
        self.disable();
        if new.give_up || new.count == 0 {
            return 0;
        }
        for (slot, addr) in self.exact.iter().zip(&new.exact) {
            slot.store(*addr, Relaxed);
        }
        for (slot, bits) in self.mask.iter().zip(&new.mask) {
            slot.store(*bits, Relaxed);
        }
        // Release: a reader that sees the count sees the addresses and mask above.
        self.count.store(new.count as u32, Release);
        new.count as u32
    }

    /// Whether a packet to `dest` reaches userspace (tun.c's `check_filter`).
    pub(crate) fn accepts(&self, dest: &[u8; 6]) -> bool {
        let count = self.count.load(Acquire) as usize;
        if count == 0 {
            return true;
        }
        let want = pack(dest);
        if self.exact[..count.min(EXACT)]
            .iter()
            .any(|a| a.load(Relaxed) == want)
        {
            return true;
        }
        if !is_multicast(dest) {
            return false;
        }
        let n = hash_bit(dest);
        self.mask[(n >> 5) as usize].load(Relaxed) & (1 << (n & 31)) != 0
    }
}

#[kunit_tests(rtun_txfilter)]
mod tests {
    use super::*;

    const M1: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
    const M2: [u8; 6] = [0x33, 0x33, 0x00, 0x00, 0x00, 0x01];
    const U1: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
    const U2: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

    fn unicast(i: u8) -> [u8; 6] {
        [0x02, 0, 0, 0, 1, i]
    }

    #[test]
    fn crc_matches_the_kernels_ether_crc() {
        // Reference values: bitrev32(crc32_le(~0, addr, 6)), as ether_crc() computes.
        assert_eq!(ether_crc(&M1), 0x7fa3_2d9b);
        assert_eq!(ether_crc(&M2), 0xf99b_aaba);
        assert_eq!(ether_crc(&[0xff; 6]), 0xff48_647d);
        assert_eq!(hash_bit(&M1), 31);
        assert_eq!(hash_bit(&M2), 62);
    }

    #[test]
    fn empty_filter_accepts_everything() {
        let f = TxFilter::new();
        assert!(f.accepts(&U1));
        assert!(f.accepts(&M1));
    }

    #[test]
    fn exact_addresses_only() {
        let f = TxFilter::new();
        let mut n = NewFilter::new(0);
        n.push(&U1);
        assert_eq!(f.install(&n), 1);
        assert!(f.accepts(&U1));
        assert!(!f.accepts(&U2));
        assert!(!f.accepts(&M1));
        f.disable();
        assert!(f.accepts(&U2));
    }

    #[test]
    fn multicast_past_the_exact_ones_is_hashed() {
        let f = TxFilter::new();
        let mut n = NewFilter::new(0);
        for i in 0..EXACT as u8 {
            n.push(&unicast(i));
        }
        n.push(&M1);
        assert_eq!(f.install(&n), EXACT as u32);
        assert!(f.accepts(&unicast(7)));
        assert!(f.accepts(&M1));
        // Another bit of the hash is not set.
        assert!(!f.accepts(&M2));
        assert!(!f.accepts(&unicast(8)));
    }

    #[test]
    fn unicast_past_the_exact_ones_turns_the_filter_off() {
        let f = TxFilter::new();
        let mut n = NewFilter::new(0);
        for i in 0..=EXACT as u8 {
            n.push(&unicast(i));
        }
        assert_eq!(f.install(&n), 0);
        assert!(f.accepts(&U2));
    }

    #[test]
    fn allmulti_accepts_every_multicast() {
        let f = TxFilter::new();
        let mut n = NewFilter::new(FLT_ALLMULTI);
        n.push(&U1);
        assert_eq!(f.install(&n), 1);
        assert!(f.accepts(&M1));
        assert!(f.accepts(&M2));
        assert!(!f.accepts(&U2));
    }
}
