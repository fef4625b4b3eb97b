// SPDX-License-Identifier: GPL-2.0

//! The sysfs attributes of a link kind's devices (`/sys/class/net/DEV/tun_flags`, `owner`,
//! `group`), as one `attribute_group` per driver type.
//!
//! tun.c declares them with `DEVICE_ATTR_RO` and prints them with `sysfs_emit`; here each
//! attribute's `show` calls [`RtnlLinkOps::sysfs_value`] of the device's own type and
//! formats the value into sysfs's page, so no global callback pointer is needed and a
//! second link kind gets a group of its own.

use core::{fmt::Write, marker::PhantomData, mem::offset_of, ptr::null_mut};

use crate::bindings as b;
use crate::net::{
    netdev::Dev,
    rtnl_link::{RtnlLinkOps, SysfsAttr},
};

/// The buffer sysfs hands a `show` callback: one page (`sysfs_emit`'s bound).
struct SysfsPage<'a> {
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

/// The attribute of index `A`.
const fn attr_of(a: u8) -> SysfsAttr {
    match a {
        0 => SysfsAttr::TunFlags,
        1 => SysfsAttr::Owner,
        _ => SysfsAttr::Group,
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
    unsafe extern "C" fn show<const A: u8>(
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
        let attr = attr_of(A);
        // tun.c: "0x%x\n" for the flags, "%u\n" for an id, "-1\n" for none.
        let written = match (attr, T::sysfs_value(dev, attr)) {
            (SysfsAttr::TunFlags, Some(v)) => writeln!(page, "0x{v:x}"),
            (_, Some(v)) => writeln!(page, "{v}"),
            (_, None) => writeln!(page, "-1"),
        };
        // At most 11 bytes into a page.
        debug_assert!(written.is_ok());
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

    const TUN_FLAGS: b::device_attribute = Self::attr(c"tun_flags", Self::show::<0>);
    const OWNER: b::device_attribute = Self::attr(c"owner", Self::show::<1>);
    const GROUP_ATTR: b::device_attribute = Self::attr(c"group", Self::show::<2>);

    /// The NULL-terminated array `attribute_group::attrs` points to. sysfs only reads it
    /// and the attributes (the `*mut` is C's missing `const`).
    const ATTRS: [*mut b::attribute; 4] = [
        core::ptr::from_ref(&Self::TUN_FLAGS.attr).cast_mut(),
        core::ptr::from_ref(&Self::OWNER.attr).cast_mut(),
        core::ptr::from_ref(&Self::GROUP_ATTR.attr).cast_mut(),
        null_mut(),
    ];

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
