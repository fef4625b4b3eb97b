// SPDX-License-Identifier: GPL-2.0

//! The socket of a queue: a `struct sock` and its `struct socket`, as in tun.c's `tun_file`.
//!
//! The socket is how the rest of the kernel sees a queue. Written packets are charged to
//! it, so `TUNSETSNDBUF` bounds what one queue has in flight and a writer past the bound
//! waits (or gets `EAGAIN`); its wait queue is where readers, writers and pollers sleep;
//! its `fasync` list is who gets `SIGIO`.
//!
//! Both structures live in one `sk_alloc` allocation, as in tun.c. Packets charged to the
//! socket may outlive the file: their destructor (`sock_wfree`) keeps the allocation alive
//! and calls `sk_write_space`, which touches only the wait queue, the flags and the
//! `fasync` list — all inside that allocation, never in the queue the file owned.

use core::{
    cell::UnsafeCell,
    ptr::{addr_of_mut, NonNull},
    sync::atomic::{AtomicI32, Ordering},
};
use kernel::{fs::File, prelude::*};

use crate::bindings as b;
use crate::net::netdev::{NetDev, NetNs};
use crate::net::skb::Skb;
use crate::net::wait::{Fasync, WaitQueue, EPOLLOUT, EPOLLWRBAND, EPOLLWRNORM};

/// The allocation `sk_alloc` makes for one queue.
///
/// `sk` comes first: `sk_alloc` allocates `proto.obj_size` bytes and returns them as a
/// `struct sock`.
#[repr(C)]
struct Raw {
    sk: b::sock,
    socket: b::socket,
}

/// The `struct proto` of queue sockets (tun.c's `tun_proto`): only its size and owner
/// matter; nothing registers it, as nothing looks a queue socket up by protocol.
struct Proto(UnsafeCell<b::proto>);

// SAFETY: the kernel only reads the structure (`sk_alloc` takes a `*mut` for historical
// reasons); Rust never touches it after initialisation.
unsafe impl Sync for Proto {}

static PROTO: Proto = Proto(UnsafeCell::new(b::proto {
    name: proto_name(),
    owner: kernel::module::this_module::<crate::LocalModule>()
        .as_ptr()
        .cast(),
    obj_size: core::mem::size_of::<Raw>() as u32,
    ..pin_init::zeroed()
}));

/// `"rtun"`, NUL-padded to the size of `proto.name`.
const fn proto_name() -> [c_char; 32] {
    let mut name = [0; 32];
    let s = b"rtun";
    let mut i = 0;
    while i < s.len() {
        name[i] = s[i] as c_char;
        i += 1;
    }
    name
}

/// The `proto_ops` of queue sockets. Empty for now: nothing calls into a queue socket
/// by its ops.
struct ProtoOps(b::proto_ops);

// SAFETY: an ops table is read-only; its module pointer is only read.
unsafe impl Sync for ProtoOps {}

static PROTO_OPS: ProtoOps = ProtoOps(b::proto_ops {
    owner: kernel::module::this_module::<crate::LocalModule>()
        .as_ptr()
        .cast(),
    ..pin_init::zeroed()
});

/// The socket of one queue; the file's reference to it, dropped with the file.
///
/// # Invariants
///
/// `raw` points to a `Raw` from `sk_alloc(&PROTO)`, initialised by [`QueueSock::new`],
/// on which this value owns one `sk_refcnt` reference.
pub(crate) struct QueueSock {
    raw: NonNull<Raw>,
}

// SAFETY: the socket's fields are either set once in `new` or changed with atomics, bit
// operations and the wait queue's lock, as the socket layer does from any CPU.
unsafe impl Send for QueueSock {}
// SAFETY: as above.
unsafe impl Sync for QueueSock {}

impl QueueSock {
    /// A socket in `net` for the file being opened, with tun.c's defaults: an unbounded
    /// send buffer and the opener's fsuid as owner.
    pub(crate) fn new(net: &NetNs, file: &File) -> Result<Self> {
        // SAFETY: `net` is a counted namespace; `PROTO` is a valid proto for all time;
        // kern=0: a user socket, which takes its own namespace reference.
        let sk = unsafe {
            b::sk_alloc(
                net.as_raw(),
                b::rtun_const_RTUN_AF_UNSPEC as i32,
                b::rtun_const_RTUN_GFP_KERNEL,
                PROTO.0.get(),
                0,
            )
        };
        let raw = NonNull::new(sk.cast::<Raw>()).ok_or(ENOMEM)?;
        let p = raw.as_ptr();
        // SAFETY: `sk_alloc` returned `obj_size` = `size_of::<Raw>()` bytes with the sock
        // initialised and the rest zeroed, which is a valid `struct socket` to set up. The
        // wait queue is initialised before `sock_init_data_uid` points `sk_wq` at it.
        // `socket.file` is not a counted reference, as in tun.c: the socket is reached
        // through the file (`tun_get_socket`), so the file is alive whenever it is used.
        unsafe {
            b::rtun_init_waitqueue_head(addr_of_mut!((*p).socket.wq.wait));
            (*p).socket.file = file.as_ptr().cast();
            (*p).socket.ops = &PROTO_OPS.0;
            b::rtun_sock_init_data(addr_of_mut!((*p).socket), addr_of_mut!((*p).sk));
            (*p).sk.sk_write_space = Some(write_space);
            (*p).sk.sk_sndbuf = i32::MAX;
        }
        // INVARIANT: allocated from `PROTO` and initialised; `sk_alloc`'s reference is ours.
        Ok(Self { raw })
    }

    fn sk(&self) -> *mut b::sock {
        // SAFETY: `raw` is valid by the type invariant; no reference is made.
        unsafe { addr_of_mut!((*self.raw.as_ptr()).sk) }
    }

    fn socket(&self) -> *mut b::socket {
        // SAFETY: as in `sk`.
        unsafe { addr_of_mut!((*self.raw.as_ptr()).socket) }
    }

    /// The wait queue of the socket (`sk_sleep`): readers, blocked writers and pollers.
    pub(crate) fn wait(&self) -> &WaitQueue {
        // SAFETY: the socket's wait queue was initialised in `new` and lives as long as the
        // allocation, which outlives `self`.
        unsafe { WaitQueue::from_raw(addr_of_mut!((*self.socket()).wq.wait)) }
    }

    /// The socket's `fasync` list: who gets `SIGIO`.
    pub(crate) fn fasync(&self) -> &Fasync {
        // SAFETY: the list pointer is zeroed in `new` (an empty list) and lives as long as
        // the allocation.
        unsafe { Fasync::from_raw(addr_of_mut!((*self.socket()).wq.fasync_list)) }
    }

    fn sndbuf_atomic(&self) -> &AtomicI32 {
        // SAFETY: `sk_sndbuf` is an aligned `int` the socket layer reads with READ_ONCE and
        // writes with WRITE_ONCE, i.e. used atomically; it lives as long as `self`.
        unsafe { AtomicI32::from_ptr(addr_of_mut!((*self.sk()).sk_sndbuf)) }
    }

    /// The send buffer (`TUNGETSNDBUF`).
    pub(crate) fn sndbuf(&self) -> i32 {
        self.sndbuf_atomic().load(Ordering::Relaxed)
    }

    /// Sets the send buffer (`TUNSETSNDBUF`, and on attach the device's value).
    pub(crate) fn set_sndbuf(&self, v: i32) {
        self.sndbuf_atomic().store(v, Ordering::Relaxed)
    }

    /// Whether a writer has room: less than half the send buffer in flight
    /// (`sock_writeable`).
    pub(crate) fn writeable(&self) -> bool {
        // SAFETY: a valid, initialised sock.
        unsafe { b::rtun_sock_writeable(self.sk()) }
    }

    /// Marks a wakeup owed to a poller that found no room (`SOCKWQ_ASYNC_NOSPACE`).
    /// Returns whether it was already marked.
    pub(crate) fn set_nospace(&self) -> bool {
        // SAFETY: a valid, initialised socket.
        unsafe { b::rtun_sock_test_and_set_nospace(self.socket()) }
    }

    /// Room came (or the device came up): wakes the pollers owed it, as `sk_write_space`.
    pub(crate) fn write_space(&self) {
        // SAFETY: a valid, initialised sock of ours.
        unsafe { write_space(self.sk()) }
    }

    /// Allocates an skb of `len` bytes for a packet written to `dev`, charged to this
    /// socket: `head` bytes in the linear part, the rest in page fragments, `headroom`
    /// reserved in front. Waits for send-buffer room unless `nonblock` (then `EAGAIN`);
    /// a signal while waiting gives `ERESTARTSYS`.
    pub(crate) fn alloc_send_skb(
        &self,
        dev: &NetDev,
        headroom: u32,
        head: u32,
        len: u32,
        nonblock: bool,
    ) -> Result<Skb> {
        let mut err = 0;
        // SAFETY: a valid sock; process context (write), which may sleep unless
        // `nonblock`; `err` is written when the call fails.
        let skb = unsafe {
            b::sock_alloc_send_pskb(
                self.sk(),
                (headroom + head) as usize,
                (len - head) as usize,
                i32::from(nonblock),
                &mut err,
                b::rtun_const_RTUN_PAGE_ALLOC_COSTLY_ORDER as i32,
            )
        };
        let Some(skb) = NonNull::new(skb) else {
            return Err(if err < 0 {
                Error::from_errno(err)
            } else {
                ENOBUFS
            });
        };
        // SAFETY: a new skb of `headroom + head` linear bytes (unwritten) and `len - head`
        // bytes of fragments, which we own.
        unsafe {
            b::rtun_skb_layout(skb.as_ptr(), dev.as_raw(), headroom, head, len - head);
            Ok(Skb::from_raw(skb))
        }
    }
}

impl Drop for QueueSock {
    fn drop(&mut self) {
        // Packets still charged to the socket keep the allocation (not the reference) alive;
        // `sk_free` then frees it when the last one is gone.
        // SAFETY: this value owns one reference (type invariant).
        unsafe { b::rtun_sock_put(self.sk()) }
    }
}

/// `sk_write_space` of queue sockets (tun.c's `tun_sock_write_space`): when a writer has
/// room again and a poller or writer found none, wake them with `EPOLLOUT` and send
/// `SIGIO`/`POLL_OUT`.
///
/// # Safety
///
/// `sk` must be the sock of a live `Raw` allocation (a reference or charged packets keep
/// it alive).
unsafe extern "C" fn write_space(sk: *mut b::sock) {
    let raw = sk.cast::<Raw>();
    // SAFETY: `sk` is valid per the caller; the socket lives in the same allocation.
    unsafe {
        if !b::rtun_sock_writeable(sk) {
            return;
        }
        let socket = addr_of_mut!((*raw).socket);
        if !b::rtun_sock_test_and_clear_nospace(socket) {
            return;
        }
        b::rtun_wake_up_sync_poll(
            addr_of_mut!((*socket).wq.wait),
            EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND,
        );
        Fasync::from_raw(addr_of_mut!((*socket).wq.fasync_list)).notify_writable();
    }
}
