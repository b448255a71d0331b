//! XSUBs of Linux::Event::Signal::Subscription and
//! Linux::Event::Pid::Subscription:
//! blessed arrays [weak loop, signal numbers (array ref) or pid, id or token].

use super::core::Held;
use super::ffi;
use super::objects::{KEY, field, is_object, owner};
use super::xs::*;
use crate::reactor::{MAX_SIGNAL, Source};

/// The classes of the subscription objects the loop makes.
pub const SIGNAL: &std::ffi::CStr = c"Linux::Event::Signal::Subscription";
pub const PID: &std::ffi::CStr = c"Linux::Event::Pid::Subscription";
const ID: i32 = 2;

/// The object, its key (pid, or for signals a reference to the array of
/// signal numbers) and its id, for the class named by `ix`.
fn this(a: Args) -> Result<(*mut ffi::SV, *mut ffi::SV, u64), Failure> {
    let class = if a.ix == 0 { SIGNAL } else { PID };
    let obj = a.get(0);
    let id = if is_object(a.p, obj, class) {
        classify(a.p, field(obj, ID))
    } else {
        Num::NotNumber
    };
    match id {
        Num::UInt(id) if !field(obj, KEY).is_null() => Ok((obj, field(obj, KEY), id)),
        _ => croak(format!("not a {} object", class.to_string_lossy())),
    }
}

/// The signal numbers a signal subscription covers.
fn signal_numbers(p: *mut ffi::Interp, list: *mut ffi::SV) -> impl Iterator<Item = usize> {
    (0..).map_while(move |i| {
        let n = field(list, i);
        (!n.is_null()).then(|| match classify(p, n) {
            Num::UInt(n) if n as usize <= MAX_SIGNAL => n as usize,
            _ => 0,
        })
    })
}

fn is_active(a: Args) -> XsResult {
    a.expect(1, 1, "$subscription->is_active")?;
    let (obj, key, id) = this(a)?;
    let Some(h) = owner(obj) else {
        return ret_bit(a.p, false);
    };
    let core = h.core_to_read()?;
    let active = if a.ix == 0 {
        let signals = core.signals.borrow();
        signal_numbers(a.p, key).any(|n| signals[n].as_ref().is_some_and(|s| s.id == id))
    } else {
        matches!(core.engine.borrow().source(id), Some(Source::Child { .. }))
    };
    ret_bit(a.p, active)
}
xsub!(xs_is_active, is_active);

fn cancel(a: Args) -> XsResult {
    a.expect(1, 1, "$subscription->cancel")?;
    let (obj, key, id) = this(a)?;
    let Some(h) = owner(obj) else {
        return ret_bit(a.p, false);
    };
    let core = h.core()?;
    let mut held = Vec::new();
    let mut given_back = Ok(());
    if a.ix == 0 {
        let mut signals = core.signals.borrow_mut();
        for n in signal_numbers(a.p, key) {
            if signals[n].as_ref().is_some_and(|s| s.id == id) {
                held.extend(signals[n].take().map(Held::Child));
                // Its last handler went: the mask bit goes back.
                let r = core.engine.borrow_mut().remove_signal(n as i32);
                given_back = given_back.and(r.map_err(|e| (n, e)));
            }
        }
    } else {
        held.extend(core.engine.borrow_mut().finish_child(id).map(|(_, h)| h));
    }
    let found = !held.is_empty();
    for h in held {
        h.release(a.p);
    }
    if let Err((n, e)) = given_back {
        return croak(format!(
            "Linux::Event::Signal: cannot give signal {n} back to the program: {e}"
        ));
    }
    ret_bit(a.p, found)
}
xsub!(xs_cancel, cancel);

pub fn register(reg: &mut dyn FnMut(&str, ffi::Xsub, i32)) {
    for (class, ix) in [(SIGNAL, 0), (PID, 1)] {
        let class = class.to_string_lossy();
        reg(&format!("{class}::is_active"), xs_is_active, ix);
        reg(&format!("{class}::cancel"), xs_cancel, ix);
    }
}
