// SPDX-License-Identifier: GPL-2.0

//! The sysfs attributes of a link kind's devices (`/sys/class/net/DEV/NAME`), as one
//! `attribute_group` per driver type.
//!
//! The driver names them ([`RtnlLinkOps::SYSFS_ATTRS`]) and writes their values
//! ([`RtnlLinkOps::sysfs_show`]), as tun.c's `DEVICE_ATTR_RO` and `sysfs_emit` do; each
//! attribute's `show` here calls the device's own type, so no global callback pointer is
//! needed and a second link kind gets a group of its own.

use core::{fmt::Write, marker::PhantomData, mem::offset_of, ptr::null_mut};

use crate::bindings as b;
use crate::net::{netdev::Dev, rtnl_link::RtnlLinkOps};

/// How many attributes a link kind's devices can have.
pub(crate) const MAX_ATTRS: usize = 4;

/// The buffer sysfs hands a `show` callback: one page (`sysfs_emit`'s bound).
pub(crate) struct SysfsPage<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Write for SysfsPage<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(core::fmt::Error)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(core::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The attribute group of the devices of `T`.
pub(super) struct AttrGroup<T>(PhantomData<T>);

impl<T: RtnlLinkOps> AttrGroup<T> {
    /// # Safety
    ///
    /// Called by sysfs only for an attribute of [`Self::GROUP`], which
    /// `Registration<T>::create` installs only on its devices, with `d` the device's
    /// embedded `struct device` (kept alive for the call) and `buf` a page.
    unsafe extern "C" fn show<const A: usize>(
        d: *mut b::device,
        _attr: *mut b::device_attribute,
        buf: *mut kernel::ffi::c_char,
    ) -> isize {
        // SAFETY: `d` is the `dev` field of a `net_device` (`to_net_dev()`), per the caller.
        let dev = unsafe { d.byte_sub(offset_of!(b::net_device, dev)) }.cast::<b::net_device>();
        // SAFETY: The group is only on devices created by `Registration<T>::create`, whose
        // private data is a `T`; sysfs keeps the device alive during the call.
        let dev = unsafe { Dev::<T>::from_raw(dev) };
        // SAFETY: The sysfs core passes a zeroed page that is ours for the call.
        let buf =
            unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), kernel::page::PAGE_SIZE) };
        let mut page = SysfsPage { buf, len: 0 };
        // What does not fit in the page is cut, as `sysfs_emit` does.
        let _ = T::sysfs_show(dev, A, &mut page);
        page.len as isize
    }

    /// A read-only attribute (`DEVICE_ATTR_RO`: mode 0444).
    const fn attr(
        name: &'static kernel::str::CStr,
        show: unsafe extern "C" fn(
            *mut b::device,
            *mut b::device_attribute,
            *mut kernel::ffi::c_char,
        ) -> isize,
    ) -> b::device_attribute {
        let mut a: b::device_attribute = pin_init::zeroed();
        // `CStrExt::as_char_ptr` is not `const`.
        #[allow(clippy::disallowed_methods)]
        let name = name.as_ptr().cast();
        a.attr.name = name;
        a.attr.mode = 0o444;
        a.__bindgen_anon_1.show = Some(show);
        a
    }

    /// Attribute `A` of `T::SYSFS_ATTRS` (a placeholder past its end, never listed).
    const fn attr_at<const A: usize>() -> b::device_attribute {
        let name = if A < T::SYSFS_ATTRS.len() {
            T::SYSFS_ATTRS[A]
        } else {
            c""
        };
        Self::attr(name, Self::show::<A>)
    }

    const ATTR_0: b::device_attribute = Self::attr_at::<0>();
    const ATTR_1: b::device_attribute = Self::attr_at::<1>();
    const ATTR_2: b::device_attribute = Self::attr_at::<2>();
    const ATTR_3: b::device_attribute = Self::attr_at::<3>();

    /// The NULL-terminated array `attribute_group::attrs` points to: the driver's
    /// attributes, then NULLs. sysfs only reads it and the attributes (the `*mut` is C's
    /// missing `const`).
    const ATTRS: [*mut b::attribute; MAX_ATTRS + 1] = {
        let all = [
            core::ptr::from_ref(&Self::ATTR_0.attr).cast_mut(),
            core::ptr::from_ref(&Self::ATTR_1.attr).cast_mut(),
            core::ptr::from_ref(&Self::ATTR_2.attr).cast_mut(),
            core::ptr::from_ref(&Self::ATTR_3.attr).cast_mut(),
        ];
        assert!(
            T::SYSFS_ATTRS.len() <= MAX_ATTRS,
            "too many sysfs attributes"
        );
        let mut attrs = [null_mut(); MAX_ATTRS + 1];
        let mut i = 0;
        while i < T::SYSFS_ATTRS.len() {
            attrs[i] = all[i];
            i += 1;
        }
        attrs
    };

    /// The group, for `net_device::sysfs_groups[0]`: a `'static` reference, so that a
    /// change that stopped the constant's promotion to a static fails to compile rather
    /// than hand sysfs a temporary.
    pub(super) const GROUP_REF: &'static b::attribute_group = &Self::GROUP;

    const GROUP: b::attribute_group = {
        let mut g: b::attribute_group = pin_init::zeroed();
        g.__bindgen_anon_2.attrs = core::ptr::from_ref(&Self::ATTRS).cast_mut().cast();
        g
    };
}
