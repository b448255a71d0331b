//! XSUBs of Linux::Event::Watcher.  A watcher object is one blessed
//! scalar: the weak reference to the user's handle, which also holds the
//! engine token and its loop's id, and the user's data in a magic (see
//! `le_new_watcher` in csrc/shim.c).  Its callbacks and switches live in
//! the engine under the token, so a replaced or cancelled watcher simply
//! finds nothing there any more.

use super::core::{Held, IoWatch, LoopCore, READ, WRITE};
use super::ffi::{self, SV};
use super::handle::{LoopHandle, loop_handle};
use super::loop_xs::WATCHER;
use super::objects::{mortal_copy, mortal_ref};
use super::xs::*;
use crate::interest::Interest;
use crate::reactor::Source;
use crate::registry::{Token, token_fd};

/// The invocant's watcher scalar, its token and its loop's id.
fn this(a: Args) -> Result<(*mut SV, Token, u64), Failure> {
    let (mut token, mut loop_id) = (0, 0);
    // SAFETY: the shim checks what the argument is before reading it.
    let w = unsafe { ffi::le_watcher(a.p, a.get(0), WATCHER.as_ptr(), &mut token, &mut loop_id) };
    if w.is_null() {
        return croak("not a Linux::Event::Watcher object");
    }
    Ok((w, token, loop_id))
}

/// The loop `loop_id`, or None once it is gone.
fn owner<'a>(a: Args, loop_id: u64) -> Option<&'a LoopHandle> {
    // SAFETY: reads this interpreter's table of loops.
    let l = unsafe { ffi::le_loop_lookup(a.p, loop_id) };
    if l.is_null() {
        return None;
    }
    loop_handle(l).ok()
}

/// Whether the watcher is registered (Some) and its handle still has its fd
/// open (true).  The handle is looked up with no borrow held.
fn handle_open(a: Args, core: &LoopCore, token: Token) -> Option<bool> {
    let fh = match core.engine.borrow().source(token) {
        Some(Source::Io {
            payload: Held::Io(w),
            ..
        }) => w.fh,
        _ => return None,
    };
    // SAFETY: the weak handle reference the watcher holds.
    Some(unsafe { ffi::le_handle_fd(a.p, fh) } == token_fd(token))
}

/// Reads the watcher's engine state; None when it is inactive (its handle
/// closed or dropped included) or its loop is gone.
fn read<T>(a: Args, f: impl FnOnce(&IoWatch, &Interest) -> T) -> Result<Option<T>, Failure> {
    let (_, token, loop_id) = this(a)?;
    let Some(h) = owner(a, loop_id) else {
        return Ok(None);
    };
    let core = h.core_to_read()?;
    if handle_open(a, core, token) != Some(true) {
        return Ok(None);
    }
    match core.engine.borrow().source(token) {
        Some(Source::Io {
            interest,
            payload: Held::Io(w),
            ..
        }) => Ok(Some(f(w, interest))),
        _ => Ok(None),
    }
}

/// Changes the watcher's switches through `f` and applies the resulting
/// interest; `rearm` forces the kernel update (oneshot re-arming).  A no-op
/// on an inactive watcher; one whose handle was closed without unwatch is
/// purged first (its number may name an unrelated file by now).  `f` hands
/// back what to release.
fn update(
    a: Args,
    rearm: bool,
    f: impl FnOnce(&mut IoWatch, &mut Interest) -> *mut SV,
) -> Result<(), Failure> {
    let (_, token, loop_id) = this(a)?;
    let Some(h) = owner(a, loop_id) else {
        return Ok(());
    };
    let core: &LoopCore = h.core()?;
    match handle_open(a, core, token) {
        None => return Ok(()),
        Some(false) => {
            core.unwatch(a.p, token);
            return Ok(());
        }
        Some(true) => {}
    }
    let mut engine = core.engine.borrow_mut();
    let Some(Source::Io {
        interest,
        payload: Held::Io(w),
        ..
    }) = engine.source_mut(token)
    else {
        return Ok(());
    };
    let mut next = *interest;
    let old = f(w, &mut next);
    next.read = w.on(READ);
    next.write = w.on(WRITE);
    let rearm = rearm || next.oneshot;
    let res = engine.set_interest(token, next, rearm);
    drop(engine);
    release(a.p, old);
    res.map_err(|e| {
        Failure::Croak(format!(
            "cannot update the watcher of fd {}: {e}",
            token_fd(token)
        ))
    })
}

fn loop_(a: Args) -> XsResult {
    a.expect(1, 1, "$watcher->loop")?;
    let (_, _, loop_id) = this(a)?;
    // SAFETY: reads this interpreter's table of loops.
    Ok(mortal_copy(a.p, unsafe {
        ffi::le_loop_lookup(a.p, loop_id)
    }))
}
xsub!(xs_loop, loop_);

fn fh(a: Args) -> XsResult {
    a.expect(1, 1, "$watcher->fh")?;
    let (w, _, _) = this(a)?;
    // A copy of the watcher's weak reference is a strong one (or undef).
    Ok(mortal_copy(a.p, w))
}
xsub!(xs_fh, fh);

fn fd(a: Args) -> XsResult {
    a.expect(1, 1, "$watcher->fd")?;
    let (_, token, _) = this(a)?;
    ret_iv(a.p, token_fd(token).into())
}
xsub!(xs_fd, fd);

fn data(a: Args) -> XsResult {
    a.expect(1, 2, "$watcher->data or $watcher->data($new)")?;
    let (w, _, _) = this(a)?;
    if a.items == 2 {
        // SAFETY: the watcher scalar and a live argument.
        unsafe { ffi::le_watcher_set_data(a.p, w, a.get(1)) };
    }
    // SAFETY: the watcher scalar.
    Ok(mortal_copy(a.p, unsafe { ffi::le_watcher_data(w) }))
}
xsub!(xs_data, data);

/// on_read (ix 0), on_write (1), on_error (2)
fn on(a: Args) -> XsResult {
    let dir = a.ix as usize;
    let name = ["on_read", "on_write", "on_error"][dir];
    a.expect(2, 2, &format!("$watcher->{name}($cb_or_undef)"))?;
    let cb = code_or_undef(a.p, a.get(1), &format!("{name}: handler"))?;
    update(a, false, |w, _| {
        if cb.is_null() {
            w.enabled[dir] = false;
        }
        std::mem::replace(&mut w.cb[dir], hold(cb))
    })?;
    Ok(mortal_ref(a.p, a.get(0)))
}
xsub!(xs_on, on);

/// enable_/disable_ read, write, error: ix = dir * 2 + (1 if enabling)
fn toggle(a: Args) -> XsResult {
    let (dir, enable) = ((a.ix / 2) as usize, a.ix % 2 == 1);
    a.expect(
        1,
        1,
        "$watcher->enable_read (and the like) take no arguments",
    )?;
    update(a, false, |w, _| {
        w.enabled[dir] = enable;
        std::ptr::null_mut()
    })?;
    Ok(mortal_ref(a.p, a.get(0)))
}
xsub!(xs_toggle, toggle);

/// read_enabled (ix 0), write_enabled (1), error_enabled (2)
fn enabled(a: Args) -> XsResult {
    a.expect(1, 1, "$watcher->read_enabled (and the like)")?;
    let dir = a.ix as usize;
    let on = read(a, |w, _| w.enabled[dir])?;
    ret_bit(a.p, on.unwrap_or(false))
}
xsub!(xs_enabled, enabled);

/// edge_triggered (ix 0) and oneshot (ix 1): get, or set and apply.
fn mode(a: Args) -> XsResult {
    a.expect(
        1,
        2,
        "$watcher->edge_triggered or ->oneshot, with an optional boolean",
    )?;
    let edge = a.ix == 0;
    if a.items == 2 {
        let v = truthy(a.p, a.get(1));
        update(a, true, |_, i| {
            if edge {
                i.edge = v
            } else {
                i.oneshot = v
            }
            std::ptr::null_mut()
        })?;
    }
    let v = read(a, |_, i| if edge { i.edge } else { i.oneshot })?;
    ret_bit(a.p, v.unwrap_or(false))
}
xsub!(xs_mode, mode);

/// Active while registered and its handle is still open: a handle closed
/// or dropped without unwatch is gone even before the loop purges it.
fn is_active(a: Args) -> XsResult {
    a.expect(1, 1, "$watcher->is_active")?;
    let live = read(a, |_, _| true)?;
    ret_bit(a.p, live.unwrap_or(false))
}
xsub!(xs_is_active, is_active);

fn cancel(a: Args) -> XsResult {
    a.expect(1, 1, "$watcher->cancel")?;
    let (_, token, loop_id) = this(a)?;
    let Some(h) = owner(a, loop_id) else {
        return ret_bit(a.p, false);
    };
    ret_bit(a.p, h.core()?.unwatch(a.p, token))
}
xsub!(xs_cancel, cancel);

pub fn register(reg: &mut dyn FnMut(&str, ffi::Xsub, i32)) {
    reg("Linux::Event::Watcher::loop", xs_loop, 0);
    reg("Linux::Event::Watcher::fh", xs_fh, 0);
    reg("Linux::Event::Watcher::fd", xs_fd, 0);
    reg("Linux::Event::Watcher::data", xs_data, 0);
    for (i, dir) in ["read", "write", "error"].iter().enumerate() {
        let i = i as i32;
        reg(&format!("Linux::Event::Watcher::on_{dir}"), xs_on, i);
        reg(
            &format!("Linux::Event::Watcher::disable_{dir}"),
            xs_toggle,
            i * 2,
        );
        reg(
            &format!("Linux::Event::Watcher::enable_{dir}"),
            xs_toggle,
            i * 2 + 1,
        );
        reg(
            &format!("Linux::Event::Watcher::{dir}_enabled"),
            xs_enabled,
            i,
        );
    }
    reg("Linux::Event::Watcher::edge_triggered", xs_mode, 0);
    reg("Linux::Event::Watcher::oneshot", xs_mode, 1);
    reg("Linux::Event::Watcher::is_active", xs_is_active, 0);
    reg("Linux::Event::Watcher::cancel", xs_cancel, 0);
}
