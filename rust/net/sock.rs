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
    marker::PhantomData,
    ptr::{addr_of_mut, NonNull},
};
use kernel::{
    error::to_result,
    fs::File,
    iov::{IovIterDest, IovIterSource},
    prelude::*,
    sync::ArcBorrow,
    types::Opaque,
    ThisModule,
};

use crate::bindings as b;
use crate::net::miscdev::{self, FileOps};
use crate::net::netdev::NetDev;
use crate::net::netns::NetNs;
use crate::net::ring::{Consumer, Entry, Ring};
use crate::net::rtnl::Rtnl;
use crate::net::skb::{DropReason, Skb, ZeroCopy};
use crate::net::wait::{Fasync, WaitQueue, EPOLLOUT, EPOLLWRBAND, EPOLLWRNORM};
use crate::net::xdp::{Refused, XdpBatch};

/// What a queue socket does when the kernel calls it through its `proto_ops`: vhost-net
/// sends and receives a queue's packets this way (`drivers/vhost/net.c`). Implemented by
/// the per-file state of the misc device the sockets belong to, which is how a socket
/// finds its queue: `socket.file->private_data`.
pub(crate) trait SockOps: FileOps {
    /// The queue's socket.
    fn sock(&self) -> &QueueSock;

    /// The queue's ring of packets for the reader (vhost-net consumes it directly).
    fn tx_ring(&self) -> &Ring;

    /// `sendmsg` of one frame, virtio-net header first, from `src`, with the message's
    /// `flags`; `zero_copy` when the sender lets the frame's data stay in its pages
    /// (`TUN_MSG_UBUF`). Returns the bytes consumed.
    fn send_frame(
        this: ArcBorrow<'_, Self>,
        src: &mut IovIterSource<'_>,
        flags: SendFlags,
        zero_copy: Option<ZeroCopy>,
    ) -> Result<usize>;

    /// `sendmsg` of a batch of frames in XDP buffers (`TUN_MSG_PTR`): every buffer is
    /// consumed, or the whole batch refused untouched ([`XdpBatch::refuse`]), which the
    /// caller (vhost-net) then frees.
    fn send_batch(this: ArcBorrow<'_, Self>, batch: XdpBatch<'_>) -> Result<(), Refused>;

    /// `recvmsg` of one packet into `dest`: `entry` if the caller already took it off the
    /// ring (vhost-net does), else the next one. Returns the packet's full length, which
    /// may exceed what `dest` took. `entry` is the callee's on every path.
    fn recv(
        this: ArcBorrow<'_, Self>,
        dest: &mut IovIterDest<'_>,
        mode: RecvMode,
        entry: Option<Entry>,
    ) -> Result<usize>;

    /// `peek_len`: the length of the next packet for the reader, 0 when none.
    fn peek_len(this: ArcBorrow<'_, Self>) -> usize;

    /// `tun_wake_queue`: vhost-net took `n` packets off [`SockOps::tx_ring`] and still
    /// holds its consumer lock (`ring`).
    fn consumed(this: ArcBorrow<'_, Self>, ring: &Consumer<'_>, n: u32);
}

/// The `proto_ops` table of a `SockOps` type.
struct SockVTable<T: SockOps>(PhantomData<T>);

impl<T: SockOps> SockVTable<T> {
    const OPS: b::proto_ops = b::proto_ops {
        owner: kernel::module::this_module::<crate::LocalModule>()
            .as_ptr()
            .cast(),
        sendmsg: Some(Self::sendmsg),
        recvmsg: Some(Self::recvmsg),
        peek_len: Some(Self::peek_len),
        ..pin_init::zeroed()
    };

    /// The queue a socket of ours belongs to.
    ///
    /// # Safety
    ///
    /// `sock` must be the socket of a `QueueSock::new::<T>`, whose file is open for the
    /// returned lifetime. Callers of a socket's ops hold its file: vhost-net got the socket
    /// from the file (`tun_get_socket`) and keeps the file until it lets the socket go.
    unsafe fn owner<'a>(sock: *mut b::socket) -> ArcBorrow<'a, T> {
        // SAFETY: Per the caller, `socket.file` is an open file of T's misc device, whose
        // `private_data` is the `Arc<T>` its `open` returned.
        unsafe { miscdev::file_state::<T>(b::rtun_socket_file(sock).cast()) }
    }

    /// # Safety
    ///
    /// Called through our `proto_ops` only, with a valid message (see [`Self::owner`]).
    unsafe extern "C" fn sendmsg(sock: *mut b::socket, m: *mut b::msghdr, len: usize) -> c_int {
        // SAFETY: Per the contract of `proto_ops.sendmsg`.
        let this = unsafe { Self::owner(sock) };
        // SAFETY: `m` is a valid message for the call; `msg_control` is the kernel pointer
        // (sendmsg from the kernel never sets `msg_control_is_user`).
        let (ctl, ctl_len, flags) = unsafe {
            (
                (*m).__bindgen_anon_1.msg_control.cast::<b::tun_msg_ctl>(),
                (*m).msg_controllen,
                (*m).msg_flags,
            )
        };
        // A `tun_msg_ctl` (vhost-net's only control) says what the message carries.
        let ctl_type = if ctl_len == core::mem::size_of::<b::tun_msg_ctl>() && !ctl.is_null() {
            // SAFETY: A non-null control of the right size is a `tun_msg_ctl`.
            Some(unsafe { (*ctl).type_ })
        } else {
            None
        };
        // TUN_MSG_PTR: a batch of frames in XDP buffers.
        if ctl_type == Some(b::rtun_const_RTUN_TUN_MSG_PTR as u16) {
            // SAFETY: Per vhost-net's contract, `ptr` points to `num` XDP buffers whose
            // pages pass to us, unless we refuse the batch with an error (then vhost-net
            // frees them: `vhost_tx_batch`).
            let batch = unsafe { XdpBatch::from_raw((*ctl).ptr.cast(), (*ctl).num.into()) };
            return match T::send_batch(this, batch) {
                Ok(()) => len as c_int,
                Err(refused) => refused.error().to_errno(),
            };
        }
        // SAFETY: The message's iterator is a valid source for the call.
        let src = unsafe { IovIterSource::from_raw(addr_of_mut!((*m).msg_iter).cast()) };
        let send_flags = SendFlags {
            nonblock: flags & b::rtun_const_RTUN_MSG_DONTWAIT != 0,
            more: flags & b::rtun_const_RTUN_MSG_MORE != 0,
        };
        // TUN_MSG_UBUF: one frame, with the completion of a zero-copy send (vhost-net sends
        // them because the socket is marked SOCK_ZEROCOPY, as tun.c marks its own).
        let zero_copy = if ctl_type == Some(b::rtun_const_RTUN_TUN_MSG_UBUF as u16) {
            // SAFETY: Per vhost-net's contract, `ptr` is a `ubuf_info` lent for this send,
            // not completed yet.
            unsafe { ZeroCopy::from_raw((*ctl).ptr) }
        } else {
            None
        };
        match T::send_frame(this, src, send_flags, zero_copy) {
            Ok(n) => n as c_int,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called through our `proto_ops` only, with a valid message (see [`Self::owner`]).
    unsafe extern "C" fn recvmsg(
        sock: *mut b::socket,
        m: *mut b::msghdr,
        len: usize,
        flags: c_int,
    ) -> c_int {
        // SAFETY: Per the contract of `proto_ops.recvmsg`.
        let this = unsafe { Self::owner(sock) };
        let flags = flags as u32;
        // SAFETY: `m` is valid; vhost-net passes the ring entry it consumed (or none) as
        // `msg_control`, and from here on that entry is ours to free.
        let entry = unsafe { Entry::from_raw((*m).__bindgen_anon_1.msg_control) };
        let mode = if flags & !(MSG_DONTWAIT | MSG_TRUNC | MSG_ERRQUEUE) != 0 {
            RecvMode::Invalid
        } else if flags & MSG_ERRQUEUE != 0 {
            RecvMode::ErrorQueue
        } else {
            RecvMode::Data {
                nonblock: flags & MSG_DONTWAIT != 0,
            }
        };
        // SAFETY: The message's iterator is a valid destination for the call.
        let dest = unsafe { IovIterDest::from_raw(addr_of_mut!((*m).msg_iter).cast()) };
        match T::recv(this, dest, mode, entry) {
            Ok(n) if n > len => {
                // SAFETY: `m` is valid and ours to update for the call.
                unsafe { (*m).msg_flags |= MSG_TRUNC };
                (if flags & MSG_TRUNC != 0 { n } else { len }) as c_int
            }
            Ok(n) => n as c_int,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called through our `proto_ops` only (see [`Self::owner`]).
    unsafe extern "C" fn peek_len(sock: *mut b::socket) -> c_int {
        // SAFETY: Per the contract of `proto_ops.peek_len`.
        let this = unsafe { Self::owner(sock) };
        T::peek_len(this) as c_int
    }
}

/// What a `sendmsg` of one frame asks for, from its flags.
#[derive(Clone, Copy)]
pub(crate) struct SendFlags {
    /// `MSG_DONTWAIT`: no waiting for send-buffer room.
    pub(crate) nonblock: bool,
    /// `MSG_MORE`: more frames follow at once.
    pub(crate) more: bool,
}

/// What a `recvmsg` asks for, from its flags.
pub(crate) enum RecvMode {
    /// A packet; `nonblock` for `MSG_DONTWAIT`.
    Data { nonblock: bool },
    /// `MSG_ERRQUEUE`: the socket's error queue (transmit timestamps).
    ErrorQueue,
    /// A flag besides `MSG_DONTWAIT`, `MSG_TRUNC` and `MSG_ERRQUEUE`.
    Invalid,
}

const MSG_DONTWAIT: u32 = b::rtun_const_RTUN_MSG_DONTWAIT;
const MSG_TRUNC: u32 = b::rtun_const_RTUN_MSG_TRUNC;
const MSG_ERRQUEUE: u32 = b::rtun_const_RTUN_MSG_ERRQUEUE;

/// The socket of one queue; the file's reference to it, dropped with the file.
///
/// The allocation is C's `struct rtun_qsock` (bindings.h): the sock, then its socket.
/// Its layout, and every field of the two that rtun touches, go through C (the shims of
/// bindings.h), never through Rust's view of `struct sock`, whose layout depends on the
/// kernel configuration in ways bindgen has got wrong (the debug kernel's lockdep).
///
/// # Invariants
///
/// `sk` is the sock of a `struct rtun_qsock` from `sk_alloc` with a [`Proto`],
/// initialised by [`QueueSock::new`], on which this value owns one `sk_refcnt` reference.
pub(crate) struct QueueSock {
    sk: NonNull<b::sock>,
}

// SAFETY: The socket's fields are either set once in `new` or changed with atomics, bit
// operations and the wait queue's lock, as the socket layer does from any CPU.
unsafe impl Send for QueueSock {}
// SAFETY: `&QueueSock` methods change the socket with atomics and atomic bit operations,
// under the socket's own locks (`lock_sock` for the filter, `sk_callback_lock` to orphan
// it, the wait queue's lock), or, for the few plain writes (`set_xdp`'s flag bit and
// `sk_shutdown` in `shut_down`/`reopen`), only from their callers under RTNL, which
// serialises them as tun.c's callers are; so they may run on several CPUs at once.
unsafe impl Sync for QueueSock {}

/// The `struct proto` of queue sockets (tun.c's `tun_proto`). Only its name, its owner and
/// its size matter: `sk_alloc` allocates `obj_size` bytes (a `struct rtun_qsock`) and takes
/// a reference on the owner module for as long as the socket lives.
///
/// As tun.c's, it is never registered (`proto_register`): registering would only give it
/// a slab cache and a line in `/proc/net/protocols`, and no socket of it is created but
/// by the driver, which `sk_alloc` serves from `kmalloc` without one.
#[repr(transparent)]
pub(crate) struct Proto(Opaque<b::proto>);

// SAFETY: Nothing writes to the structure after its constant initialisation: it is never
// registered, and `sk_alloc` and the socket layer only read an unregistered proto.
unsafe impl Sync for Proto {}

// bindgen's view of `struct proto` is not C's on every configuration (larger on the debug
// kernel): the fields `Proto::new` sets must be where C has them, and C's whole structure
// inside Rust's.
const _: () = {
    use core::mem::offset_of;
    assert!(offset_of!(b::proto, owner) == b::rtun_qsock_const_RTUN_PROTO_OWNER_OFFSET as usize);
    assert!(offset_of!(b::proto, name) == b::rtun_qsock_const_RTUN_PROTO_NAME_OFFSET as usize);
    assert!(
        offset_of!(b::proto, obj_size) == b::rtun_qsock_const_RTUN_PROTO_OBJ_SIZE_OFFSET as usize
    );
    assert!(size_of::<b::proto>() >= b::rtun_qsock_const_RTUN_PROTO_SIZE as usize);
};

impl Proto {
    /// A proto called `name` (at most 31 bytes: checked at compile time in a constant),
    /// whose sockets hold a reference on `owner`.
    pub(crate) const fn new(name: &CStr, owner: &ThisModule) -> Self {
        let mut p: b::proto = pin_init::zeroed();
        let name = name.to_bytes();
        assert!(name.len() < p.name.len(), "proto name too long");
        let mut i = 0;
        while i < name.len() {
            p.name[i] = name[i];
            i += 1;
        }
        p.owner = owner.as_ptr().cast();
        p.obj_size = b::rtun_qsock_const_RTUN_QSOCK_SIZE;
        Self(Opaque::new(p))
    }
}

/// What the owner of queue sockets chooses for them ([`QueueSock::new`]).
pub(crate) struct SockSetup {
    /// The protocol the sockets are allocated from.
    pub(crate) proto: &'static Proto,
    /// The send buffer (`sk_sndbuf`) until [`QueueSock::set_sndbuf`] changes it.
    pub(crate) sndbuf: i32,
    /// Whether room for a writer wakes the pollers and blocked writers that found none and
    /// sends them `SIGIO` (`sk_write_space`: [`write_space`]), instead of the socket
    /// layer's default.
    pub(crate) wake_on_write_space: bool,
    /// Whether the socket accepts zero-copy sends (`SOCK_ZEROCOPY`).
    pub(crate) zero_copy: bool,
}

impl QueueSock {
    /// A socket in `net` for the file being opened, owned by the opener's fsuid (tun.c's
    /// `tun_chr_open`), set up as `setup` says and with the socket layer's defaults
    /// otherwise (`sock_init_data`).
    pub(crate) fn new<T: SockOps>(net: &NetNs, file: &File, setup: &SockSetup) -> Result<Self> {
        // SAFETY: `net` is a counted namespace; the proto is static, never changed, and its
        // `obj_size` is that of a `struct rtun_qsock`; kern=0: a user socket, which takes
        // its own namespace reference.
        let sk = unsafe {
            b::sk_alloc(
                net.as_raw(),
                b::rtun_const_RTUN_AF_UNSPEC as i32,
                b::rtun_const_RTUN_GFP_KERNEL,
                setup.proto.0.get(),
                0,
            )
        };
        let sk = NonNull::new(sk).ok_or(ENOMEM)?;
        // SAFETY: A new `struct rtun_qsock` (the proto's `obj_size`), zeroed but for its
        // sock, which only we reach.
        let socket = unsafe { b::rtun_qsock_socket(sk.as_ptr()) };
        // SAFETY: The socket's wait queue head, not yet initialised and not yet reached by
        // anyone but us; it lives in the allocation, at this address, as long as the sock.
        // The name is static and the lock class key a static one for this call site, as
        // `init_waitqueue_head()` makes.
        unsafe {
            kernel::bindings::__init_waitqueue_head(
                b::rtun_socket_wait(socket).cast(),
                c"&q->socket.wq.wait".as_char_ptr(),
                kernel::static_lock_class!().as_ptr(),
            )
        };
        // SAFETY: The socket and sock only we reach, so the plain writes race nothing.
        // `socket.file` is not a counted reference, as in tun.c: the ops are reached
        // through the file (`tun_get_socket`), so it is alive whenever they run, and
        // `release` orphans the socket before the file goes. It is a file of T's device,
        // so `SockVTable::<T>::owner` finds the queue. The ops table is a constant.
        // `sock_init_data_uid` sets up the sock, linked to the socket, with the socket
        // layer's defaults, which `setup` then changes; `write_space` may be called for
        // the sock as long as it lives.
        unsafe {
            b::rtun_socket_set_file(socket, file.as_ptr().cast());
            b::rtun_socket_set_ops(socket, &SockVTable::<T>::OPS);
            b::sock_init_data_uid(socket, sk.as_ptr(), b::rtun_current_fsuid());
            if setup.wake_on_write_space {
                b::rtun_sock_set_write_space(sk.as_ptr(), Some(write_space));
            }
            b::rtun_sock_set_sndbuf(sk.as_ptr(), setup.sndbuf);
            if setup.zero_copy {
                b::rtun_sock_set_flag(sk.as_ptr(), b::sock_flags_SOCK_ZEROCOPY);
            }
        }
        // INVARIANT: Allocated from a `Proto` and initialised; `sk_alloc`'s reference is
        // ours.
        Ok(Self { sk })
    }

    /// The `struct sock`, for the LSM hooks.
    pub(super) fn raw_sock(&self) -> *mut b::sock {
        self.sk()
    }

    fn sk(&self) -> *mut b::sock {
        self.sk.as_ptr()
    }

    fn socket(&self) -> *mut b::socket {
        // SAFETY: A sock of a `struct rtun_qsock` (type invariant).
        unsafe { b::rtun_qsock_socket(self.sk()) }
    }

    /// The `struct socket`, for vhost-net (`tun_get_socket`).
    pub(crate) fn as_raw_socket(&self) -> *mut b::socket {
        self.socket()
    }

    /// The wait queue of the socket (`sk_sleep`): readers, blocked writers and pollers.
    pub(crate) fn wait(&self) -> &WaitQueue {
        // SAFETY: The socket's wait queue was initialised in `new` and lives as long as the
        // allocation, which outlives `self`.
        unsafe { WaitQueue::from_raw(b::rtun_socket_wait(self.socket())) }
    }

    /// The socket's `fasync` list: who gets `SIGIO`.
    pub(crate) fn fasync(&self) -> &Fasync {
        // SAFETY: The list pointer is zeroed in `new` (an empty list) and lives as long as
        // the allocation.
        unsafe { Fasync::from_raw(b::rtun_socket_fasync(self.socket())) }
    }

    /// The send buffer (`TUNGETSNDBUF`).
    pub(crate) fn sndbuf(&self) -> i32 {
        // SAFETY: A valid sock.
        unsafe { b::rtun_sock_sndbuf(self.sk()) }
    }

    /// Sets the send buffer (`TUNSETSNDBUF`, and on attach the device's value).
    pub(crate) fn set_sndbuf(&self, v: i32) {
        // SAFETY: A valid sock.
        unsafe { b::rtun_sock_set_sndbuf(self.sk(), v) }
    }

    /// Attaches the classic filter of `len` instructions at user address `filter` (read
    /// from the calling process, as `SO_ATTACH_FILTER`), replacing any other.
    pub(crate) fn attach_filter(&self, len: u16, filter: usize) -> Result {
        let mut fprog = b::sock_fprog {
            len,
            filter: filter as *mut b::sock_filter,
        };
        // SAFETY: A valid sock, locked around the change as the socket layer requires;
        // `fprog` is valid for the call, and its `filter` only read with copy_from_user.
        to_result(unsafe {
            b::lock_sock_nested(self.sk(), 0);
            let r = b::sk_attach_filter(&mut fprog, self.sk());
            b::release_sock(self.sk());
            r
        })
    }

    /// Detaches the classic filter, if any.
    pub(crate) fn detach_filter(&self) {
        // SAFETY: A valid sock, locked around the change. Without a filter the call only
        // answers ENOENT, which changes nothing.
        unsafe {
            b::lock_sock_nested(self.sk(), 0);
            b::sk_detach_filter(self.sk());
            b::release_sock(self.sk());
        }
    }

    /// Whether a classic filter is attached.
    pub(crate) fn has_filter(&self) -> bool {
        // SAFETY: A valid sock; the shim only tests the RCU pointer for null.
        unsafe { b::rtun_sock_has_filter(self.sk()) }
    }

    /// Runs `skb` through the attached classic filter, if any (`sk_filter`): the packet is
    /// cut to the length the program returns (at least 1 byte), or dropped for 0.
    pub(crate) fn run_filter(&self, skb: &mut Skb) -> Result<(), DropReason> {
        if !self.has_filter() {
            return Ok(());
        }
        // SAFETY: A valid sock and an skb we own; callers run in the transmit path (BHs
        // off), where the filter's RCU read section is allowed.
        match unsafe { b::sk_filter_trim_cap(self.sk(), skb.as_raw(), 1) } {
            0 => Ok(()),
            reason => Err(reason),
        }
    }

    /// The file is being released: the socket forgets it (`sock_orphan`), so nothing that
    /// still reaches the socket through a charged packet (netfilter's owner match, for
    /// one) finds a file that is gone. Writers and pollers are gone by now.
    pub(crate) fn orphan(&self) {
        // SAFETY: A valid sock; the socket layer serialises this with sk_callback_lock.
        unsafe { b::rtun_sock_orphan(self.sk()) }
    }

    /// The device is gone: a writer waiting for send-buffer room stops waiting
    /// (`SEND_SHUTDOWN`: the allocation fails with `EPIPE`) instead of holding the device
    /// until room comes.
    pub(crate) fn shut_down(&self, rtnl: &Rtnl) {
        self.set_send_shutdown(true, rtnl);
        self.wait().wake_poll(EPOLLOUT | EPOLLWRNORM);
    }

    /// Attached to a device again: writes may wait for room again.
    pub(crate) fn reopen(&self, rtnl: &Rtnl) {
        self.set_send_shutdown(false, rtnl);
    }

    /// Sets or clears `SEND_SHUTDOWN` in `sk_shutdown`. RTNL serialises the
    /// read-modify-write (the only writers are these); readers read the field with
    /// `READ_ONCE`.
    fn set_send_shutdown(&self, on: bool, _rtnl: &Rtnl) {
        const SEND_SHUTDOWN: u8 = b::rtun_const_RTUN_SEND_SHUTDOWN as u8;
        // SAFETY: A valid sock.
        let shutdown = unsafe { b::rtun_sock_shutdown(self.sk()) };
        let shutdown = if on {
            shutdown | SEND_SHUTDOWN
        } else {
            shutdown & !SEND_SHUTDOWN
        };
        // SAFETY: A valid sock; a single-byte `WRITE_ONCE`.
        unsafe { b::rtun_sock_set_shutdown(self.sk(), shutdown) };
    }

    /// Whether a writer has room: less than half the send buffer in flight
    /// (`sock_writeable`).
    pub(crate) fn writeable(&self) -> bool {
        // SAFETY: A valid, initialised sock.
        unsafe { b::rtun_sock_writeable(self.sk()) }
    }

    /// Marks a wakeup owed to a poller that found no room (`SOCKWQ_ASYNC_NOSPACE`).
    /// Returns whether it was already marked.
    pub(crate) fn set_nospace(&self) -> bool {
        // SAFETY: A valid, initialised socket.
        unsafe { b::rtun_sock_test_and_set_nospace(self.socket()) }
    }

    /// Room came (or the device came up): wakes the pollers owed it, as `sk_write_space`.
    pub(crate) fn write_space(&self) {
        // SAFETY: A valid, initialised sock of ours.
        unsafe { write_space(self.sk()) }
    }

    /// Charges `skb` to the socket's send buffer until it is freed (`skb_set_owner_w`),
    /// as an skb from [`QueueSock::alloc_send_skb`] is.
    pub(crate) fn charge(&self, skb: &mut Skb) {
        // SAFETY: A valid sock, which the skb's destructor may reach until it is freed:
        // the charge holds a reference to the sock; the skb is ours and has no owner.
        unsafe { b::rtun_skb_set_owner_w(skb.as_raw(), self.sk()) }
    }

    /// Marks the socket as one whose device runs an XDP program (`SOCK_XDP`), which
    /// vhost-net reads to leave XDP's headroom in the buffers it sends. Callers hold RTNL
    /// (the queue set's changes and `ndo_bpf`), which serialises them.
    pub(crate) fn set_xdp(&self, on: bool) {
        // SAFETY: A valid sock; the flag word is written non-atomically, and every
        // writer of `SOCK_XDP` holds RTNL (attach and `ndo_bpf`), so none races another.
        unsafe { b::rtun_sock_set_xdp(self.sk(), on) }
    }

    /// Allocates an skb of `len` bytes for a packet written to `dev`, charged to this
    /// socket: `head` bytes in the linear part, the rest in page fragments, `headroom`
    /// reserved in front. Waits for send-buffer room unless `nonblock` (then `EAGAIN`);
    /// a signal while waiting gives `ERESTARTSYS`, a shut-down socket `EPIPE`.
    pub(crate) fn alloc_send_skb(
        &self,
        dev: &NetDev,
        headroom: u32,
        head: u32,
        len: u32,
        nonblock: bool,
    ) -> Result<Skb> {
        let mut err = 0;
        // SAFETY: A valid sock; process context (write), which may sleep unless
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
            return Err(alloc_error(err));
        };
        // SAFETY: A new skb, which we own.
        let mut skb = unsafe { Skb::from_raw(skb) };
        // SAFETY: It has `headroom + head` linear bytes (unwritten) and `len - head` bytes
        // of fragments, as allocated above; the caller's device reference (`dev`) covers
        // the write that hands the skb to the stack.
        unsafe { skb.lay_out_new(dev, headroom, head, len - head) };
        Ok(skb)
    }
}

impl QueueSock {
    /// Allocates and fills an skb for a zero-copy send of `src` to `dev`, charged to this
    /// socket: `head` bytes copied into the linear part (after `headroom`), the rest of
    /// `src` pinned as fragments (check [`zero_copy_fits`] first). Waits for send-buffer
    /// room unless `nonblock` (then `EAGAIN`); `EFAULT` when `src` cannot be read or
    /// pinned (the skb is freed as such a drop).
    ///
    /// [`zero_copy_fits`]: crate::net::skb::zero_copy_fits
    pub(crate) fn alloc_zero_copy_skb(
        &self,
        dev: &NetDev,
        headroom: u32,
        head: u32,
        src: &mut IovIterSource<'_>,
        nonblock: bool,
    ) -> Result<Skb> {
        let mut skb = self.alloc_send_skb(dev, headroom, head, head, nonblock)?;
        // SAFETY: A new skb of this socket with no fragments.
        match unsafe { skb.fill_zero_copy_from_iter(src) } {
            Ok(()) => Ok(skb),
            Err(e) => {
                skb.drop_reason(crate::net::skb::DROP_UCOPY_FAULT);
                Err(e)
            }
        }
    }
}

impl Drop for QueueSock {
    fn drop(&mut self) {
        // Packets still charged to the socket keep the allocation (not the reference) alive;
        // `sk_free` then frees it when the last one is gone.
        // SAFETY: This value owns one reference (type invariant).
        unsafe { b::rtun_sock_put(self.sk()) }
    }
}

/// `sk_write_space` of queue sockets (tun.c's `tun_sock_write_space`): when a writer has
/// room again and a poller (`SOCKWQ_ASYNC_NOSPACE`) or a blocked writer (`SOCK_NOSPACE`,
/// set by `sock_wait_for_wmem`) found none, wake them with `EPOLLOUT` and send
/// `SIGIO`/`POLL_OUT`. tun.c's looks only at the poller's bit; a blocked writer's is
/// looked at too, so its wakeup never depends on a poller being there.
///
/// # Safety
///
/// `sk` must be the sock of a live `struct rtun_qsock` (a reference or charged packets
/// keep it alive).
unsafe extern "C" fn write_space(sk: *mut b::sock) {
    // SAFETY: `sk` is valid per the caller; the socket lives in the same allocation.
    unsafe {
        if !b::rtun_sock_writeable(sk) {
            return;
        }
        let socket = b::rtun_qsock_socket(sk);
        // Both bits cleared: each waiter is owed one wakeup.
        let poller = b::rtun_sock_test_and_clear_nospace(socket);
        let writer = b::rtun_sock_test_and_clear_writer_nospace(socket);
        if !poller && !writer {
            return;
        }
        // Unlocked when nobody waits, as in tun.c's `tun_sock_write_space()`: the
        // `test_and_clear_bit()` calls above are full barriers (one returned true, so
        // ran as one), which is what `wake_sync_poll_active` requires.
        WaitQueue::from_raw(b::rtun_socket_wait(socket))
            .wake_sync_poll_active(EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
        Fasync::from_raw(b::rtun_socket_fasync(socket)).notify_writable();
    }
}

/// Defines what vhost-net links against, under rtun's own names (`rtun_get_socket`,
/// `rtun_get_tx_ring`, `rtun_ptr_free`, `rtun_wake_queue`; exported in helpers.c and
/// re-exported under tun.ko's names by the `rtun_vhost` module), for the queues of type
/// `$t` (a [`SockOps`]).
macro_rules! export_vhost_backend {
    ($t:ty) => {
        /// `tun_get_socket`: the socket of a queue file, `ERR_PTR(-EINVAL)` for another file.
        ///
        /// # Safety
        ///
        /// `file` must be a valid file the caller holds a reference to.
        #[no_mangle]
        unsafe extern "C" fn rtun_get_socket(
            file: *mut kernel::bindings::file,
        ) -> *mut $crate::bindings::socket {
            // SAFETY: Per the caller, a valid, held file.
            match unsafe { $crate::net::miscdev::try_file_state::<$t>(file) } {
                Some(q) => $crate::net::sock::SockOps::sock(&*q).as_raw_socket(),
                None => $crate::net::sock::err_ptr(kernel::error::code::EINVAL),
            }
        }

        /// `tun_get_tx_ring`: the ring of a queue file, `ERR_PTR(-EINVAL)` for another file.
        ///
        /// # Safety
        ///
        /// `file` must be a valid file the caller holds a reference to.
        #[no_mangle]
        unsafe extern "C" fn rtun_get_tx_ring(
            file: *mut kernel::bindings::file,
        ) -> *mut $crate::bindings::ptr_ring {
            // SAFETY: Per the caller, a valid, held file.
            match unsafe { $crate::net::miscdev::try_file_state::<$t>(file) } {
                Some(q) => $crate::net::sock::SockOps::tx_ring(&*q).as_raw(),
                None => $crate::net::sock::err_ptr(kernel::error::code::EINVAL),
            }
        }

        /// `tun_ptr_free`: frees a ring entry (an skb, or a tagged XDP frame).
        ///
        /// # Safety
        ///
        /// `ptr` must be null or a ring entry the caller owns.
        #[no_mangle]
        unsafe extern "C" fn rtun_ptr_free(ptr: *mut core::ffi::c_void) {
            // SAFETY: The caller passes null or a ring entry it owns, which is what
            // `free_ring_entry` takes.
            unsafe { $crate::net::ring::free_ring_entry(ptr) }
        }

        /// `tun_wake_queue`: what a consumer owes the producer after taking `n` entries
        /// (with `IFF_BACKPRESSURE`, a wake of the stopped transmit queue). Nothing for
        /// another file.
        ///
        /// # Safety
        ///
        /// `file` must be a valid file the caller holds a reference to; for a queue file,
        /// the caller holds its ring's consumer lock.
        #[no_mangle]
        unsafe extern "C" fn rtun_wake_queue(
            file: *mut kernel::bindings::file,
            n: core::ffi::c_int,
        ) {
            // SAFETY: Per the caller, a valid, held file.
            let Some(q) = (unsafe { $crate::net::miscdev::try_file_state::<$t>(file) }) else {
                return;
            };
            let ring = $crate::net::sock::SockOps::tx_ring(&*q);
            // SAFETY: Per the caller, the consumer lock of this queue's ring is held.
            let locked = unsafe { ring.assume_consumer_locked() };
            <$t as $crate::net::sock::SockOps>::consumed(q, &locked, n.max(0) as u32);
        }
    };
}
pub(crate) use export_vhost_backend;

/// `ERR_PTR(e)`.
pub(crate) fn err_ptr<T>(e: Error) -> *mut T {
    e.to_errno() as isize as *mut T
}

/// The error of a failed `sock_alloc_send_pskb`: out of line, off the write path.
#[cold]
fn alloc_error(err: i32) -> Error {
    if err < 0 {
        Error::from_errno(err)
    } else {
        ENOBUFS
    }
}
