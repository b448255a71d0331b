//! The Rust state behind Perl objects, and who may use it.
//!
//! A loop object carries a `LoopHandle`: the part any thread may use
//! (`Remote`: running flag and waker) behind an `Arc`, and the interpreter's
//! own part (`LoopCore`: callbacks and the engine) only in the interpreter
//! that made it.  When perl clones the object into a new ithread, `dup` gives the clone
//! the `Arc` and no core, so the clone can stop the loop and signal its waker
//! but can never touch the parent's Perl values; when the thread ends its
//! free drops only the `Arc`.  After fork, the child's copy is recognised by
//! a fork generation and refuses everything that would change the epoll set
//! it shares with the parent.

use super::core::LoopCore;
use super::ffi::{self, Interp, SV};
use super::xs::{Failure, Perl, croak, outcome};
use crate::engine::waker::Waker;
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

pub use crate::sys::fork::{fork_generation, track_forks};

const IN_CHILD: &str = "belongs to the parent process and cannot be used in a forked child \
     (create a new loop there; only $waker->signal works across fork)";
const IN_THREAD: &str = "belongs to another thread: in a thread only $loop->stop, \
     $waker->signal and $waker->drain work";

/// The part of a loop that every thread holding it may use.
pub struct Remote {
    pub running: AtomicBool,
    pub waker: OnceLock<Arc<Waker>>,
}

impl Remote {
    /// Asks the loop to return from `run`; from another thread the waker (if
    /// any) interrupts a blocked wait.  The owning thread cannot be blocked
    /// while it calls this, and a wakeup left behind would end its next
    /// `run_once()` early with nothing to dispatch, so it only sets the flag.
    pub fn stop(&self, from_other_thread: bool) {
        self.running.store(false, Ordering::Release);
        if from_other_thread && let Some(w) = self.waker.get() {
            w.wake();
        }
    }
}

pub struct LoopHandle {
    pub remote: Arc<Remote>,
    core: Option<Box<LoopCore>>,
    fork_generation: u64,
}

pub struct WakerHandle {
    pub waker: Arc<Waker>,
    pub is_clone: bool,
    fork_generation: u64,
}

impl WakerHandle {
    pub fn new(waker: Arc<Waker>) -> WakerHandle {
        WakerHandle {
            waker,
            is_clone: false,
            fork_generation: fork_generation(),
        }
    }

    pub fn in_forked_child(&self) -> bool {
        self.fork_generation != fork_generation()
    }
}

impl LoopHandle {
    pub fn new(core: LoopCore) -> LoopHandle {
        let remote = Arc::new(Remote {
            running: AtomicBool::new(false),
            waker: OnceLock::new(),
        });
        LoopHandle {
            remote,
            core: Some(Box::new(core)),
            fork_generation: fork_generation(),
        }
    }

    pub fn is_clone(&self) -> bool {
        self.core.is_none()
    }

    pub fn in_forked_child(&self) -> bool {
        self.fork_generation != fork_generation()
    }

    /// The core for reading only: allowed in a forked child (its copy is
    /// intact), not in another thread.
    pub fn core_to_read(&self) -> Result<&LoopCore, Failure> {
        match &self.core {
            Some(c) => Ok(c),
            None => croak(format!("Linux::Event::Loop: this loop {IN_THREAD}")),
        }
    }

    /// The core, for a caller in the owning interpreter and process.
    pub fn core(&self) -> Result<&LoopCore, Failure> {
        if self.in_forked_child() {
            return croak(format!("Linux::Event::Loop: this loop {IN_CHILD}"));
        }
        match &self.core {
            Some(c) => Ok(c),
            None => croak(format!("Linux::Event::Loop: this loop {IN_THREAD}")),
        }
    }
}

/// The loop handle behind a loop object (or anything holding one as a
/// reference), or an error that names what was passed instead.  The loop
/// lives as long as the object, which outlives the call `perl` is for
/// unless Perl code frees it, and no Perl code runs while the glue holds
/// this reference except where the loop is kept alive (see `run`).
pub fn loop_handle<'i>(_perl: Perl<'i>, sv: *mut SV) -> Result<&'i LoopHandle, Failure> {
    // SAFETY: le_fetch checks the reference and our own magic vtable.
    let ptr = unsafe { ffi::le_fetch(sv, ffi::KIND_LOOP) } as *const LoopHandle;
    if ptr.is_null() {
        return croak("not a Linux::Event::Loop object (or the loop is gone)");
    }
    // SAFETY: the magic owns a live LoopHandle for as long as the object lives.
    Ok(unsafe { &*ptr })
}

pub fn waker_handle<'i>(_perl: Perl<'i>, sv: *mut SV) -> Result<&'i WakerHandle, Failure> {
    // SAFETY: as in loop_handle.
    let ptr = unsafe { ffi::le_fetch(sv, ffi::KIND_WAKER) } as *const WakerHandle;
    if ptr.is_null() {
        return croak("not a Linux::Event::Wakeup object");
    }
    // SAFETY: as in loop_handle.
    Ok(unsafe { &*ptr })
}

pub fn attach_loop(perl: Perl, rv: *mut SV, handle: LoopHandle) {
    let ptr = Box::into_raw(Box::new(handle));
    // SAFETY: `rv` is a reference to the new object; the magic takes the box.
    unsafe { ffi::le_attach(perl.raw(), rv, ffi::KIND_LOOP, ptr as *mut c_void) };
}

pub fn attach_waker(perl: Perl, rv: *mut SV, handle: WakerHandle) {
    let ptr = Box::into_raw(Box::new(handle));
    // SAFETY: as in attach_loop.
    unsafe { ffi::le_attach(perl.raw(), rv, ffi::KIND_WAKER, ptr as *mut c_void) };
}

/// The fd of the handle a (weak) reference points to, -1 if it is gone or
/// closed.  A PerlIO layer written in Perl answers with Perl code, run
/// under the shim's protection.
pub fn handle_fd(perl: Perl, rv: *mut SV) -> Result<i32, Failure> {
    let mut fd = -1;
    // SAFETY: the shim handles null and non-handles; `fd` is a live out-pointer.
    outcome(unsafe { ffi::le_handle_fd(perl.raw(), rv, &mut fd) })?;
    Ok(fd)
}

/// `handle_fd` when it can be answered without running Perl code (the
/// handle's bottom layer is :unix, or it is closed or gone); None otherwise.
pub fn handle_fd_now(perl: Perl, rv: *mut SV) -> Option<i32> {
    // SAFETY: the shim handles null and non-handles, and runs no Perl code.
    match unsafe { ffi::le_handle_fd_now(perl.raw(), rv) } {
        -2 => None,
        fd => Some(fd),
    }
}

/// Magic free hook: the object is being destroyed in interpreter `p`.
///
/// # Safety
/// Called by the shim with a pointer made by `attach_*` or `le_rs_dup`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn le_rs_free(p: *mut Interp, kind: i32, ptr: *mut c_void) {
    if kind == ffi::KIND_LOOP {
        // SAFETY: made by Box::into_raw in attach_loop or le_rs_dup.
        let mut handle = unsafe { Box::from_raw(ptr as *mut LoopHandle) };
        if let Some(core) = handle.core.take() {
            // SAFETY: the shim answers from the interpreter's phase.
            let exiting = unsafe { ffi::le_global_destruct(p) } != 0;
            // SAFETY: perl frees the object in its live interpreter `p`.
            core.teardown(unsafe { Perl::new(p) }, exiting);
        }
    } else {
        // SAFETY: made by Box::into_raw in attach_waker or le_rs_dup.
        drop(unsafe { Box::from_raw(ptr as *mut WakerHandle) });
    }
}

/// Magic dup hook: perl is cloning the object into a new thread.
///
/// # Safety
/// Called by the shim with a pointer made by `attach_*` or `le_rs_dup`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn le_rs_dup(_p: *mut Interp, kind: i32, ptr: *mut c_void) -> *mut c_void {
    if kind == ffi::KIND_LOOP {
        // SAFETY: the parent's handle is alive while perl clones it.
        let parent = unsafe { &*(ptr as *const LoopHandle) };
        let clone = LoopHandle {
            remote: Arc::clone(&parent.remote),
            core: None,
            fork_generation: parent.fork_generation,
        };
        Box::into_raw(Box::new(clone)) as *mut c_void
    } else {
        // SAFETY: as above.
        let parent = unsafe { &*(ptr as *const WakerHandle) };
        let clone = WakerHandle {
            waker: Arc::clone(&parent.waker),
            is_clone: true,
            fork_generation: parent.fork_generation,
        };
        Box::into_raw(Box::new(clone)) as *mut c_void
    }
}
