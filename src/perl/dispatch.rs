//! One wait/dispatch cycle: wait for the next event or deadline, then call
//! the Perl callbacks of what is ready, fds first, then due timers.
//!
//! Loop state is made consistent before each callback (a fired timer is out
//! of the heap, a finished child watch is removed), so a callback that dies
//! leaves nothing half done.  When one dies, the rest of the cycle stays
//! where it was: unread events wait in the engine's buffer and read signal
//! counts in `signal_counts`, and the next cycle dispatches them before it
//! waits again.

use super::core::{ERROR, Held, IoWatch, LoopCore, READ, WRITE};
use super::ffi::{self, Interp, SV};
use super::xs::{Failure, release};
use crate::interest::plan;
use crate::reactor::{MAX_SIGNAL, Ready, Source};
use crate::registry::Token;
use crate::sys::epoll;
use std::io;
use std::ptr;

/// Calls `cb` with `args`; a `die` or `exit` inside comes back as a Failure.
/// A callback that forked returns twice; in the child the loop must go no
/// further (its epoll set is the parent's), so the child gets a croak.
pub fn call(
    p: *mut Interp,
    core: &LoopCore,
    cb: *mut SV,
    args: &mut [*mut SV],
) -> Result<(), Failure> {
    // SAFETY: `cb` and `args` are live SVs; le_call holds them during the call
    // and catches every way out of Perl.
    let status = unsafe { ffi::le_call(p, cb, args.as_mut_ptr(), args.len() as i32) };
    settle(core, status)
}

fn settle(core: &LoopCore, status: i32) -> Result<(), Failure> {
    match status {
        ffi::CALL_OK if core.in_forked_child() => Err(Failure::Croak(FORKED.into())),
        ffi::CALL_OK => Ok(()),
        ffi::CALL_DIED => Err(Failure::Died),
        _ => Err(Failure::Exit),
    }
}

const FORKED: &str = "Linux::Event::Loop: a callback forked and the child came back into the parent's \
     loop, which cannot run in a forked child (end the child with exit, or make a new loop there)";

/// Gives up a reference we own once a callback has returned with `r`.
/// After a die, Perl is between unwinding and resuming, so freeing (which
/// can run DESTROY) is left to Perl's next FREETMPS; after an exit nothing
/// is freed at all.
pub fn release_after<T>(p: *mut Interp, sv: *mut SV, r: &Result<T, Failure>) {
    match r {
        Ok(_) => release(p, sv),
        Err(Failure::Exit) => {}
        Err(_) if sv.is_null() => {}
        // SAFETY: hands our reference to the mortal stack.
        Err(_) => unsafe {
            ffi::le_mortal(p, sv);
        },
    }
}

/// Calls `cb` with a new integer argument in position `at` of `args`.
fn call_with_numbers(
    p: *mut Interp,
    core: &LoopCore,
    cb: *mut SV,
    args: &mut [*mut SV],
    numbers: &[(usize, i64)],
) -> Result<(), Failure> {
    for &(at, n) in numbers {
        // SAFETY: plain constructor; released below.
        args[at] = unsafe { ffi::le_new_iv(p, n) };
    }
    let r = call(p, core, cb, args);
    for &(at, _) in numbers {
        release_after(p, args[at], &r);
    }
    r
}

/// Runs Perl's deferred %SIG handlers, if a signal interrupted us.
pub fn despatch_perl_signals(p: *mut Interp, core: &LoopCore) -> Result<(), Failure> {
    // SAFETY: as in `call`.
    let status = unsafe { ffi::le_async_check(p) };
    settle(core, status)
}

const MS: u64 = 1_000_000;

/// How long to wait: until the next deadline, or `limit` if sooner; zero
/// when something is already waiting to be dispatched.
fn timeout(core: &LoopCore, limit: Option<u64>) -> Option<u64> {
    let engine = core.engine.borrow();
    if engine.has_pending() || core.signals_pending.get() {
        return Some(0);
    }
    // Timer waits are rounded up to whole milliseconds: a timer may fire up
    // to 1 ms late (never early), and timers due within the same millisecond
    // share one wakeup instead of costing one each.
    let until_timer = engine
        .next_deadline()
        .map(|d| d.saturating_sub(engine.now()).div_ceil(MS) * MS);
    match (until_timer, limit) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// One cycle.  `limit` bounds the wait (None: until something happens).
/// Returns how many callbacks ran.
pub fn cycle(
    p: *mut Interp,
    core: &LoopCore,
    loop_sv: *mut SV,
    limit: Option<u64>,
) -> Result<usize, Failure> {
    core.engine.borrow_mut().begin_cycle();
    core.release_orphans(p);
    // SAFETY: reads one interpreter flag.
    if unsafe { ffi::le_signals_pending(p) } != 0 {
        despatch_perl_signals(p, core)?;
        return Ok(1);
    }
    let resumed = core.engine.borrow().has_pending();
    if !resumed {
        match wait(p, core, limit) {
            Ok(true) => {}
            Ok(false) => {
                despatch_perl_signals(p, core)?;
                return Ok(1);
            }
            Err(e) => {
                return Err(Failure::Croak(format!(
                    "Linux::Event::Loop: epoll_wait failed: {e}"
                )));
            }
        }
    }

    let mut ran = 0;
    if core.signals_pending.get() {
        // Left over from a cycle whose callback died: merged with what has
        // arrived since, so this cycle still goes in ascending order.
        read_signals(core)?;
        ran += dispatch_signals(p, core, loop_sv)?;
    }
    loop {
        let next = core
            .engine
            .borrow_mut()
            .next_ready_with(|ready, source| (ready, Kind::of(source)));
        let next = next.map_err(|e| {
            Failure::Croak(format!(
                "Linux::Event::Loop: cannot rebuild the epoll set: {e}"
            ))
        })?;
        let Some((ready, kind)) = next else { break };
        ran += dispatch_ready(p, core, loop_sv, ready, kind)?;
    }
    core.release_orphans(p);

    // The clock is read only when there are timers at all.
    let now = {
        let engine = core.engine.borrow();
        engine.next_deadline().map(|_| engine.now())
    };
    while let Some(now) = now {
        let due = core.engine.borrow_mut().pop_due_timer(now);
        let Some(cb) = due else { break };
        let r = call(p, core, cb, &mut [loop_sv]);
        release_after(p, cb, &r);
        r?;
        ran += 1;
    }
    Ok(ran)
}

/// Waits for events; false when a Perl `%SIG` handler interrupted the wait
/// and is to run.  An interruption that left no handler to run (SIGSTOP and
/// SIGCONT, a signal whose handler is C's) is no event: the wait goes on for
/// the rest of its time.
fn wait(p: *mut Interp, core: &LoopCore, limit: Option<u64>) -> io::Result<bool> {
    let wait = timeout(core, limit);
    let mut engine = core.engine.borrow_mut();
    // With nothing registered and nothing to wait for, skip the system call.
    if wait == Some(0) && !engine.has_sources() {
        return Ok(true);
    }
    let deadline = wait.map(|w| engine.now().saturating_add(w));
    let mut left = wait;
    loop {
        match engine.wait(left) {
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                // SAFETY: reads one interpreter flag.
                if unsafe { ffi::le_signals_pending(p) } != 0 {
                    return Ok(false);
                }
                left = deadline.map(|d| d.saturating_sub(engine.now()));
            }
            Err(e) => return Err(e),
        }
    }
}

/// What a ready source is, with what its dispatch needs copied out.
enum Kind {
    Io(IoSnapshot),
    Waker,
    Signals,
    Child,
    /// Nothing to dispatch (an fd source without an I/O watcher).
    None,
}

impl Kind {
    fn of(source: &Source<Held>) -> Kind {
        match source {
            Source::Io {
                payload: Held::Io(w),
                ..
            } => Kind::Io(IoSnapshot::of(w)),
            Source::Io { .. } => Kind::None,
            Source::Waker => Kind::Waker,
            Source::Signals => Kind::Signals,
            Source::Child { .. } => Kind::Child,
        }
    }
}

fn dispatch_ready(
    p: *mut Interp,
    core: &LoopCore,
    loop_sv: *mut SV,
    ready: Ready,
    kind: Kind,
) -> Result<usize, Failure> {
    match kind {
        Kind::Io(w) => dispatch_io(p, core, loop_sv, ready, w),
        Kind::Waker => dispatch_wakeup(p, core, loop_sv),
        Kind::Signals => {
            read_signals(core)?;
            dispatch_signals(p, core, loop_sv)
        }
        Kind::Child => dispatch_child(p, core, loop_sv, ready.token),
        Kind::None => Ok(0),
    }
}

/// The callbacks of one I/O watcher and its switches, copied out so no
/// borrow is held while Perl runs.
struct IoSnapshot {
    object: *mut SV,
    fh: *mut SV,
    cb: [*mut SV; 3],
    on: [bool; 3],
}

impl IoSnapshot {
    fn of(w: &IoWatch) -> IoSnapshot {
        IoSnapshot {
            object: w.object,
            fh: w.fh,
            cb: w.cb,
            on: [w.on(READ), w.on(WRITE), w.on(ERROR)],
        }
    }
}

fn io_snapshot(core: &LoopCore, token: Token) -> Option<IoSnapshot> {
    match core.engine.borrow().source(token) {
        Some(Source::Io {
            payload: Held::Io(w),
            ..
        }) => Some(IoSnapshot::of(w)),
        _ => None,
    }
}

fn dispatch_io(
    p: *mut Interp,
    core: &LoopCore,
    loop_sv: *mut SV,
    ready: Ready,
    w: IoSnapshot,
) -> Result<usize, Failure> {
    if !core.still_open(p, ready.token, w.fh) {
        return Ok(0);
    }
    let todo = plan(ready.events, w.on[READ], w.on[WRITE], w.on[ERROR]);
    let mut args = [loop_sv, w.fh, w.object];
    if todo.error {
        call(p, core, w.cb[ERROR], &mut args)?;
        return Ok(1);
    }
    if !todo.read && !todo.write {
        // A hang-up or error with no callback to take it.
        core.engine.borrow_mut().park(ready.token);
        return Ok(0);
    }
    let mut ran = 0;
    if todo.read {
        let r = call(p, core, w.cb[READ], &mut args);
        if r.is_err() && todo.write {
            // The write half is still owed: the next cycle dispatches it
            // (an edge-triggered or oneshot watcher would not be told again).
            core.engine.borrow_mut().unread(ready.token, epoll::OUT);
        }
        r?;
        ran += 1;
    }
    if todo.write {
        // The read callback may have cancelled, replaced or changed the
        // watcher, or closed its handle.
        let Some(now) = io_snapshot(core, ready.token) else {
            return Ok(ran);
        };
        if !core.still_open(p, ready.token, now.fh) {
            return Ok(ran);
        }
        if now.on[WRITE] {
            let mut args = [loop_sv, now.fh, now.object];
            call(p, core, now.cb[WRITE], &mut args)?;
            ran += 1;
        }
    }
    Ok(ran)
}

fn dispatch_wakeup(p: *mut Interp, core: &LoopCore, loop_sv: *mut SV) -> Result<usize, Failure> {
    let count = match core.engine.borrow().waker() {
        Some(w) => w.drain(),
        None => return Ok(0),
    };
    let count =
        count.map_err(|e| Failure::Croak(format!("Linux::Event::Wakeup: drain failed: {e}")))?;
    let cb = core.on_wakeup.get();
    if count == 0 || cb.is_null() {
        return Ok(0);
    }
    // SAFETY: plain constructor; released below.
    let n = unsafe { ffi::le_new_uv(p, count) };
    let r = call(p, core, cb, &mut [loop_sv, n]);
    release_after(p, n, &r);
    r.map(|_| 1)
}

fn read_signals(core: &LoopCore) -> Result<(), Failure> {
    let mut counts = core.signal_counts.borrow_mut();
    core.engine
        .borrow()
        .read_signals(&mut counts)
        .map_err(|e| {
            Failure::Croak(format!(
                "Linux::Event::Loop: reading the signal eventfd failed: {e}"
            ))
        })?;
    core.signals_pending.set(counts.iter().any(|&c| c > 0));
    Ok(())
}

/// Delivers counted signals in ascending number, each count cleared before
/// its callback runs.
fn dispatch_signals(p: *mut Interp, core: &LoopCore, loop_sv: *mut SV) -> Result<usize, Failure> {
    let mut ran = 0;
    for signo in 1..=MAX_SIGNAL {
        let count = std::mem::take(&mut core.signal_counts.borrow_mut()[signo]);
        if count == 0 {
            continue;
        }
        let handler = core.signals.borrow()[signo]
            .as_ref()
            .map(|s| (s.cb, s.data));
        let Some((cb, data)) = handler else { continue };
        // SAFETY: immortal undef for a missing data slot.
        let data = if data.is_null() {
            unsafe { ffi::le_undef(p) }
        } else {
            data
        };
        let mut args = [loop_sv, ptr::null_mut(), ptr::null_mut(), data];
        let r = call_with_numbers(
            p,
            core,
            cb,
            &mut args,
            &[(1, signo as i64), (2, count as i64)],
        );
        if r.is_err() {
            core.signals_pending
                .set(core.signal_counts.borrow().iter().any(|&c| c > 0));
        }
        r?;
        ran += 1;
    }
    core.signals_pending.set(false);
    Ok(ran)
}

fn dispatch_child(
    p: *mut Interp,
    core: &LoopCore,
    loop_sv: *mut SV,
    token: Token,
) -> Result<usize, Failure> {
    let finished = core.engine.borrow_mut().finish_child(token);
    let Some((pid, Held::Child(sub))) = finished else {
        return Ok(0);
    };
    let status = if sub.reap {
        Some(core.engine.borrow().reap(pid))
    } else {
        None
    };
    let status = match status {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(s))) => Some(s),
        Some(Err(e)) => {
            sub.release(p);
            return Err(Failure::Croak(format!(
                "Linux::Event::Pid: cannot reap process {pid}: {e} (was it reaped elsewhere?)"
            )));
        }
    };
    // SAFETY: immortal undef for a missing data slot or status.
    let undef = unsafe { ffi::le_undef(p) };
    let data = if sub.data.is_null() { undef } else { sub.data };
    let mut args = [loop_sv, ptr::null_mut(), undef, data];
    let r = match status {
        Some(s) => call_with_numbers(
            p,
            core,
            sub.cb,
            &mut args,
            &[(1, pid as i64), (2, s as i64)],
        ),
        None => call_with_numbers(p, core, sub.cb, &mut args, &[(1, pid as i64)]),
    };
    for sv in [sub.object, sub.cb, sub.data] {
        release_after(p, sv, &r);
    }
    r.map(|_| 1)
}
