//! XSUBs of Linux::Event::Watcher (see `objects::watcher` for the object);
//! its callbacks and switches live in the engine under its token, so a
//! replaced or cancelled watcher simply finds nothing there any more.

use super::core::{IoWatch, Payload};
use super::ffi;
use super::handle::handle_fd;
use super::objects::{Watcher, mortal_copy, mortal_ref, watcher_of};
use super::owned::Owned;
use super::xs::*;
use crate::engine::Dir;
use crate::engine::interest::Interest;
use crate::engine::registry::token_fd;

const DIRS: [Dir; 3] = [Dir::Read, Dir::Write, Dir::Error];

fn this(a: Args) -> Result<Watcher, Failure> {
    watcher_of(a.perl, a.get(0))
}

/// Whether the watcher's handle still has the watcher's fd open, asked
/// before the loop is held: a PerlIO layer may answer with Perl code.
fn handle_open(a: Args, w: Watcher) -> Result<bool, Failure> {
    Ok(handle_fd(a.perl, w.w)? == token_fd(w.token))
}

/// Reads the watcher's engine state; None when it is inactive (its handle
/// closed or dropped included) or its loop is gone.
fn read<T>(a: Args, f: impl FnOnce(&IoWatch, &Interest) -> T) -> Result<Option<T>, Failure> {
    let this = this(a)?;
    if !handle_open(a, this)? {
        return Ok(None);
    }
    let Some(h) = this.owner(a.perl) else {
        return Ok(None);
    };
    let core = h.core_to_read()?;
    match core.engine.borrow().io(this.token) {
        Some((Payload::Io(w), interest)) => Ok(Some(f(w, interest))),
        _ => Ok(None),
    }
}

/// Changes the watcher's switches through `f` and applies them; `rearm`
/// forces the kernel update (oneshot re-arming).  A no-op on an inactive
/// watcher; one whose handle was closed without unwatch is purged first
/// (its number may name an unrelated file by now).  What `f` replaces is
/// let go.
fn update(
    a: Args,
    rearm: bool,
    f: impl FnOnce(&mut IoWatch, &mut Interest) -> Option<Owned>,
) -> Result<(), Failure> {
    let this = this(a)?;
    let token = this.token;
    let open = handle_open(a, this)?;
    let Some(h) = this.owner(a.perl) else {
        return Ok(());
    };
    let core = h.core()?;
    if !open {
        core.unwatch(token);
        return Ok(());
    }
    let mut engine = core.engine.borrow_mut();
    let Some((Payload::Io(w), interest)) = engine.io_mut(token) else {
        return Ok(());
    };
    let mut mode = *interest;
    let _replaced = f(w, &mut mode);
    let next = w.interest(mode);
    engine
        .set_interest(token, next, rearm || next.oneshot)
        .map_err(|e| {
            Failure::Croak(format!(
                "cannot update the watcher of fd {}: {e}",
                token_fd(token)
            ))
        })
}

fn loop_(a: Args) -> XsResult {
    a.expect(1, 1, "$watcher->loop")?;
    Ok(mortal_copy(a.perl, this(a)?.loop_ref(a.perl)))
}
xsub!(xs_loop, loop_);

/// The handle (a strong reference, or undef once it is gone).
fn fh(a: Args) -> XsResult {
    a.expect(1, 1, "$watcher->fh")?;
    Ok(mortal_copy(a.perl, this(a)?.w))
}
xsub!(xs_fh, fh);

fn fd(a: Args) -> XsResult {
    a.expect(1, 1, "$watcher->fd")?;
    ret_iv(a.perl, token_fd(this(a)?.token).into())
}
xsub!(xs_fd, fd);

fn data(a: Args) -> XsResult {
    a.expect(1, 2, "$watcher->data or $watcher->data($new)")?;
    let this = this(a)?;
    if a.items == 2 {
        this.set_data(a.perl, a.get(1));
    }
    Ok(mortal_copy(a.perl, this.data(a.perl)))
}
xsub!(xs_data, data);

/// on_read (ix 0), on_write (1), on_error (2)
fn on(a: Args) -> XsResult {
    let dir = a.ix as usize;
    let name = ["on_read", "on_write", "on_error"][dir];
    a.expect(2, 2, &format!("$watcher->{name}($cb_or_undef)"))?;
    let cb = code_or_undef(a.perl, a.get(1), &format!("{name}: handler"))?;
    let cb = Owned::hold(a.perl, cb);
    update(a, false, |w, _| {
        if cb.is_none() {
            w.enabled[dir] = false;
        }
        std::mem::replace(&mut w.cb[dir], cb)
    })?;
    Ok(mortal_ref(a.perl, a.get(0)))
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
        None
    })?;
    Ok(mortal_ref(a.perl, a.get(0)))
}
xsub!(xs_toggle, toggle);

/// read_enabled (ix 0), write_enabled (1), error_enabled (2)
fn enabled(a: Args) -> XsResult {
    a.expect(1, 1, "$watcher->read_enabled (and the like)")?;
    let dir = a.ix as usize;
    let on = read(a, |w, _| w.enabled[dir])?;
    ret_bit(a.perl, on.unwrap_or(false))
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
        let v = truthy(a.perl, a.get(1))?;
        update(a, true, |_, i| {
            if edge {
                i.edge = v
            } else {
                i.oneshot = v
            }
            None
        })?;
    }
    let v = read(a, |_, i| if edge { i.edge } else { i.oneshot })?;
    ret_bit(a.perl, v.unwrap_or(false))
}
xsub!(xs_mode, mode);

/// Active while registered and its handle is still open: a handle closed
/// or dropped without unwatch is gone even before the loop purges it.
fn is_active(a: Args) -> XsResult {
    a.expect(1, 1, "$watcher->is_active")?;
    let live = read(a, |_, _| true)?;
    ret_bit(a.perl, live.unwrap_or(false))
}
xsub!(xs_is_active, is_active);

fn cancel(a: Args) -> XsResult {
    a.expect(1, 1, "$watcher->cancel")?;
    let this = this(a)?;
    let Some(h) = this.owner(a.perl) else {
        return ret_bit(a.perl, false);
    };
    ret_bit(a.perl, h.core()?.unwatch(this.token))
}
xsub!(xs_cancel, cancel);

pub fn register(reg: &mut dyn FnMut(&str, ffi::Xsub, i32)) {
    reg("Linux::Event::Watcher::loop", xs_loop, 0);
    reg("Linux::Event::Watcher::fh", xs_fh, 0);
    reg("Linux::Event::Watcher::fd", xs_fd, 0);
    reg("Linux::Event::Watcher::data", xs_data, 0);
    for (i, dir) in DIRS.iter().enumerate() {
        let name = format!("{dir:?}").to_lowercase();
        let i = i as i32;
        reg(&format!("Linux::Event::Watcher::on_{name}"), xs_on, i);
        reg(
            &format!("Linux::Event::Watcher::disable_{name}"),
            xs_toggle,
            i * 2,
        );
        reg(
            &format!("Linux::Event::Watcher::enable_{name}"),
            xs_toggle,
            i * 2 + 1,
        );
        reg(
            &format!("Linux::Event::Watcher::{name}_enabled"),
            xs_enabled,
            i,
        );
    }
    reg("Linux::Event::Watcher::edge_triggered", xs_mode, 0);
    reg("Linux::Event::Watcher::oneshot", xs_mode, 1);
    reg("Linux::Event::Watcher::is_active", xs_is_active, 0);
    reg("Linux::Event::Watcher::cancel", xs_cancel, 0);
}
