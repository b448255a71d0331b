//! The small Perl objects the loop hands out (subscriptions, timer guards):
//! blessed arrays whose slot 0 is a weak reference to their loop.  (Watchers
//! are single scalars: see watcher_xs.rs.)

use super::ffi::{self, Interp, SV};
use super::handle::{LoopHandle, loop_handle};
use std::ffi::CStr;

/// Slot 0 of every object: weak reference to the loop.
pub const LOOP: i32 = 0;
/// Slot 1: the key (signal numbers, pid, timer id).
pub const KEY: i32 = 1;

/// A new blessed array holding `items` (their references move into it);
/// returns an owned reference to it.
pub fn new_object(p: *mut Interp, class: &CStr, items: &mut [*mut SV]) -> *mut SV {
    // SAFETY: `items` are new SVs whose references the array takes over.
    unsafe { ffi::le_new_object(p, class.as_ptr(), items.as_mut_ptr(), items.len() as i32) }
}

/// Element `i` of an object, or null.
pub fn field(obj: *mut SV, i: i32) -> *mut SV {
    // SAFETY: the shim checks that `obj` refers to an array long enough.
    unsafe { ffi::le_object_field(obj, i) }
}

/// A new weak reference to what `rv` refers to.
pub fn weak(p: *mut Interp, rv: *mut SV) -> *mut SV {
    // SAFETY: `rv` is a live reference.
    unsafe { ffi::le_new_weak(p, rv) }
}

/// A new mortal strong reference to the same target as `rv`.
pub fn mortal_ref(p: *mut Interp, rv: *mut SV) -> *mut SV {
    // SAFETY: `rv` is a live reference; the new one is handed to the mortal stack.
    unsafe { ffi::le_mortal(p, ffi::le_new_rv(p, ffi::le_rv_target(rv))) }
}

/// A new mortal copy of `sv` (undef for null).
pub fn mortal_copy(p: *mut Interp, sv: *mut SV) -> *mut SV {
    if sv.is_null() {
        // SAFETY: immortal undef.
        return unsafe { ffi::le_undef(p) };
    }
    // SAFETY: copies a live SV; the copy goes to the mortal stack.
    unsafe { ffi::le_mortal(p, ffi::le_new_copy(p, sv)) }
}

/// Whether `sv` is an object of `class`.
pub fn isa(p: *mut Interp, sv: *mut SV, class: &CStr) -> bool {
    // SAFETY: the shim handles any SV.
    !sv.is_null() && unsafe { ffi::le_isa(p, sv, class.as_ptr()) } != 0
}

/// Whether `sv` is a reference to an object of `class` (not a class name).
pub fn is_object(p: *mut Interp, sv: *mut SV, class: &CStr) -> bool {
    // SAFETY: the shim handles null.
    (unsafe { ffi::le_is_ref(sv) } != 0) && isa(p, sv, class)
}

/// The loop an object belongs to, or None once that loop is gone.
pub fn owner<'a>(obj: *mut SV) -> Option<&'a LoopHandle> {
    let l = field(obj, LOOP);
    if l.is_null() {
        return None;
    }
    loop_handle(l).ok()
}
