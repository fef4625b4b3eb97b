// SPDX-License-Identifier: GPL-2.0

//! A wait queue that `poll` can register on and readers can sleep on.
//!
//! `kernel::sync::CondVar` needs a lock held across the wait; a packet ring has its own
//! locks, so this is the bare `wait_queue_head` with tun.c's usage: wake with a poll mask,
//! sleep interruptibly until a condition holds.

use core::marker::PhantomData;
use kernel::{fs::File, prelude::*, types::Opaque};

use crate::bindings as b;

/// The `poll` event bits (`EPOLL*`).
pub(crate) const EPOLLIN: u32 = b::rtun_const_RTUN_EPOLLIN;
pub(crate) const EPOLLOUT: u32 = b::rtun_const_RTUN_EPOLLOUT;
pub(crate) const EPOLLRDNORM: u32 = b::rtun_const_RTUN_EPOLLRDNORM;
pub(crate) const EPOLLWRNORM: u32 = b::rtun_const_RTUN_EPOLLWRNORM;
pub(crate) const EPOLLWRBAND: u32 = b::rtun_const_RTUN_EPOLLWRBAND;
pub(crate) const EPOLLERR: u32 = b::rtun_const_RTUN_EPOLLERR;

/// The poll table a `poll` call registers its wait queues on.
///
/// The shape of `kernel::sync::poll::PollTable`, which cannot serve here: it registers
/// only a `PollCondVar`, and a queue's waiters are on its socket's wait queue
/// (`sk_sleep()`), which the socket layer and vhost-net wake too. A
/// `PollTable::register_wait_queue()` there, whose caller promises that the queue
/// outlives every poller registered on it (here: the queue lives in the file's socket,
/// and `__fput` removes the file's epoll entries before `release`), would let rtun use
/// it.
///
/// # Invariants
///
/// `table` is null or a valid `poll_table` for `'a`.
pub(crate) struct PollTable<'a> {
    table: *mut b::poll_table,
    _lifetime: PhantomData<&'a b::poll_table>,
}

impl PollTable<'_> {
    /// Wraps the table the VFS passed to `poll`.
    ///
    /// # Safety
    ///
    /// `table` must be null or valid for the returned lifetime.
    pub(crate) unsafe fn from_raw(table: *mut b::poll_table) -> Self {
        // INVARIANT: Per the safety requirement.
        Self {
            table,
            _lifetime: PhantomData,
        }
    }
}

/// A `wait_queue_head_t`.
///
/// # Invariants
///
/// `inner` is an initialised wait queue head, pinned for its whole life.
#[repr(transparent)]
#[pin_data]
pub(crate) struct WaitQueue {
    #[pin]
    inner: Opaque<b::wait_queue_head>,
}

// SAFETY: A wait queue head is protected by its own spinlock.
unsafe impl Send for WaitQueue {}
// SAFETY: Every `&WaitQueue` method goes through the kernel's wait queue functions, which
// take the head's spinlock.
unsafe impl Sync for WaitQueue {}

impl WaitQueue {
    /// The wait queue at `head`, which lives elsewhere (a socket's `sk_sleep`).
    ///
    /// # Safety
    ///
    /// `head` must be an initialised wait queue head that stays valid, at that address,
    /// for `'a`.
    pub(crate) unsafe fn from_raw<'a>(head: *mut b::wait_queue_head) -> &'a Self {
        // SAFETY: `Self` is a transparent wrapper of `Opaque<wait_queue_head>`, itself
        // transparent over the head; valid for `'a` per the caller.
        unsafe { &*head.cast::<Self>() }
    }

    /// Wakes the sleepers and pollers, telling them `mask` (`EPOLL*`) is ready.
    ///
    /// No lock taken when nobody waits, as `sock_def_readable()` does for tun.c: the full
    /// barrier in `wq_has_sleeper()` pairs with the one in `prepare_to_wait_event()` (a
    /// blocking reader) and with the `smp_mb()` that `poll_wait()` runs after queueing a
    /// poller ([`WaitQueue::poll_wait`]).
    pub(crate) fn wake_poll(&self, mask: u32) {
        // SAFETY: The head is initialised.
        if unsafe { b::rtun_wq_has_sleeper(self.inner.get()) } {
            // SAFETY: The head is initialised.
            unsafe { b::rtun_wake_up_interruptible_poll(self.inner.get(), mask) }
        }
    }

    /// Registers `file`'s poll on this queue (`sock_poll_wait()`): registered before the
    /// caller looks at what it polls for. `poll_wait()` itself runs the `smp_mb()` after
    /// queueing that pairs with the barrier of `wq_has_sleeper()` in
    /// [`WaitQueue::wake_poll`] (none is needed when it queues nothing).
    pub(crate) fn poll_wait(&self, file: &File, table: &PollTable<'_>) {
        // The head outlives the poll registration: it lives in the file's private data,
        // which `poll` users release (`eventpoll_release`/`poll_freewait`) before the file.
        // SAFETY: `file`, the head and the table are valid for the call.
        unsafe { b::rtun_poll_wait(file.as_ptr().cast(), self.inner.get(), table.table) };
    }

    /// Wakes the sleepers and pollers synchronously (the waker is about to sleep or
    /// return), telling them `mask` is ready; no lock taken when nobody waits.
    ///
    /// # Safety
    ///
    /// Unlike [`WaitQueue::wake_poll`], the check for waiters (`waitqueue_active()`) has no
    /// barrier of its own: the caller must have executed a full barrier that pairs with
    /// the waiters' (tun.c's `tun_sock_write_space()`: its `test_and_clear_bit()`), or a
    /// waiter that just queued itself may miss the wakeup (a hang, not memory unsafety,
    /// but a promise the type system cannot check).
    pub(crate) unsafe fn wake_sync_poll_active(&self, mask: u32) {
        // SAFETY: The head is initialised.
        if unsafe { b::rtun_waitqueue_active(self.inner.get()) } {
            // SAFETY: The head is initialised.
            unsafe { b::rtun_wake_up_interruptible_sync_poll(self.inner.get(), mask) }
        }
    }

    /// Sleeps until `cond` returns `Some`, or a signal arrives (`ERESTARTSYS`).
    ///
    /// `cond` is evaluated after the task is queued, so a wake-up between the check and the
    /// sleep is never lost.
    pub(crate) fn wait_interruptible<R>(&self, mut cond: impl FnMut() -> Option<R>) -> Result<R> {
        let entry = Opaque::<b::wait_queue_entry>::uninit();
        // SAFETY: `entry` is valid for writes and stays at this address until `finish_wait`.
        unsafe { b::rtun_init_wait_entry(entry.get()) };
        let result = loop {
            // SAFETY: Head and entry are valid; this queues the entry (if not yet) and sets
            // the task state; a pending signal gives a non-zero return instead.
            let ret = unsafe {
                b::prepare_to_wait_event(
                    self.inner.get(),
                    entry.get(),
                    b::rtun_const_RTUN_TASK_INTERRUPTIBLE as i32,
                )
            };
            if let Some(r) = cond() {
                break Ok(r);
            }
            if ret != 0 || kernel::current!().signal_pending() {
                break Err(ERESTARTSYS);
            }
            // SAFETY: `schedule` needs process context with no spinlock held and RCU not
            // read-locked: the callers (`read`) hold nothing across the wait.
            unsafe { b::schedule() };
        };
        // SAFETY: `entry` was initialised above; this dequeues it and resets the state.
        unsafe { b::finish_wait(self.inner.get(), entry.get()) };
        result
    }
}

/// The `fasync` list of a file: who gets SIGIO.
///
/// # Invariants
///
/// `inner` is null or a list managed by `fasync_helper`.
#[repr(transparent)]
pub(crate) struct Fasync {
    inner: Opaque<*mut b::fasync_struct>,
}

// SAFETY: `fasync_helper` and `kill_fasync` synchronise the list themselves (a spinlock
// for changes, RCU for the walk).
unsafe impl Send for Fasync {}
// SAFETY: `&Fasync` methods only call `fasync_helper` and `kill_fasync`, which synchronise
// the list themselves.
unsafe impl Sync for Fasync {}

impl Fasync {
    /// The `fasync` list whose head pointer is at `list` (a socket's `wq.fasync_list`).
    ///
    /// # Safety
    ///
    /// `list` must point to a list head managed only by `fasync_helper`/`kill_fasync`,
    /// valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(list: *mut *mut b::fasync_struct) -> &'a Self {
        // SAFETY: `Self` is a transparent wrapper of `Opaque<*mut fasync_struct>`; valid for
        // `'a` per the caller.
        unsafe { &*list.cast::<Self>() }
    }

    /// `fasync` file operation: add (`on`) or remove `file` with descriptor `fd`.
    pub(crate) fn helper(&self, fd: i32, file: &File, on: bool) -> Result<bool> {
        // SAFETY: `file` is valid; the list pointer is only changed by fasync_helper.
        let r =
            unsafe { b::fasync_helper(fd, file.as_ptr().cast(), i32::from(on), self.inner.get()) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(on)
    }

    /// Sends SIGIO with `POLL_OUT` to everyone on the list.
    pub(crate) fn notify_writable(&self) {
        // SAFETY: The list is valid; kill_fasync tolerates an empty (null) list.
        unsafe {
            b::kill_fasync(
                self.inner.get(),
                b::rtun_const_RTUN_SIGIO as i32,
                b::rtun_const_RTUN_POLL_OUT as i32,
            )
        }
    }

    /// Sends SIGIO with `POLL_IN` to everyone on the list.
    pub(crate) fn notify_readable(&self) {
        // SAFETY: The list is valid; kill_fasync tolerates an empty (null) list.
        unsafe {
            b::kill_fasync(
                self.inner.get(),
                b::rtun_const_RTUN_SIGIO as i32,
                b::rtun_const_RTUN_POLL_IN as i32,
            )
        }
    }
}
