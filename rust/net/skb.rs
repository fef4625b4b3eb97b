// SPDX-License-Identifier: GPL-2.0

//! An owned socket buffer that cannot be leaked.
//!
//! An [`Skb`] ends in exactly one of: [`Skb::consume`] (delivered), [`Skb::drop_reason`]
//! (dropped, with the reason drop monitors see), a hand-off to the stack (`NetDev::rx`) or a
//! ring, or `Drop` — which frees it as a drop with reason `NOT_SPECIFIED`.

use core::ptr::NonNull;
use kernel::{
    iov::{IovIterDest, IovIterSource},
    prelude::*,
};

use crate::bindings as b;
use crate::net::netdev::NetDev;

/// Why a packet was dropped (the kernel's `enum skb_drop_reason`).
pub(crate) type DropReason = b::skb_drop_reason;
pub(crate) use b::{
    skb_drop_reason_SKB_DROP_REASON_DEV_READY as DROP_DEV_READY,
    skb_drop_reason_SKB_DROP_REASON_FULL_RING as DROP_FULL_RING,
    skb_drop_reason_SKB_DROP_REASON_HDR_TRUNC as DROP_HDR_TRUNC,
    skb_drop_reason_SKB_DROP_REASON_NOMEM as DROP_NOMEM,
    skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED as DROP_NOT_SPECIFIED,
    skb_drop_reason_SKB_DROP_REASON_SKB_UCOPY_FAULT as DROP_UCOPY_FAULT,
    skb_drop_reason_SKB_DROP_REASON_TAP_FILTER as DROP_TAP_FILTER,
    skb_drop_reason_SKB_DROP_REASON_TAP_TXFILTER as DROP_TAP_TXFILTER,
};

/// `PAGE_SIZE`.
pub(crate) const PAGE_SIZE: u32 = b::rtun_const_RTUN_PAGE_SIZE;
/// `NET_SKB_PAD`: `max(32, L1_CACHE_BYTES)` in skbuff.h.
const NET_SKB_PAD: u32 = if b::rtun_const_RTUN_L1_CACHE_BYTES > 32 {
    b::rtun_const_RTUN_L1_CACHE_BYTES
} else {
    32
};
/// Headroom reserved in front of a written packet (`NET_SKB_PAD + NET_IP_ALIGN`).
pub(crate) const WRITE_HEADROOM: u32 = NET_SKB_PAD + b::rtun_const_RTUN_NET_IP_ALIGN;
/// The longest linear part that fits a page with that headroom and the shared info
/// (`SKB_MAX_HEAD(WRITE_HEADROOM)`).
pub(crate) const MAX_HEAD: u32 = PAGE_SIZE - WRITE_HEADROOM - b::rtun_const_RTUN_SKB_SHINFO_SIZE;
/// The most bytes an skb's page fragments hold when allocated for a write
/// (`MAX_SKB_FRAGS` fragments of `PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER`).
pub(crate) const MAX_FRAGS_LEN: u32 =
    b::rtun_const_RTUN_MAX_SKB_FRAGS * (PAGE_SIZE << b::rtun_const_RTUN_PAGE_ALLOC_COSTLY_ORDER);

/// The type of `skb->headers` (bindgen's name for an anonymous struct): checked against
/// the field's by [`union_member`], so a config that renumbers it fails to build.
type SkbHeaders = b::sk_buff__bindgen_ty_4__bindgen_ty_2;

/// A pointer to the member of a C union that bindgen emits as a zero-sized
/// `__BindgenUnionField<T>` (it could not make the union a Rust one): the member starts
/// where the field is, and a pointer derived from the enclosing object's reaches all of
/// it (which bindgen's `as_ref`, a borrow of the zero-sized field, does not promise).
fn union_member<T>(field: *mut b::__BindgenUnionField<T>) -> *mut T {
    field.cast()
}

// bindgen's layout of the fields reached through it, against clang's (bindgen runs with
// `--no-layout-tests`): a mismatch fails the build.
const _: () = {
    use core::mem::offset_of;
    const HEADERS: usize = offset_of!(b::sk_buff, __bindgen_anon_4);
    assert!(size_of::<b::sk_buff>() == b::rtun_const_RTUN_SKB_SIZE as usize);
    assert!(
        offset_of!(
            b::sk_buff,
            __bindgen_anon_1.__bindgen_anon_1.__bindgen_anon_1.dev
        ) == b::rtun_const_RTUN_SKB_DEV_OFFSET as usize
    );
    assert!(
        HEADERS + offset_of!(SkbHeaders, protocol)
            == b::rtun_const_RTUN_SKB_PROTOCOL_OFFSET as usize
    );
    assert!(
        HEADERS + offset_of!(SkbHeaders, network_header)
            == b::rtun_const_RTUN_SKB_NETWORK_HEADER_OFFSET as usize
    );
    assert!(
        HEADERS + offset_of!(SkbHeaders, mac_header)
            == b::rtun_const_RTUN_SKB_MAC_HEADER_OFFSET as usize
    );
    assert!(
        HEADERS + offset_of!(SkbHeaders, __bindgen_anon_2.__bindgen_anon_1.vlan_proto)
            == b::rtun_const_RTUN_SKB_VLAN_PROTO_OFFSET as usize
    );
    assert!(
        HEADERS + offset_of!(SkbHeaders, __bindgen_anon_2.__bindgen_anon_1.vlan_tci)
            == b::rtun_const_RTUN_SKB_VLAN_TCI_OFFSET as usize
    );
    assert!(offset_of!(b::sk_buff, data) == b::rtun_const_RTUN_SKB_DATA_OFFSET as usize);
    assert!(offset_of!(b::sk_buff, head) == b::rtun_const_RTUN_SKB_HEAD_OFFSET as usize);
};

/// An owned `struct sk_buff`.
///
/// # Invariants
///
/// `ptr` points to a valid skb that this value owns exclusively.
pub(crate) struct Skb {
    ptr: NonNull<b::sk_buff>,
}

// SAFETY: An skb is not tied to the thread that allocated it.
unsafe impl Send for Skb {}

// `tail` and `end` are offsets from `head` (`NET_SKBUFF_DATA_USES_OFFSET`, every 64-bit
// kernel), which `lay_out_new` adds to; on 32-bit they are pointers.
const _: () = assert!(core::mem::size_of::<b::sk_buff_data_t>() == 4);

impl Skb {
    /// Takes ownership of a raw skb.
    ///
    /// # Safety
    ///
    /// `ptr` must be a valid skb that the caller owns and gives up.
    pub(crate) unsafe fn from_raw(ptr: NonNull<b::sk_buff>) -> Self {
        // INVARIANT: Per the safety requirement.
        Self { ptr }
    }

    /// Gives up ownership, returning the raw pointer.
    pub(crate) fn into_raw(self) -> *mut b::sk_buff {
        let ptr = self.ptr.as_ptr();
        core::mem::forget(self);
        ptr
    }

    /// The raw pointer, still owned by `self`.
    pub(crate) fn as_raw(&self) -> *mut b::sk_buff {
        self.ptr.as_ptr()
    }

    /// `skb->headers`, the struct group of the fields the stack parses a packet into
    /// (`protocol`, the header offsets, the VLAN tag, ...).
    ///
    /// Those fields, and `dev`, sit in anonymous unions, which bindgen names
    /// `__bindgen_anon_N` by position, as the kernel crate's own accessors use them
    /// (`mm/virt.rs`, `iov.rs`): a config that renumbers them breaks the build rather
    /// than misreading. Each read or write below is one plain load or store.
    fn headers(&self) -> *mut SkbHeaders {
        // SAFETY: `self.ptr` is valid by the type invariant; this only takes the address
        // of a field.
        union_member(unsafe { &raw mut (*self.as_raw()).__bindgen_anon_4.headers })
    }

    /// `skb->data`: where the packet's linear part starts.
    fn data_ptr(&self) -> *mut u8 {
        // SAFETY: `self.ptr` is valid by the type invariant.
        unsafe { (*self.as_raw()).data }
    }

    /// Sets `skb->dev`.
    ///
    /// # Safety
    ///
    /// `dev` stays alive while the skb may use it: the caller holds the device until it
    /// hands the skb to the stack (which holds it from there), or frees the skb.
    pub(crate) unsafe fn set_dev(&mut self, dev: &NetDev) {
        // SAFETY: `self.ptr` is valid and owned by the type invariant, and `dev` is in the
        // union with `dev_scratch`, which it replaces as the kernel's writers do; the
        // device's lifetime is the caller's promise.
        unsafe {
            (*self.as_raw())
                .__bindgen_anon_1
                .__bindgen_anon_1
                .__bindgen_anon_1
                .dev = dev.as_raw()
        }
    }

    /// `skb_reserve(headroom)` then `skb_put(linear)` on a new skb, without a call.
    ///
    /// # Safety
    ///
    /// The skb is new and linear (nothing reserved or put yet, `data == head`), with room
    /// for `headroom + linear` bytes in its head.
    pub(crate) unsafe fn reserve_put(&mut self, headroom: u32, linear: u32) {
        let skb = self.as_raw();
        // SAFETY: `skb` is valid and owned (type invariant); per the caller, `data +
        // headroom` and `tail + headroom + linear` stay within the head (`skb_put`'s check
        // against `end` cannot fail), and `len` then counts the put bytes.
        unsafe {
            (*skb).data = (*skb).data.add(headroom as usize);
            let tail = (*skb).tail + headroom + linear;
            // `skb_put`'s check (`skb_over_panic`), which the caller's promise makes moot.
            debug_assert!(tail <= (*skb).end);
            (*skb).tail = tail;
            (*skb).len += linear;
        }
    }

    /// The layout tun.c's `tun_alloc_skb` gives a packet userspace writes: for `dev`,
    /// `headroom` bytes reserved, `linear` bytes of head and `paged` bytes of fragments,
    /// contents not yet written.
    ///
    /// # Safety
    ///
    /// As for `reserve_put`, and `paged` bytes of fragments allocated; as for `set_dev`.
    pub(crate) unsafe fn lay_out_new(
        &mut self,
        dev: &NetDev,
        headroom: u32,
        linear: u32,
        paged: u32,
    ) {
        // SAFETY: Per the caller; then `data_len` and `len` describe the fragments too.
        unsafe {
            self.set_dev(dev);
            self.reserve_put(headroom, linear);
            let skb = self.as_raw();
            (*skb).data_len = paged;
            (*skb).len += paged;
        }
    }

    /// Total length of the packet data.
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: `self.ptr` is valid by the type invariant.
        unsafe { (*self.as_raw()).len }
    }

    /// The protocol (`skb->protocol`), in network byte order.
    pub(crate) fn protocol_be(&self) -> u16 {
        // SAFETY: `headers()` points into the valid skb (type invariant).
        unsafe { (*self.headers()).protocol }
    }

    /// Sets `skb->protocol` (network byte order).
    pub(crate) fn set_protocol_be(&mut self, proto: u16) {
        // SAFETY: `headers()` points into the valid skb we own (type invariant); any
        // value is a protocol (an unknown one is dropped by the stack).
        unsafe { (*self.headers()).protocol = proto }
    }

    /// The packet's GSO type (`SKB_GSO_*`) and segment size, from its shared info.
    pub(crate) fn gso_type_size(&self) -> (u32, u16) {
        // SAFETY: `self.ptr` is valid by the type invariant, and so is its shared info.
        unsafe {
            let shinfo = b::rtun_skb_shinfo(self.as_raw());
            ((*shinfo).gso_type, (*shinfo).gso_size)
        }
    }

    /// `skb->head`: the start of the head buffer, headroom included.
    pub(crate) fn head(&self) -> *const u8 {
        // SAFETY: `self.ptr` is valid by the type invariant.
        unsafe { (*self.as_raw()).head }
    }

    /// The transmit queue the stack chose for this packet (`skb_get_queue_mapping`).
    pub(crate) fn queue_mapping(&self) -> u16 {
        // SAFETY: `self.ptr` is valid by the type invariant.
        unsafe { (*self.as_raw()).queue_mapping }
    }

    /// The symmetric flow hash (same for both directions of a flow).
    pub(crate) fn hash_symmetric(&self) -> u32 {
        // SAFETY: `self.ptr` is valid.
        unsafe { b::rtun_skb_get_hash_symmetric(self.as_raw()) }
    }

    /// The VLAN tag the stack left out of the packet data (`(proto, tci)`, proto
    /// big-endian), if any.
    pub(crate) fn vlan_tag(&self) -> Option<(u16, u16)> {
        // SAFETY: `headers()` points into the valid skb (type invariant); the tag's two
        // fields overlay `vlan_all`, any value of which is a pair of them.
        let tag = unsafe { (*self.headers()).__bindgen_anon_2.__bindgen_anon_1 };
        let (proto, tci) = (tag.vlan_proto, tag.vlan_tci);
        // skb_vlan_tag_present(): the two fields together (`vlan_all`) are not zero.
        (proto != 0 || tci != 0).then_some((proto, tci))
    }

    /// The length a reader gets: the data, and the VLAN tag put back if the stack kept
    /// it out of the data (`__skb_array_len_with_tag`).
    pub(crate) fn len_with_vlan_tag(&self) -> u32 {
        const VLAN_HLEN: u32 = b::rtun_const_RTUN_VLAN_HLEN;
        self.len()
            + if self.vlan_tag().is_some() {
                VLAN_HLEN
            } else {
                0
            }
    }

    /// Makes the first `len` bytes linear; false when the packet is shorter.
    pub(crate) fn may_pull(&mut self, len: u32) -> bool {
        // SAFETY: `self.ptr` is valid and owned.
        unsafe { b::rtun_pskb_may_pull(self.as_raw(), len) }
    }

    /// The first byte of the packet, if there is one (call `may_pull(1)` first).
    pub(crate) fn first_byte(&mut self) -> Option<u8> {
        if !self.may_pull(1) {
            return None;
        }
        // SAFETY: `may_pull(1)` made at least one byte at `skb->data` linear.
        Some(unsafe { *self.data_ptr() })
    }

    /// The destination of an Ethernet frame (its first 6 bytes), if it has them.
    pub(crate) fn eth_dest(&mut self) -> Option<[u8; 6]> {
        if !self.may_pull(6) {
            return None;
        }
        let mut dest = [0u8; 6];
        // SAFETY: `may_pull(6)` made 6 bytes at `skb->data` linear.
        let data = unsafe { core::slice::from_raw_parts(self.data_ptr(), 6) };
        dest.copy_from_slice(data);
        Some(dest)
    }

    /// Fills the whole packet (as sized by `QueueSock::alloc_send_skb`) from `src`.
    pub(crate) fn fill_from_iter(&mut self, src: &mut IovIterSource<'_>) -> Result {
        let len = self.len();
        // SAFETY: `self.ptr` is valid and owned; `src.as_raw()` is a valid iterator; the
        // copy writes the packet's own `len` bytes, linear head and fragments.
        let r = unsafe {
            b::skb_copy_datagram_from_iter(self.as_raw(), 0, src.as_raw().cast(), len as i32)
        };
        if r != 0 {
            return Err(EFAULT);
        }
        Ok(())
    }

    /// Fills the packet from `src` for a zero-copy send: the linear part is copied, the
    /// rest of `src` becomes fragments that point at the sender's pages (pinned, not
    /// copied; charged to the skb's socket).
    ///
    /// # Safety
    ///
    /// The skb is owned by a socket (`skb->sk`, which the charge goes to) and has no
    /// fragments yet: [`QueueSock::alloc_zero_copy_skb`] allocates it so.
    ///
    /// [`QueueSock::alloc_zero_copy_skb`]: crate::net::sock::QueueSock::alloc_zero_copy_skb
    pub(super) unsafe fn fill_zero_copy_from_iter(
        &mut self,
        src: &mut IovIterSource<'_>,
    ) -> Result {
        // SAFETY: `self.ptr` is valid and owned, with a socket (per the caller);
        // `src.as_raw()` is a valid iterator. The function copies at most the linear part's
        // length and appends the rest of the iterator as fragments, growing `len` and
        // `truesize` to match.
        let r = unsafe { b::zerocopy_sg_from_iter(self.as_raw(), src.as_raw().cast()) };
        if r != 0 {
            return Err(EFAULT);
        }
        Ok(())
    }

    /// Hands the sender's completion to the packet: the sender gets its pages back when
    /// the packet (or the last copy of its fragments) is freed. For the packet whose
    /// fragments [`QueueSock::alloc_zero_copy_skb`] pinned: a completion attached to any
    /// other is run when that one is freed, which is safe but frees the pages early.
    ///
    /// [`QueueSock::alloc_zero_copy_skb`]: crate::net::sock::QueueSock::alloc_zero_copy_skb
    pub(crate) fn attach_zero_copy(&mut self, zc: ZeroCopy) {
        // SAFETY: `self.ptr` is valid and owned; `zc` is a live completion that passes
        // to the skb here (`ZeroCopy` invariant), which runs it when freed.
        unsafe { b::rtun_skb_zcopy_init(self.as_raw(), zc.ptr.as_ptr()) };
    }

    /// Copies `len` bytes of the packet from `offset` into `dest`.
    pub(crate) fn copy_to_iter(&self, offset: u32, dest: &mut IovIterDest<'_>, len: u32) -> Result {
        // SAFETY: `self.ptr` is valid; `dest.as_raw()` is a valid iterator; the kernel
        // function checks `offset + len` against the packet.
        let r = unsafe {
            b::skb_copy_datagram_iter(
                self.as_raw(),
                offset as i32,
                dest.as_raw().cast(),
                len as i32,
            )
        };
        if r != 0 {
            return Err(EFAULT);
        }
        Ok(())
    }

    /// Sets the network header `offset` bytes after `skb->data` (`skb_set_network_header`:
    /// kept as an offset from `skb->head`, in 16 bits, as the kernel keeps it).
    pub(crate) fn set_network_header(&mut self, offset: i32) {
        let from_head = self.offset_from_head(offset);
        // SAFETY: `headers()` points into the valid skb we own (type invariant);
        // `network_header` is an offset from `head`, stored as `skb_set_network_header`
        // stores it.
        unsafe { (*self.headers()).network_header = from_head }
    }

    /// Sets the mac header at `skb->data` (`skb_reset_mac_header`), as a packet without a
    /// link-layer header (TUN) needs: the stack takes `data - mac header` for the length
    /// of that header (generic XDP shows the program the packet from there), and an unset
    /// mac header would be `head + 0xffff`.
    pub(crate) fn reset_mac_header(&mut self) {
        let from_head = self.offset_from_head(0);
        // SAFETY: `headers()` points into the valid skb we own (type invariant);
        // `mac_header` is an offset from `head`, stored as `skb_reset_mac_header` stores
        // it.
        unsafe { (*self.headers()).mac_header = from_head }
    }

    /// `offset` bytes after `skb->data`, as the 16-bit offset from `skb->head` the kernel
    /// keeps its header positions in; the truncation is the kernel's own
    /// (`skb_reset_network_header` stores `data - head` the same way).
    fn offset_from_head(&self, offset: i32) -> u16 {
        // SAFETY: `self.ptr` is valid by the type invariant.
        let head = unsafe { (*self.as_raw()).head };
        ((self.data_ptr() as isize).wrapping_sub(head as isize) + offset as isize) as u16
    }

    /// Lets the flow dissector find the transport header.
    pub(crate) fn probe_transport_header(&mut self) {
        // SAFETY: `self.ptr` is valid and owned.
        unsafe { b::rtun_skb_probe_transport_header(self.as_raw()) }
    }

    /// Ethernet: sets protocol and pkt_type from the header and pulls it (`eth_type_trans`).
    /// Fails, changing nothing, unless the header is in the linear part (`may_pull`).
    pub(crate) fn eth_type_trans(&mut self, dev: &NetDev) -> Result {
        // SAFETY: `self.ptr` is valid by the type invariant.
        let headlen = unsafe { (*self.as_raw()).len - (*self.as_raw()).data_len };
        if headlen < b::rtun_const_RTUN_ETH_HLEN {
            return Err(EINVAL);
        }
        // SAFETY: `self.ptr` is valid, owned, and has ETH_HLEN linear bytes (checked
        // above); `dev` is a valid net_device.
        let proto = unsafe { b::eth_type_trans(self.as_raw(), dev.as_raw()) };
        self.set_protocol_be(proto);
        Ok(())
    }

    /// Readies an skb the driver will hold for an unbounded time: zerocopy fragments
    /// copied, timestamp, orphan (so the sending socket is not held back), conntrack
    /// reference dropped. Fails when the copy cannot be allocated.
    /// tun.c's `tun_net_xmit()` does the same, in the same order.
    pub(crate) fn prepare_to_queue(&mut self) -> Result {
        let skb = self.as_raw();
        // SAFETY: `skb` is valid and owned; the copy is allocated atomically.
        if unsafe { b::rtun_skb_orphan_frags_rx(skb) } != 0 {
            return Err(ENOMEM);
        }
        // SAFETY: `skb` is valid and owned. The timestamp comes before the orphan, which
        // drops the socket the timestamp is reported to.
        unsafe {
            b::rtun_skb_tx_timestamp(skb);
            b::rtun_skb_orphan(skb);
            b::rtun_nf_reset_ct(skb);
        }
        Ok(())
    }

    /// Frees a packet the device could not transmit: its zerocopy sender is told
    /// (`skb_tx_error`), then it is dropped for `reason`.
    pub(crate) fn tx_drop(self, reason: DropReason) {
        // SAFETY: `self.ptr` is valid and owned.
        unsafe { b::skb_tx_error(self.as_raw()) };
        self.drop_reason(reason)
    }

    /// Records the receive queue the packet arrived on (`skb_record_rx_queue`).
    pub(crate) fn record_rx_queue(&mut self, queue: u16) {
        // SAFETY: `self.ptr` is valid and owned (type invariant); `skb_record_rx_queue`
        // stores the queue plus one (0: not recorded), wrapping as this does.
        unsafe { (*self.as_raw()).queue_mapping = queue.wrapping_add(1) }
    }

    /// Cuts the packet to its first `len` bytes (nothing if it is not longer).
    pub(crate) fn trim(&mut self, len: u32) -> Result {
        // SAFETY: `self.ptr` is valid and owned.
        kernel::error::to_result(unsafe { b::rtun_pskb_trim(self.as_raw(), len) })
    }

    /// Frees the skb as delivered (not a drop).
    pub(crate) fn consume(self) {
        // SAFETY: We own the skb and give it up here.
        unsafe { b::rtun_consume_skb(self.into_raw()) }
    }

    /// Frees the skb as a drop, for `reason`.
    pub(crate) fn drop_reason(self, reason: DropReason) {
        // SAFETY: We own the skb and give it up here.
        unsafe { b::rtun_kfree_skb_reason(self.into_raw(), reason) }
    }
}

impl Drop for Skb {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the skb; nothing uses it after this.
        unsafe { b::rtun_kfree_skb_reason(self.ptr.as_ptr(), DROP_NOT_SPECIFIED) }
    }
}

/// Whether the data of `src` after its first `head` bytes fits an skb's fragments as
/// pinned user pages (tun.c's test before a zero-copy send). `src` does not move.
pub(crate) fn zero_copy_fits(src: &mut IovIterSource<'_>, head: u32) -> bool {
    // Counted on a copy, so that `src` does not move: an `iov_iter` is a plain value
    // (its position and segment pointers), which the C code copies the same way.
    // SAFETY: `src.as_raw()` is a valid iterator, borrowed for the call.
    let mut it = unsafe { src.as_raw().cast::<b::iov_iter>().read() };
    // SAFETY: `it` is a valid iterator over the same memory as `src`; advancing and
    // counting only move and read the copy.
    let pages = unsafe {
        b::iov_iter_advance(&mut it, head as usize);
        b::iov_iter_npages(&it, i32::MAX)
    };
    pages <= b::rtun_const_RTUN_MAX_SKB_FRAGS as i32
}

/// A zero-copy send's completion (`struct ubuf_info`): vhost-net lends one with a frame
/// (`TUN_MSG_UBUF`) whose data may stay in its own pages until the packet is freed.
///
/// A send that succeeds ends it in one of [`Skb::attach_zero_copy`] or
/// [`ZeroCopy::copied`]. Dropping it does nothing: a send that fails before either leaves
/// the completion to the sender, which vhost-net then undoes itself (running it as well
/// would let vhost-net reuse a buffer the completion just returned, on the errors it
/// retries: `EAGAIN`, `ENOMEM`, `ENOBUFS`). A send that fails after attaching it frees the
/// packet, which runs the completion: it must fail with another error (tun.c: `EIO`).
///
/// # Invariants
///
/// `ptr` is a valid `ubuf_info` that nobody has completed, valid until it is.
pub(crate) struct ZeroCopy {
    ptr: NonNull<b::ubuf_info>,
}

impl ZeroCopy {
    /// Takes the completion a sender lent with a frame; `None` for a null pointer.
    ///
    /// # Safety
    ///
    /// A non-null `ptr` must be a valid `ubuf_info` that is not completed yet, lent for
    /// the duration of one send.
    pub(crate) unsafe fn from_raw(ptr: *mut core::ffi::c_void) -> Option<Self> {
        // INVARIANT: Per the safety requirement.
        NonNull::new(ptr.cast()).map(|ptr| Self { ptr })
    }

    /// Completes the send now: the frame was copied, so the sender may reuse its pages.
    pub(crate) fn copied(self) {
        // SAFETY: A live, uncompleted completion (type invariant), completed once: `self`
        // is consumed.
        unsafe { b::rtun_ubuf_complete_copied(self.ptr.as_ptr()) };
    }
}
