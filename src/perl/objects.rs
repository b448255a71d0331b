//! The small Perl objects the loop hands out: subscriptions and timer
//! guards are blessed arrays whose slot 0 is a weak reference to their
//! loop, watchers one blessed scalar.  Their layouts are all here.

use super::ffi::{self, SV};
use super::handle::{LoopHandle, loop_handle};
use super::owned::Owned;
use super::xs::{Failure, Num, Perl, classify, croak};
use std::ffi::CStr;

/// Slot 0 of every object: the weak reference to the loop (one SV, shared
/// by every object of that loop).
pub const LOOP: i32 = 0;

/// Linux::Event::Watcher is not an array but one scalar, W: the weak
/// reference to the user's handle, blessed; W's body holds the engine
/// token and its loop's id, and the user's data is the object of a magic on
/// W (see "watcher objects" in csrc/shim.c).  The cheapest object that can
/// hold what a watcher must.
pub mod watcher {
    pub const CLASS: &std::ffi::CStr = c"Linux::Event::Watcher";
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
    if !super::xs::defined(perl, sv) {
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

// ---- watchers ----------------------------------------------------------------

/// A new watcher for loop `loop_id` on the handle `fh_ref` refers to, with
/// token 0; returns the reference to it.
pub fn new_watcher(perl: Perl, fh_ref: *mut SV, loop_id: u64) -> Owned {
    // SAFETY: a live reference to the handle; the new reference is ours.
    let rv = unsafe { ffi::le_new_watcher(perl.raw(), watcher::CLASS.as_ptr(), fh_ref, loop_id) };
    // SAFETY: as above.
    unsafe { Owned::take(rv) }.expect("a new SV")
}

/// A watcher object: W (also the weak reference to the handle), its token
/// and its loop's id.
#[derive(Clone, Copy)]
pub struct Watcher {
    pub w: *mut SV,
    pub token: u64,
    pub loop_id: u64,
}

/// The watcher behind `rv`, or an error for anything else.
pub fn watcher_of(perl: Perl, rv: *mut SV) -> Result<Watcher, Failure> {
    let (mut token, mut loop_id) = (0, 0);
    // SAFETY: the shim checks what the argument is before reading it.
    let w = unsafe {
        ffi::le_watcher(
            perl.raw(),
            rv,
            watcher::CLASS.as_ptr(),
            &mut token,
            &mut loop_id,
        )
    };
    if w.is_null() {
        return croak("not a Linux::Event::Watcher object");
    }
    Ok(Watcher { w, token, loop_id })
}

impl Watcher {
    pub fn set_token(&self, _perl: Perl, token: u64) {
        // SAFETY: `w` is a watcher's scalar (made by new_watcher).
        unsafe { ffi::le_watcher_set_token(self.w, token) }
    }

    /// The user's data, or null when never set.
    pub fn data(&self, _perl: Perl) -> *mut SV {
        // SAFETY: as above.
        unsafe { ffi::le_watcher_data(self.w) }
    }

    /// Sets the data to a copy of `src` (the old value is dropped).
    pub fn set_data(&self, perl: Perl, src: *mut SV) {
        // SAFETY: as above; `src` is live.
        unsafe { ffi::le_watcher_set_data(perl.raw(), self.w, src) }
    }

    /// The weak reference to its loop, or null once the loop is gone.
    pub fn loop_ref(&self, perl: Perl) -> *mut SV {
        loop_by_id(perl, self.loop_id)
    }

    /// Its loop, or None once the loop is gone.
    pub fn owner<'i>(&self, perl: Perl<'i>) -> Option<&'i LoopHandle> {
        let l = self.loop_ref(perl);
        if l.is_null() {
            return None;
        }
        loop_handle(perl, l).ok()
    }
}

/// Watchers keep their loop's id, not a reference: this interpreter's table
/// maps ids to the loops' shared weak references (perl clones it, with the
/// loops, into a new thread).
pub fn register_loop(perl: Perl, id: u64, weak_loop: *mut SV) {
    // SAFETY: a live weak reference; the table takes its own count.
    unsafe { ffi::le_loop_register(perl.raw(), id, weak_loop) }
}

pub fn unregister_loop(perl: Perl, id: u64) {
    // SAFETY: removes this interpreter's entry, if any (frees a weak
    // reference: no Perl code).
    unsafe { ffi::le_loop_unregister(perl.raw(), id) }
}

fn loop_by_id(perl: Perl, id: u64) -> *mut SV {
    // SAFETY: reads this interpreter's table.
    unsafe { ffi::le_loop_lookup(perl.raw(), id) }
}
