//! How an XSUB is built here: unpack the arguments, run Rust, then return a
//! value or leave through `die` or `exit`, in that order.
//!
//! `xsub!` wraps a body `fn(Args) -> XsResult`.  The body may hold any Rust
//! values: Perl code runs inside it only under the shim's protection (see
//! `outcome`), which turns a `die` or `exit` into an `Err` that the body
//! returns like any other.  `finish` then turns the result into a return
//! value or, holding only raw pointers, croaks (or continues the die or
//! exit): so a longjmp never crosses a Rust frame that has something to
//! drop.  A panic in the body is caught and becomes a croak, so it never
//! unwinds into Perl.

use super::ffi::{self, Interp, SV};
use std::ffi::{c_char, c_int};
use std::marker::PhantomData;
use std::ptr;

/// Proof that an interpreter is live and running this thread for `'i`
/// (one XSUB call, a magic hook): what every glue function that reads or
/// makes Perl values takes, and what bounds the references it hands out.
#[derive(Clone, Copy)]
pub struct Perl<'i> {
    raw: *mut Interp,
    _call: PhantomData<&'i Interp>,
}

impl Perl<'_> {
    /// # Safety
    /// `raw` is the interpreter running this thread, and stays live for the
    /// token's lifetime.
    pub unsafe fn new(raw: *mut Interp) -> Self {
        Perl {
            raw,
            _call: PhantomData,
        }
    }

    pub fn raw(self) -> *mut Interp {
        self.raw
    }

    /// Whether perl has deferred `%SIG` handlers to run.
    pub fn signals_pending(self) -> bool {
        // SAFETY: reads one interpreter flag.
        unsafe { ffi::le_signals_pending(self.raw) != 0 }
    }
}

/// Why an XSUB does not return normally.
#[derive(Debug)]
pub enum Failure {
    /// Croak with this message; Perl appends " at FILE line N."
    Croak(String),
    /// Perl code died: Perl has unwound to an eval outside us (with `$@`
    /// set); continue that unwinding.
    Died,
    /// Continue an `exit` that Perl code started.
    Exit,
}

pub type XsResult = Result<*mut SV, Failure>;

pub fn croak<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Croak(msg.into()))
}

/// What the shim reports of Perl code it ran under its protection (a
/// callback, a DESTROY, a FETCH, an overloaded operator, a PerlIO layer):
/// the one way such an outcome enters Rust.
pub fn outcome(status: c_int) -> Result<(), Failure> {
    match status {
        ffi::CALL_OK => Ok(()),
        ffi::CALL_DIED => Err(Failure::Died),
        _ => Err(Failure::Exit),
    }
}

/// The arguments of one XSUB call.  Plain data: copying it is free and it
/// has nothing to drop.
#[derive(Clone, Copy)]
pub struct Args<'i> {
    pub perl: Perl<'i>,
    pub ix: i32,
    ax: i32,
    pub items: i32,
}

impl<'i> Args<'i> {
    /// Unpacks the call and runs the arguments' get-magic (a tied FETCH),
    /// which may die, before the body holds anything.
    ///
    /// # Safety
    /// Must be called once, first thing in an XSUB, with its interpreter and CV.
    pub unsafe fn begin(perl: Perl<'i>, cv: *mut ffi::CV) -> (Args<'i>, Result<(), Failure>) {
        let mut ax = 0;
        // SAFETY: we are at the start of an XSUB; this pops its mark.
        let items = unsafe { ffi::le_xs_begin(perl.raw, &mut ax) };
        // SAFETY: `cv` is the CV being called.
        let ix = unsafe { ffi::le_xs_ix(cv) };
        // SAFETY: the arguments of this call; the shim runs their magic
        // under its protection.
        let magic = outcome(unsafe { ffi::le_xs_getmagic(perl.raw, ax, items) });
        (
            Args {
                perl,
                ix,
                ax,
                items,
            },
            magic,
        )
    }

    /// # Safety
    /// Must be called once, first thing in the boot XSUB: it performs the
    /// version handshake (which croaks on a mismatch, before anything of
    /// ours exists) instead of `begin`.
    pub unsafe fn boot(perl: Perl<'i>, cv: *mut ffi::CV) -> Args<'i> {
        let mut ax = 0;
        // SAFETY: the start of the boot XSUB; this pops its mark.
        let items = unsafe { ffi::le_xs_boot(perl.raw, cv, &mut ax) };
        Args {
            perl,
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
        unsafe { ffi::le_xs_arg(self.perl.raw, self.ax, i) }
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
    let p = args.perl.raw;
    let err = match result {
        Ok(sv) => {
            // SAFETY: `sv` is mortal or immortal, as XSUB return values must be.
            unsafe { ffi::le_xs_return(p, args.ax, sv) };
            return;
        }
        Err(Failure::Croak(msg)) => new_str(args.perl, &msg),
        // SAFETY: the shim caught this die; nothing of ours is left.
        Err(Failure::Died) => unsafe { ffi::le_rethrow(p, ffi::CALL_DIED) },
        // SAFETY: as above, for an exit.
        Err(Failure::Exit) => unsafe { ffi::le_rethrow(p, ffi::CALL_EXIT) },
    };
    // SAFETY: only raw pointers are alive in this frame (`msg` was dropped
    // with its match arm).
    unsafe { ffi::le_croak_sv(p, err) }
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
            // SAFETY: perl calls an XSUB with its live interpreter.
            let perl = unsafe { $crate::perl::xs::Perl::new(p) };
            // SAFETY: called by Perl as an XSUB with its own interpreter and CV.
            let (args, magic) = unsafe { $crate::perl::xs::Args::begin(perl, cv) };
            let result = magic.and_then(|()| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| $body(args)))
                    .unwrap_or_else(|_| {
                        $crate::perl::xs::croak(
                            "Linux::Event: internal error (a Rust panic); please report it",
                        )
                    })
            });
            // SAFETY: `result` is moved in; nothing else of ours is alive.
            unsafe { $crate::perl::xs::finish(args, result) }
        }
    };
}
pub(crate) use xsub;

// ---- making values -------------------------------------------------------

pub fn new_str(perl: Perl, s: &str) -> *mut SV {
    // SAFETY: copies `s.len()` bytes from a live string.
    unsafe { ffi::le_new_pv(perl.raw, s.as_ptr() as *const c_char, s.len()) }
}

pub fn mortal(perl: Perl, sv: *mut SV) -> *mut SV {
    // SAFETY: `sv` is a new SV we own; the mortal stack takes that reference.
    unsafe { ffi::le_mortal(perl.raw, sv) }
}

pub fn undef(perl: Perl) -> *mut SV {
    // SAFETY: the interpreter's immortal undef.
    unsafe { ffi::le_undef(perl.raw) }
}

pub fn ret_uv(perl: Perl, v: u64) -> XsResult {
    // SAFETY: plain SV constructor.
    Ok(mortal(perl, unsafe { ffi::le_new_uv(perl.raw, v) }))
}

pub fn ret_iv(perl: Perl, v: i64) -> XsResult {
    // SAFETY: plain SV constructor.
    Ok(mortal(perl, unsafe { ffi::le_new_iv(perl.raw, v) }))
}

/// `1` or `0`, as the boolean getters of the API return.
pub fn ret_bit(perl: Perl, v: bool) -> XsResult {
    ret_iv(perl, v as i64)
}

/// Perl's own true and false (1 and '').
pub fn ret_bool(perl: Perl, v: bool) -> XsResult {
    // SAFETY: immortal SVs of this interpreter.
    Ok(unsafe {
        if v {
            ffi::le_yes(perl.raw)
        } else {
            ffi::le_no(perl.raw)
        }
    })
}

pub fn ret_empty() -> XsResult {
    Ok(ptr::null_mut())
}

// ---- reading arguments ---------------------------------------------------

/// A scalar sorted for argument checks; see `le_classify` in the shim.
pub enum Num {
    NotNumber,
    UInt(u64),
    Other(f64),
}

pub fn classify(perl: Perl, sv: *mut SV) -> Num {
    let (mut nv, mut uv) = (0.0, 0u64);
    // SAFETY: out-pointers are live; a null `sv` is handled by the shim,
    // which reads no magic and calls no overloading.
    match unsafe { ffi::le_classify(perl.raw, sv, &mut nv, &mut uv) } {
        1 => Num::UInt(uv),
        2 => Num::Other(nv),
        _ => Num::NotNumber,
    }
}

/// A number of seconds: finite, any sign.
pub fn seconds(perl: Perl, sv: *mut SV, what: &str) -> Result<f64, Failure> {
    match classify(perl, sv) {
        Num::UInt(u) => Ok(u as f64),
        Num::Other(n) if n.is_finite() => Ok(n),
        Num::Other(_) => croak(format!("{what} must be a finite number of seconds")),
        Num::NotNumber => croak(format!(
            "{what} must be a number of seconds, not {}",
            describe(perl, sv)
        )),
    }
}

/// A CODE reference's CV, or an error naming `what`.
pub fn code(perl: Perl, sv: *mut SV, what: &str) -> Result<*mut SV, Failure> {
    // SAFETY: the shim checks for null and non-references.
    if unsafe { ffi::le_is_code(sv) } != 0 {
        // SAFETY: a CODE reference has a target.
        return Ok(unsafe { ffi::le_rv_target(sv) });
    }
    croak(format!(
        "{what} must be a CODE reference, not {}",
        describe(perl, sv)
    ))
}

/// A CODE reference's CV, null for undef, or an error.
pub fn code_or_undef(perl: Perl, sv: *mut SV, what: &str) -> Result<*mut SV, Failure> {
    if !defined(perl, sv) {
        return Ok(ptr::null_mut());
    }
    code(perl, sv, what).map_err(|_| {
        Failure::Croak(format!(
            "{what} must be a CODE reference or undef, not {}",
            describe(perl, sv)
        ))
    })
}

pub fn defined(_perl: Perl, sv: *mut SV) -> bool {
    // SAFETY: the shim handles null.
    unsafe { ffi::le_ok(sv) != 0 }
}

/// Perl's truth of `sv`; an overloaded `bool` runs (and may die) under the
/// shim's protection.
pub fn truthy(perl: Perl, sv: *mut SV) -> Result<bool, Failure> {
    let mut v: c_int = 0;
    // SAFETY: the shim handles null; `v` is a live out-pointer.
    outcome(unsafe { ffi::le_truth(perl.raw, sv, &mut v) })?;
    Ok(v != 0)
}

/// A short description of a bad argument for error messages.
pub fn describe(perl: Perl, sv: *mut SV) -> String {
    if !defined(perl, sv) {
        return "undef".into();
    }
    // SAFETY: `sv` is defined and live.
    if unsafe { ffi::le_is_ref(sv) } != 0 {
        return "a reference".into();
    }
    let mut len = 0;
    // SAFETY: stringifies a defined plain scalar (no magic, no overloading);
    // the bytes live as long as `sv`.
    let s = unsafe {
        let pv = ffi::le_pv(perl.raw, sv, &mut len);
        std::slice::from_raw_parts(pv as *const u8, len)
    };
    let text = String::from_utf8_lossy(&s[..s.len().min(40)]);
    format!("'{text}'")
}

/// The bytes of a defined plain scalar (no magic, no overloading), valid
/// while `sv` is.
pub fn bytes<'a>(perl: Perl<'a>, sv: *mut SV) -> &'a [u8] {
    let mut len = 0;
    // SAFETY: as in `describe`; `sv` is an argument of the current call.
    unsafe { std::slice::from_raw_parts(ffi::le_pv(perl.raw, sv, &mut len) as *const u8, len) }
}
