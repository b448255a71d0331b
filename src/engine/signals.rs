//! The signals one loop receives: which numbers it subscribes to, and the
//! arrivals taken from `sigcatch` that the loop has not delivered yet.
//!
//! Ordinary signals coalesce (a count of 1, however many arrived while the
//! loop was busy); real-time signals queue, so their counts add up.  Counts
//! survive a cycle that ends early (a callback died): the next cycle merges
//! new arrivals into them and delivers them first, in ascending order.

use crate::sys::eventfd;
use crate::sys::sigcatch;
use crate::sys::signal::{MAX_SIGNAL, is_realtime};
use std::io;
use std::os::fd::RawFd;

pub struct Signals {
    /// The loop's slot in `sigcatch` and its eventfd (never ours to close).
    slot: Option<(usize, RawFd)>,
    /// Subscribed signals: bit `signo`.
    set: u128,
    /// Arrivals not yet delivered, by signal number.
    counts: [u32; MAX_SIGNAL + 1],
    /// Whether `counts` has anything.
    due: bool,
    /// The process that made the loop: a forked child's copy has no
    /// subscriptions of its own to give back (see `sigcatch`).
    pid: u32,
}

impl Default for Signals {
    fn default() -> Self {
        Signals {
            slot: None,
            set: 0,
            counts: [0; MAX_SIGNAL + 1],
            due: false,
            pid: std::process::id(),
        }
    }
}

impl Signals {
    pub fn slot(&self) -> Option<(usize, RawFd)> {
        self.slot
    }

    pub fn set_slot(&mut self, slot: (usize, RawFd)) {
        self.slot = Some(slot);
    }

    pub fn has(&self, signo: i32) -> bool {
        (1..=MAX_SIGNAL as i32).contains(&signo) && self.set & (1 << signo) != 0
    }

    /// Routes `signo` to the loop's slot (again, if the program replaced
    /// the handler since).
    pub fn add(&mut self, slot: usize, signo: i32) -> io::Result<()> {
        sigcatch::catch(slot, signo)?;
        self.set |= 1 << signo;
        Ok(())
    }

    /// Stops receiving `signo`: arrivals not yet delivered are dropped, and
    /// once no loop receives it the signal goes back to the program.
    pub fn remove(&mut self, signo: i32) -> io::Result<()> {
        if !self.has(signo) {
            return Ok(());
        }
        self.set &= !(1 << signo);
        self.counts[signo as usize] = 0;
        if self.pid != std::process::id() {
            // A forked child's copy: the child's fork handler gave every
            // signal back already, and the slot is the parent's.
            return Ok(());
        }
        match self.slot {
            Some((slot, _)) => sigcatch::release(slot, signo),
            None => Ok(()),
        }
    }

    /// Whether arrivals are waiting to be delivered.
    pub fn due(&self) -> bool {
        self.due
    }

    /// Takes what arrived for this loop into the counts.
    pub fn take_arrivals(&mut self) -> io::Result<()> {
        let Some((_, fd)) = self.slot else {
            return Ok(());
        };
        // Emptied first: an arrival after a take below wakes the next wait.
        eventfd::take(fd)?;
        for signo in 1..=MAX_SIGNAL as i32 {
            if !self.has(signo) {
                continue;
            }
            let n = sigcatch::take(signo);
            if n > 0 {
                let count = &mut self.counts[signo as usize];
                *count = if is_realtime(signo) { *count + n } else { 1 };
                self.due = true;
            }
        }
        Ok(())
    }

    /// The lowest signal with arrivals and their count, cleared as it is
    /// handed out.
    #[inline(never)]
    pub fn next_due(&mut self) -> Option<(i32, u32)> {
        if !self.due {
            return None;
        }
        for signo in 1..=MAX_SIGNAL {
            let count = std::mem::take(&mut self.counts[signo]);
            if count > 0 {
                return Some((signo as i32, count));
            }
        }
        self.due = false;
        None
    }

    /// Gives every signal and the slot back (the loop is going).
    pub fn give_back(&mut self) {
        for signo in 1..=MAX_SIGNAL as i32 {
            // Nothing is left to report a failure to.
            let _ = self.remove(signo);
        }
        if let Some((slot, _)) = self.slot.take()
            && self.pid == std::process::id()
        {
            let _ = sigcatch::release_slot(slot);
        }
    }

    /// Counts an arrival without the kernel (engine tests).
    #[cfg(test)]
    pub fn pretend_arrival(&mut self, signo: i32, n: u32) {
        self.set |= 1 << signo;
        self.counts[signo as usize] += n;
        self.due = true;
    }
}
