//! XSUBs of Linux::Event::Signal::Subscription and
//! Linux::Event::Pid::Subscription (see `objects` for their slots).

use super::core::Payload;
use super::ffi::{self, SV};
use super::objects::{field, invocant, owner, pid_sub, signal_sub};
use super::xs::*;
use crate::engine::MAX_SIGNAL;

/// The key that finds a subscription in its loop.
enum Key {
    /// A signal subscription: its id and its array of signal numbers.
    Signals { id: u64, list: *mut SV },
    /// A child watch: its engine token.
    Child(u64),
}

fn this(a: Args) -> Result<Key, Failure> {
    if a.ix == 0 {
        let id = invocant(a.perl, a.get(0), signal_sub::CLASS, signal_sub::ID)?;
        let list = field(a.perl, a.get(0), signal_sub::SIGNOS);
        if list.is_null() {
            return croak(format!(
                "not a {} object",
                signal_sub::CLASS.to_string_lossy()
            ));
        }
        Ok(Key::Signals { id, list })
    } else {
        let token = invocant(a.perl, a.get(0), pid_sub::CLASS, pid_sub::TOKEN)?;
        Ok(Key::Child(token))
    }
}

/// The signal numbers a signal subscription covers.
fn signal_numbers<'i>(perl: Perl<'i>, list: *mut SV) -> impl Iterator<Item = usize> + 'i {
    (0..).map_while(move |i| {
        let n = field(perl, list, i);
        (!n.is_null()).then(|| match classify(perl, n) {
            Num::UInt(n) if n as usize <= MAX_SIGNAL => n as usize,
            _ => 0,
        })
    })
}

fn is_active(a: Args) -> XsResult {
    a.expect(1, 1, "$subscription->is_active")?;
    let key = this(a)?;
    let Some(h) = owner(a.perl, a.get(0)) else {
        return ret_bit(a.perl, false);
    };
    let core = h.core_to_read()?;
    let active = match key {
        Key::Signals { id, list } => {
            let signals = core.signals.borrow();
            signal_numbers(a.perl, list).any(|n| signals[n].as_ref().is_some_and(|s| s.id == id))
        }
        Key::Child(token) => core.engine.borrow().child(token).is_some(),
    };
    ret_bit(a.perl, active)
}
xsub!(xs_is_active, is_active);

fn cancel(a: Args) -> XsResult {
    a.expect(1, 1, "$subscription->cancel")?;
    let key = this(a)?;
    let Some(h) = owner(a.perl, a.get(0)) else {
        return ret_bit(a.perl, false);
    };
    let core = h.core()?;
    match key {
        Key::Signals { id, list } => {
            let mut found = false;
            let mut given_back = Ok(());
            let mut signals = core.signals.borrow_mut();
            for n in signal_numbers(a.perl, list) {
                if signals[n].as_ref().is_some_and(|s| s.id == id) {
                    signals[n] = None;
                    found = true;
                    // Its last handler went: the signal goes back.
                    let r = core.engine.borrow_mut().remove_signal(n as i32);
                    given_back = given_back.and(r.map_err(|e| (n, e)));
                }
            }
            if let Err((n, e)) = given_back {
                return croak(format!(
                    "Linux::Event::Signal: cannot give signal {n} back to the program: {e}"
                ));
            }
            ret_bit(a.perl, found)
        }
        Key::Child(token) => {
            let finished = core.engine.borrow_mut().finish_child(token);
            ret_bit(a.perl, matches!(finished, Some((_, _, Payload::Child(_)))))
        }
    }
}
xsub!(xs_cancel, cancel);

pub fn register(reg: &mut dyn FnMut(&str, ffi::Xsub, i32)) {
    for (class, ix) in [(signal_sub::CLASS, 0), (pid_sub::CLASS, 1)] {
        let class = class.to_string_lossy();
        reg(&format!("{class}::is_active"), xs_is_active, ix);
        reg(&format!("{class}::cancel"), xs_cancel, ix);
    }
}
