// SPDX-License-Identifier: GPL-2.0

//! The `/dev/net/tun` file: one open file is one (future) queue of one device.
//!
//! Mirrors `tun_chr_*` in tun.c: a freshly opened file is attached to nothing; reads, writes
//! and most ioctls on it fail with `EBADFD` until `TUNSETIFF` attaches it.

use kernel::{
    fs::File,
    iov::{IovIterDest, IovIterSource},
    prelude::*,
    seq_file::SeqFile,
    sync::{Arc, ArcBorrow},
    uaccess::UserSlice,
};

use crate::ioctl;
use crate::net::miscdev::FileOps;
use crate::net::wait::PollTable;

/// `EPOLLERR`, what poll reports on a file that is attached to no device.
const EPOLLERR: u32 = crate::bindings::rtun_const_RTUN_EPOLLERR;

/// The state of one open `/dev/net/tun` file (tun.c's `struct tun_file`).
pub(crate) struct TunFile {}

impl FileOps for TunFile {
    fn open(_file: &File) -> Result<Arc<Self>> {
        Ok(Arc::new(TunFile {}, GFP_KERNEL)?)
    }

    fn release(_this: Arc<Self>, _file: &File) {}

    fn read_iter(
        _this: ArcBorrow<'_, Self>,
        _file: &File,
        _dest: &mut IovIterDest<'_>,
    ) -> Result<usize> {
        Err(EBADFD)
    }

    fn write_iter(
        _this: ArcBorrow<'_, Self>,
        _file: &File,
        _src: &mut IovIterSource<'_>,
    ) -> Result<usize> {
        Err(EBADFD)
    }

    fn poll(_this: ArcBorrow<'_, Self>, _file: &File, _table: PollTable<'_>) -> u32 {
        EPOLLERR
    }

    fn ioctl(
        _this: ArcBorrow<'_, Self>,
        _file: &File,
        cmd: u32,
        arg: usize,
        _compat: bool,
    ) -> Result<isize> {
        match cmd {
            ioctl::TUNGETFEATURES => {
                let mut w = UserSlice::new(UserPtr::from_addr(arg), 4).writer();
                w.write(&ioctl::FEATURES)?;
                Ok(0)
            }
            // Device creation arrives with the datapath.
            ioctl::TUNSETIFF => Err(EOPNOTSUPP),
            // tun.c: every other command on a file with no device is EBADFD.
            _ => Err(EBADFD),
        }
    }

    fn fasync(_this: ArcBorrow<'_, Self>, _file: &File, _fd: i32, _on: bool) -> Result {
        Ok(())
    }

    fn show_fdinfo(_this: ArcBorrow<'_, Self>, _m: &SeqFile) {}
}
