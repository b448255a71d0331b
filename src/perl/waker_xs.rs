//! XSUBs of Linux::Event::Wakeup that must be fast or thread-safe: signal
//! and drain work in every thread and (signal) in forked children.

use super::ffi;
use super::handle::waker_handle;
use super::xs::*;
use std::io;

fn signal(a: Args) -> XsResult {
    a.expect(1, 2, "$waker->signal or $waker->signal($n)")?;
    let n = if a.items == 2 {
        match classify(a.perl, a.get(1)) {
            Num::UInt(n) if (1..u64::MAX).contains(&n) => n,
            _ => {
                return croak(format!(
                    "Linux::Event::Wakeup: signal count must be a positive integer, not {}",
                    describe(a.perl, a.get(1))
                ));
            }
        }
    } else {
        1
    };
    let w = waker_handle(a.perl, a.get(0))?;
    match w.waker.signal(n) {
        Ok(()) => ret_bool(a.perl, true),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => croak(
            "Linux::Event::Wakeup: the eventfd counter is full (too many signals not drained); \
             the loop is woken all the same",
        ),
        Err(e) => croak(format!("Linux::Event::Wakeup: signal failed: {e}")),
    }
}
xsub!(xs_signal, signal);

fn drain(a: Args) -> XsResult {
    a.expect(1, 1, "$waker->drain")?;
    let w = waker_handle(a.perl, a.get(0))?;
    if w.in_forked_child() {
        return croak(
            "Linux::Event::Wakeup: drain cannot be used in a forked child (it would take the parent's \
             wakeups); only signal works there",
        );
    }
    let n = w
        .waker
        .drain()
        .map_err(|e| Failure::Croak(format!("Linux::Event::Wakeup: drain failed: {e}")))?;
    ret_uv(a.perl, n)
}
xsub!(xs_drain, drain);

/// _is_clone: whether this object was cloned into another thread.
fn is_clone(a: Args) -> XsResult {
    a.expect(1, 1, "$waker->_is_clone")?;
    ret_bit(a.perl, waker_handle(a.perl, a.get(0))?.is_clone)
}
xsub!(xs_is_clone, is_clone);

pub fn register(reg: &mut dyn FnMut(&str, ffi::Xsub, i32)) {
    reg("Linux::Event::Wakeup::signal", xs_signal, 0);
    reg("Linux::Event::Wakeup::drain", xs_drain, 0);
    reg("Linux::Event::Wakeup::_is_clone", xs_is_clone, 0);
}
