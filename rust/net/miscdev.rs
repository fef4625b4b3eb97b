// SPDX-License-Identifier: GPL-2.0

//! A misc character device whose open files are Rust objects: `kernel::miscdevice`, with
//! what a drop-in `/dev/net/tun` needs beyond it.
//!
//! The file operations that `kernel::miscdevice` has (open, release, read_iter, write_iter,
//! ioctl, compat_ioctl, show_fdinfo) are its own trampolines: [`FileOps`] reaches them
//! through [`Adapter`], an implementation of its `MiscDevice` trait. This module adds, as
//! small extensions that could become patches to it:
//! - a fixed minor (200) and a node name under `/dev/net/` in [`Options`] (it registers a
//!   dynamic minor named after the device);
//! - `poll` and `fasync`, which its trait does not have, added to a copy of its table;
//! - a context shared by the files of a registration, which its `open` cannot reach
//!   (only the registration is passed);
//! - [`try_file_state`], `tun_get_socket()`'s test that a file is one of ours.

use core::{marker::PhantomData, ptr::null_mut};
use kernel::{
    bindings,
    error::to_result,
    fs::{File, Kiocb},
    iov::{IovIterDest, IovIterSource},
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    prelude::*,
    seq_file::SeqFile,
    sync::{
        atomic::{Acquire, Atomic, Release},
        Arc, ArcBorrow,
    },
    types::{ForeignOwnable, Opaque},
};

use crate::bindings as rb;
use crate::net::wait::PollTable;

/// Where and how a misc device appears in `/dev`.
#[derive(Clone, Copy)]
pub(crate) struct Options {
    /// Name in `/proc/misc` and in sysfs.
    pub(crate) name: &'static CStr,
    /// Path of the device node below `/dev`, e.g. `net/tun`.
    pub(crate) nodename: &'static CStr,
    /// A fixed minor number, or `None` for a dynamic one.
    pub(crate) minor: Option<u32>,
}

/// The file operations of a misc device, implemented by its per-file state.
///
/// Each open file owns one `Arc<Self>`, created by [`FileOps::open`] and dropped after
/// [`FileOps::release`].
pub(crate) trait FileOps: Sized + Send + Sync + 'static {
    /// State shared by all files of the device, given at registration.
    type Context: Send + Sync;

    /// Called when the device node is opened.
    fn open(ctx: &Arc<Self::Context>, file: &File) -> Result<Arc<Self>>;

    /// Called on the last close of the file.
    fn release(this: Arc<Self>, file: &File);

    /// `read`/`readv`: copy one unit of data into `dest`. `nonblock`: the file is
    /// `O_NONBLOCK` or the call is `RWF_NOWAIT`, so it must not sleep waiting for data.
    fn read_iter(
        this: ArcBorrow<'_, Self>,
        dest: &mut IovIterDest<'_>,
        nonblock: bool,
    ) -> Result<usize>;

    /// `write`/`writev`: consume `src` (`nonblock` as for `read_iter`).
    fn write_iter(
        this: ArcBorrow<'_, Self>,
        src: &mut IovIterSource<'_>,
        nonblock: bool,
    ) -> Result<usize>;

    /// `poll`/`epoll`: register on `table` and return the ready mask (`EPOLL*`).
    fn poll(this: ArcBorrow<'_, Self>, file: &File, table: PollTable<'_>) -> u32;

    /// `ioctl` with the argument as userspace passed it; `compat` for a 32-bit caller.
    fn ioctl(
        this: ArcBorrow<'_, Self>,
        file: &File,
        cmd: u32,
        arg: usize,
        compat: bool,
    ) -> Result<isize>;

    /// `fcntl(F_SETFL, O_ASYNC)`: start (`on`) or stop SIGIO delivery for `fd`.
    fn fasync(this: ArcBorrow<'_, Self>, file: &File, fd: i32, on: bool) -> Result;

    /// A line for `/proc/PID/fdinfo/FD`.
    fn show_fdinfo(this: ArcBorrow<'_, Self>, m: &SeqFile);
}

/// `kernel::miscdevice::MiscDevice` for the files of `T`.
///
/// Private to this module, so the only `MiscDeviceRegistration<Adapter<T>>` there is the
/// one [`Registration::register`] builds: what lets [`Adapter::open`] find its context.
struct Adapter<T>(PhantomData<T>);

/// The registered `struct miscdevice` followed by the context its files get.
///
/// `misc` is the first field of this `repr(C)` struct, so the `struct miscdevice *` that
/// `misc_open` stores in the file is also a pointer to the whole `Inner`.
/// `kernel::miscdevice`'s `open` passes it on as a `&MiscDeviceRegistration`, which is
/// `repr(transparent)` over the same structure (asserted in `Adapter::open`).
#[repr(C)]
#[pin_data]
struct Inner<C> {
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    ctx: Arc<C>,
}

#[vtable]
impl<T: FileOps> MiscDevice for Adapter<T> {
    type Ptr = Arc<T>;

    fn open(file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Arc<T>> {
        // What `kernel::miscdevice`'s `open` relies on to hand us `misc`.
        const {
            assert!(size_of::<MiscDeviceRegistration<Self>>() == size_of::<bindings::miscdevice>());
            assert!(
                align_of::<MiscDeviceRegistration<Self>>() == align_of::<bindings::miscdevice>()
            );
        }
        // `misc_open` stored the `struct miscdevice *` in `private_data`, which
        // `kernel::miscdevice` replaces only after this returns; the pointer reaches the
        // whole `Inner`, where `misc` (which only spans the structure) would not.
        // SAFETY: `open` may read `private_data` of the file it opens.
        let raw = unsafe { (*file.as_ptr()).private_data };
        debug_assert_eq!(raw.cast(), misc.as_raw());
        // SAFETY: `Adapter` is private and `Registration::register` is the only code that
        // registers a device for it, so `raw` is the `misc` field of an `Inner`, at its
        // start (see `Inner`), with the context of `T`'s files. `misc_open` keeps it
        // registered, so alive, for this call, which the borrow does not outlive.
        let inner = unsafe { &*raw.cast::<Inner<T::Context>>() };
        let this = T::open(&inner.ctx, file)?;
        // The file honours IOCB_NOWAIT (`nonblock`), so it advertises FMODE_NOWAIT, as
        // tun_chr_open() does.
        // SAFETY: `open` owns `f_mode` of the file it opens.
        unsafe { (*file.as_ptr()).f_mode |= rb::rtun_const_RTUN_FMODE_NOWAIT };
        Ok(this)
    }

    fn release(this: Arc<T>, file: &File) {
        T::release(this, file)
    }

    fn read_iter(kiocb: Kiocb<'_, Arc<T>>, dest: &mut IovIterDest<'_>) -> Result<usize> {
        let nonblock = nonblock(&kiocb);
        T::read_iter(kiocb.file(), dest, nonblock)
    }

    fn write_iter(kiocb: Kiocb<'_, Arc<T>>, src: &mut IovIterSource<'_>) -> Result<usize> {
        let nonblock = nonblock(&kiocb);
        T::write_iter(kiocb.file(), src, nonblock)
    }

    fn ioctl(this: ArcBorrow<'_, T>, file: &File, cmd: u32, arg: usize) -> Result<isize> {
        T::ioctl(this, file, cmd, arg, false)
    }

    #[cfg(CONFIG_COMPAT)]
    fn compat_ioctl(this: ArcBorrow<'_, T>, file: &File, cmd: u32, arg: usize) -> Result<isize> {
        T::ioctl(this, file, cmd, arg, true)
    }

    fn show_fdinfo(this: ArcBorrow<'_, T>, m: &SeqFile, _file: &File) {
        T::show_fdinfo(this, m)
    }
}

/// Whether a read or write must not sleep: `O_NONBLOCK` file or `IOCB_NOWAIT` call.
fn nonblock<T: ForeignOwnable>(kiocb: &Kiocb<'_, T>) -> bool {
    // SAFETY: A `Kiocb` is a valid kiocb with a valid file, for its lifetime.
    unsafe {
        let k = kiocb.as_raw();
        ((*(*k).ki_filp).f_flags & rb::rtun_const_RTUN_O_NONBLOCK) != 0
            || ((*k).ki_flags & rb::rtun_const_RTUN_IOCB_NOWAIT as i32) != 0
    }
}

/// A registered misc device; deregistered on drop.
///
/// # Invariants
///
/// `inner.misc` holds a `struct miscdevice` that was registered with `misc_register` and
/// stays registered, at a fixed address, until `drop`.
pub(crate) struct Registration<T: FileOps> {
    inner: Pin<KBox<Inner<T::Context>>>,
    _ops: PhantomData<T>,
}

// SAFETY: `misc_deregister` may be called from any thread, and `&self` offers no access to
// the C structure.
unsafe impl<T: FileOps> Send for Registration<T> {}
// SAFETY: `Registration` has no `&self` methods that touch the C structure.
unsafe impl<T: FileOps> Sync for Registration<T> {}

impl<T: FileOps> Registration<T> {
    /// Registers a misc device with the file operations of `T`.
    pub(crate) fn register(opts: Options, ctx: Arc<T::Context>) -> Result<Self> {
        let inner = KBox::pin_init(
            try_pin_init!(Inner {
            ctx,
            misc <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                // What `MiscDeviceRegistration::register` writes, and the extensions.
                let mut misc = MiscDeviceOptions { name: opts.name }.into_raw::<Adapter<T>>();
                if let Some(minor) = opts.minor {
                    misc.minor = minor as i32;
                }
                misc.nodename = opts.nodename.as_char_ptr();
                misc.fops = &VTable::<T>::FOPS;
                // Every file opened through the device gets this very pointer as `f_op`
                // (misc_open's replace_fops): how `try_file_state` recognises them.
                REGISTERED_FOPS.store(misc.fops.cast_mut(), Release);
                // SAFETY: The initialiser may write to `slot`.
                unsafe { slot.write(misc) };
                // SAFETY: `slot` holds a valid `struct miscdevice` whose strings and fops are
                // `'static`; it is pinned in its box and deregistered before the box is freed.
                to_result(unsafe { bindings::misc_register(slot) })
            }),
            }? Error),
            GFP_KERNEL,
        )?;
        // INVARIANT: `misc_register` succeeded.
        Ok(Self {
            inner,
            _ops: PhantomData,
        })
    }

    /// The minor number the device got.
    pub(crate) fn minor(&self) -> i32 {
        // SAFETY: The structure is registered and `minor` is not changed after registration.
        unsafe { (*self.inner.misc.get()).minor }
    }
}

impl<T: FileOps> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the device is registered.
        unsafe { bindings::misc_deregister(self.inner.misc.get()) };
    }
}

/// The `file_operations` of the module's misc device, once registered (a module
/// registers one; its open files keep the module, and so this table, alive). tun.c
/// compares with its static `tun_fops`; Rust has no generic statics, so the table `T`
/// gives is recorded here.
static REGISTERED_FOPS: Atomic<*mut bindings::file_operations> = Atomic::new(null_mut());

/// The per-file state of an open file of the misc device with file operations `T`.
///
/// # Safety
///
/// `file` must be a file of that device, between a successful `open` and `release`, for
/// the returned lifetime.
pub(crate) unsafe fn file_state<'a, T: FileOps>(file: *mut bindings::file) -> ArcBorrow<'a, T> {
    // SAFETY: Per the caller, `private_data` came from `Arc::into_foreign` in
    // `kernel::miscdevice`'s `open` and its `release` has not run yet, for `'a`.
    unsafe { <Arc<T> as ForeignOwnable>::borrow((*file).private_data) }
}

/// The per-file state of `file` if it is an open file of the module's misc device, whose
/// file operations are `T`'s; `None` for any other file.
///
/// # Safety
///
/// `file` must be a valid file that the caller holds a reference to for the returned
/// lifetime, and `T` the `FileOps` the module registered its device with.
pub(crate) unsafe fn try_file_state<'a, T: FileOps>(
    file: *mut bindings::file,
) -> Option<ArcBorrow<'a, T>> {
    let ours = REGISTERED_FOPS.load(Acquire);
    // SAFETY: `file` is valid per the caller; `f_op` is set before the file is published.
    if ours.is_null() || unsafe { (*file).f_op } != ours.cast_const() {
        return None;
    }
    // SAFETY: A file with our `f_op` is a file of our device; a held reference means it is
    // open (between `open` and `release`), for `'a` per the caller.
    Some(unsafe { file_state(file) })
}

/// The `file_operations` table of a `FileOps` type: `kernel::miscdevice`'s, plus `poll`
/// and `fasync`.
struct VTable<T: FileOps>(PhantomData<T>);

impl<T: FileOps> VTable<T> {
    const FOPS: bindings::file_operations = {
        let upstream = MiscDeviceOptions { name: c"" }
            .into_raw::<Adapter<T>>()
            .fops;
        // SAFETY: `into_raw` points `fops` at `kernel::miscdevice`'s constant table.
        let mut fops = unsafe { *upstream };
        fops.poll = Some(Self::poll);
        fops.fasync = Some(Self::fasync);
        fops
    };

    /// # Safety
    ///
    /// `raw` must be an open file of this device; `wait` a valid (possibly null) poll table.
    unsafe extern "C" fn poll(
        raw: *mut bindings::file,
        wait: *mut bindings::poll_table_struct,
    ) -> bindings::__poll_t {
        // SAFETY: `raw` is an open file of this device, for the duration of the call.
        let this = unsafe { file_state::<T>(raw) };
        // SAFETY: `raw` is valid for the duration of the call and not in an fdget_pos
        // region.
        let file = unsafe { File::from_raw_file(raw) };
        // SAFETY: The VFS passes a valid poll table (or null, which `PollTable` accepts) that
        // outlives this call.
        let table = unsafe { PollTable::from_raw(wait.cast()) };
        T::poll(this, file, table)
    }

    /// # Safety
    ///
    /// `raw` must be an open file of this device.
    unsafe extern "C" fn fasync(fd: c_int, raw: *mut bindings::file, on: c_int) -> c_int {
        // SAFETY: `raw` is an open file of this device, for the duration of the call.
        let this = unsafe { file_state::<T>(raw) };
        // SAFETY: `raw` is valid for the duration of the call and not in an fdget_pos
        // region.
        let file = unsafe { File::from_raw_file(raw) };
        match T::fasync(this, file, fd, on != 0) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }
}
