// SPDX-License-Identifier: GPL-2.0

//! A misc character device whose open files are Rust objects.
//!
//! `kernel::miscdevice` covers most of this, but a drop-in `/dev/net/tun` also needs a fixed
//! minor (200), a node name under `/dev/net/`, `poll` and `fasync`; this wrapper adds them.
//! Modeled on `rust/kernel/miscdevice.rs`: a trait for the file operations, a `const`
//! vtable built from it, and the `struct miscdevice` pinned in its registration.

use core::{marker::PhantomData, ptr::null_mut};
use kernel::{
    bindings,
    error::to_result,
    fs::{File, Kiocb},
    iov::{IovIterDest, IovIterSource},
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

    /// `ioctl` with the argument as userspace passed it.
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

/// The registered `struct miscdevice` followed by the context its files get.
///
/// `misc_open` stores a pointer to `misc` in the file; `misc` is the first field of a
/// `repr(C)` struct, so that pointer is also a pointer to the whole `Inner`.
#[repr(C)]
#[pin_data]
struct Inner<C> {
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    ctx: Arc<C>,
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
                let minor = opts.minor.unwrap_or(rb::rtun_misc_RTUN_MISC_DYNAMIC_MINOR);
                // Zeroes in the unnamed fields, as C's static initialisers leave them.
                let mut misc: bindings::miscdevice = pin_init::zeroed();
                misc.minor = minor as i32;
                misc.name = opts.name.as_char_ptr();
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
/// registers one; its open files keep the module, and so this table, alive).
static REGISTERED_FOPS: Atomic<*mut bindings::file_operations> = Atomic::new(null_mut());

/// The per-file state of an open file of the misc device with file operations `T`.
///
/// # Safety
///
/// `file` must be a file of that device, between a successful `open` and `release`, for
/// the returned lifetime.
pub(crate) unsafe fn file_state<'a, T: FileOps>(file: *mut bindings::file) -> ArcBorrow<'a, T> {
    // SAFETY: The caller passes a file of this device between a successful `open` and
    // `release`, for `'a`.
    unsafe { VTable::<T>::borrow(file) }
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
    // open (between `open` and `release`).
    Some(unsafe { VTable::<T>::borrow(file) })
}

/// The `file_operations` table of a `FileOps` type.
struct VTable<T: FileOps>(PhantomData<T>);

impl<T: FileOps> VTable<T> {
    const FOPS: bindings::file_operations = bindings::file_operations {
        owner: kernel::module::this_module::<crate::LocalModule>().as_ptr(),
        open: Some(Self::open),
        release: Some(Self::release),
        read_iter: Some(Self::read_iter),
        write_iter: Some(Self::write_iter),
        poll: Some(Self::poll),
        unlocked_ioctl: Some(Self::ioctl),
        compat_ioctl: Some(Self::compat_ioctl),
        fasync: Some(Self::fasync),
        show_fdinfo: Some(Self::show_fdinfo),
        // No further callbacks.
        ..pin_init::zeroed()
    };

    /// Whether a read or write must not sleep: `O_NONBLOCK` file or `IOCB_NOWAIT` call.
    fn nonblock(kiocb: &Kiocb<'_, Arc<T>>) -> bool {
        // SAFETY: A valid kiocb with a valid file, for the duration of the call.
        unsafe {
            let k = kiocb.as_raw();
            ((*(*k).ki_filp).f_flags & rb::rtun_const_RTUN_O_NONBLOCK) != 0
                || ((*k).ki_flags & rb::rtun_const_RTUN_IOCB_NOWAIT as i32) != 0
        }
    }

    /// Borrows the per-file state stored in `file->private_data` by `open`.
    ///
    /// # Safety
    ///
    /// `file` must be a file of this device, between a successful `open` and `release`.
    unsafe fn borrow<'a>(file: *mut bindings::file) -> ArcBorrow<'a, T> {
        // SAFETY: Per the caller, `private_data` came from `Arc::into_foreign` in `open` and
        // `release` has not run yet.
        unsafe { <Arc<T> as ForeignOwnable>::borrow((*file).private_data) }
    }

    /// # Safety
    ///
    /// `file` must be a file of this device that is being opened by `misc_open`.
    unsafe extern "C" fn open(_inode: *mut bindings::inode, raw: *mut bindings::file) -> c_int {
        // SAFETY: `misc_open` stored our `struct miscdevice` in `private_data`; it is the first
        // field of a `repr(C)` `Inner`, registered (so alive) for the whole call.
        let inner = unsafe { &*(*raw).private_data.cast::<Inner<T::Context>>() };
        // SAFETY: `raw` is valid for the duration of the call and not in an fdget_pos region.
        let file = unsafe { File::from_raw_file(raw) };
        match T::open(&inner.ctx, file) {
            Ok(this) => {
                // From here on `private_data` holds our `Arc<T>` (replacing the `struct
                // miscdevice *` that `misc_open` stored). The file honours IOCB_NOWAIT
                // (`nonblock`), so it advertises FMODE_NOWAIT as tun.c does.
                // SAFETY: `open` owns `private_data` and `f_mode` of the file it opens.
                unsafe {
                    (*raw).private_data = this.into_foreign();
                    (*raw).f_mode |= rb::rtun_const_RTUN_FMODE_NOWAIT;
                }
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `raw` must be a file of this device on its final release.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, raw: *mut bindings::file) -> c_int {
        // SAFETY: Release owns `private_data`, set by `open` with `into_foreign`.
        let this = unsafe { <Arc<T> as ForeignOwnable>::from_foreign((*raw).private_data) };
        // SAFETY: `raw` is valid for the duration of the call.
        T::release(this, unsafe { File::from_raw_file(raw) });
        0
    }

    /// # Safety
    ///
    /// `kiocb` must refer to an open file of this device; `iter` must be a valid destination.
    unsafe extern "C" fn read_iter(
        kiocb: *mut bindings::kiocb,
        iter: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: The caller passes a valid kiocb of an open file of this device.
        let kiocb = unsafe { Kiocb::<Arc<T>>::from_raw(kiocb) };
        let nonblock = Self::nonblock(&kiocb);
        // SAFETY: The caller passes an iterator valid for writing.
        let dest = unsafe { IovIterDest::from_raw(iter) };
        match T::read_iter(kiocb.file(), dest, nonblock) {
            Ok(n) => n as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// `kiocb` must refer to an open file of this device; `iter` must be a valid source.
    unsafe extern "C" fn write_iter(
        kiocb: *mut bindings::kiocb,
        iter: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: The caller passes a valid kiocb of an open file of this device.
        let kiocb = unsafe { Kiocb::<Arc<T>>::from_raw(kiocb) };
        let nonblock = Self::nonblock(&kiocb);
        // SAFETY: The caller passes an iterator valid for reading.
        let src = unsafe { IovIterSource::from_raw(iter) };
        match T::write_iter(kiocb.file(), src, nonblock) {
            Ok(n) => n as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// `raw` must be an open file of this device; `wait` a valid (possibly null) poll table.
    unsafe extern "C" fn poll(
        raw: *mut bindings::file,
        wait: *mut bindings::poll_table_struct,
    ) -> bindings::__poll_t {
        // SAFETY: `raw` is an open file of this device.
        let this = unsafe { Self::borrow(raw) };
        // SAFETY: `raw` is valid for the duration of the call.
        let file = unsafe { File::from_raw_file(raw) };
        // SAFETY: The VFS passes a valid poll table (or null, which `PollTable` accepts) that
        // outlives this call.
        let table = unsafe { PollTable::from_raw(wait.cast()) };
        T::poll(this, file, table)
    }

    /// # Safety
    ///
    /// `raw` must be an open file of this device.
    unsafe extern "C" fn ioctl(raw: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
        // SAFETY: `raw` is an open file of this device.
        let this = unsafe { Self::borrow(raw) };
        // SAFETY: `raw` is valid for the duration of the call.
        let file = unsafe { File::from_raw_file(raw) };
        match T::ioctl(this, file, cmd, arg, false) {
            Ok(r) => r as c_long,
            Err(e) => e.to_errno() as c_long,
        }
    }

    /// # Safety
    ///
    /// `raw` must be an open file of this device.
    unsafe extern "C" fn compat_ioctl(
        raw: *mut bindings::file,
        cmd: c_uint,
        arg: c_ulong,
    ) -> c_long {
        // SAFETY: `raw` is an open file of this device.
        let this = unsafe { Self::borrow(raw) };
        // SAFETY: `raw` is valid for the duration of the call.
        let file = unsafe { File::from_raw_file(raw) };
        match T::ioctl(this, file, cmd, arg, true) {
            Ok(r) => r as c_long,
            Err(e) => e.to_errno() as c_long,
        }
    }

    /// # Safety
    ///
    /// `raw` must be an open file of this device.
    unsafe extern "C" fn fasync(fd: c_int, raw: *mut bindings::file, on: c_int) -> c_int {
        // SAFETY: `raw` is an open file of this device.
        let this = unsafe { Self::borrow(raw) };
        // SAFETY: `raw` is valid for the duration of the call.
        let file = unsafe { File::from_raw_file(raw) };
        match T::fasync(this, file, fd, on != 0) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `m` must be a valid seq_file; `raw` an open file of this device.
    unsafe extern "C" fn show_fdinfo(m: *mut bindings::seq_file, raw: *mut bindings::file) {
        // SAFETY: `raw` is an open file of this device.
        let this = unsafe { Self::borrow(raw) };
        // SAFETY: The caller passes a seq_file that is valid and exclusive for this call.
        let m = unsafe { SeqFile::from_raw(m) };
        T::show_fdinfo(this, m);
    }
}
