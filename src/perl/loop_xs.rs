//! XSUBs of Linux::Event::Loop: construction, running, timers, and the
//! internal halves of watch/waker/signal/pid (their Perl halves validate and
//! build the user-facing objects).

use super::core::{Held, IoWatch, LoopCore, READ, Subscription, WRITE};
use super::dispatch::cycle;
use super::ffi::{self, Interp, SV};
use super::handle::{LoopHandle, WakerHandle, attach_loop, attach_waker, loop_handle};
use super::objects::{field, mortal_ref, new_object, weak};
use super::subscription_xs;
use super::xs::*;
use crate::interest::Interest;
use crate::reactor::{Refused, Source, WatchError};
use crate::registry::Token;
use std::os::fd::IntoRawFd;
use std::ptr;
use std::sync::atomic::Ordering;

/// The longest delay or timeout accepted, in seconds (about 31 years).
const MAX_SECONDS: f64 = 1e9;

fn ns(seconds: f64) -> u64 {
    (seconds.max(0.0) * 1e9) as u64
}

fn owner_core<'a>(a: Args) -> Result<(&'a LoopHandle, &'a LoopCore), Failure> {
    let h = loop_handle(a.get(0))?;
    Ok((h, h.core()?))
}

// ---- construction ----------------------------------------------------------

fn init(a: Args) -> XsResult {
    a.expect(1, 1, "Linux::Event::Loop::_init($self)")?;
    let mut core = LoopCore::new()
        .map_err(|e| Failure::Croak(format!("cannot create the epoll instance: {e}")))?;
    core.owner_ref = weak(a.p, a.get(0));
    // SAFETY: a live weak reference; the entry holds its own count.
    unsafe { ffi::le_loop_register(a.p, core.id, core.owner_ref) };
    super::handle::track_forks();
    attach_loop(a.p, a.get(0), LoopHandle::new(core));
    ret_empty()
}
xsub!(xs_init, init);

// ---- running ---------------------------------------------------------------

/// Marks the loop as dispatching for the duration of `body`.
fn dispatching<T>(
    core: &LoopCore,
    what: &str,
    body: impl FnOnce() -> Result<T, Failure>,
) -> Result<T, Failure> {
    if core.dispatching.get() {
        return croak(format!(
            "Linux::Event::Loop: {what} called while the loop is already running (from one of its callbacks)"
        ));
    }
    core.dispatching.set(true);
    let r = body();
    core.dispatching.set(false);
    r
}

/// A reference that keeps the loop alive while it dispatches: the argument
/// stack does not own the invocant, and neither a mortal would do (an exit
/// or die in a callback frees the mortals of the scopes it leaves).  It is
/// also the `$loop` every callback gets.
fn keep_alive(a: Args) -> *mut SV {
    // SAFETY: the invocant is a live reference to the loop object.
    unsafe { ffi::le_new_rv(a.p, ffi::le_rv_target(a.get(0))) }
}

/// Ends `keep_alive`: the reference goes to the mortal stack (freed when
/// the caller's statement ends), except after an exit, when nothing is.
fn let_go<T>(a: Args, loop_sv: *mut SV, r: &Result<T, Failure>) {
    if !matches!(r, Err(Failure::Exit)) {
        mortal(a.p, loop_sv);
    }
}

fn run(a: Args) -> XsResult {
    a.expect(1, 1, "$loop->run")?;
    let (h, core) = owner_core(a)?;
    let loop_sv = keep_alive(a);
    let r = dispatching(core, "run", || {
        h.shared.running.store(true, Ordering::Release);
        while h.shared.running.load(Ordering::Acquire) {
            cycle(a.p, core, loop_sv, None)?;
        }
        Ok(())
    });
    let_go(a, loop_sv, &r);
    r?;
    ret_empty()
}
xsub!(xs_run, run);

fn run_once(a: Args) -> XsResult {
    a.expect(1, 2, "$loop->run_once($timeout_seconds = undef)")?;
    let limit = match a.get(1) {
        t if !defined(t) => None,
        t => {
            let s = seconds(a.p, t, "run_once timeout")?;
            if s < 0.0 {
                return croak("run_once timeout must not be negative");
            }
            Some(ns(s.min(MAX_SECONDS)))
        }
    };
    let (_, core) = owner_core(a)?;
    let loop_sv = keep_alive(a);
    let ran = dispatching(core, "run_once", || cycle(a.p, core, loop_sv, limit));
    let_go(a, loop_sv, &ran);
    ret_uv(a.p, ran? as u64)
}
xsub!(xs_run_once, run_once);

fn stop(a: Args) -> XsResult {
    a.expect(1, 1, "$loop->stop")?;
    let h = loop_handle(a.get(0))?;
    if h.in_forked_child() {
        h.core()?; // croaks with the forked-child message
    }
    h.shared.stop(h.is_clone());
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
    let (id, _) = add_timer(a.p, a.get(0), a.get(1), a.get(2), a.ix == 1)?;
    ret_uv(a.p, id)
}
xsub!(xs_schedule, schedule);

/// Checks the arguments of after (or at) and adds the timer; returns its id
/// and the loop's core.  Every message is a literal: this is the hot path
/// of every timer.
fn add_timer<'a>(
    p: *mut Interp,
    loop_sv: *mut SV,
    time_sv: *mut SV,
    cb_sv: *mut SV,
    at: bool,
) -> Result<(u64, &'a LoopCore), Failure> {
    let (time_what, cb_what) = if at {
        ("at: deadline", "at: callback")
    } else {
        ("after: delay", "after: callback")
    };
    let secs = seconds(p, time_sv, time_what)?;
    let cb = code(p, cb_sv, cb_what)?;
    let core = loop_handle(loop_sv)?.core()?;
    let mut engine = core.engine.borrow_mut();
    let now = engine.now();
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
    let id = engine.add_timer(deadline, hold(cb));
    Ok((id, core))
}

/// `after` returning a guard object instead of the id, or null where
/// `after` would croak.  For AnyEvent::Impl::LinuxEvent, whose timers are
/// cancelled by dropping what the call returned (a DESTROY written in Perl
/// would cost more than the timer itself).
fn new_guard(p: *mut Interp, loop_sv: *mut SV, secs: *mut SV, cb: *mut SV) -> *mut SV {
    let Ok((id, core)) = add_timer(p, loop_sv, secs, cb, false) else {
        return ptr::null_mut();
    };
    // SAFETY: plain constructor; its reference moves into the object.
    let mut items = [hold(core.owner_ref), unsafe { ffi::le_new_uv(p, id) }];
    mortal(p, new_object(p, GUARD, &mut items))
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
    let guard = new_guard(a.p, a.get(0), a.get(1), a.get(2));
    if guard.is_null() {
        // SAFETY: immortal undef.
        return Ok(unsafe { ffi::le_undef(a.p) });
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
    // Nothing here calls Perl code; a panic becomes null (the slow path
    // then croaks).
    std::panic::catch_unwind(|| new_guard(p, loop_sv, secs, cb)).unwrap_or(ptr::null_mut())
}

/// The class of the guards of `_after_guard`: [weak loop, timer id].
const GUARD: &std::ffi::CStr = c"Linux::Event::Loop::TimerGuard";

/// DESTROY of a timer guard: cancels its timer if it is still pending.
/// Never croaks: a guard dropped in a forked child, in another thread, or
/// after its loop is gone leaves everything alone.
fn guard_destroy(a: Args) -> XsResult {
    use super::objects::{KEY, owner};
    let obj = a.get(0);
    let (Some(h), Num::UInt(id)) = (owner(obj), classify(a.p, field(obj, KEY))) else {
        return ret_empty();
    };
    if let Ok(core) = h.core() {
        let cb = core.engine.borrow_mut().cancel_timer(id);
        if let Some(cb) = cb {
            release(a.p, cb);
        }
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
            describe(a.p, a.get(1))
        ));
    }
    let (_, core) = owner_core(a)?;
    let Num::UInt(id) = classify(a.p, a.get(1)) else {
        return ret_bit(a.p, false);
    };
    let cb = core.engine.borrow_mut().cancel_timer(id);
    let found = cb.is_some();
    if let Some(cb) = cb {
        release(a.p, cb);
    }
    ret_bit(a.p, found)
}
xsub!(xs_cancel, cancel);

// ---- watchers (internal half) ----------------------------------------------

/// _watch($fh, $fd, $read, $write, $error, $data, $edge, $oneshot): the
/// arguments are validated by Loop.pm; returns the new watcher object.
fn watch(a: Args) -> XsResult {
    a.expect(9, 9, "$loop->_watch(...)")?;
    let p = a.p;
    let fd = match classify(p, a.get(2)) {
        Num::UInt(fd) if fd <= i32::MAX as u64 => fd as i32,
        _ => return croak("watch: the handle has no file descriptor"),
    };
    let cb = [
        code_or_undef(p, a.get(3), "watch: read")?,
        code_or_undef(p, a.get(4), "watch: write")?,
        code_or_undef(p, a.get(5), "watch: error")?,
    ];
    let (edge, oneshot) = (truthy(p, a.get(7)), truthy(p, a.get(8)));
    let (_, core) = owner_core(a)?;
    // The user's handle on the waker is reserved while it is open; once
    // closed, its number is anybody's.
    // SAFETY: null or the weak reference the loop keeps.
    if unsafe { ffi::le_handle_fd(p, core.waker_fh.get()) } == fd {
        return croak(format!("watch: fd {fd} {RESERVED}"));
    }

    // SAFETY: a live reference to the handle; we own the new object.
    let object = unsafe { ffi::le_new_watcher(p, WATCHER.as_ptr(), a.get(1), core.id) };
    // SAFETY: `object` is a reference to the watcher, the weak handle reference.
    let fh = unsafe { ffi::le_rv_target(object) };
    // An undefined data slot costs nothing: it stays empty until set.
    if defined(a.get(6)) {
        // SAFETY: the new watcher; a copy of a live argument, no old value.
        unsafe { ffi::le_watcher_set_data(p, fh, a.get(6)) };
    }
    let w = IoWatch {
        object,
        fh: hold(fh),
        cb: cb.map(hold),
        enabled: cb.map(|c| !c.is_null()),
    };
    let interest = Interest {
        read: w.on(READ),
        write: w.on(WRITE),
        edge,
        oneshot,
    };
    let result = core.engine.borrow_mut().watch(fd, interest, Held::Io(w));
    // SAFETY: the watcher just made.
    let set_token = |token| unsafe { ffi::le_watcher_set_token(fh, token) };
    settle(p, core, result, object, set_token, |error| match error {
        WatchError::Reserved => format!("watch: fd {fd} {RESERVED}"),
        WatchError::NotPollable => format!(
            "watch: fd {fd} cannot be watched: epoll does not support this kind of file (a regular file or directory?)"
        ),
        WatchError::Os(e) => format!("watch: cannot watch fd {fd}: {e}"),
    })
}

/// The class of the watcher objects (see `le_new_watcher` in csrc/shim.c).
pub const WATCHER: &std::ffi::CStr = c"Linux::Event::Watcher";

const RESERVED: &str = "is reserved for the loop's own use (its waker, signal eventfd or a pidfd); \
     use $waker->on_wakeup to react to wakeups";

/// Finishes a registration: on success the object learns its token and what
/// it replaced (or left orphaned) is released; on refusal everything is
/// released and the error becomes a croak.  Returns a mortal reference to
/// the object.
fn settle(
    p: *mut Interp,
    core: &LoopCore,
    result: Result<(Token, Option<Held>), Refused<Held>>,
    object: *mut SV,
    set_token: impl FnOnce(Token),
    message: impl FnOnce(WatchError) -> String,
) -> XsResult {
    let ret = mortal_ref(p, object);
    let (replaced, error) = match result {
        Ok((token, replaced)) => {
            set_token(token);
            (replaced, None)
        }
        Err(Refused {
            error,
            payload,
            replaced,
        }) => {
            payload.release(p);
            (replaced, Some(error))
        }
    };
    if let Some(old) = replaced {
        old.release(p);
    }
    core.release_orphans(p);
    match error {
        None => Ok(ret),
        Some(e) => croak(message(e)),
    }
}
xsub!(xs_watch, watch);

/// _unwatch_fd($fd) -> bool
fn unwatch_fd(a: Args) -> XsResult {
    a.expect(2, 2, "$loop->_unwatch_fd($fd)")?;
    let fd = match classify(a.p, a.get(1)) {
        Num::UInt(fd) if fd <= i32::MAX as u64 => fd as i32,
        _ => return ret_bool(a.p, false),
    };
    let (_, core) = owner_core(a)?;
    let found = {
        let engine = core.engine.borrow();
        engine.io_token(fd).and_then(|t| match engine.source(t) {
            Some(Source::Io {
                payload: Held::Io(w),
                ..
            }) => Some((t, w.fh)),
            _ => None,
        })
    };
    // A watcher left on this number by a handle closed without unwatch is
    // not the watcher of this handle: it is purged, and nothing was removed.
    let removed = found.is_some_and(|(t, fh)| core.still_open(a.p, t, fh) && core.unwatch(a.p, t));
    ret_bool(a.p, removed)
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
    let _ = h.shared.waker.set(waker);
    core.release_orphans(a.p);
    ret_iv(a.p, i64::from(dup.into_raw_fd()))
}
xsub!(xs_waker_fd, waker_fd);

/// _attach_waker($waker_object, $fh): gives the Wakeup object its eventfd
/// and tells the loop the user's handle on it (reserved while open).
fn attach_waker_xs(a: Args) -> XsResult {
    a.expect(3, 3, "$loop->_attach_waker($waker, $fh)")?;
    let (_, core) = owner_core(a)?;
    let old = core.waker_fh.replace(weak(a.p, a.get(2)));
    release(a.p, old);
    let waker = core.engine.borrow().waker().cloned();
    match waker {
        Some(w) => attach_waker(a.p, a.get(1), WakerHandle::new(w)),
        None => return croak("Linux::Event::Loop: no waker to attach"),
    }
    ret_empty()
}
xsub!(xs_attach_waker, attach_waker_xs);

/// _on_wakeup($cb_or_undef)
fn on_wakeup(a: Args) -> XsResult {
    a.expect(2, 2, "$loop->_on_wakeup($cb)")?;
    let cb = code_or_undef(a.p, a.get(1), "on_wakeup: handler")?;
    let (_, core) = owner_core(a)?;
    let old = core.on_wakeup.replace(hold(cb));
    release(a.p, old);
    ret_empty()
}
xsub!(xs_on_wakeup, on_wakeup);

// ---- subscriptions (internal halves) ---------------------------------------

fn data_copy(p: *mut Interp, sv: *mut SV) -> *mut SV {
    if !defined(sv) {
        return std::ptr::null_mut();
    }
    // SAFETY: copies a live SV; we own the copy.
    unsafe { ffi::le_new_copy(p, sv) }
}

/// _signal(\@signos, $cb, $data) -> Linux::Event::Signal::Subscription covering
/// every signal in the list (Loop.pm resolved names to numbers).
fn signal(a: Args) -> XsResult {
    a.expect(4, 4, "$loop->_signal(\\@signos, $cb, $data)")?;
    let p = a.p;
    let list = a.get(1);
    let mut signos = Vec::new();
    for i in 0.. {
        let n = field(list, i);
        if n.is_null() {
            break;
        }
        match classify(p, n) {
            Num::UInt(n) if crate::reactor::valid_signal(n as i64) => signos.push(n as i32),
            _ => return croak(format!("signal: cannot handle signal {}", describe(p, n))),
        }
    }
    if signos.is_empty() {
        return croak("signal: no signal given");
    }
    let cb = code(p, a.get(2), "signal: callback")?;
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
    // SAFETY: new SVs; the references move into the object.
    let mut items = unsafe {
        [
            hold(core.owner_ref),
            ffi::le_new_copy(p, list),
            ffi::le_new_uv(p, id),
        ]
    };
    let object = new_object(p, subscription_xs::SIGNAL, &mut items);
    let ret = mortal_ref(p, object);
    let mut replaced = Vec::new();
    for (i, &signo) in signos.iter().enumerate() {
        let sub = Subscription {
            // Each signal's entry holds the object; the first takes our reference.
            object: if i == 0 { object } else { hold(object) },
            cb: hold(cb),
            data: data_copy(p, a.get(3)),
            reap: false,
            id,
        };
        replaced.extend(core.signals.borrow_mut()[signo as usize].replace(sub));
    }
    for old in replaced {
        old.release(p);
    }
    core.release_orphans(p);
    Ok(ret)
}
xsub!(xs_signal, signal);

/// _pid($pid, $cb, $data, $reap) -> Linux::Event::Pid::Subscription
fn pid(a: Args) -> XsResult {
    a.expect(5, 5, "$loop->_pid($pid, $cb, $data, $reap)")?;
    let p = a.p;
    let pid = match classify(p, a.get(1)) {
        Num::UInt(n) if (1..=i32::MAX as u64).contains(&n) => n as i32,
        _ => {
            return croak(format!(
                "pid: process id must be a positive integer, not {}",
                describe(p, a.get(1))
            ));
        }
    };
    let cb = code(p, a.get(2), "pid: callback")?;
    let reap = truthy(p, a.get(4));
    let (_, core) = owner_core(a)?;
    // SAFETY: plain constructors; the references move into the object.
    let token_sv = unsafe { ffi::le_new_uv(p, 0) };
    // SAFETY: as above.
    let mut items = unsafe {
        [
            hold(core.owner_ref),
            ffi::le_new_iv(p, pid.into()),
            token_sv,
        ]
    };
    let object = new_object(p, subscription_xs::PID, &mut items);
    let sub = Subscription {
        object,
        cb: hold(cb),
        data: data_copy(p, a.get(3)),
        reap,
        id: 0,
    };
    let result = core
        .engine
        .borrow_mut()
        .watch_child(pid, reap, Held::Child(sub));
    // SAFETY: the token slot of the object just made.
    let set_token = |token| unsafe { ffi::le_set_uv(p, token_sv, token) };
    settle(p, core, result, object, set_token, |error| match error {
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
}
xsub!(xs_pid, pid);

pub fn register(p: *mut Interp, reg: &mut dyn FnMut(&str, ffi::Xsub, i32)) {
    let _ = p;
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
