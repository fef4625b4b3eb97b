// SPDX-License-Identifier: GPL-2.0

//! An RCU-protected array of `Arc`s: lock-free readers, writers serialised by RTNL.
//!
//! Readers see a consistent snapshot for the length of their RCU read section. A writer
//! publishes a new array; an element removed from the array stays alive until no reader can
//! still hold a reference from it.
//!
//! Removing never allocates, as tun.c's detach allocates nothing: the array keeps a spare
//! snapshot with room for its current length minus one, reserved when it grows. That is
//! what lets a closing file leave its device in every case.
//!
//! Writers take `&mut Rtnl`, RTNL holders who only look take `&Rtnl`: a slice borrowed
//! through [`RcuArray::read_rtnl`] keeps the token borrowed, so the borrow checker proves
//! that no writer can free the snapshot under it.

use kernel::sync::atomic::{Acquire, Atomic, Full};
use kernel::{prelude::*, sync::Arc};

use crate::bindings as b;
use crate::net::{
    rcu::RcuSection,
    rtnl::{Rtnl, RtnlLocked},
};

/// A published snapshot.
type Slots<T> = KVec<Arc<T>>;

/// An RCU-protected array of `Arc<T>`.
///
/// # Invariants
///
/// - `ptr` is null (empty) or comes from `KBox::into_raw` of a `Slots<T>` that stays valid
///   until a grace period after it is replaced.
/// - While the array holds `n > 1` elements, `writer.spare` is a snapshot with capacity for
///   at least `n - 1` elements.
pub(crate) struct RcuArray<T> {
    ptr: Atomic<*mut Slots<T>>,
    /// State only writers touch.
    writer: RtnlLocked<Writer<T>>,
}

/// The writers' bookkeeping.
struct Writer<T> {
    /// Replaced snapshots not yet freed: arrays a reader may still walk, whose elements all
    /// live on in the current array.
    retired: KVec<KBox<Slots<T>>>,
    /// An empty snapshot with room for the array after one removal.
    spare: Option<KBox<Slots<T>>>,
}

/// How many replaced snapshots may wait before a writer waits for a grace period.
const MAX_RETIRED: usize = 64;

// SAFETY: The array hands out `&Arc<T>` to any thread, which needs `T: Send + Sync`.
unsafe impl<T: Send + Sync> Send for RcuArray<T> {}
// SAFETY: Readers only get `&Arc<T>` (`T: Send + Sync`), `writer` is guarded by RTNL,
// and snapshots are published atomically.
unsafe impl<T: Send + Sync> Sync for RcuArray<T> {}

impl<T> RcuArray<T> {
    /// An empty array.
    pub(crate) const fn new() -> Self {
        Self {
            ptr: Atomic::new(core::ptr::null_mut()),
            writer: RtnlLocked::new(Writer {
                retired: KVec::new(),
                spare: None,
            }),
        }
    }

    /// The current snapshot, valid for the read section `_section`.
    pub(crate) fn read<'g>(&self, _section: &RcuSection<'g>) -> &'g [Arc<T>] {
        // Acquire pairs with the Release in `replace` (rcu_dereference's role).
        let p = self.ptr.load(Acquire);
        if p.is_null() {
            return &[];
        }
        // SAFETY: By the type invariant, `p` stays valid until a grace period after it is
        // replaced, and `_section` keeps this read section (and so that grace period) open.
        unsafe { &*p }
    }

    /// The current snapshot, for an RTNL holder.
    pub(crate) fn read_rtnl<'a>(&'a self, _rtnl: &'a Rtnl) -> &'a [Arc<T>] {
        let p = self.ptr.load(Acquire);
        if p.is_null() {
            return &[];
        }
        // SAFETY: Only writers replace or free the snapshot, and every writer needs
        // `&mut Rtnl`: while the returned slice keeps `_rtnl` borrowed, no writer runs on
        // this thread, and RTNL keeps the other threads' writers out.
        unsafe { &*p }
    }

    /// The writers' state.
    fn writer<'a>(&'a self, rtnl: &'a mut Rtnl) -> &'a mut Writer<T> {
        self.writer.get_mut(rtnl)
    }

    /// Appends `item`. Fails, changing nothing, when memory is short.
    ///
    /// The old snapshot is retired and freed after a later grace period, so adding does not
    /// wait for one.
    pub(crate) fn push(&self, item: Arc<T>, rtnl: &mut Rtnl) -> Result {
        let cur = self.read_rtnl(rtnl);
        let n = cur.len() + 1;
        let mut next = KVec::with_capacity(n, GFP_KERNEL)?;
        for e in Iterator::chain(cur.iter(), core::iter::once(&item)) {
            next.push(e.clone(), GFP_KERNEL)?;
        }
        let next = KBox::new(next, GFP_KERNEL)?;
        let w = self.writer(rtnl);
        // The room a later removal needs, reserved while failing is still allowed.
        match &mut w.spare {
            Some(spare) => spare.reserve(n - 1, GFP_KERNEL)?,
            None => {
                w.spare = Some(KBox::new(
                    KVec::with_capacity(n - 1, GFP_KERNEL)?,
                    GFP_KERNEL,
                )?)
            }
        }
        // Room to retire the old snapshot, reserved before it is unpublished: when there is
        // none, this writer waits for the readers instead.
        let can_retire = w.retired.len() < MAX_RETIRED && w.retired.reserve(1, GFP_KERNEL).is_ok();
        // INVARIANT: The spare has room for `n - 1` elements.
        let old = self.replace(Some(next));
        match old {
            Some(old) if can_retire => {
                // Cannot fail: room was reserved above.
                let _ = w.retired.push_within_capacity(old);
            }
            Some(old) => {
                Self::grace_period(w);
                drop(old);
            }
            None => {}
        }
        Ok(())
    }

    /// Removes the element at `index`, moving the last one into its slot, and returns it
    /// once no reader can see it any more. `None` (and no change) for an index past the end.
    ///
    /// Never allocates: the new snapshot is the spare, and the old one becomes the spare.
    pub(crate) fn swap_remove(&self, index: usize, rtnl: &mut Rtnl) -> Option<Arc<T>> {
        let last = self.read_rtnl(rtnl).len().checked_sub(1)?;
        if index > last {
            return None;
        }
        let Some(mut next) = self.spare_for(last, rtnl) else {
            return self.swap_remove_in_place(index, rtnl);
        };
        for (i, e) in self.read_rtnl(rtnl)[..last].iter().enumerate() {
            let e = if i == index {
                &self.read_rtnl(rtnl)[last]
            } else {
                e
            };
            // Cannot fail: `spare_for` gave room for `last` elements.
            let _ = next.push_within_capacity(e.clone());
        }
        let old = self.replace((last > 0).then_some(next));
        let w = self.writer(rtnl);
        Self::grace_period(w);
        let mut old = old?;
        old.swap(index, last);
        let removed = old.pop();
        old.clear();
        // INVARIANT: The old snapshot held `last + 1` elements, so it has room for `last`,
        // more than the `last - 1` a removal from the new array needs.
        w.spare = Some(old);
        removed
    }

    /// The spare, emptied, if it has room for `len` elements (the type invariant says it
    /// has).
    fn spare_for(&self, len: usize, rtnl: &mut Rtnl) -> Option<KBox<Slots<T>>> {
        let w = self.writer(rtnl);
        match w.spare.take() {
            Some(mut spare) if spare.capacity() >= len => {
                spare.clear();
                Some(spare)
            }
            other => {
                w.spare = other;
                None
            }
        }
    }

    /// `swap_remove` without a spare (which the type invariant rules out, but removal must
    /// not fail): the array is empty for one grace period while the old snapshot is edited.
    fn swap_remove_in_place(&self, index: usize, rtnl: &mut Rtnl) -> Option<Arc<T>> {
        let mut old = self.replace(None)?;
        Self::grace_period(self.writer(rtnl));
        let last = old.len() - 1;
        old.swap(index, last);
        let removed = old.pop();
        if !old.is_empty() {
            // Nothing was published in between: this puts nothing back but `None`.
            let _ = self.replace(Some(old));
        }
        removed
    }

    /// Empties the array and returns its elements once no reader can see them any more.
    /// Never allocates.
    pub(crate) fn take_all(&self, rtnl: &mut Rtnl) -> KVec<Arc<T>> {
        let old = self.replace(None);
        Self::grace_period(self.writer(rtnl));
        old.map_or_else(KVec::new, KBox::into_inner)
    }

    /// Publishes `next` (null for empty) and returns the previous snapshot, which readers
    /// may still be walking.
    fn replace(&self, next: Option<KBox<Slots<T>>>) -> Option<KBox<Slots<T>>> {
        let next = next.map_or(core::ptr::null_mut(), KBox::into_raw);
        // Full (core's AcqRel before): its release pairs with the Acquire in `read`
        // (rcu_assign_pointer's role).
        let old = self.ptr.xchg(next, Full);
        // SAFETY: `old` came from `KBox::into_raw` (type invariant); the caller keeps it
        // until a grace period has passed.
        (!old.is_null()).then(|| unsafe { KBox::from_raw(old) })
    }

    /// Waits until no reader can see a replaced snapshot, then frees the retired ones.
    fn grace_period(w: &mut Writer<T>) {
        // SAFETY: Writers run in process context (RTNL is a mutex), where waiting is allowed.
        unsafe { b::synchronize_net() };
        w.retired.clear();
    }
}

impl<T> Drop for RcuArray<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: `&mut self` means no reader holds the array any more (the owner is
            // freed after a grace period); `p` came from `KBox::into_raw`.
            drop(unsafe { KBox::from_raw(p) });
        }
    }
}

#[kunit_tests(rtun_rcu_array)]
mod tests {
    use super::*;

    fn values(a: &RcuArray<u32>, rtnl: &Rtnl) -> KVec<u32> {
        let mut v = KVec::new();
        for e in a.read_rtnl(rtnl) {
            v.push(**e, GFP_KERNEL).expect("small vector");
        }
        v
    }

    /// An array of `0..n`.
    fn filled(n: u32, rtnl: &mut Rtnl) -> RcuArray<u32> {
        let a = RcuArray::new();
        for i in 0..n {
            let e = Arc::new(i, GFP_KERNEL).expect("small allocation");
            a.push(e, rtnl).expect("small allocation");
        }
        a
    }

    #[test]
    fn swap_remove_moves_the_last_element() {
        let mut rtnl = Rtnl::lock();
        let a = filled(4, &mut rtnl);
        assert_eq!(a.swap_remove(1, &mut rtnl).map(|e| *e), Some(1));
        assert_eq!(&values(&a, &rtnl)[..], &[0, 3, 2]);
        assert!(a.swap_remove(3, &mut rtnl).is_none());
        assert_eq!(a.swap_remove(2, &mut rtnl).map(|e| *e), Some(2));
        assert_eq!(a.swap_remove(0, &mut rtnl).map(|e| *e), Some(0));
        assert_eq!(a.swap_remove(0, &mut rtnl).map(|e| *e), Some(3));
        assert!(a.read_rtnl(&rtnl).is_empty());
        assert!(a.swap_remove(0, &mut rtnl).is_none());
    }

    #[test]
    fn removal_has_a_spare_for_every_length() {
        let a = RcuArray::new();
        let mut rtnl = Rtnl::lock();
        for i in 0..8u32 {
            let e = Arc::new(i, GFP_KERNEL).expect("small allocation");
            a.push(e, &mut rtnl).expect("small allocation");
            let len = a.read_rtnl(&rtnl).len();
            let spare = a
                .writer(&mut rtnl)
                .spare
                .as_ref()
                .map_or(0, |s| s.capacity());
            assert!(spare + 1 >= len);
        }
        while !a.read_rtnl(&rtnl).is_empty() {
            let len = a.read_rtnl(&rtnl).len();
            let spare = a
                .writer(&mut rtnl)
                .spare
                .as_ref()
                .map_or(0, |s| s.capacity());
            assert!(spare + 1 >= len);
            assert!(a.swap_remove(len / 2, &mut rtnl).is_some());
        }
    }

    #[test]
    fn removal_without_a_spare_edits_in_place() {
        let mut rtnl = Rtnl::lock();
        let a = filled(3, &mut rtnl);
        a.writer(&mut rtnl).spare = None;
        assert_eq!(a.swap_remove(0, &mut rtnl).map(|e| *e), Some(0));
        assert_eq!(&values(&a, &rtnl)[..], &[2, 1]);
    }

    #[test]
    fn take_all_returns_every_element() {
        let mut rtnl = Rtnl::lock();
        let a = filled(3, &mut rtnl);
        let all = a.take_all(&mut rtnl);
        assert_eq!(all.len(), 3);
        assert!(a.read_rtnl(&rtnl).is_empty());
    }
}
