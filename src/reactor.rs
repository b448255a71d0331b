//! The engine of one loop: an epoll instance, the fd registry, the timer
//! heap, and the loop's own sources (waker, signalfd, pidfds).
//!
//! It is generic over the payloads the glue attaches to watchers (`W`) and
//! timers (`T`) and never looks inside them; it neither calls back nor
//! knows what a callback is.  Dispatch policy that depends on payloads lives
//! in the glue; the frozen per-fd order is `interest::plan`.

use crate::interest::Interest;
use crate::registry::{Registry, Token, token_fd};
use crate::sys::epoll::{self, Epoll, Event};
use crate::sys::pidfd::{self, PidFd};
pub use crate::sys::signalfd::{MAX_SIGNAL, valid_signal};
use crate::sys::signalfd::{SigSet, SignalFd};
use crate::sys::{clock, dup_cloexec};
use crate::timers::{TimerHeap, TimerId};
use crate::waker::Waker;
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;

/// Why `watch` refused a descriptor.
#[derive(Debug)]
pub enum WatchError {
    /// The loop's own waker (or its user handle) lives on this fd.
    Reserved,
    /// epoll refuses this kind of file (regular files, directories).
    NotPollable,
    Os(io::Error),
}

/// A refused `watch` or `watch_child`: the error, the payload handed back,
/// and whatever the call had already replaced (gone either way).
pub struct Refused<W> {
    pub error: WatchError,
    pub payload: W,
    pub replaced: Option<W>,
}

/// What one registry entry is.
pub enum Source<W> {
    Waker,
    Signals,
    Child { pid: i32, _fd: PidFd, payload: W },
    Io { interest: Interest, payload: W },
}

/// One ready descriptor, as taken from the event buffer.
#[derive(Clone, Copy)]
pub struct Ready {
    pub token: Token,
    pub events: u32,
}

pub struct Reactor<W, T> {
    epoll: Epoll,
    events: Vec<Event>,
    /// Events of the last wait not yet handed out: `events[cursor..filled]`.
    cursor: usize,
    filled: usize,
    registry: Registry<Source<W>>,
    timers: TimerHeap<T>,
    waker: Option<Arc<Waker>>,
    /// The fd of the user's handle on the waker (owned by Perl): reserved too.
    waker_dup: Option<RawFd>,
    signalfd: Option<SignalFd>,
    signal_set: SigSet,
    children: HashMap<i32, Token>,
}

const FIRST_BATCH: usize = 64;
const MAX_BATCH: usize = 4096;

impl<W, T> Reactor<W, T> {
    pub fn new() -> io::Result<Self> {
        Ok(Reactor {
            epoll: Epoll::new()?,
            events: vec![Event { events: 0, u64: 0 }; FIRST_BATCH],
            cursor: 0,
            filled: 0,
            registry: Registry::default(),
            timers: TimerHeap::default(),
            waker: None,
            waker_dup: None,
            signalfd: None,
            signal_set: SigSet::empty(),
            children: HashMap::new(),
        })
    }

    // ---- waiting ---------------------------------------------------------

    /// Whether events of the previous wait are still to be handed out (a
    /// callback died in the middle of them).
    pub fn has_pending(&self) -> bool {
        self.cursor < self.filled
    }

    /// Whether there is any descriptor that a wait could report.
    pub fn has_sources(&self) -> bool {
        !self.registry.is_empty()
    }

    /// Waits at most `timeout_ns` (None: forever) and buffers what is ready.
    /// EINTR comes back as `ErrorKind::Interrupted`.
    pub fn wait(&mut self, timeout_ns: Option<u64>) -> io::Result<usize> {
        let n = self.epoll.wait(&mut self.events, timeout_ns)?;
        self.cursor = 0;
        self.filled = n;
        if n == self.events.len() && n < MAX_BATCH {
            // A full buffer: next time take more at once.
            self.events.resize(n * 2, Event { events: 0, u64: 0 });
        }
        Ok(n)
    }

    pub fn next_ready(&mut self) -> Option<Ready> {
        if self.cursor >= self.filled {
            return None;
        }
        let ev = self.events[self.cursor];
        self.cursor += 1;
        Some(Ready {
            token: ev.u64,
            events: ev.events,
        })
    }

    // ---- timers ----------------------------------------------------------

    pub fn now(&self) -> u64 {
        clock::monotonic_ns()
    }

    pub fn add_timer(&mut self, deadline_ns: u64, payload: T) -> TimerId {
        self.timers.insert(deadline_ns, payload)
    }

    pub fn cancel_timer(&mut self, id: TimerId) -> Option<T> {
        self.timers.cancel(id)
    }

    pub fn timer_mark(&self) -> u64 {
        self.timers.mark()
    }

    pub fn next_deadline(&self) -> Option<u64> {
        self.timers.next_deadline()
    }

    pub fn pop_due_timer(&mut self, now: u64, mark: u64) -> Option<T> {
        self.timers.pop_due(now, mark)
    }

    // ---- I/O watchers ----------------------------------------------------

    pub fn source(&self, token: Token) -> Option<&Source<W>> {
        self.registry.get(token)
    }

    pub fn source_mut(&mut self, token: Token) -> Option<&mut Source<W>> {
        self.registry.get_mut(token)
    }

    fn is_reserved(&self, fd: RawFd) -> bool {
        self.waker_dup == Some(fd) || matches!(self.registry.on_fd(fd), Some((_, Source::Waker)))
    }

    /// Watches `fd`, replacing any watcher already on it (returned).
    pub fn watch(
        &mut self,
        fd: RawFd,
        interest: Interest,
        payload: W,
    ) -> Result<(Token, Option<W>), Refused<W>> {
        if self.is_reserved(fd) {
            return Err(Refused {
                error: WatchError::Reserved,
                payload,
                replaced: None,
            });
        }
        let existed = matches!(self.registry.on_fd(fd), Some((_, Source::Io { .. })));
        let (token, old) = self.registry.insert(fd, Source::Io { interest, payload });
        let replaced = match old {
            Some(Source::Io { payload, .. }) => Some(payload),
            _ => None,
        };
        let events = interest.events();
        let mut res = if existed {
            self.epoll.modify(fd, events, token)
        } else {
            self.epoll.add(fd, events, token)
        };
        // The previous handle on this number may have been closed (the
        // kernel dropped it from the set) or may still be registered.
        res = match res {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => self.epoll.add(fd, events, token),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                self.epoll.modify(fd, events, token)
            }
            r => r,
        };
        match res {
            Ok(()) => Ok((token, replaced)),
            Err(e) => {
                let Some(Source::Io { payload, .. }) = self.registry.remove(token) else {
                    unreachable!("the entry inserted above")
                };
                // Leave no registration behind that would report a dead token.
                let _ = self.epoll.delete(fd);
                let error = if e.raw_os_error() == Some(libc::EPERM) {
                    WatchError::NotPollable
                } else {
                    WatchError::Os(e)
                };
                Err(Refused {
                    error,
                    payload,
                    replaced,
                })
            }
        }
    }

    /// Applies a new interest.  `rearm` forces the kernel update even when
    /// the mask is unchanged (a oneshot watcher that fired is disarmed).
    pub fn set_interest(
        &mut self,
        token: Token,
        interest: Interest,
        rearm: bool,
    ) -> io::Result<()> {
        let Some(Source::Io { interest: cur, .. }) = self.registry.get_mut(token) else {
            return Ok(());
        };
        if *cur == interest && !rearm {
            return Ok(());
        }
        *cur = interest;
        let fd = token_fd(token);
        match self.epoll.modify(fd, interest.events(), token) {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                self.epoll.add(fd, interest.events(), token)
            }
            r => r,
        }
    }

    /// Removes an I/O watcher.  `in_epoll` is false when the caller knows the
    /// descriptor is gone (closed handle) or must not touch a shared epoll
    /// set (forked child).
    pub fn unwatch(&mut self, token: Token, in_epoll: bool) -> Option<W> {
        match self.registry.get(token) {
            Some(Source::Io { .. }) => {}
            _ => return None,
        }
        if in_epoll {
            // Errors mean the fd was already closed: nothing left to remove.
            let _ = self.epoll.delete(token_fd(token));
        }
        match self.registry.remove(token) {
            Some(Source::Io { payload, .. }) => Some(payload),
            _ => None,
        }
    }

    /// The token of the I/O watcher on `fd`, if any.
    pub fn io_token(&self, fd: RawFd) -> Option<Token> {
        match self.registry.on_fd(fd) {
            Some((token, Source::Io { .. })) => Some(token),
            _ => None,
        }
    }

    // ---- the waker ---------------------------------------------------------

    pub fn waker(&self) -> Option<&Arc<Waker>> {
        self.waker.as_ref()
    }

    /// Creates the waker and its watcher, plus a duplicate fd for the user's
    /// handle (returned; the caller hands it to Perl, which then owns it).
    pub fn create_waker(&mut self) -> io::Result<(Arc<Waker>, OwnedFd)> {
        let waker = Arc::new(Waker::new()?);
        let dup = dup_cloexec(waker.fd())?;
        let fd = waker.fd();
        let (token, _) = self.registry.insert(fd, Source::Waker);
        if let Err(e) = self.epoll.add(fd, epoll::IN, token) {
            self.registry.remove(token);
            return Err(e);
        }
        self.waker_dup = Some(dup.as_raw_fd());
        self.waker = Some(Arc::clone(&waker));
        Ok((waker, dup))
    }

    // ---- signals -------------------------------------------------------------

    /// Adds `signo` to the signals this loop receives: blocks it in the
    /// calling thread and routes it to the loop's signalfd.
    pub fn add_signal(&mut self, signo: i32) -> io::Result<()> {
        let mut set = self.signal_set;
        set.add(signo);
        let mut one = SigSet::empty();
        one.add(signo);
        one.block()?;
        match &self.signalfd {
            Some(sfd) => sfd.set_mask(&set)?,
            None => {
                let sfd = SignalFd::new(&set)?;
                let fd = sfd.fd().as_raw_fd();
                let (token, _) = self.registry.insert(fd, Source::Signals);
                if let Err(e) = self.epoll.add(fd, epoll::IN, token) {
                    self.registry.remove(token);
                    return Err(e);
                }
                self.signalfd = Some(sfd);
            }
        }
        self.signal_set = set;
        Ok(())
    }

    /// Reads every queued signal into per-number counts.
    pub fn read_signals(&self, counts: &mut [u32; MAX_SIGNAL + 1]) -> io::Result<()> {
        match &self.signalfd {
            Some(sfd) => sfd.read_all(counts),
            None => Ok(()),
        }
    }

    // ---- child processes ---------------------------------------------------

    /// Watches process `pid` through a pidfd, replacing an earlier watch of
    /// the same pid (returned).  With `must_be_child`, a process that is not
    /// our child is refused with ECHILD.
    pub fn watch_child(
        &mut self,
        pid: i32,
        must_be_child: bool,
        payload: W,
    ) -> Result<(Token, Option<W>), Refused<W>> {
        let refuse = |e: io::Error, payload, replaced| {
            Err(Refused {
                error: WatchError::Os(e),
                payload,
                replaced,
            })
        };
        let pfd = match PidFd::open(pid) {
            Ok(f) => f,
            Err(e) => return refuse(e, payload, None),
        };
        match pfd.is_child() {
            Ok(true) => {}
            Ok(false) if !must_be_child => {}
            Ok(false) => return refuse(io::Error::from_raw_os_error(libc::ECHILD), payload, None),
            Err(e) => return refuse(e, payload, None),
        }
        let replaced = self
            .children
            .get(&pid)
            .copied()
            .and_then(|t| self.finish_child(t))
            .map(|(_, w)| w);
        let fd = pfd.fd().as_raw_fd();
        let (token, _) = self.registry.insert(
            fd,
            Source::Child {
                pid,
                _fd: pfd,
                payload,
            },
        );
        if let Err(e) = self.epoll.add(fd, epoll::IN, token) {
            let Some(Source::Child { payload, .. }) = self.registry.remove(token) else {
                unreachable!("the entry inserted above")
            };
            return refuse(e, payload, replaced);
        }
        self.children.insert(pid, token);
        Ok((token, replaced))
    }

    /// Ends a child watch (after its exit, or when cancelled): closes the
    /// pidfd and returns the pid and payload.
    pub fn finish_child(&mut self, token: Token) -> Option<(i32, W)> {
        match self.registry.get(token) {
            Some(Source::Child { .. }) => {}
            _ => return None,
        }
        match self.registry.remove(token) {
            Some(Source::Child { pid, payload, .. }) => {
                self.children.remove(&pid);
                Some((pid, payload))
            }
            _ => None,
        }
    }

    /// Reaps an exited child without blocking: its raw wait status.
    pub fn reap(&self, pid: i32) -> io::Result<Option<i32>> {
        pidfd::reap(pid)
    }

    // ---- teardown --------------------------------------------------------------

    /// Every payload still held, so the glue can release them.
    pub fn drain_payloads(&mut self) -> (Vec<W>, Vec<T>) {
        let mut ws = Vec::new();
        for s in self.registry.drain() {
            match s {
                Source::Io { payload, .. } | Source::Child { payload, .. } => ws.push(payload),
                Source::Waker | Source::Signals => {}
            }
        }
        self.children.clear();
        let ts = self.timers.drain().collect();
        (ws, ts)
    }
}
