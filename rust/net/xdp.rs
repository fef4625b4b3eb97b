// SPDX-License-Identifier: GPL-2.0

//! Batches of frames in XDP buffers, as vhost-net sends them (`TUN_MSG_PTR`).
//!
//! vhost-net builds each guest frame in a page fragment: the virtio-net header at
//! `data_hard_start`, the frame at `data..data_end`, `frame_sz` bytes in all with room for
//! the shared info at the end. The receiver owns every page reference from the moment
//! `sendmsg` is called: each buffer becomes an skb around its page (`build_skb`) or is
//! dropped (`put_page`). [`XdpBuff`] makes that "exactly one of the two" a type: it is
//! either turned into an [`Skb`] or put back when dropped.

use core::marker::PhantomData;
use kernel::{error::to_result, prelude::*};

use crate::bindings as b;
use crate::net::netdev::NetDev;
use crate::net::skb::Skb;

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
        // INVARIANT: per the safety requirement.
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
        // INVARIANT: the reference passes from the batch to the buffer.
        Some(XdpBuff { buf })
    }
}

impl Drop for XdpBatch<'_> {
    fn drop(&mut self) {
        // The buffers nobody took are consumed: freed.
        while self.next < self.len {
            // SAFETY: `next < len`: a valid buffer whose page reference we own.
            let buf = unsafe { &mut *self.bufs.add(self.next) };
            self.next += 1;
            drop(XdpBuff { buf });
        }
    }
}

/// One frame of a batch, owning a reference to its page: freed when dropped.
///
/// # Invariants
///
/// `buf` is a valid XDP buffer as vhost-net builds them, whose page reference this value
/// owns.
pub(crate) struct XdpBuff<'a> {
    buf: &'a mut b::xdp_buff,
}

impl XdpBuff<'_> {
    /// The frame's length, without the virtio-net header.
    pub(crate) fn len(&self) -> usize {
        self.buf.data_end as usize - self.buf.data as usize
    }

    /// The frame in an skb of `dev` (tun.c's `tun_xdp_one`): the page becomes the skb's
    /// head, the frame its data, and the virtio-net header in front of it (`sz` bytes,
    /// `flags` as the device's) is applied — `EINVAL` for one that cannot be, `ENOMEM`
    /// when no skb can be had; the page is freed then.
    pub(crate) fn into_skb(self, dev: &NetDev, sz: i32, flags: u32) -> Result<Skb> {
        let buf = &*self.buf;
        let (start, data, end, meta) = (buf.data_hard_start, buf.data, buf.data_end, buf.data_meta);
        // SAFETY: an XDP buffer's union holds `frame_sz`, set by vhost-net.
        let frame_sz = unsafe { buf.__bindgen_anon_1.__bindgen_anon_1.frame_sz };
        // SAFETY: `start` is the page-fragment buffer of `frame_sz` bytes vhost-net built,
        // room for the shared info at its end included; on success the skb owns the page
        // reference.
        let raw = unsafe { b::build_skb(start, frame_sz) };
        let Some(raw) = core::ptr::NonNull::new(raw) else {
            return Err(ENOMEM); // `self` drops: the page is put back.
        };
        core::mem::forget(self);
        // SAFETY: a new skb we own, whose buffer starts at `start`.
        let mut skb = unsafe { Skb::from_raw(raw) };
        let headroom = data as usize - start as usize;
        // The externally built buffer may have no metadata, marked by `data_meta` being
        // `data + 1`: only a positive size is metadata (as tun.c).
        let metasize = data as isize - meta as isize;
        // SAFETY: the frame lies at `headroom..headroom + len` of the skb's buffer; the
        // metadata, if any, right before it; the virtio-net header at its start, which
        // the skb keeps alive; the skb is ours.
        unsafe {
            b::rtun_skb_reserve(skb.as_raw(), headroom as i32);
            b::skb_put(skb.as_raw(), (end as usize - data as usize) as u32);
            if metasize > 0 {
                b::rtun_skb_metadata_set(skb.as_raw(), metasize as u8);
            }
            b::rtun_skb_set_dev(skb.as_raw(), dev.as_raw());
            skb.set_network_header(b::rtun_const_RTUN_ETH_HLEN as i32);
            to_result(b::rtun_vnet_hdr_to_skb(sz, flags, skb.as_raw(), start))?;
        }
        Ok(skb)
    }
}

impl Drop for XdpBuff<'_> {
    fn drop(&mut self) {
        // SAFETY: the buffer's page reference is ours (type invariant); `data` points
        // into that page.
        unsafe { b::rtun_put_page_of(self.buf.data) };
    }
}
