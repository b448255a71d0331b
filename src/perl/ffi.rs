//! Declarations of the C shim (csrc/shim.c) and the few Perl API functions
//! the glue calls directly.  Perl's types are opaque here.

use std::ffi::{c_char, c_int, c_void};

#[repr(C)]
pub struct Interp {
    _private: [u8; 0],
}
#[repr(C)]
pub struct SV {
    _private: [u8; 0],
}
#[repr(C)]
pub struct CV {
    _private: [u8; 0],
}

/// An XSUB as perl calls it: with the interpreter only on a MULTIPLICITY
/// perl (see build.rs).  Everything else in the glue always has one, from
/// `le_current_interp` on a perl without MULTIPLICITY.
#[cfg(perl_multiplicity)]
pub type Xsub = unsafe extern "C" fn(*mut Interp, *mut CV);
#[cfg(not(perl_multiplicity))]
pub type Xsub = unsafe extern "C" fn(*mut CV);

/// What became of Perl code the shim ran under its protection (le_protect):
/// it returned, it died (perl has unwound to the nearest eval, `$@` set), or
/// it called `exit`.
pub const CALL_OK: c_int = 0;
pub const CALL_DIED: c_int = 1;
pub const CALL_EXIT: c_int = 2;

pub const KIND_LOOP: c_int = 0;
pub const KIND_WAKER: c_int = 1;

unsafe extern "C" {
    #[cfg(not(perl_multiplicity))]
    pub fn le_current_interp() -> *mut Interp;
    pub fn le_xs_begin(p: *mut Interp, ax: *mut i32) -> i32;
    pub fn le_xs_boot(p: *mut Interp, cv: *mut CV, ax: *mut i32) -> i32;
    pub fn le_xs_arg(p: *mut Interp, ax: i32, i: i32) -> *mut SV;
    pub fn le_xs_getmagic(p: *mut Interp, ax: i32, items: i32) -> c_int;
    pub fn le_xs_ix(cv: *mut CV) -> i32;
    pub fn le_xs_return(p: *mut Interp, ax: i32, sv: *mut SV);
    pub fn le_newxs(p: *mut Interp, name: *const c_char, f: Xsub, ix: i32) -> *mut CV;

    pub fn le_undef(p: *mut Interp) -> *mut SV;
    pub fn le_yes(p: *mut Interp) -> *mut SV;
    pub fn le_no(p: *mut Interp) -> *mut SV;
    pub fn le_new_iv(p: *mut Interp, v: i64) -> *mut SV;
    pub fn le_new_uv(p: *mut Interp, v: u64) -> *mut SV;
    pub fn le_new_pv(p: *mut Interp, s: *const c_char, len: usize) -> *mut SV;
    pub fn le_new_copy(p: *mut Interp, sv: *mut SV) -> *mut SV;
    pub fn le_mortal(p: *mut Interp, sv: *mut SV) -> *mut SV;
    pub fn le_set_uv(p: *mut Interp, sv: *mut SV, v: u64);
    pub fn le_inc(sv: *mut SV);
    pub fn le_ok(sv: *mut SV) -> c_int;
    pub fn le_truth(p: *mut Interp, sv: *mut SV, out: *mut c_int) -> c_int;
    pub fn le_drop(sv: *mut SV);
    pub fn le_is_code(sv: *mut SV) -> c_int;
    pub fn le_is_ref(sv: *mut SV) -> c_int;
    pub fn le_classify(p: *mut Interp, sv: *mut SV, nv: *mut f64, uv: *mut u64) -> c_int;
    pub fn le_pv(p: *mut Interp, sv: *mut SV, len: *mut usize) -> *const c_char;

    pub fn le_rv_target(sv: *mut SV) -> *mut SV;
    pub fn le_new_rv(p: *mut Interp, target: *mut SV) -> *mut SV;
    pub fn le_new_weak(p: *mut Interp, rv: *mut SV) -> *mut SV;
    pub fn le_new_object(
        p: *mut Interp,
        class: *const c_char,
        items: *mut *mut SV,
        n: i32,
    ) -> *mut SV;
    pub fn le_object_field(rv: *mut SV, i: i32) -> *mut SV;
    pub fn le_isa(p: *mut Interp, sv: *mut SV, class: *const c_char) -> c_int;
    pub fn le_handle_fd(p: *mut Interp, rv: *mut SV, fd: *mut c_int) -> c_int;
    pub fn le_handle_fd_now(p: *mut Interp, rv: *mut SV) -> c_int;

    pub fn le_new_watcher(
        p: *mut Interp,
        class: *const c_char,
        fh_ref: *mut SV,
        loop_id: u64,
    ) -> *mut SV;
    pub fn le_watcher(
        p: *mut Interp,
        rv: *mut SV,
        class: *const c_char,
        token: *mut u64,
        loop_id: *mut u64,
    ) -> *mut SV;
    pub fn le_watcher_set_token(w: *mut SV, token: u64);
    pub fn le_watcher_data(w: *mut SV) -> *mut SV;
    pub fn le_watcher_set_data(p: *mut Interp, w: *mut SV, src: *mut SV);
    pub fn le_loop_register(p: *mut Interp, id: u64, weak_loop: *mut SV);
    pub fn le_loop_unregister(p: *mut Interp, id: u64);
    pub fn le_loop_lookup(p: *mut Interp, id: u64) -> *mut SV;

    pub fn le_attach(p: *mut Interp, rv: *mut SV, kind: c_int, ptr: *mut c_void);
    pub fn le_fetch(rv: *mut SV, kind: c_int) -> *mut c_void;
    pub fn le_global_destruct(p: *mut Interp) -> c_int;

    pub fn le_croak_sv(p: *mut Interp, err: *mut SV) -> !;
    pub fn le_rethrow(p: *mut Interp, status: c_int) -> !;

    pub fn le_call(
        p: *mut Interp,
        cb: *mut SV,
        args: *mut *mut SV,
        n: c_int,
        consume: c_int,
    ) -> c_int;
    pub fn le_tmps_ix(p: *mut Interp) -> *const isize;
    pub fn le_free_tmps(p: *mut Interp, floor: isize) -> c_int;
    pub fn le_async_check(p: *mut Interp) -> c_int;
    pub fn le_signals_pending(p: *mut Interp) -> c_int;
    pub fn le_despatch_xsub() -> Xsub;
    pub fn le_ae_timer_xsub() -> Xsub;
    pub fn le_ae_bind_xsub() -> Xsub;
}
