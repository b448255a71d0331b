//! Who holds which signal blocked, so that each is given back.
//!
//! A subscribed signal is blocked, so that it arrives through a signalfd
//! instead of its `%SIG` handler or default action.  The mask belongs to the
//! process (per thread, but every loop of the process shares it), so the
//! holds are counted here, process-wide: the first hold records whether the
//! program had the signal blocked itself, and the last release restores
//! exactly that, after consuming what is still pending (it arrived for the
//! loop, not for the default action).  A forked child starts with the mask
//! the program had before any hold (`fork`, and so backticks and piped
//! opens); its copies of the parent's holds are forgotten.

use crate::sys::signalfd::{MAX_SIGNAL, SigSet};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, Once};

/// Holds per signal number.
static HOLDS: [AtomicU32; MAX_SIGNAL + 1] = [const { AtomicU32::new(0) }; MAX_SIGNAL + 1];
/// Whether the program had the signal blocked before the first hold.
static WAS_BLOCKED: [AtomicBool; MAX_SIGNAL + 1] =
    [const { AtomicBool::new(false) }; MAX_SIGNAL + 1];
/// Serialises holds and releases (the counts alone are read by the fork
/// handler, which must not lock).
static LOCK: Mutex<()> = Mutex::new(());

fn one(signo: i32) -> SigSet {
    let mut set = SigSet::empty();
    set.add(signo);
    set
}

/// Blocks `signo` in the calling thread and counts one more hold on it.
pub fn hold(signo: i32) -> io::Result<()> {
    give_children_the_old_mask();
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let before = one(signo).block()?;
    let i = signo as usize;
    if HOLDS[i].load(Ordering::Relaxed) == 0 {
        WAS_BLOCKED[i].store(before.contains(signo), Ordering::Relaxed);
    }
    HOLDS[i].fetch_add(1, Ordering::Release);
    Ok(())
}

/// Counts one hold less on `signo`; after the last, takes what is pending of
/// it and unblocks it, unless the program had blocked it itself.
pub fn release(signo: i32) -> io::Result<()> {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let i = signo as usize;
    let holds = HOLDS[i].load(Ordering::Acquire);
    if holds == 0 {
        return Ok(()); // forgotten in a forked child
    }
    HOLDS[i].store(holds - 1, Ordering::Release);
    if holds > 1 {
        return Ok(());
    }
    let set = one(signo);
    set.take_pending();
    if !WAS_BLOCKED[i].load(Ordering::Relaxed) {
        set.unblock()?;
    }
    Ok(())
}

/// How many holds `signo` has (for tests).
pub fn holds(signo: i32) -> u32 {
    HOLDS[signo as usize].load(Ordering::Acquire)
}

extern "C" fn in_forked_child() {
    let mut set = SigSet::empty();
    for (signo, holds) in HOLDS.iter().enumerate().skip(1) {
        if holds.swap(0, Ordering::Relaxed) > 0 && !WAS_BLOCKED[signo].load(Ordering::Relaxed) {
            set.add(signo as i32);
        }
    }
    // SAFETY: we are in the child, between fork and anything else.
    unsafe { set.unblock_in_child() };
}

/// Registers the fork handler, once per process.
fn give_children_the_old_mask() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: registers a handler that uses only atomics and sigprocmask.
        unsafe { libc::pthread_atfork(None, None, Some(in_forked_child)) };
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(signo: i32) -> bool {
        SigSet::empty().block().unwrap().contains(signo)
    }

    #[test]
    fn holds_nest_and_the_last_release_restores() {
        let sig = libc::SIGRTMIN() + 3;
        assert!(!blocked(sig));
        hold(sig).unwrap();
        hold(sig).unwrap();
        assert!(blocked(sig));
        // SAFETY: sends a blocked signal to this thread.
        unsafe { libc::pthread_kill(libc::pthread_self(), sig) };
        release(sig).unwrap();
        assert!(blocked(sig), "one hold is left");
        release(sig).unwrap(); // takes the pending one: no default action
        assert!(!blocked(sig));
        assert_eq!(holds(sig), 0);
        release(sig).unwrap(); // one too many is harmless
    }

    #[test]
    fn a_signal_blocked_before_stays_blocked() {
        let sig = libc::SIGRTMIN() + 4;
        one(sig).block().unwrap();
        hold(sig).unwrap();
        release(sig).unwrap();
        assert!(blocked(sig));
        one(sig).unblock().unwrap();
    }
}
