//! The small Perl objects the loop hands out (watchers, subscriptions,
//! timer guards): blessed arrays whose slot 0 is a weak reference to their
//! loop.  Their slot layouts are all here.

use super::ffi::{self, SV};
use super::handle::{LoopHandle, loop_handle};
use super::owned::Owned;
use super::xs::{Failure, Num, Perl, classify, croak};
use std::ffi::CStr;

/// Slot 0 of every object: the weak reference to the loop (one SV, shared
/// by every object of that loop).
pub const LOOP: i32 = 0;

/// Linux::Event::Watcher: [loop, token, weak handle, data].
pub mod watcher {
    pub const CLASS: &std::ffi::CStr = c"Linux::Event::Watcher";
    pub const TOKEN: i32 = 1;
    pub const FH: i32 = 2;
    pub const DATA: i32 = 3;
}

/// Linux::Event::Signal::Subscription: [loop, [signal numbers], id].
pub mod signal_sub {
    pub const CLASS: &std::ffi::CStr = c"Linux::Event::Signal::Subscription";
    pub const SIGNOS: i32 = 1;
    pub const ID: i32 = 2;
}

/// Linux::Event::Pid::Subscription: [loop, pid (for the reader), token].
pub mod pid_sub {
    pub const CLASS: &std::ffi::CStr = c"Linux::Event::Pid::Subscription";
    pub const TOKEN: i32 = 2;
}

/// Linux::Event::Loop::TimerGuard: [loop, timer id].
pub mod timer_guard {
    pub const CLASS: &std::ffi::CStr = c"Linux::Event::Loop::TimerGuard";
    pub const ID: i32 = 1;
}

/// A new blessed array holding `items` (their counts move into it; None
/// leaves an empty slot); returns the reference to it.
pub fn new_object(perl: Perl, class: &CStr, items: [Option<Owned>; 4]) -> Owned {
    let mut raw = items.map(|i| i.map_or(std::ptr::null_mut(), Owned::into_raw));
    // SAFETY: the array takes over the counts just released from `items`.
    let rv = unsafe { ffi::le_new_object(perl.raw(), class.as_ptr(), raw.as_mut_ptr(), 4) };
    // SAFETY: a new reference, ours.
    unsafe { Owned::take(rv) }.expect("perl makes the object or dies of lack of memory")
}

/// Element `i` of an object, or null.
pub fn field(_perl: Perl, obj: *mut SV, i: i32) -> *mut SV {
    // SAFETY: the shim checks that `obj` refers to an array long enough.
    unsafe { ffi::le_object_field(obj, i) }
}

/// A new weak reference to what `rv` refers to.
pub fn weak(perl: Perl, rv: *mut SV) -> Owned {
    // SAFETY: `rv` is a live reference; the new SV is ours.
    unsafe { Owned::take(ffi::le_new_weak(perl.raw(), rv)) }.expect("a new SV")
}

/// A new mortal strong reference to the same target as `rv`.
pub fn mortal_ref(perl: Perl, rv: *mut SV) -> *mut SV {
    // SAFETY: `rv` is a live reference; the new one goes to the mortal stack.
    unsafe {
        ffi::le_mortal(
            perl.raw(),
            ffi::le_new_rv(perl.raw(), ffi::le_rv_target(rv)),
        )
    }
}

/// A new mortal copy of `sv` (undef for null).
pub fn mortal_copy(perl: Perl, sv: *mut SV) -> *mut SV {
    if sv.is_null() {
        return super::xs::undef(perl);
    }
    // SAFETY: copies a live SV without its magic; the copy goes to the mortal stack.
    unsafe { ffi::le_mortal(perl.raw(), ffi::le_new_copy(perl.raw(), sv)) }
}

/// A copy of `sv` the loop keeps (None for undef: costs nothing).
pub fn kept_copy(perl: Perl, sv: *mut SV) -> Option<Owned> {
    if !super::xs::defined(sv) {
        return None;
    }
    // SAFETY: copies a live SV without its magic; the copy is ours.
    unsafe { Owned::take(ffi::le_new_copy(perl.raw(), sv)) }
}

/// A new integer SV, ours.
pub fn new_uv(perl: Perl, v: u64) -> Owned {
    // SAFETY: plain constructor; the new SV is ours.
    unsafe { Owned::take(ffi::le_new_uv(perl.raw(), v)) }.expect("a new SV")
}

/// Whether `sv` is a reference to an object of `class` (not a class name).
pub fn is_object(perl: Perl, sv: *mut SV, class: &CStr) -> bool {
    // SAFETY: the shim handles null; sv_derived_from runs no Perl code.
    unsafe { ffi::le_is_ref(sv) != 0 && ffi::le_isa(perl.raw(), sv, class.as_ptr()) != 0 }
}

/// Checks the invocant's class and returns it with slot `key` as an integer.
pub fn invocant(perl: Perl, obj: *mut SV, class: &CStr, key: i32) -> Result<u64, Failure> {
    let key = if is_object(perl, obj, class) {
        classify(perl, field(perl, obj, key))
    } else {
        Num::NotNumber
    };
    match key {
        Num::UInt(k) => Ok(k),
        _ => croak(format!("not a {} object", class.to_string_lossy())),
    }
}

/// The loop an object belongs to, or None once that loop is gone.
pub fn owner<'i>(perl: Perl<'i>, obj: *mut SV) -> Option<&'i LoopHandle> {
    let l = field(perl, obj, LOOP);
    if l.is_null() {
        return None;
    }
    loop_handle(perl, l).ok()
}
