//! The XS glue: everything that touches Perl values.  It translates
//! arguments for the engine, runs the callbacks its events name, and calls
//! the C shim for Perl's macros.

mod clock_xs;
mod core;
mod dispatch;
pub mod ffi;
mod handle;
mod loop_xs;
mod objects;
mod owned;
mod subscription_xs;
mod waker_xs;
mod watcher_xs;
mod xs;

use ffi::CV;
use std::ffi::CString;

/// Perl calls this when `XSLoader::load('Linux::Event')` runs.
///
/// # Safety
/// Called by Perl's dynamic loader as the module's boot XSUB.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn boot_Linux__Event(
    #[cfg(perl_multiplicity)] p: *mut ffi::Interp,
    cv: *mut CV,
) {
    // SAFETY: perl without MULTIPLICITY has one interpreter, running now.
    #[cfg(not(perl_multiplicity))]
    let p = unsafe { ffi::le_current_interp() };
    crate::sys::pretend::load();
    // SAFETY: perl calls its boot XSUB with its live interpreter.
    let perl = unsafe { xs::Perl::new(p) };
    // SAFETY: we are Perl's boot XSUB for this module.
    let args = unsafe { xs::Args::boot(perl, cv) };
    let mut reg = |name: &str, f: ffi::Xsub, ix: i32| {
        let name = CString::new(name).expect("XSUB names have no NUL");
        // SAFETY: registers an XSUB with this interpreter; perl copies the name.
        unsafe { ffi::le_newxs(p, name.as_ptr(), f, ix) };
    };
    // SAFETY: the shim hands back its own XSUB.
    reg(
        "Linux::Event::_despatch",
        unsafe { ffi::le_despatch_xsub() },
        0,
    );
    // SAFETY: as above.
    reg(
        "Linux::Event::Loop::_ae_timer",
        unsafe { ffi::le_ae_timer_xsub() },
        0,
    );
    // SAFETY: as above.
    reg(
        "Linux::Event::Loop::_ae_bind",
        unsafe { ffi::le_ae_bind_xsub() },
        0,
    );
    loop_xs::register(&mut reg);
    watcher_xs::register(&mut reg);
    waker_xs::register(&mut reg);
    subscription_xs::register(&mut reg);
    clock_xs::register(&mut reg);
    // SAFETY: the boot XSUB returns true, with nothing of ours left to drop.
    unsafe { xs::finish(args, xs::ret_bool(perl, true)) }
}
