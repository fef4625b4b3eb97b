// SPDX-License-Identifier: GPL-2.0

//! XDP: buffers of frames that programs run on, and the frames they make.
//!
//! Batches of frames in XDP buffers come from vhost-net (`TUN_MSG_PTR`); a write builds
//! one in the writing task's page fragment (tun.c's `tun_build_skb`) when the device has
//! a program.
//! [`XdpFrame`]s are what `XDP_TX` and `XDP_REDIRECT` make, and what `ndo_xdp_xmit` gets.
//!
//! vhost-net builds each guest frame in a page fragment: the virtio-net header at
//! `data_hard_start`, the frame at `data..data_end`, `frame_sz` bytes in all with room for
//! the shared info at the end. The receiver owns every page reference from the moment
//! `sendmsg` is called: each buffer becomes an skb around its page (`build_skb`) or is
//! dropped (`put_page`). [`XdpBuff`] makes that "exactly one of the two" a type: it is
//! taken over (by an [`Skb`], an [`XdpFrame`] or a redirect) or put back when dropped —
//! a written frame's bytes then go back to the task's fragment for the next write.

use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::{error::to_result, prelude::*, types::Opaque};

use crate::bindings as b;
use crate::net::bpf::BpfSlot;
use crate::net::dev_ref::RcuDevRef;
use crate::net::netdev::{Dev, NetDev};
use crate::net::netdev_ops::NetDevOps;
use crate::net::preempt::{BhOff, NoBh};
use crate::net::rcu::RcuSection;
use crate::net::rtnl::Rtnl;
use crate::net::skb::{self, Skb};
use crate::net::sock::QueueSock;
use crate::net::vnet;

/// The buffers of one `sendmsg`: either all handed back untouched ([`XdpBatch::refuse`],
/// and the caller frees them, as vhost-net does on an error return) or each consumed
/// exactly once (by iteration, or when dropped).
///
/// # Invariants
///
/// `bufs[next..len]` are valid XDP buffers whose page references this batch owns.
pub(crate) struct XdpBatch<'a> {
    bufs: *mut b::xdp_buff,
    next: usize,
    len: usize,
    _buffers: PhantomData<&'a mut b::xdp_buff>,
}

/// Proof that a batch was handed back untouched: the only way for `sendmsg` of a batch
/// to fail.
pub(crate) struct Refused(Error);

impl Refused {
    /// The error `sendmsg` returns.
    pub(crate) fn error(&self) -> Error {
        self.0
    }
}

impl XdpBatch<'_> {
    /// # Safety
    ///
    /// `bufs` must point to `len` valid XDP buffers built as vhost-net builds them, valid
    /// for the batch's lifetime, whose page references pass to the batch.
    pub(crate) unsafe fn from_raw(bufs: *mut b::xdp_buff, len: usize) -> Self {
        // INVARIANT: Per the safety requirement.
        Self {
            bufs,
            next: 0,
            len,
            _buffers: PhantomData,
        }
    }

    /// Refuses the whole batch with `err`: the pages stay the caller's, to free. Only a
    /// batch nobody took a buffer from can be refused (it is consumed by value before
    /// iteration can start).
    pub(crate) fn refuse(self, err: Error) -> Refused {
        // No buffer was taken (iteration needs `into_iter`, which takes the batch), so
        // nothing of the caller's was freed; forgetting leaves every page with it.
        core::mem::forget(self);
        Refused(err)
    }
}

impl<'a> IntoIterator for XdpBatch<'a> {
    type Item = XdpBuff<'a>;
    type IntoIter = XdpBatchIter<'a>;

    fn into_iter(self) -> XdpBatchIter<'a> {
        XdpBatchIter(self)
    }
}

/// The buffers of a batch, one at a time; the ones not taken are freed when it drops.
pub(crate) struct XdpBatchIter<'a>(XdpBatch<'a>);

impl<'a> Iterator for XdpBatchIter<'a> {
    type Item = XdpBuff<'a>;

    fn next(&mut self) -> Option<XdpBuff<'a>> {
        let batch = &mut self.0;
        if batch.next == batch.len {
            return None;
        }
        // SAFETY: `next < len`: a valid buffer (type invariant), handed out once.
        let buf = unsafe { &mut *batch.bufs.add(batch.next) };
        batch.next += 1;
        // INVARIANT: The reference passes from the batch to the buffer.
        Some(XdpBuff {
            buf,
            owner: PageRef,
        })
    }
}

impl Drop for XdpBatch<'_> {
    fn drop(&mut self) {
        // The buffers nobody took are consumed: freed.
        while self.next < self.len {
            // SAFETY: `next < len`: a valid buffer whose page reference we own.
            let buf = unsafe { &mut *self.bufs.add(self.next) };
            self.next += 1;
            drop(XdpBuff {
                buf,
                owner: PageRef,
            });
        }
    }
}

/// One frame in an XDP buffer, owning a reference to its page (freed when dropped) — or,
/// for a frame a write builds, bytes of the writing task's page fragment that become
/// the buffer's own only when it is kept ([`XdpBuff::keep`]), as in tun.c's
/// `tun_build_skb`: a dropped frame costs no page reference, the next write reuses the
/// bytes.
///
/// # Invariants
///
/// `buf` is a valid XDP buffer as vhost-net or [`XdpBuff::from_iter`] builds them, whose
/// bytes `owner` holds as its type says.
pub(crate) struct XdpBuff<'a, O: BufBytes = PageRef> {
    buf: &'a mut b::xdp_buff,
    owner: O,
}

/// How an [`XdpBuff`] holds its bytes: with a reference to their page, or (a written
/// frame, inside [`run_written`] only) as bytes of the task's page fragment until kept.
/// What takes a buffer over (an skb, a frame, a redirect) takes the reference; a buffer
/// dropped gives back what it holds. Sealed: only the two kinds below.
pub(crate) trait BufBytes: private::Sealed {
    /// Makes the bytes the buffer's own, before anything may take it over.
    fn keep(&mut self);
    /// Gives back the page reference of a buffer not kept, whose `data` points into its
    /// page.
    ///
    /// # Safety
    ///
    /// Called once, when the buffer drops; `data` as described.
    unsafe fn release(&mut self, data: *mut core::ffi::c_void);
}

mod private {
    /// Keeps the buffer kinds to this module's.
    pub(crate) trait Sealed {}
    impl Sealed for super::PageRef {}
    impl Sealed for super::TaskFrag {}
}

/// A reference to the buffer's page (vhost-net's buffers).
pub(crate) struct PageRef;

/// Drops the reference on the page that `data` points into (a page-fragment buffer).
///
/// # Safety
///
/// `data` points into a page, of one or more pages, that the caller holds a reference to,
/// which this gives up.
unsafe fn put_page_of(data: *mut core::ffi::c_void) {
    // SAFETY: Per the caller, `data` is a kernel address inside a referenced page, whose
    // head page holds the count; the caller's reference is the one put.
    unsafe { b::rtun_put_page(b::rtun_virt_to_head_page(data)) };
}

impl BufBytes for PageRef {
    #[inline(always)]
    fn keep(&mut self) {}

    #[inline(always)]
    unsafe fn release(&mut self, data: *mut core::ffi::c_void) {
        // SAFETY: Per the caller, `data` points into the page we hold a reference to.
        unsafe { put_page_of(data) };
    }
}

/// The next `size` bytes of the writing task's page fragment `frag`, until kept (then
/// a reference to their page, and the fragment moved past them: tun.c's `get_page` and
/// `offset += buflen`). Until then nothing else may use the fragment: such buffers exist
/// only inside [`run_written`], which runs no code of its callers meanwhile; a frame
/// dropped unkept costs nothing, its bytes are the next write's (tun.c's cheap drop).
struct TaskFrag {
    /// The fragment, the page refilled for the buffer, the bytes' offset and size.
    pending: Option<(NonNull<b::page_frag>, *mut b::page, u32, u32)>,
}

impl BufBytes for TaskFrag {
    fn keep(&mut self) {
        if let Some((frag, page, start, size)) = self.pending.take() {
            // SAFETY: The task's fragment, whose bytes `start..start + size` on `page`
            // are this buffer and which nothing used since (type invariant): the page is
            // still the fragment's, referenced by it; the reference taken is the
            // buffer's from now on. Should the invariant ever break, the reference is
            // still taken on the buffer's own page, and the fragment left alone.
            unsafe {
                let f = frag.as_ptr();
                b::rtun_get_page(page);
                if (*f).page == page && (*f).offset == start {
                    (*f).offset = start + size;
                }
            }
        }
    }

    unsafe fn release(&mut self, data: *mut core::ffi::c_void) {
        if self.pending.is_none() {
            // SAFETY: Kept: per the caller, `data` points into the page we hold a
            // reference to.
            unsafe { put_page_of(data) };
        }
    }
}

impl<O: BufBytes> XdpBuff<'_, O> {
    /// The frame's length, without the virtio-net header.
    pub(crate) fn len(&self) -> usize {
        self.buf.data_end as usize - self.buf.data as usize
    }
}

impl XdpBuff<'_> {
    /// The frame in an skb of `dev` (tun.c's `tun_xdp_one`): the page becomes the skb's
    /// head, the frame its data, and the virtio-net header in front of it (`sz` bytes,
    /// `flags` as the device's) is applied — `EINVAL` for one that cannot be, `ENOMEM`
    /// when no skb can be had; the page is freed then.
    pub(crate) fn into_skb(self, dev: &NetDev, sz: i32, flags: u32) -> Result<Skb> {
        let hdr = self.buf.data_hard_start;
        let mut skb = self.build_skb()?;
        // SAFETY: The virtio-net header at the buffer's start, which the skb keeps alive;
        // the skb is ours.
        unsafe {
            skb.set_dev(dev);
            skb.set_network_header(b::rtun_const_RTUN_ETH_HLEN as i32);
            vnet::apply_raw(sz, flags, &mut skb, hdr.cast())?;
        }
        Ok(skb)
    }
}

impl<O: BufBytes> Drop for XdpBuff<'_, O> {
    fn drop(&mut self) {
        // SAFETY: The buffer drops once; its page reference is ours (type invariant) and
        // `data` points into that page.
        unsafe { self.owner.release(self.buf.data) };
    }
}

/// `TUN_RX_PAD` plus `XDP_PACKET_HEADROOM`: where tun.c puts a written frame in its
/// buffer when a program may run on it (`tun_build_skb`).
const FRAG_PAD: u32 = skb::WRITE_HEADROOM + b::rtun_const_RTUN_XDP_PACKET_HEADROOM;

/// `SKB_DATA_ALIGN`.
const fn data_align(n: u32) -> u32 {
    let a = b::rtun_const_RTUN_SMP_CACHE_BYTES;
    (n + a - 1) & !(a - 1)
}

/// The size of the page-fragment buffer of a frame of `len` bytes: headroom, frame, and
/// the shared info an skb built around it needs.
const fn frag_size(len: u32) -> u32 {
    data_align(len + FRAG_PAD) + b::rtun_const_RTUN_SKB_SHINFO_SIZE
}

/// Whether a written frame of `len` bytes fits one page with XDP's headroom: tun.c's
/// `tun_can_build_skb` size test.
pub(crate) fn frag_fits(len: usize) -> bool {
    len <= skb::PAGE_SIZE as usize && frag_size(len as u32) <= skb::PAGE_SIZE
}

/// Room on the stack for the descriptor of one XDP buffer a write builds.
pub(crate) struct XdpSlot(b::xdp_buff);

impl XdpSlot {
    /// An empty slot, all zero: the fields `xdp_init_buff` and `xdp_prepare_buff` leave
    /// alone (`txq`) read as null.
    pub(crate) fn new() -> Self {
        Self(pin_init::zeroed())
    }
}

impl<'a> XdpBuff<'a, TaskFrag> {
    /// A buffer for a written frame of `len` bytes in the task's page fragment, laid out
    /// as tun.c's `tun_build_skb` (`frag_fits(len)` must hold), its data filled from
    /// `src`: `ENOMEM` without memory, `EFAULT` when `src` holds fewer than `len` bytes.
    /// Only for [`run_written`] (see [`TaskFrag`]).
    fn from_iter(
        slot: &'a mut XdpSlot,
        len: usize,
        src: &mut kernel::iov::IovIterSource<'_>,
    ) -> Result<Self> {
        if !frag_fits(len) {
            return Err(EINVAL);
        }
        let size = frag_size(len as u32);
        // SAFETY: `current` is valid in the writer's process context.
        let frag = NonNull::new(unsafe { b::rtun_task_frag() }).ok_or(ENOMEM)?;
        let f = frag.as_ptr();
        // SAFETY: The task's fragment, used only by the task in process context, and by
        // nothing but this buffer until it is kept or dropped (`TaskFrag`); `size` fits
        // a page (`frag_fits`). Aligned as tun.c's.
        let (start, page, offset) = unsafe {
            let a = b::rtun_const_RTUN_SMP_CACHE_BYTES;
            (*f).offset = ((*f).offset + a - 1) & !(a - 1);
            if !b::skb_page_frag_refill(size, f, b::rtun_const_RTUN_GFP_KERNEL) {
                return Err(ENOMEM);
            }
            (
                b::rtun_page_frag_data(f).cast::<u8>(),
                (*f).page,
                (*f).offset,
            )
        };
        let raw = &raw mut slot.0;
        // SAFETY: `raw` is valid for writes; `start` is `size` bytes of which the frame
        // takes `len` after `FRAG_PAD`, with the shared info's room after it. No rxq yet:
        // `run` sets it before a program can look.
        unsafe {
            b::rtun_xdp_init_buff(raw, size, core::ptr::null_mut());
            b::rtun_xdp_prepare_buff(raw, start, FRAG_PAD as i32, len as i32);
        }
        let desc = &mut slot.0;
        // INVARIANT: The descriptor describes the next `size` bytes of the task's
        // fragment, refilled above to hold them.
        let buf = XdpBuff {
            buf: desc,
            owner: TaskFrag {
                pending: Some((frag, page, offset, size)),
            },
        };
        // SAFETY: The frame's `len` bytes lie in the fragment's room, which nothing else
        // uses meanwhile; possibly never written yet, hence `MaybeUninit`.
        let data = unsafe {
            core::slice::from_raw_parts_mut(
                start
                    .add(FRAG_PAD as usize)
                    .cast::<core::mem::MaybeUninit<u8>>(),
                len,
            )
        };
        if src.copy_from_iter_raw(data).len() != len {
            return Err(EFAULT); // `buf` drops: the bytes are left for the next write.
        }
        Ok(buf)
    }
}

impl XdpBuff<'_> {
    /// Whether the frame carries a virtio-net header asking for segmentation offload
    /// (vhost-net puts the header at the buffer's start): such frames go to the program
    /// as skbs, through generic XDP, as in tun.c.
    pub(crate) fn has_gso(&self) -> bool {
        // SAFETY: Vhost-net's buffers start with a `virtio_net_hdr` (module doc).
        unsafe { (*self.buf.data_hard_start.cast::<b::virtio_net_hdr>()).gso_type != 0 }
    }
}

impl<'a, O: BufBytes> XdpBuff<'a, O> {
    /// Runs `prog` on the frame of queue `rxq` of `dev`, then does what it asked, as
    /// tun.c's `tun_xdp_act`: `tx` takes the frame for a reader of `dev` (`XDP_TX`): it
    /// queues or frees it, and fails only when no queue could take it; `XDP_REDIRECT`
    /// hands it on (the caller flushes with [`flush`] before its section ends).
    pub(crate) fn run(
        mut self,
        prog: &XdpProg<'_>,
        rxq: &XdpRxq,
        dev: &NetDev,
        _ctx: &BpfNetCtx<'_>,
        tx: impl FnOnce(XdpFrame) -> Result,
    ) -> XdpVerdict<'a, O> {
        let buf: *mut b::xdp_buff = &mut *self.buf;
        // SAFETY: The buffer is valid and ours; `rxq` outlives the call, and nothing of
        // `buf` keeps pointing at it once we return (a frame copies what it needs).
        let act = unsafe {
            b::rtun_xdp_init_buff(buf, self.frame_sz(), rxq.as_raw());
            b::rtun_bpf_prog_run_xdp(prog.as_raw(), buf)
        };
        let len = self.len() as u32;
        match act {
            b::rtun_const_RTUN_XDP_PASS => XdpVerdict::Pass(self),
            b::rtun_const_RTUN_XDP_REDIRECT => {
                self.owner.keep();
                // SAFETY: A buffer we own, in a BH-off section with a BPF net context
                // (`_ctx`), as the program that asked for the redirect ran; on success
                // the buffer is the target's.
                let r = unsafe { b::xdp_do_redirect(dev.as_raw(), buf, prog.as_raw()) };
                if r == 0 {
                    core::mem::forget(self);
                    XdpVerdict::Redirected(Ok(len))
                } else {
                    XdpVerdict::Redirected(Err(Error::from_errno(r)))
                }
            }
            b::rtun_const_RTUN_XDP_TX => {
                self.owner.keep();
                // SAFETY: A buffer we own; the frame is built in its headroom and takes
                // the buffer's page reference.
                let frame = unsafe { b::rtun_xdp_convert_buff_to_frame(buf) };
                if frame.is_null() {
                    return XdpVerdict::Transmitted(Err(EOVERFLOW));
                }
                core::mem::forget(self);
                // SAFETY: A new frame that owns the buffer.
                let frame = unsafe { XdpFrame::from_raw(frame) };
                // A frame a full ring refused still counts as received (tun.c); only a
                // device without a queue makes it an error.
                XdpVerdict::Transmitted(tx(frame).map(|()| len))
            }
            act => {
                if act != b::rtun_const_RTUN_XDP_DROP {
                    if act != b::rtun_const_RTUN_XDP_ABORTED {
                        // SAFETY: Valid device and program.
                        unsafe { b::bpf_warn_invalid_xdp_action(dev.as_raw(), prog.as_raw(), act) };
                    }
                    // SAFETY: Valid device and program.
                    unsafe { b::rtun_trace_xdp_exception(dev.as_raw(), prog.as_raw(), act) };
                }
                XdpVerdict::Dropped
            }
        }
    }

    fn frame_sz(&self) -> u32 {
        // SAFETY: An XDP buffer's union holds `frame_sz`.
        unsafe { self.buf.__bindgen_anon_1.__bindgen_anon_1.frame_sz }
    }

    /// The frame in an skb: the page becomes the skb's head, the frame (as a program may
    /// have moved it) its data, with the program's metadata. `ENOMEM` when no skb can be
    /// had; the page is freed then.
    fn build_skb(mut self) -> Result<Skb> {
        self.owner.keep();
        let buf = &*self.buf;
        let (start, data, end, meta) = (buf.data_hard_start, buf.data, buf.data_end, buf.data_meta);
        // SAFETY: `start` is the page-fragment buffer of `frame_sz` bytes, room for the
        // shared info at its end included; on success the skb owns the page reference.
        let raw = unsafe { b::build_skb(start, self.frame_sz()) };
        let Some(raw) = core::ptr::NonNull::new(raw) else {
            return Err(ENOMEM); // `self` drops: the page is put back.
        };
        core::mem::forget(self);
        // SAFETY: A new skb we own, whose buffer starts at `start`.
        let mut skb = unsafe { Skb::from_raw(raw) };
        let headroom = data as usize - start as usize;
        // A buffer built without metadata has `data_meta` at `data + 1`: only a positive
        // size is metadata (as tun.c).
        let metasize = data as isize - meta as isize;
        // SAFETY: The frame lies at `headroom..headroom + len` of the skb's buffer; the
        // metadata, if any, right before it; the skb is ours.
        unsafe {
            skb.reserve_put(headroom as u32, (end as usize - data as usize) as u32);
            if metasize > 0 {
                b::rtun_skb_metadata_set(skb.as_raw(), metasize as u8);
            }
        }
        Ok(skb)
    }
}

impl XdpBuff<'_, TaskFrag> {
    /// A written frame in an skb of `dev`, charged to the socket `sk` as tun.c's
    /// `__tun_build_skb` does.
    fn into_written_skb(self, dev: &NetDev, sk: &QueueSock) -> Result<Skb> {
        let mut skb = self.build_skb()?;
        sk.charge(&mut skb);
        // SAFETY: Our skb; the writer holds the device while it hands the skb on.
        unsafe { skb.set_dev(dev) };
        Ok(skb)
    }
}

/// What a program did with a written frame it did not pass (see [`run_written`]).
pub(crate) enum WrittenVerdict {
    /// `XDP_REDIRECT`: the frame's length, or the error (the frame was freed).
    Redirected(Result<u32>),
    /// `XDP_TX`: the frame's length, or the error (freed).
    Transmitted(Result<u32>),
    /// Dropped, aborted or unknown.
    Dropped,
}

/// A frame of `len` bytes written from `src`, through the XDP program in `slot`
/// natively, as tun.c's `tun_build_skb`: the frame is built in the writing task's page
/// fragment and the program runs on it in a bottom-half-off section — if the program is
/// set and `bound` still holds `dev` (the queue's `rxq` is registered for it). Returns
/// the frame in an skb of `dev` charged to `sk` when the program passed it (or none ran);
/// otherwise `None`, after `tx` took a frame to transmit (`XDP_TX`, with the section's
/// proofs) and `settle` saw what became of it (in the section), redirects flushed.
///
/// The frame's bytes belong to the task's fragment until something takes them over
/// ([`TaskFrag`]): only this function's own code runs meanwhile (`tx` and `settle` run
/// after), which is what lets a dropped frame leave them without a page reference.
#[expect(clippy::too_many_arguments)]
pub(crate) fn run_written<T: NetDevOps>(
    src: &mut kernel::iov::IovIterSource<'_>,
    len: usize,
    slot: &BpfSlot,
    rxq: &XdpRxq,
    bound: &RcuDevRef<T>,
    dev: &Dev<T>,
    sk: &QueueSock,
    tx: impl FnOnce(XdpFrame, &RcuSection<'_>, &BhOff<'_>) -> Result,
    settle: impl FnOnce(WrittenVerdict, &NoBh),
) -> Result<Option<Skb>> {
    let mut desc = XdpSlot::new();
    let buf = XdpBuff::from_iter(&mut desc, len, src)?;
    let bh = NoBh::new();
    let pass = BpfNetCtx::with(&bh, |ctx| {
        let rcu = bh.rcu();
        let prog = match slot.xdp(&rcu) {
            Some(prog) if bound.holds(dev, &rcu) => prog,
            // Gone meanwhile (or the queue left the device): no program to run.
            _ => return Some(buf),
        };
        let verdict = match buf.run(&prog, rxq, dev, ctx, |f| tx(f, &rcu, &bh.bh_off())) {
            XdpVerdict::Pass(buf) => return Some(buf),
            XdpVerdict::Redirected(r) => {
                if r.is_ok() {
                    flush(ctx);
                }
                WrittenVerdict::Redirected(r)
            }
            XdpVerdict::Transmitted(r) => WrittenVerdict::Transmitted(r),
            XdpVerdict::Dropped => WrittenVerdict::Dropped,
        };
        settle(verdict, &bh);
        None
    });
    // Built before bottom halves come back on: no softirq runs while the bytes are
    // still the fragment's.
    let skb = pass.map(|buf| buf.into_written_skb(dev, sk)).transpose();
    drop(bh);
    skb
}

/// What a program's verdict came to (tun.c's `tun_xdp_act`).
pub(crate) enum XdpVerdict<'a, O: BufBytes = PageRef> {
    /// `XDP_PASS`: the frame goes on, as the program left it.
    Pass(XdpBuff<'a, O>),
    /// `XDP_REDIRECT`: the frame's length when it was handed on, else the error (the
    /// frame was freed).
    Redirected(Result<u32>),
    /// `XDP_TX`: the frame's length when [`XdpBuff::run`]'s `tx` took it (queued, or
    /// freed for a full ring), else the error (no frame could be built, or no queue
    /// took it; freed).
    Transmitted(Result<u32>),
    /// `XDP_DROP`, `XDP_ABORTED` or an unknown verdict (warned and traced): freed.
    Dropped,
}

/// Sends the frames `XDP_REDIRECT` left in this CPU's queues (`xdp_do_flush`).
pub(crate) fn flush(_ctx: &BpfNetCtx<'_>) {
    // SAFETY: In the BH-off section with the BPF net context the redirects ran in.
    unsafe { b::xdp_do_flush() };
}

/// The task's BPF network context for programs run in a bottom-half-off section of
/// process context (`bpf_net_ctx_set`): where `XDP_REDIRECT` keeps its target until the
/// flush. Only lent to a closure ([`BpfNetCtx::with`]), so the task never keeps a
/// pointer to it past its life. Not `Send`.
pub(crate) struct BpfNetCtx<'a> {
    _bh: PhantomData<&'a NoBh>,
}

impl BpfNetCtx<'_> {
    /// Runs `f` with a context set for the task (or the one it already has).
    pub(crate) fn with<R>(_bh: &NoBh, f: impl FnOnce(&BpfNetCtx<'_>) -> R) -> R {
        let mut storage = core::mem::MaybeUninit::<b::bpf_net_context>::uninit();
        // SAFETY: `storage` outlives the call below, after which the task's pointer to
        // it is cleared; the callee initialises what it uses. It returns null (and sets
        // nothing) when the task has a context already.
        let set = unsafe { b::rtun_bpf_net_ctx_set(storage.as_mut_ptr()) };
        let r = f(&BpfNetCtx { _bh: PhantomData });
        // SAFETY: `set` is what `bpf_net_ctx_set` returned (null: nothing to clear). A
        // panic in `f` would skip this, but the kernel does not unwind.
        unsafe { b::rtun_bpf_net_ctx_clear(set) };
        r
    }
}

/// An XDP program, valid for the read section `'g` in which it was read from its slot.
pub(crate) struct XdpProg<'g> {
    ptr: NonNull<b::bpf_prog>,
    _section: PhantomData<&'g ()>,
}

impl XdpProg<'_> {
    /// # Safety
    ///
    /// `ptr` is a program that stays valid for `'g`.
    pub(crate) unsafe fn new(ptr: NonNull<b::bpf_prog>) -> Self {
        Self {
            ptr,
            _section: PhantomData,
        }
    }

    fn as_raw(&self) -> *mut b::bpf_prog {
        self.ptr.as_ptr()
    }

    /// Generic XDP on an skb (`do_xdp_generic`): the packet back for `XDP_PASS`, else
    /// `None` (the core dropped, transmitted or redirected it).
    pub(crate) fn run_generic(&self, skb: Skb, _bh: &NoBh) -> Option<Skb> {
        let mut raw = skb.into_raw();
        // SAFETY: A valid program and an skb we own, with bottom halves off (an RCU
        // section); the core may replace the skb (a copy), and owns it unless it passes.
        let act = unsafe { b::do_xdp_generic(self.as_raw(), &mut raw) };
        if act != b::rtun_const_RTUN_XDP_PASS as i32 {
            return None;
        }
        // SAFETY: Passed: `raw` is the (possibly new) skb, ours again.
        Some(unsafe { Skb::from_raw(NonNull::new_unchecked(raw)) })
    }
}

/// An XDP frame this value owns: given back to its memory model when dropped.
///
/// # Invariants
///
/// `ptr` is a valid frame whose ownership this value holds.
pub(crate) struct XdpFrame {
    ptr: NonNull<b::xdp_frame>,
}

// SAFETY: A frame may be freed and read from any thread.
unsafe impl Send for XdpFrame {}

impl XdpFrame {
    /// # Safety
    ///
    /// `ptr` is a valid frame whose ownership passes to the value.
    pub(crate) unsafe fn from_raw(ptr: *mut b::xdp_frame) -> Self {
        // SAFETY: Per the caller, a valid frame: not null.
        let ptr = unsafe { NonNull::new_unchecked(ptr) };
        // INVARIANT: Per the caller, the frame is ours.
        Self { ptr }
    }

    /// The frame, whose ownership passes to the caller.
    pub(crate) fn into_raw(self) -> *mut b::xdp_frame {
        let p = self.ptr.as_ptr();
        core::mem::forget(self);
        p
    }

    /// The frame's length.
    pub(crate) fn len(&self) -> usize {
        // SAFETY: A valid frame (type invariant).
        unsafe { (*self.ptr.as_ptr()).len as usize }
    }

    /// The frame's bytes.
    pub(crate) fn data(&self) -> &[u8] {
        // SAFETY: A valid frame's `data` holds `len` bytes, alive as long as the frame.
        unsafe {
            let f = &*self.ptr.as_ptr();
            core::slice::from_raw_parts(f.data.cast::<u8>(), f.len as usize)
        }
    }
}

impl Drop for XdpFrame {
    fn drop(&mut self) {
        // SAFETY: We own the frame (type invariant).
        unsafe { b::xdp_return_frame(self.ptr.as_ptr()) };
    }
}

/// The frames of one `ndo_xdp_xmit` call: the callee takes a prefix of them; the rest
/// stay the caller's.
///
/// # Invariants
///
/// `frames[next..]` are valid frames the caller lends; `frames[..next]` were taken.
pub(crate) struct XdpXmitFrames<'a> {
    frames: &'a [*mut b::xdp_frame],
}

impl<'a> XdpXmitFrames<'a> {
    /// # Safety
    ///
    /// `frames` holds `n` valid frames, each of which passes to the callee if taken.
    pub(crate) unsafe fn from_raw(frames: *mut *mut b::xdp_frame, n: usize) -> Self {
        // SAFETY: Per the caller, `n` valid frame pointers, lent for the call.
        let frames = unsafe { core::slice::from_raw_parts(frames, n) };
        Self { frames }
    }

    /// How many frames there are.
    pub(crate) fn len(&self) -> usize {
        self.frames.len()
    }

    /// Hands the frames to `take` in order until it refuses one (handing it back) or all
    /// are taken; returns how many were taken.
    pub(crate) fn take_while(self, mut take: impl FnMut(XdpFrame) -> Result<(), XdpFrame>) -> u32 {
        let mut n = 0;
        for &f in self.frames {
            // SAFETY: A valid frame of the caller's, which is ours once taken.
            let frame = unsafe { XdpFrame::from_raw(f) };
            if let Err(frame) = take(frame) {
                // Refused: it stays the caller's, to free.
                core::mem::forget(frame);
                break;
            }
            n += 1;
        }
        n
    }
}

/// The receive-queue information an XDP program and the frames it makes see of a queue
/// (`struct xdp_rxq_info`): registered while the queue belongs to a device.
///
/// A program reads it only while it runs on a packet written to this queue, in a read
/// section that found the program set and the queue bound to the device. Unbinding and
/// unregistering happen under RTNL after the program is detached (the core detaches it
/// before `ndo_uninit`) or when the file is closed (no more writes), so no program sees it
/// unregistered.
#[pin_data]
pub(crate) struct XdpRxq {
    #[pin]
    inner: Opaque<b::xdp_rxq_info>,
}

// SAFETY: Changed only under RTNL; read by programs as described above.
unsafe impl Send for XdpRxq {}
// SAFETY: `&XdpRxq` methods only read the registration, which changes only under RTNL.
unsafe impl Sync for XdpRxq {}

impl XdpRxq {
    /// Not registered (`REG_STATE_NEW`: all zero).
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner: Opaque::zeroed(),
        })
    }

    fn as_raw(&self) -> *mut b::xdp_rxq_info {
        self.inner.get()
    }

    /// Registers the queue as `index` of `dev` (tun.c's `tun_attach` for a new file).
    pub(crate) fn register(&self, dev: &NetDev, index: u32, _rtnl: &Rtnl) -> Result {
        // SAFETY: RTNL serialises registration; the info is not registered (it is
        // unregistered whenever the queue leaves a device); `dev` outlives the
        // registration, which ends before the queue leaves it.
        to_result(unsafe { b::rtun_xdp_rxq_info_reg(self.as_raw(), dev.as_raw(), index) })?;
        // SAFETY: Registered above; the page-shared model needs no allocator.
        let r = unsafe {
            b::xdp_rxq_info_reg_mem_model(
                self.as_raw(),
                b::rtun_const_RTUN_MEM_TYPE_PAGE_SHARED,
                core::ptr::null_mut(),
            )
        };
        if r < 0 {
            // SAFETY: Registered above.
            unsafe { b::xdp_rxq_info_unreg(self.as_raw()) };
            return Err(Error::from_errno(r));
        }
        Ok(())
    }

    /// The queue's new index (a queue moved into a freed slot, or re-enabled).
    pub(crate) fn set_queue_index(&self, index: u32, _rtnl: &Rtnl) {
        // SAFETY: A plain `u32` that programs may read concurrently (tun.c writes it the
        // same way); RTNL serialises writers.
        unsafe { core::ptr::write_volatile(&raw mut (*self.as_raw()).queue_index, index) };
    }

    /// Unregisters the queue (no-op when it is not registered).
    pub(crate) fn unregister(&self, _rtnl: &Rtnl) {
        // SAFETY: RTNL serialises this with `register`; no program can see the info
        // any more (type documentation). Only a registered info may be unregistered
        // (the core warns otherwise), which is checked under the same RTNL.
        unsafe {
            if b::xdp_rxq_info_is_reg(self.as_raw()) {
                b::xdp_rxq_info_unreg(self.as_raw());
            }
        }
    }
}
