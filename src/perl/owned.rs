//! `Owned`: one reference count on a Perl value, held by Rust.
//!
//! Dropping it gives the count back without running Perl code where the
//! drop happens (see `le_drop` in the shim): the last reference goes to the
//! mortal stack, and perl frees the value (DESTROY included) at its next
//! FREETMPS, outside the glue.  So the glue can let go of values anywhere,
//! with borrows held and the engine half-way through a change.

use super::ffi::{self, SV};
use super::xs::Perl;
use std::ptr::NonNull;

pub struct Owned(NonNull<SV>);

impl Owned {
    /// Takes over a count the caller owns (a new SV, for one); None for null.
    ///
    /// # Safety
    /// `sv` is null, or a live SV of which the caller owns one count.
    pub unsafe fn take(sv: *mut SV) -> Option<Owned> {
        NonNull::new(sv).map(Owned)
    }

    /// A new count on `sv`; None for null.
    pub fn hold(_perl: Perl, sv: *mut SV) -> Option<Owned> {
        let sv = NonNull::new(sv)?;
        // SAFETY: a live SV of the interpreter the token proves.
        unsafe { ffi::le_inc(sv.as_ptr()) };
        Some(Owned(sv))
    }

    pub fn as_ptr(&self) -> *mut SV {
        self.0.as_ptr()
    }

    /// Hands the count to the caller (to the shim's `le_call`, say).
    pub fn into_raw(self) -> *mut SV {
        let sv = self.0.as_ptr();
        std::mem::forget(self);
        sv
    }

    /// Lets go of the count without touching the value: at global
    /// destruction, perl may have freed it already.
    pub fn abandon(self) {
        std::mem::forget(self);
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: we own one count of this live SV; le_drop runs no Perl code.
        unsafe { ffi::le_drop(self.0.as_ptr()) }
    }
}

/// The pointer of an optional value, null for None.
pub fn ptr_of(sv: &Option<Owned>) -> *mut SV {
    sv.as_ref().map_or(std::ptr::null_mut(), Owned::as_ptr)
}
