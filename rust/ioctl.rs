// SPDX-License-Identifier: GPL-2.0

//! The uapi of `/dev/net/tun`: ioctl numbers, flags and the feature set rtun reports.
//!
//! Every value comes from the kernel headers through bindgen (see `bindings/bindings.h`),
//! never from a hand-written copy.

use crate::bindings as b;

/// The misc minor of `/dev/net/tun`.
pub(crate) const TUN_MINOR: u32 = b::rtun_misc_RTUN_TUN_MINOR;

/// `TUNGETFEATURES`.
pub(crate) const TUNGETFEATURES: u32 = b::rtun_ioctl_RTUN_TUNGETFEATURES;
/// `TUNSETIFF`.
pub(crate) const TUNSETIFF: u32 = b::rtun_ioctl_RTUN_TUNSETIFF;

/// `IFF_TUN`: a layer-3 device.
pub(crate) const IFF_TUN: u32 = b::IFF_TUN;
/// `IFF_TAP`: an Ethernet device.
pub(crate) const IFF_TAP: u32 = b::IFF_TAP;
/// `IFF_NO_PI`: no `struct tun_pi` in front of packets.
pub(crate) const IFF_NO_PI: u32 = b::IFF_NO_PI;

/// What `TUNGETFEATURES` reports: the flags `TUNSETIFF` accepts *and rtun implements*.
/// This grows with the driver; tun.c reports `IFF_TUN | IFF_TAP | TUN_FEATURES`.
pub(crate) const FEATURES: u32 = IFF_TUN | IFF_TAP | IFF_NO_PI;
