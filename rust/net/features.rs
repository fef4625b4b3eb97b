// SPDX-License-Identifier: GPL-2.0

//! Netdev feature flags (`NETIF_F_*`) as masks of `netdev_features_t`.
//!
//! The kernel defines each mask as `BIT_ULL(NETIF_F_*_BIT)`, a macro bindgen cannot
//! evaluate; the bit numbers are an enum it can, so the masks are built from them here.

use crate::bindings as b;

/// A set of netdev features (`netdev_features_t`).
pub(crate) type Features = u64;

const fn bit(n: u32) -> Features {
    1 << n
}

/// Scatter/gather.
pub(crate) const SG: Features = bit(b::NETIF_F_SG_BIT);
/// Checksums of any protocol in hardware.
pub(crate) const HW_CSUM: Features = bit(b::NETIF_F_HW_CSUM_BIT);
/// Fragment lists.
pub(crate) const FRAGLIST: Features = bit(b::NETIF_F_FRAGLIST_BIT);
/// 802.1Q and 802.1ad tag insertion.
pub(crate) const HW_VLAN_CTAG_TX: Features = bit(b::NETIF_F_HW_VLAN_CTAG_TX_BIT);
pub(crate) const HW_VLAN_STAG_TX: Features = bit(b::NETIF_F_HW_VLAN_STAG_TX_BIT);
/// TCP segmentation offload: IPv4, with ECN, IPv6.
pub(crate) const TSO: Features = bit(b::NETIF_F_TSO_BIT);
pub(crate) const TSO_ECN: Features = bit(b::NETIF_F_TSO_ECN_BIT);
pub(crate) const TSO6: Features = bit(b::NETIF_F_TSO6_BIT);
/// UDP segmentation offload.
pub(crate) const GSO_UDP_L4: Features = bit(b::NETIF_F_GSO_UDP_L4_BIT);
/// UDP tunnel segmentation offload, and with outer checksums.
pub(crate) const GSO_UDP_TUNNEL: Features = bit(b::NETIF_F_GSO_UDP_TUNNEL_BIT);
pub(crate) const GSO_UDP_TUNNEL_CSUM: Features = bit(b::NETIF_F_GSO_UDP_TUNNEL_CSUM_BIT);
