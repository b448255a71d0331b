//! XSUBs of Linux::Event::Loop: construction, running, timers, and the
//! internal halves of watch/waker/signal/pid (their Perl halves parse the
//! options and build the user-facing objects).

use super::core::{IoWatch, LoopCore, Payload, Subscription};
use super::dispatch::cycle;
use super::ffi::{self, Interp, SV};
use super::handle::{LoopHandle, WakerHandle, attach_loop, attach_waker, handle_fd, loop_handle};
use super::objects::{
    field, kept_copy, mortal_ref, new_object, new_uv, new_watcher, pid_sub, register_loop,
    signal_sub, timer_guard, watcher_of, weak,
};
use super::owned::{Owned, ptr_of};
use super::xs::*;
use crate::engine::interest::Interest;
use crate::engine::{MAX_SIGNAL, Refused, WatchError, valid_signal};
use std::cell::Cell;
use std::os::fd::IntoRawFd;
use std::ptr;
use std::sync::atomic::Ordering;

/// The longest delay or timeout accepted, in seconds (about 31 years).
const MAX_SECONDS: f64 = 1e9;

fn ns(seconds: f64) -> u64 {
    (seconds.max(0.0) * 1e9) as u64
}

fn owner_core<'i>(a: Args<'i>) -> Result<(&'i LoopHandle, &'i LoopCore), Failure> {
    let h = loop_handle(a.perl, a.get(0))?;
    Ok((h, h.core()?))
}

// ---- construction ----------------------------------------------------------

fn init(a: Args) -> XsResult {
    a.expect(1, 1, "Linux::Event::Loop::_init($self)")?;
    let core = LoopCore::new(weak(a.perl, a.get(0)))
        .map_err(|e| Failure::Croak(format!("cannot create the epoll instance: {e}")))?;
    register_loop(a.perl, core.id, core.owner_ref.as_ptr());
    super::handle::track_forks();
    attach_loop(a.perl, a.get(0), LoopHandle::new(core));
    ret_empty()
}
xsub!(xs_init, init);

// ---- running ---------------------------------------------------------------

/// The loop's dispatching flag, set while this lives.
struct Dispatching<'a>(&'a Cell<bool>);

impl Drop for Dispatching<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

fn dispatching<'a>(core: &'a LoopCore, what: &str) -> Result<Dispatching<'a>, Failure> {
    if core.dispatching.replace(true) {
        return croak(format!(
            "Linux::Event::Loop: {what} called while the loop is already running (from one of its callbacks)"
        ));
    }
    Ok(Dispatching(&core.dispatching))
}

/// A reference that keeps the loop alive while it dispatches: the argument
/// stack does not own the invocant, and a callback may drop every other
/// reference.  It is also the `$loop` every callback gets.
fn keep_alive(a: Args) -> Owned {
    // SAFETY: the invocant is a live reference to the loop object; the new
    // reference is ours.
    let rv = unsafe { ffi::le_new_rv(a.perl.raw(), ffi::le_rv_target(a.get(0))) };
    // SAFETY: as above.
    unsafe { Owned::take(rv) }.expect("a new reference")
}

fn run(a: Args) -> XsResult {
    a.expect(1, 1, "$loop->run")?;
    let (h, core) = owner_core(a)?;
    let keep = keep_alive(a);
    let _running = dispatching(core, "run")?;
    // What the glue lets go of during a cycle is freed after it (a long
    // `run` has no statement boundary of its own to do it).
    // SAFETY: the interpreter's own field, live as long as it is.
    let tmps_ix = unsafe { ffi::le_tmps_ix(a.perl.raw()) };
    // SAFETY: as above; read between calls into Perl, never during one.
    let floor = unsafe { *tmps_ix };
    h.remote.running.store(true, Ordering::Release);
    while h.remote.running.load(Ordering::Acquire) {
        cycle(a.perl, core, keep.as_ptr(), None)?;
        // SAFETY: as above.
        if unsafe { *tmps_ix } > floor {
            // SAFETY: frees only what was made since `floor`, under protection.
            outcome(unsafe { ffi::le_free_tmps(a.perl.raw(), floor) })?;
        }
    }
    ret_empty()
}
xsub!(xs_run, run);

fn run_once(a: Args) -> XsResult {
    a.expect(1, 2, "$loop->run_once($timeout_seconds = undef)")?;
    let limit = match a.get(1) {
        t if !defined(a.perl, t) => None,
        t => {
            let s = seconds(a.perl, t, "run_once timeout")?;
            if s < 0.0 {
                return croak("run_once timeout must not be negative");
            }
            Some(ns(s.min(MAX_SECONDS)))
        }
    };
    let (_, core) = owner_core(a)?;
    let keep = keep_alive(a);
    let _running = dispatching(core, "run_once")?;
    let ran = cycle(a.perl, core, keep.as_ptr(), limit)?;
    ret_uv(a.perl, ran as u64)
}
xsub!(xs_run_once, run_once);

fn stop(a: Args) -> XsResult {
    a.expect(1, 1, "$loop->stop")?;
    let h = loop_handle(a.perl, a.get(0))?;
    if h.in_forked_child() {
        h.core()?; // croaks with the forked-child message
    }
    h.remote.stop(h.is_clone());
    ret_empty()
}
xsub!(xs_stop, stop);

// ---- timers ----------------------------------------------------------------

/// after (ix 0) and at (ix 1).
fn schedule(a: Args) -> XsResult {
    let usage = if a.ix == 1 {
        "$loop->at($seconds, sub ($loop) { ... })"
    } else {
        "$loop->after($seconds, sub ($loop) { ... })"
    };
    a.expect(3, 3, usage)?;
    let (id, _) = add_timer(a.perl, a.get(0), a.get(1), a.get(2), a.ix == 1)?;
    ret_uv(a.perl, id)
}
xsub!(xs_schedule, schedule);

/// Checks the arguments of after (or at) and adds the timer; returns its id
/// and the loop's core.  Every message is a literal: this is the hot path
/// of every timer.
fn add_timer<'i>(
    perl: Perl<'i>,
    loop_sv: *mut SV,
    time_sv: *mut SV,
    cb_sv: *mut SV,
    at: bool,
) -> Result<(u64, &'i LoopCore), Failure> {
    let (time_what, cb_what) = if at {
        ("at: deadline", "at: callback")
    } else {
        ("after: delay", "after: callback")
    };
    let secs = seconds(perl, time_sv, time_what)?;
    let cb = code(perl, cb_sv, cb_what)?;
    let core = loop_handle(perl, loop_sv)?.core()?;
    let now = crate::sys::clock::monotonic_ns();
    let deadline = if !at {
        if secs > MAX_SECONDS {
            return croak(format!(
                "after: delay {secs} is too large (at most {MAX_SECONDS} seconds)"
            ));
        }
        now + ns(secs)
    } else {
        if secs > now as f64 / 1e9 + MAX_SECONDS {
            return croak(format!("at: deadline {secs} is too far in the future"));
        }
        ns(secs)
    };
    let cb = Owned::hold(perl, cb).expect("a CODE reference has a target");
    let id = core.engine.borrow_mut().add_timer(deadline, cb);
    Ok((id, core))
}

/// `after` returning a guard object instead of the id, or null where
/// `after` would croak.  For AnyEvent::Impl::LinuxEvent, whose timers are
/// cancelled by dropping what the call returned (a DESTROY written in Perl
/// would cost more than the timer itself).
fn new_guard(perl: Perl, loop_sv: *mut SV, secs: *mut SV, cb: *mut SV) -> *mut SV {
    let Ok((id, core)) = add_timer(perl, loop_sv, secs, cb, false) else {
        return ptr::null_mut();
    };
    let items = [
        Owned::hold(perl, core.owner_ref.as_ptr()),
        Some(new_uv(perl, id)),
        None,
        None,
    ];
    mortal(perl, new_object(perl, timer_guard::CLASS, items).into_raw())
}

/// _after_guard($loop, $seconds, $cb): the guard, or undef where `after`
/// would croak (the caller then makes the call that croaks, from where the
/// message should point: a croak here would name its own line).
fn after_guard(a: Args) -> XsResult {
    a.expect(
        3,
        3,
        "Linux::Event::Loop::_after_guard($loop, $seconds, $cb)",
    )?;
    let guard = new_guard(a.perl, a.get(0), a.get(1), a.get(2));
    if guard.is_null() {
        return Ok(undef(a.perl));
    }
    Ok(guard)
}
xsub!(xs_after_guard, after_guard);

/// The guard of a new one-shot timer for AE::timer (csrc/shim.c), whose
/// arguments have no get-magic; null where `after` would croak.
///
/// # Safety
/// Called by the shim's AE::timer XSUB with live SVs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn le_rs_after_guard(
    p: *mut Interp,
    loop_sv: *mut SV,
    secs: *mut SV,
    cb: *mut SV,
) -> *mut SV {
    // SAFETY: the shim's XSUB runs in interpreter `p`.
    let perl = unsafe { Perl::new(p) };
    // Nothing here calls Perl code; a panic becomes null (the slow path
    // then croaks).
    std::panic::catch_unwind(|| new_guard(perl, loop_sv, secs, cb)).unwrap_or(ptr::null_mut())
}

/// DESTROY of a timer guard: cancels its timer if it is still pending.
/// Never croaks: a guard dropped in a forked child, in another thread, or
/// after its loop is gone leaves everything alone.
fn guard_destroy(a: Args) -> XsResult {
    let obj = a.get(0);
    let id = classify(a.perl, field(a.perl, obj, timer_guard::ID));
    let (Some(h), Num::UInt(id)) = (super::objects::owner(a.perl, obj), id) else {
        return ret_empty();
    };
    if let Ok(core) = h.core() {
        core.engine.borrow_mut().cancel_timer(id);
    }
    ret_empty()
}
xsub!(xs_guard_destroy, guard_destroy);

/// cancel($id) -> 1 or 0.  Like 0.007, anything that is not a pending id
/// (undef, a fired or never-issued id, any other plain scalar) is simply
/// not found: teardown code cancels ids that may never have been armed.
/// Only a reference croaks: it can never be an id, so it is a bug.
fn cancel(a: Args) -> XsResult {
    a.expect(2, 2, "$loop->cancel($timer_id)")?;
    // SAFETY: the shim handles any SV.
    if unsafe { ffi::le_is_ref(a.get(1)) } != 0 {
        return croak(format!(
            "cancel: timer id must be an id returned by after or at, not {}",
            describe(a.perl, a.get(1))
        ));
    }
    let (_, core) = owner_core(a)?;
    let Num::UInt(id) = classify(a.perl, a.get(1)) else {
        return ret_bit(a.perl, false);
    };
    let found = core.engine.borrow_mut().cancel_timer(id).is_some();
    ret_bit(a.perl, found)
}
xsub!(xs_cancel, cancel);

// ---- watchers (internal half) ----------------------------------------------

const RESERVED: &str = "is reserved for the loop's own use (its waker, signal eventfd or a pidfd); \
     use $waker->on_wakeup to react to wakeups";

/// Whether `fd` is the number of the user's open handle on the waker (the
/// loop's own while that handle is open).  Asking may run Perl code (a
/// PerlIO layer), so it is asked before anything else is held.
fn is_waker_fd(a: Args, fd: i32) -> Result<bool, Failure> {
    let (_, core) = owner_core(a)?;
    let fh = Owned::hold(a.perl, ptr_of(&core.waker_fh.borrow()));
    match fh {
        Some(fh) => Ok(handle_fd(a.perl, fh.as_ptr())? == fd),
        None => Ok(false),
    }
}

/// _watch($fh, $fd, $read, $write, $error, $data, $edge, $oneshot): the
/// options are parsed by Loop.pm; returns the new watcher object.
fn watch(a: Args) -> XsResult {
    a.expect(9, 9, "$loop->_watch(...)")?;
    let perl = a.perl;
    let fd = match classify(perl, a.get(2)) {
        Num::UInt(fd) if fd <= i32::MAX as u64 => fd as i32,
        _ => return croak("watch: the handle has no file descriptor"),
    };
    let cb = [
        code_or_undef(perl, a.get(3), "watch: read")?,
        code_or_undef(perl, a.get(4), "watch: write")?,
        code_or_undef(perl, a.get(5), "watch: error")?,
    ];
    // Truth tests may run Perl code (overloading): before the loop is held.
    let edge = truthy(perl, a.get(7))?;
    let oneshot = truthy(perl, a.get(8))?;
    if is_waker_fd(a, fd)? {
        return croak(format!("watch: fd {fd} {RESERVED}"));
    }
    let (_, core) = owner_core(a)?;

    let object = new_watcher(perl, a.get(1), core.id);
    let ret = mortal_ref(perl, object.as_ptr());
    let this = watcher_of(perl, object.as_ptr())?;
    if defined(perl, a.get(6)) {
        this.set_data(perl, a.get(6));
    }
    let fh_held = Owned::hold(perl, this.w).expect("the watcher's scalar");
    let w = IoWatch {
        object,
        fh: fh_held,
        cb: cb.map(|c| Owned::hold(perl, c)),
        enabled: cb.map(|c| !c.is_null()),
    };
    let interest = w.interest(Interest {
        edge,
        oneshot,
        ..Interest::default()
    });
    let result = core.engine.borrow_mut().watch(fd, interest, Payload::Io(w));
    let token = result.map_err(|Refused { error, .. }| {
        Failure::Croak(match error {
            WatchError::Reserved => format!("watch: fd {fd} {RESERVED}"),
            WatchError::NotPollable => format!(
                "watch: fd {fd} cannot be watched: epoll does not support this kind of file (a regular file or directory?)"
            ),
            WatchError::Os(e) => format!("watch: cannot watch fd {fd}: {e}"),
        })
    })?;
    this.set_token(perl, token);
    Ok(ret)
}
xsub!(xs_watch, watch);

/// _unwatch_fd($fd) -> bool
fn unwatch_fd(a: Args) -> XsResult {
    a.expect(2, 2, "$loop->_unwatch_fd($fd)")?;
    let (_, core) = owner_core(a)?;
    let fd = match classify(a.perl, a.get(1)) {
        Num::UInt(fd) if fd <= i32::MAX as u64 => fd as i32,
        _ => return ret_bool(a.perl, false),
    };
    let Some(token) = core.engine.borrow().io_token(fd) else {
        return ret_bool(a.perl, false);
    };
    // Asking the handle may run Perl code: the loop is looked up again after.
    let fh = core.watcher_fh(a.perl, token);
    let open = match fh {
        Some(fh) => handle_fd(a.perl, fh.as_ptr())? == fd,
        None => false,
    };
    let (_, core) = owner_core(a)?;
    // A watcher left on this number by a handle closed without unwatch is
    // not the watcher of this handle: it is purged, and nothing was removed.
    let removed = core.unwatch(token);
    ret_bool(a.perl, open && removed)
}
xsub!(xs_unwatch_fd, unwatch_fd);

// ---- the waker (internal half) ----------------------------------------------

/// _waker_fd() -> fd for the user's handle (a new duplicate; Perl owns it).
fn waker_fd(a: Args) -> XsResult {
    a.expect(1, 1, "$loop->_waker_fd")?;
    let (h, core) = owner_core(a)?;
    if core.engine.borrow().waker().is_some() {
        return croak("Linux::Event::Loop: the waker exists already");
    }
    let made = core.engine.borrow_mut().create_waker();
    let (waker, dup) =
        made.map_err(|e| Failure::Croak(format!("cannot create the waker's eventfd: {e}")))?;
    let _ = h.remote.waker.set(waker);
    ret_iv(a.perl, i64::from(dup.into_raw_fd()))
}
xsub!(xs_waker_fd, waker_fd);

/// _attach_waker($waker_object, $fh): gives the Wakeup object its eventfd
/// and tells the loop the user's handle on it (reserved while open).
fn attach_waker_xs(a: Args) -> XsResult {
    a.expect(3, 3, "$loop->_attach_waker($waker, $fh)")?;
    let (_, core) = owner_core(a)?;
    let waker = core.engine.borrow().waker().cloned();
    let Some(waker) = waker else {
        return croak("Linux::Event::Loop: no waker to attach");
    };
    core.waker_fh.replace(Some(weak(a.perl, a.get(2))));
    attach_waker(a.perl, a.get(1), WakerHandle::new(waker));
    ret_empty()
}
xsub!(xs_attach_waker, attach_waker_xs);

/// _on_wakeup($cb_or_undef)
fn on_wakeup(a: Args) -> XsResult {
    a.expect(2, 2, "$loop->_on_wakeup($cb)")?;
    let cb = code_or_undef(a.perl, a.get(1), "on_wakeup: handler")?;
    let (_, core) = owner_core(a)?;
    core.on_wakeup.replace(Owned::hold(a.perl, cb));
    ret_empty()
}
xsub!(xs_on_wakeup, on_wakeup);

// ---- subscriptions (internal halves) ---------------------------------------

/// The signal numbers of `list` (Loop.pm resolved names to numbers).
fn signal_numbers(perl: Perl, list: *mut SV) -> Result<Vec<i32>, Failure> {
    let mut signos = Vec::new();
    for i in 0.. {
        let n = field(perl, list, i);
        if n.is_null() {
            break;
        }
        match classify(perl, n) {
            Num::UInt(n) if valid_signal(n as i64) => signos.push(n as i32),
            Num::UInt(n) if (1..=MAX_SIGNAL as u64).contains(&n) => {
                return croak(format!("signal: cannot handle signal {n}"));
            }
            _ => return croak(format!("signal: unknown signal {}", describe(perl, n))),
        }
    }
    if signos.is_empty() {
        return croak("signal: empty signal list");
    }
    Ok(signos)
}

/// _signal(\@signos, $cb, $data) -> Linux::Event::Signal::Subscription covering
/// every signal in the list.
fn signal(a: Args) -> XsResult {
    a.expect(4, 4, "$loop->_signal(\\@signos, $cb, $data)")?;
    let perl = a.perl;
    let list = a.get(1);
    let signos = signal_numbers(perl, list)?;
    let cb = code(perl, a.get(2), "signal: callback")?;
    let (_, core) = owner_core(a)?;
    for (i, &signo) in signos.iter().enumerate() {
        let Err(e) = core.engine.borrow_mut().add_signal(signo) else {
            continue;
        };
        // Give back what this call took for signals that have no handler.
        let signals = core.signals.borrow();
        let mut engine = core.engine.borrow_mut();
        for &s in &signos[..i] {
            if signals[s as usize].is_none() {
                engine.remove_signal(s).map_err(|e| {
                    Failure::Croak(format!("signal: cannot give signal {s} back: {e}"))
                })?;
            }
        }
        return croak(format!(
            "signal: cannot route signal {signo} to the loop: {e}"
        ));
    }
    let id = core.new_subscription_id();
    let items = [
        Owned::hold(perl, core.owner_ref.as_ptr()),
        kept_copy(perl, list),
        Some(new_uv(perl, id)),
        None,
    ];
    let object = new_object(perl, signal_sub::CLASS, items);
    let ret = mortal_ref(perl, object.as_ptr());
    for &signo in &signos {
        let sub = Subscription {
            object: Owned::hold(perl, object.as_ptr()).expect("live"),
            cb: Owned::hold(perl, cb).expect("a CODE reference has a target"),
            data: kept_copy(perl, a.get(3)),
            id,
        };
        // What it replaces is let go.
        core.signals.borrow_mut()[signo as usize] = Some(sub);
    }
    Ok(ret)
}
xsub!(xs_signal, signal);

/// Whether a number reads as plain decimal digits, as a pid is written:
/// "007", " 7" or "7.0" are refused rather than guessed at.
fn plain_digits(perl: Perl, sv: *mut SV) -> bool {
    let s = bytes(perl, sv);
    s.first().is_some_and(|&c| c != b'0') && s.iter().all(u8::is_ascii_digit)
}

/// _pid($pid, $cb, $data, $reap) -> Linux::Event::Pid::Subscription
fn pid(a: Args) -> XsResult {
    a.expect(5, 5, "$loop->_pid($pid, $cb, $data, $reap)")?;
    let perl = a.perl;
    let pid = match classify(perl, a.get(1)) {
        Num::UInt(n) if (1..=i32::MAX as u64).contains(&n) && plain_digits(perl, a.get(1)) => {
            n as i32
        }
        _ => {
            return croak(format!(
                "pid: process id must be a positive integer, not {}",
                describe(perl, a.get(1))
            ));
        }
    };
    let cb = code(perl, a.get(2), "pid: callback")?;
    let reap = truthy(perl, a.get(4))?;
    let (_, core) = owner_core(a)?;
    let token_sv = new_uv(perl, 0);
    let token_raw = token_sv.as_ptr();
    let items = [
        Owned::hold(perl, core.owner_ref.as_ptr()),
        Some(new_uv(perl, pid as u64)),
        Some(token_sv),
        None,
    ];
    let object = new_object(perl, pid_sub::CLASS, items);
    let ret = mortal_ref(perl, object.as_ptr());
    let sub = Subscription {
        object,
        cb: Owned::hold(perl, cb).expect("a CODE reference has a target"),
        data: kept_copy(perl, a.get(3)),
        id: 0,
    };
    let result = core
        .engine
        .borrow_mut()
        .watch_child(pid, reap, Payload::Child(sub));
    let token = result.map_err(|Refused { error, .. }| {
        Failure::Croak(match error {
            WatchError::Os(e) if e.raw_os_error() == Some(libc::ESRCH) => {
                format!("pid: no such process {pid}")
            }
            WatchError::Os(e) if e.raw_os_error() == Some(libc::ECHILD) => format!(
                "pid: process {pid} is not a child of this process, so it cannot be reaped (use reap => 0 to be notified only)"
            ),
            WatchError::Os(e) if crate::sys::pretend::is_unavailable(&e) => format!(
                "pid: watching processes needs pidfd_open(2), which Linux has since 5.3; this kernel or its sandbox refuses it ({})",
                if e.raw_os_error() == Some(libc::EPERM) {
                    "EPERM"
                } else {
                    "ENOSYS"
                }
            ),
            WatchError::Os(e) => format!("pid: cannot watch process {pid}: {e}"),
            _ => format!("pid: cannot watch process {pid}"),
        })
    })?;
    // SAFETY: the token slot of the object just made (the object holds it).
    unsafe { ffi::le_set_uv(perl.raw(), token_raw, token) };
    Ok(ret)
}
xsub!(xs_pid, pid);

pub fn register(reg: &mut dyn FnMut(&str, ffi::Xsub, i32)) {
    reg("Linux::Event::Loop::_init", xs_init, 0);
    reg("Linux::Event::Loop::run", xs_run, 0);
    reg("Linux::Event::Loop::run_once", xs_run_once, 0);
    reg("Linux::Event::Loop::stop", xs_stop, 0);
    reg("Linux::Event::Loop::after", xs_schedule, 0);
    reg("Linux::Event::Loop::at", xs_schedule, 1);
    reg("Linux::Event::Loop::cancel", xs_cancel, 0);
    reg("Linux::Event::Loop::_after_guard", xs_after_guard, 0);
    reg(
        "Linux::Event::Loop::TimerGuard::DESTROY",
        xs_guard_destroy,
        0,
    );
    reg("Linux::Event::Loop::_watch", xs_watch, 0);
    reg("Linux::Event::Loop::_unwatch_fd", xs_unwatch_fd, 0);
    reg("Linux::Event::Loop::_waker_fd", xs_waker_fd, 0);
    reg("Linux::Event::Loop::_attach_waker", xs_attach_waker, 0);
    reg("Linux::Event::Loop::_on_wakeup", xs_on_wakeup, 0);
    reg("Linux::Event::Loop::_signal", xs_signal, 0);
    reg("Linux::Event::Loop::_pid", xs_pid, 0);
}
