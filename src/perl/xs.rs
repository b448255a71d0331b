//! How an XSUB is built here: unpack the arguments, run Rust, then return a
//! value or leave through `die` or `exit`, in that order.
//!
//! `xsub!` wraps a body `fn(Args) -> XsResult`.  The body may hold any Rust
//! values; it returns before anything leaves Perl's way.  `finish` then turns
//! the result into a return value or, holding only raw pointers, croaks (or
//! continues a callback's die or exit, which the shim caught): so a longjmp
//! never crosses a Rust frame that has something to drop.  A panic in the
//! body is caught and becomes a croak, so it never unwinds into Perl.

use super::ffi::{self, Interp, SV};
use std::ffi::c_char;
use std::ptr;

/// Why an XSUB does not return normally.
pub enum Failure {
    /// Croak with this message; Perl appends " at FILE line N."
    Croak(String),
    /// A callback died: Perl has unwound to an eval outside us (with `$@`
    /// set); continue that unwinding.
    Died,
    /// Continue an `exit` that a callback started.
    Exit,
}

pub type XsResult = Result<*mut SV, Failure>;

pub fn croak<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Croak(msg.into()))
}

/// The arguments of one XSUB call.  Plain data: copying it is free and it
/// has nothing to drop.
#[derive(Clone, Copy)]
pub struct Args {
    pub p: *mut Interp,
    pub ix: i32,
    ax: i32,
    pub items: i32,
}

impl Args {
    /// # Safety
    /// Must be called once, first thing in an XSUB, with its interpreter and CV.
    pub unsafe fn begin(p: *mut Interp, cv: *mut ffi::CV) -> Args {
        let mut ax = 0;
        // SAFETY: we are at the start of an XSUB; this pops its mark.
        let items = unsafe { ffi::le_xs_begin(p, &mut ax) };
        // SAFETY: `cv` is the CV being called.
        let ix = unsafe { ffi::le_xs_ix(cv) };
        // SAFETY: the arguments of this call; nothing of ours exists yet, so a
        // die in a tied FETCH crosses no Rust frame with something to drop.
        unsafe { ffi::le_xs_getmagic(p, ax, items) };
        Args { p, ix, ax, items }
    }

    /// # Safety
    /// Must be called once, first thing in the boot XSUB: it performs the
    /// version handshake (which croaks on a mismatch, before anything of
    /// ours exists) instead of `begin`.
    pub unsafe fn boot(p: *mut Interp, cv: *mut ffi::CV) -> Args {
        let mut ax = 0;
        // SAFETY: the start of the boot XSUB; this pops its mark.
        let items = unsafe { ffi::le_xs_boot(p, cv, &mut ax) };
        Args {
            p,
            ix: 0,
            ax,
            items,
        }
    }

    /// Argument `i`, or null past the end.
    pub fn get(&self, i: i32) -> *mut SV {
        if i >= self.items {
            return ptr::null_mut();
        }
        // SAFETY: 0 <= i < items, so the slot is within this call's arguments;
        // the stack base is re-read each time (a callback may move it).
        unsafe { ffi::le_xs_arg(self.p, self.ax, i) }
    }

    /// Croaks unless the call has between `min` and `max` arguments,
    /// counting the invocant.
    pub fn expect(&self, min: i32, max: i32, usage: &str) -> Result<(), Failure> {
        if self.items < min || self.items > max {
            return croak(format!("Usage: {usage}"));
        }
        Ok(())
    }
}

/// Returns from an XSUB with the outcome of its body.
///
/// # Safety
/// Must be the last thing an XSUB does, with nothing left to drop.
pub unsafe fn finish(args: Args, result: XsResult) {
    let err = match result {
        Ok(sv) => {
            // SAFETY: `sv` is mortal or immortal, as XSUB return values must be.
            unsafe { ffi::le_xs_return(args.p, args.ax, sv) };
            return;
        }
        Err(Failure::Croak(msg)) => new_str(args.p, &msg),
        // SAFETY: le_call caught this longjmp; nothing of ours is left.
        Err(Failure::Died) => unsafe { ffi::le_rethrow(args.p, 3) },
        // SAFETY: as above.
        Err(Failure::Exit) => unsafe { ffi::le_rethrow(args.p, 2) },
    };
    // SAFETY: only raw pointers are alive in this frame (`msg` was dropped
    // with its match arm).
    unsafe { ffi::le_croak_sv(args.p, err) }
}

/// Defines an XSUB named `$name` whose body is `$body(Args) -> XsResult`.
macro_rules! xsub {
    ($name:ident, $body:path) => {
        pub unsafe extern "C" fn $name(
            #[cfg(perl_multiplicity)] p: *mut $crate::perl::ffi::Interp,
            cv: *mut $crate::perl::ffi::CV,
        ) {
            // SAFETY: perl without MULTIPLICITY has one interpreter, running now.
            #[cfg(not(perl_multiplicity))]
            let p = unsafe { $crate::perl::ffi::le_current_interp() };
            // SAFETY: called by Perl as an XSUB with its own interpreter and CV.
            let args = unsafe { $crate::perl::xs::Args::begin(p, cv) };
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| $body(args)))
                .unwrap_or_else(|_| {
                    $crate::perl::xs::croak(
                        "Linux::Event: internal error (a Rust panic); please report it",
                    )
                });
            // SAFETY: `result` is moved in; nothing else of ours is alive.
            unsafe { $crate::perl::xs::finish(args, result) }
        }
    };
}
pub(crate) use xsub;

// ---- making values -------------------------------------------------------

pub fn new_str(p: *mut Interp, s: &str) -> *mut SV {
    // SAFETY: copies `s.len()` bytes from a live string.
    unsafe { ffi::le_new_pv(p, s.as_ptr() as *const c_char, s.len()) }
}

pub fn mortal(p: *mut Interp, sv: *mut SV) -> *mut SV {
    // SAFETY: `sv` is a new SV we own; the mortal stack takes that reference.
    unsafe { ffi::le_mortal(p, sv) }
}

pub fn ret_uv(p: *mut Interp, v: u64) -> XsResult {
    // SAFETY: plain SV constructor.
    Ok(mortal(p, unsafe { ffi::le_new_uv(p, v) }))
}

pub fn ret_iv(p: *mut Interp, v: i64) -> XsResult {
    // SAFETY: plain SV constructor.
    Ok(mortal(p, unsafe { ffi::le_new_iv(p, v) }))
}

/// `1` or `0`, as the boolean getters of the API return.
pub fn ret_bit(p: *mut Interp, v: bool) -> XsResult {
    ret_iv(p, v as i64)
}

/// Perl's own true and false (1 and '').
pub fn ret_bool(p: *mut Interp, v: bool) -> XsResult {
    // SAFETY: immortal SVs of this interpreter.
    Ok(unsafe { if v { ffi::le_yes(p) } else { ffi::le_no(p) } })
}

pub fn ret_empty() -> XsResult {
    Ok(ptr::null_mut())
}

/// Increments a reference count (for values we keep).
pub fn hold(sv: *mut SV) -> *mut SV {
    if !sv.is_null() {
        // SAFETY: a live SV.
        unsafe { ffi::le_inc(sv) };
    }
    sv
}

/// Releases a reference we kept.
pub fn release(p: *mut Interp, sv: *mut SV) {
    if !sv.is_null() {
        // SAFETY: `sv` holds a reference we own.
        unsafe { ffi::le_dec(p, sv) };
    }
}

// ---- reading arguments ---------------------------------------------------

/// A scalar sorted for argument checks; see `le_classify` in the shim.
pub enum Num {
    NotNumber,
    UInt(u64),
    Other(f64),
}

pub fn classify(p: *mut Interp, sv: *mut SV) -> Num {
    let (mut nv, mut uv) = (0.0, 0u64);
    // SAFETY: out-pointers are live; a null `sv` is handled by the shim.
    match unsafe { ffi::le_classify(p, sv, &mut nv, &mut uv) } {
        1 => Num::UInt(uv),
        2 => Num::Other(nv),
        _ => Num::NotNumber,
    }
}

/// A number of seconds: finite, any sign.
pub fn seconds(p: *mut Interp, sv: *mut SV, what: &str) -> Result<f64, Failure> {
    match classify(p, sv) {
        Num::UInt(u) => Ok(u as f64),
        Num::Other(n) if n.is_finite() => Ok(n),
        Num::Other(_) => croak(format!("{what} must be a finite number of seconds")),
        Num::NotNumber => croak(format!(
            "{what} must be a number of seconds, not {}",
            describe(p, sv)
        )),
    }
}

/// A CODE reference's CV, or an error naming `what`.
pub fn code(p: *mut Interp, sv: *mut SV, what: &str) -> Result<*mut SV, Failure> {
    // SAFETY: the shim checks for null and non-references.
    if unsafe { ffi::le_is_code(sv) } != 0 {
        // SAFETY: a CODE reference has a target.
        return Ok(unsafe { ffi::le_rv_target(sv) });
    }
    croak(format!(
        "{what} must be a CODE reference, not {}",
        describe(p, sv)
    ))
}

/// A CODE reference's CV, null for undef, or an error.
pub fn code_or_undef(p: *mut Interp, sv: *mut SV, what: &str) -> Result<*mut SV, Failure> {
    if !defined(sv) {
        return Ok(ptr::null_mut());
    }
    code(p, sv, what).map_err(|_| {
        Failure::Croak(format!(
            "{what} must be a CODE reference or undef, not {}",
            describe(p, sv)
        ))
    })
}

pub fn defined(sv: *mut SV) -> bool {
    // SAFETY: the shim handles null.
    unsafe { ffi::le_ok(sv) != 0 }
}

pub fn truthy(p: *mut Interp, sv: *mut SV) -> bool {
    // SAFETY: the shim handles null.
    unsafe { ffi::le_true(p, sv) != 0 }
}

/// A short description of a bad argument for error messages.
pub fn describe(p: *mut Interp, sv: *mut SV) -> String {
    if !defined(sv) {
        return "undef".into();
    }
    // SAFETY: `sv` is defined and live.
    if unsafe { ffi::le_is_ref(sv) } != 0 {
        return "a reference".into();
    }
    let mut len = 0;
    // SAFETY: stringifies a defined plain scalar; the bytes live as long as `sv`.
    let s = unsafe {
        let pv = ffi::le_pv(p, sv, &mut len);
        std::slice::from_raw_parts(pv as *const u8, len)
    };
    let text = String::from_utf8_lossy(&s[..s.len().min(40)]);
    format!("'{text}'")
}
