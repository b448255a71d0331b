//! One cycle, as the engine hands it out: each event becomes a call of its
//! Perl callback (see `engine::cycle` for the order and the waits).
//!
//! Nothing is borrowed while Perl runs.  When a callback dies, the error
//! goes up and the engine keeps the rest of the cycle for the next one.

use super::core::{IoArgs, LoopCore, Payload};
use super::ffi::{self, SV};
use super::objects::new_uv;
use super::owned::{Owned, ptr_of};
use super::xs::{Failure, Perl, outcome, undef};
use crate::engine::registry::Token;
use crate::engine::{ChildExit, CycleError, Dir, Event};

/// Calls `cb` with `args`; a `die` or `exit` inside comes back as a
/// Failure.  A callback that forked returns twice; in the child the loop
/// must go no further (its epoll set is the parent's), so the child gets a
/// croak.
fn call(perl: Perl, core: &LoopCore, cb: *mut SV, args: &mut [*mut SV]) -> Result<(), Failure> {
    // SAFETY: `cb` and `args` are live SVs; le_call holds them during the call
    // and runs it under the shim's protection.
    let status = unsafe { ffi::le_call(perl.raw(), cb, args.as_mut_ptr(), args.len() as i32, 0) };
    after_call(core, status)
}

/// `call`, giving up our reference to `cb` in the same protected call (a
/// timer's callback as it fires: its last reference may free a closure).
fn call_consuming(
    perl: Perl,
    core: &LoopCore,
    cb: Owned,
    args: &mut [*mut SV],
) -> Result<(), Failure> {
    let cb = cb.into_raw();
    // SAFETY: as in `call`; the shim takes over our count of `cb`.
    let status = unsafe { ffi::le_call(perl.raw(), cb, args.as_mut_ptr(), args.len() as i32, 1) };
    after_call(core, status)
}

fn after_call(core: &LoopCore, status: i32) -> Result<(), Failure> {
    outcome(status)?;
    if core.in_forked_child() {
        return Err(Failure::Croak(FORKED.into()));
    }
    Ok(())
}

const FORKED: &str = "Linux::Event::Loop: a callback forked and the child came back into the parent's \
     loop, which cannot run in a forked child (end the child with exit, or make a new loop there)";

/// One cycle.  `limit` bounds the wait (None: until something happens).
/// Returns how many callbacks ran.
pub fn cycle(
    perl: Perl,
    core: &LoopCore,
    loop_sv: *mut SV,
    limit: Option<u64>,
) -> Result<usize, Failure> {
    core.engine.borrow_mut().begin_cycle(limit);
    let mut ran = 0;
    loop {
        let next = core
            .engine
            .borrow_mut()
            .next_event(|| perl.signals_pending());
        let Some(event) = next.map_err(cycle_error)? else {
            return Ok(ran);
        };
        ran += match event {
            Event::PerlSignals => despatch_perl_signals(perl, core)?,
            Event::Io { token, dir, args } => io(perl, core, loop_sv, token, dir, args)?,
            Event::Wakeup { count } => wakeup(perl, core, loop_sv, count)?,
            Event::Signal { signo, count } => signal(perl, core, loop_sv, signo, count)?,
            Event::ChildExit(exit) => {
                let ChildExit {
                    pid,
                    payload,
                    status,
                } = *exit;
                child_exit(perl, core, loop_sv, pid, payload, status)?
            }
            Event::Timer(cb) => {
                call_consuming(perl, core, cb, &mut [loop_sv])?;
                1
            }
        };
    }
}

fn cycle_error(e: CycleError) -> Failure {
    Failure::Croak(match e {
        CycleError::Wait(e) => format!("Linux::Event::Loop: epoll_wait failed: {e}"),
        CycleError::Rebuild(e) => format!("Linux::Event::Loop: cannot rebuild the epoll set: {e}"),
        CycleError::DrainWaker(e) => format!("Linux::Event::Wakeup: drain failed: {e}"),
        CycleError::TakeSignals(e) => {
            format!("Linux::Event::Loop: reading the signal eventfd failed: {e}")
        }
    })
}

/// Runs Perl's deferred %SIG handlers.
pub fn despatch_perl_signals(perl: Perl, core: &LoopCore) -> Result<usize, Failure> {
    // SAFETY: runs the handlers through le_call's protection.
    after_call(core, unsafe { ffi::le_async_check(perl.raw()) })?;
    Ok(1)
}

fn io(
    perl: Perl,
    core: &LoopCore,
    loop_sv: *mut SV,
    token: Token,
    dir: Dir,
    args: IoArgs,
) -> Result<usize, Failure> {
    let [cb, fh, object] = match core.io_target(perl, token, dir, args) {
        Ok(Some(t)) => t,
        Ok(None) => return Ok(0),
        Err(e) => {
            // Asking the handle died: the callback is still owed.
            core.engine.borrow_mut().owe(token, dir);
            return Err(e);
        }
    };
    call(perl, core, cb, &mut [loop_sv, fh, object])?;
    Ok(1)
}

fn wakeup(perl: Perl, core: &LoopCore, loop_sv: *mut SV, count: u64) -> Result<usize, Failure> {
    // le_call holds the callback for the call itself.
    let cb = ptr_of(&core.on_wakeup.borrow());
    if cb.is_null() {
        return Ok(0);
    }
    let n = new_uv(perl, count);
    call(perl, core, cb, &mut [loop_sv, n.as_ptr()])?;
    Ok(1)
}

fn signal(
    perl: Perl,
    core: &LoopCore,
    loop_sv: *mut SV,
    signo: i32,
    count: u32,
) -> Result<usize, Failure> {
    let handler = core.signals.borrow()[signo as usize]
        .as_ref()
        .map(|s| (s.cb.as_ptr(), ptr_of(&s.data)));
    let Some((cb, data)) = handler else {
        return Ok(0);
    };
    let data = if data.is_null() { undef(perl) } else { data };
    let (n, c) = (new_uv(perl, signo as u64), new_uv(perl, count.into()));
    call(perl, core, cb, &mut [loop_sv, n.as_ptr(), c.as_ptr(), data])?;
    Ok(1)
}

fn child_exit(
    perl: Perl,
    core: &LoopCore,
    loop_sv: *mut SV,
    pid: i32,
    payload: Payload,
    status: std::io::Result<Option<i32>>,
) -> Result<usize, Failure> {
    let Payload::Child(sub) = payload else {
        return Ok(0);
    };
    let status = status.map_err(|e| {
        Failure::Croak(format!(
            "Linux::Event::Pid: cannot reap process {pid}: {e} (was it reaped elsewhere?)"
        ))
    })?;
    let data = match &sub.data {
        Some(d) => d.as_ptr(),
        None => undef(perl),
    };
    let n = new_uv(perl, pid as u64);
    // SAFETY: plain constructor; ours.
    let status = status.and_then(|s| unsafe { Owned::take(ffi::le_new_iv(perl.raw(), s.into())) });
    let status_sv = status.as_ref().map_or(undef(perl), Owned::as_ptr);
    call(
        perl,
        core,
        sub.cb.as_ptr(),
        &mut [loop_sv, n.as_ptr(), status_sv, data],
    )?;
    Ok(1)
}
