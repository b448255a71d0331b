//! The loop's waker: one eventfd, shared by every thread and forked child
//! that holds the loop, with user signals and the loop's own wakeups (from
//! `stop` in another thread) told apart so `drain` reports only the former.

use crate::sys::eventfd::EventFd;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Waker {
    efd: EventFd,
    /// Wakeups written by the loop itself and not yet subtracted by a drain.
    internal: AtomicU64,
}

impl Waker {
    pub fn new() -> io::Result<Waker> {
        Ok(Waker {
            efd: EventFd::new()?,
            internal: AtomicU64::new(0),
        })
    }

    pub fn fd(&self) -> RawFd {
        self.efd.fd().as_raw_fd()
    }

    /// Adds a user signal of `n`; WouldBlock when the counter is full (the
    /// counter is then non-zero, so the loop is woken all the same).
    pub fn signal(&self, n: u64) -> io::Result<()> {
        self.efd.add(n)
    }

    /// Wakes the loop without counting as a user signal.
    pub fn wake(&self) {
        self.internal.fetch_add(1, Ordering::AcqRel);
        if self.efd.add(1).is_err() {
            // Full counter: readable already, and nothing to subtract later.
            self.internal.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Resets the counter and returns the user signals it held.  A wakeup
    /// counted in `internal` before its write landed is carried over to the
    /// next drain, so the sum over all drains is exact.
    pub fn drain(&self) -> io::Result<u64> {
        let total = self.efd.take()?;
        let mine = self.internal.swap(0, Ordering::AcqRel);
        if mine > total {
            self.internal.fetch_add(mine - total, Ordering::AcqRel);
            return Ok(0);
        }
        Ok(total - mine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_wakeups_are_not_reported() {
        let w = Waker::new().unwrap();
        assert_eq!(w.drain().unwrap(), 0);
        w.signal(3).unwrap();
        w.wake();
        w.signal(2).unwrap();
        assert_eq!(w.drain().unwrap(), 5);
        assert_eq!(w.drain().unwrap(), 0);
    }

    #[test]
    fn full_counter_is_an_error() {
        let w = Waker::new().unwrap();
        w.signal(u64::MAX - 1).unwrap();
        let e = w.signal(1).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(w.drain().unwrap(), u64::MAX - 1);
    }
}
