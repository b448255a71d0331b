//! What a watcher asks of the kernel, and the frozen dispatch order for one
//! ready descriptor.

use crate::sys::epoll;

/// A watcher's switches: which directions have a callback to run (enabled
/// and set), and how the kernel reports.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub struct Interest {
    pub read: bool,
    pub write: bool,
    pub error: bool,
    pub edge: bool,
    pub oneshot: bool,
}

impl Interest {
    /// The epoll event mask for this interest.  Error and hang-up are always
    /// reported by the kernel and need no bit.
    pub fn events(&self) -> u32 {
        let mut ev = 0;
        if self.read {
            ev |= epoll::IN | epoll::RDHUP;
        }
        if self.write {
            ev |= epoll::OUT;
        }
        if self.edge {
            ev |= epoll::ET;
        }
        if self.oneshot {
            ev |= epoll::ONESHOT;
        }
        ev
    }
}

/// A direction of an I/O watcher: which of its callbacks to run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dir {
    Read = 0,
    Write = 1,
    Error = 2,
}

/// Which callbacks one ready descriptor gets, in the order listed.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub struct Plan {
    pub error: bool,
    pub read: bool,
    pub write: bool,
}

impl Plan {
    /// The next callback to run, taken off the plan.
    pub fn take_first(&mut self) -> Option<Dir> {
        if std::mem::take(&mut self.error) {
            Some(Dir::Error)
        } else if std::mem::take(&mut self.read) {
            Some(Dir::Read)
        } else if std::mem::take(&mut self.write) {
            Some(Dir::Write)
        } else {
            None
        }
    }
}

/// The frozen order: an error goes to an enabled error handler alone; with
/// no such handler it counts as readable and writable; a hang-up counts as
/// readable; then read, then write.
pub fn plan(ready: u32, read_on: bool, write_on: bool, error_on: bool) -> Plan {
    let error = ready & epoll::ERR != 0;
    if error && error_on {
        return Plan {
            error: true,
            read: false,
            write: false,
        };
    }
    let readable = error || ready & (epoll::IN | epoll::HUP | epoll::RDHUP) != 0;
    let writable = error || ready & epoll::OUT != 0;
    Plan {
        error: false,
        read: readable && read_on,
        write: writable && write_on,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_order() {
        let p = plan(epoll::ERR | epoll::IN, true, true, true);
        assert_eq!(
            p,
            Plan {
                error: true,
                read: false,
                write: false
            }
        );
        let p = plan(epoll::ERR, true, true, false);
        assert_eq!(
            p,
            Plan {
                error: false,
                read: true,
                write: true
            }
        );
        let p = plan(epoll::HUP, true, true, false);
        assert_eq!(
            p,
            Plan {
                error: false,
                read: true,
                write: false
            }
        );
        let p = plan(epoll::IN | epoll::OUT, false, true, true);
        assert_eq!(
            p,
            Plan {
                error: false,
                read: false,
                write: true
            }
        );
    }
}
