// SPDX-License-Identifier: GPL-2.0

//! rtun: the TUN/TAP driver in Rust, a drop-in for `drivers/net/tun.c`.
//!
//! By default rtun registers what tun.ko registers — the misc device `/dev/net/tun` with
//! minor 200 — so unmodified userspace finds it. With `side_by_side=1` it registers
//! `/dev/net/rtun` with a dynamic minor instead, so that both drivers can be loaded in one
//! boot and compared.

use kernel::prelude::*;

mod attach;
mod backpressure;
mod bindings;
mod chardev;
mod device;
mod ioctl;
mod net;
mod offload;
mod queue;
mod queue_set;
mod rx;
mod steering;
mod tx;
mod txfilter;
mod xdp;

use device::Device;
use kernel::sync::Arc;
use net::{miscdev, rtnl_link::Registration};
use queue::Queue;

module! {
    type: RtunModule,
    name: "rtun",
    authors: ["The rtun developers"],
    description: "Universal TUN/TAP device driver, in Rust",
    license: "GPL",
    // What tun.ko declares, so that udev and modprobe find rtun for /dev/net/tun.
    alias: ["char-major-10-200", "devname:net/tun"],
    params: {
        side_by_side: bool {
            default: false,
            description: "Register /dev/net/rtun (dynamic minor) instead of /dev/net/tun",
        },
        max_queues: u32 {
            default: 256,
            description: "Queues per multiqueue device, 1 to 1024, default 256 as tun.c (the \
                          kernel allocates its per-queue structures for all of them up front)",
        },
    },
}

// What vhost-net links against (`tun_get_socket` & co., re-exported by rtun_vhost.ko).
net::sock::export_vhost_backend!(Queue);

/// Module-wide state shared by every open file.
pub(crate) struct Driver {
    /// The rtnl link kind our devices carry ("tun", or "rtun" side by side).
    pub(crate) link: Registration<Device>,
    /// The queues a multiqueue device is allocated with (`max_queues` parameter).
    pub(crate) max_queues: u32,
}

/// The module state: the character device registration (dropped first, so no file can
/// be opened once teardown starts), then the driver with the rtnl link kind.
struct RtunModule {
    _chardev: miscdev::Registration<Queue>,
    _driver: Arc<Driver>,
}

impl kernel::Module for RtunModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let side_by_side = module_parameters::side_by_side.value();
        let opts = if side_by_side {
            miscdev::Options {
                name: c"rtun",
                nodename: c"net/rtun",
                minor: None,
            }
        } else {
            miscdev::Options {
                name: c"tun",
                nodename: c"net/tun",
                minor: Some(ioctl::TUN_MINOR),
            }
        };
        let kind = if side_by_side { c"rtun" } else { c"tun" };
        let max_queues = module_parameters::max_queues.value();
        if !(1..=queue_set::MAX_QUEUES).contains(&max_queues) {
            pr_err!(
                "max_queues={max_queues}: must be 1 to {}\n",
                queue_set::MAX_QUEUES
            );
            return Err(EINVAL);
        }
        let driver = Arc::new(
            Driver {
                link: Registration::register(kind)?,
                max_queues,
            },
            GFP_KERNEL,
        )?;
        let chardev = miscdev::Registration::register(opts, driver.clone())?;
        pr_info!(
            "Universal TUN/TAP device driver, in Rust: /dev/{} (minor {})\n",
            opts.nodename.to_str().unwrap_or("?"),
            chardev.minor()
        );
        Ok(Self {
            _chardev: chardev,
            _driver: driver,
        })
    }
}
