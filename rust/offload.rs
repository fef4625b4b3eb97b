// SPDX-License-Identifier: GPL-2.0

//! Offloads: the features of a new device, and `TUNSETOFFLOAD`, which tells which of them
//! the reader can take (tun.c's `tun_net_initialize` and `set_offload`).

use kernel::prelude::*;

use crate::ioctl::{
    TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6, TUN_F_TSO_ECN, TUN_F_UDP_TUNNEL_GSO,
    TUN_F_UDP_TUNNEL_GSO_CSUM, TUN_F_UFO, TUN_F_USO4, TUN_F_USO6,
};
use crate::net::features::{self as f, Features};

/// The offloads `TUNSETOFFLOAD` turns on (tun.c's `TUN_USER_FEATURES`): off until the
/// reader says it handles them.
pub(crate) const USER_FEATURES: Features = f::HW_CSUM
    | f::TSO_ECN
    | f::TSO
    | f::TSO6
    | f::GSO_UDP_L4
    | f::GSO_UDP_TUNNEL
    | f::GSO_UDP_TUNNEL_CSUM;

/// What a new device can do (`hw_features`, and `features` before `ndo_fix_features`
/// masks the user features).
pub(crate) const HW_FEATURES: Features =
    f::SG | f::FRAGLIST | USER_FEATURES | f::HW_VLAN_CTAG_TX | f::HW_VLAN_STAG_TX;

/// What VLAN devices on top inherit: no tag insertion of their own.
pub(crate) const VLAN_FEATURES: Features = HW_FEATURES & !(f::HW_VLAN_CTAG_TX | f::HW_VLAN_STAG_TX);

/// The plain segmentation offloads a tunnel offload needs one of.
const PLAIN_GSO: Features = f::GSO_UDP_L4 | f::TSO | f::TSO6;

/// `TUNSETOFFLOAD`'s `TUN_F_*` flags as netdev features, as tun.c's `set_offload`;
/// `EINVAL` for flags it does not know or that need one it lacks (how userspace probes for
/// new ones).
pub(crate) fn features_of(flags: usize) -> Result<Features> {
    let mut arg = flags as u64;
    let has = |arg: u64, flag: u32| arg & u64::from(flag) != 0;
    let mut features = 0;
    if has(arg, TUN_F_CSUM) {
        features |= f::HW_CSUM;
        arg &= !u64::from(TUN_F_CSUM);
        if has(arg, TUN_F_TSO4 | TUN_F_TSO6) {
            if has(arg, TUN_F_TSO_ECN) {
                features |= f::TSO_ECN;
                arg &= !u64::from(TUN_F_TSO_ECN);
            }
            if has(arg, TUN_F_TSO4) {
                features |= f::TSO;
            }
            if has(arg, TUN_F_TSO6) {
                features |= f::TSO6;
            }
            arg &= !u64::from(TUN_F_TSO4 | TUN_F_TSO6);
        }
        arg &= !u64::from(TUN_F_UFO);
        // As tun.c: USO only for both IP versions at once.
        if has(arg, TUN_F_USO4) && has(arg, TUN_F_USO6) {
            features |= f::GSO_UDP_L4;
            arg &= !u64::from(TUN_F_USO4 | TUN_F_USO6);
        }
        // A tunnel offload only on top of a plain one.
        if features & PLAIN_GSO != 0 && has(arg, TUN_F_UDP_TUNNEL_GSO) {
            features |= f::GSO_UDP_TUNNEL;
            if has(arg, TUN_F_UDP_TUNNEL_GSO_CSUM) {
                features |= f::GSO_UDP_TUNNEL_CSUM;
            }
            arg &= !u64::from(TUN_F_UDP_TUNNEL_GSO | TUN_F_UDP_TUNNEL_GSO_CSUM);
        }
    }
    if arg != 0 {
        return Err(EINVAL);
    }
    Ok(features)
}

#[kunit_tests(rtun_offload)]
mod tests {
    use super::*;

    fn flags(v: u32) -> usize {
        v as usize
    }

    #[test]
    fn nothing_is_nothing() {
        assert_eq!(features_of(0), Ok(0));
    }

    #[test]
    fn checksum_then_tso() {
        assert_eq!(features_of(flags(TUN_F_CSUM)), Ok(f::HW_CSUM));
        assert_eq!(
            features_of(flags(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)),
            Ok(f::HW_CSUM | f::TSO | f::TSO6 | f::TSO_ECN)
        );
        // TSO without the checksum it needs is unknown, hence refused.
        assert_eq!(features_of(flags(TUN_F_TSO4)), Err(EINVAL));
        // ECN alone is not a TSO flag.
        assert_eq!(features_of(flags(TUN_F_CSUM | TUN_F_TSO_ECN)), Err(EINVAL));
    }

    #[test]
    fn ufo_is_accepted_and_ignored() {
        assert_eq!(features_of(flags(TUN_F_CSUM | TUN_F_UFO)), Ok(f::HW_CSUM));
    }

    #[test]
    fn uso_needs_both_versions() {
        assert_eq!(
            features_of(flags(TUN_F_CSUM | TUN_F_USO4 | TUN_F_USO6)),
            Ok(f::HW_CSUM | f::GSO_UDP_L4)
        );
        assert_eq!(features_of(flags(TUN_F_CSUM | TUN_F_USO4)), Err(EINVAL));
    }

    #[test]
    fn tunnel_needs_a_plain_offload() {
        let tnl = TUN_F_UDP_TUNNEL_GSO | TUN_F_UDP_TUNNEL_GSO_CSUM;
        assert_eq!(features_of(flags(TUN_F_CSUM | tnl)), Err(EINVAL));
        assert_eq!(
            features_of(flags(TUN_F_CSUM | TUN_F_TSO4 | tnl)),
            Ok(f::HW_CSUM | f::TSO | f::GSO_UDP_TUNNEL | f::GSO_UDP_TUNNEL_CSUM)
        );
    }

    #[test]
    fn unknown_flags_are_refused() {
        assert_eq!(features_of(1 << 30), Err(EINVAL));
    }
}
