//! The engine of one loop: an epoll instance, the fd registry, the timer
//! heap, the loop's own sources (waker, signal slot, pidfds), and the
//! policy of a cycle (`cycle.rs`): what runs next, in which order, how long
//! to wait.
//!
//! It is generic over what the glue attaches to watchers (`W`) and timers
//! (`T`), and never looks inside them: it hands them out, and drops them
//! when their registration goes (the glue's payloads give their Perl
//! references back when dropped).  Plain Rust: it is tested with
//! `cargo test`, without Perl.

mod cycle;
pub mod interest;
pub mod registry;
mod signals;
#[cfg(test)]
mod tests;
pub mod timers;
pub mod waker;

pub use crate::sys::signal::{MAX_SIGNAL, valid_signal};
pub use cycle::{ChildExit, CycleError, Event};
pub use interest::Dir;

use crate::sys::epoll::{self, Epoll};
use crate::sys::pidfd::PidFd;
use crate::sys::sigcatch;
use crate::sys::{FileId, dup_cloexec, file_id};
use cycle::Cycle;
use interest::Interest;
use registry::{Registry, Token, token_fd};
use signals::Signals;
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use timers::{TimerHeap, TimerId};
use waker::Waker;

/// What a watcher's payload gives out with each of its I/O events: what
/// the caller needs to act on the event (for the glue: the callback and
/// its arguments), copied from the lookup the engine makes anyway.
pub trait IoPayload {
    type Args: Copy;
    fn args(&self, dir: Dir) -> Self::Args;
}

/// Why `watch` or `watch_child` refused.
#[derive(Debug)]
pub enum WatchError {
    /// One of the loop's own descriptors (waker, signal eventfd, pidfd) is this fd.
    Reserved,
    /// epoll refuses this kind of file (regular files, directories).
    NotPollable,
    Os(io::Error),
}

/// A refused `watch` or `watch_child`: the error and the payload handed
/// back.  Whatever the call replaced is gone either way.
pub struct Refused<W> {
    pub error: WatchError,
    pub payload: W,
}

/// Where an I/O watcher's registration stands in the kernel's epoll set.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kernel {
    /// Registered and reporting.
    Armed,
    /// Registered, but a oneshot delivery disarmed it.
    Disarmed,
    /// Not registered: parked (nothing to report to) or left out of a rebuild.
    Out,
}

/// What one registry entry is.
enum Source<W> {
    Waker,
    Signals,
    Child {
        pid: i32,
        /// Reap it when it exits, and hand out its status.
        reap: bool,
        _fd: PidFd,
        payload: W,
    },
    Io {
        interest: Interest,
        payload: W,
        /// The open file the registration was made for (see `rebuild`).
        file: FileId,
        kernel: Kernel,
    },
}

pub struct Engine<W, T> {
    epoll: Epoll,
    events: Vec<epoll::Event>,
    /// Events of the last wait not yet handed out: `events[cursor..filled]`.
    cursor: usize,
    filled: usize,
    registry: Registry<Source<W>>,
    timers: TimerHeap<T>,
    waker: Option<Arc<Waker>>,
    signals: Signals,
    children: HashMap<i32, Token>,
    /// A removal failed because the fd was already closed: the kernel may
    /// still hold that registration (see `rebuild`).
    maybe_stale: bool,
    cycle: Cycle,
}

/// Events taken per wait at first; doubled while a wait fills the buffer.
const FIRST_BATCH: usize = 64;

impl<W, T> Engine<W, T> {
    pub fn new() -> io::Result<Self> {
        Ok(Engine {
            epoll: Epoll::new()?,
            events: vec![epoll::Event { events: 0, u64: 0 }; FIRST_BATCH],
            cursor: 0,
            filled: 0,
            registry: Registry::default(),
            timers: TimerHeap::default(),
            waker: None,
            signals: Signals::default(),
            children: HashMap::new(),
            maybe_stale: false,
            cycle: Cycle::default(),
        })
    }

    /// Puts one of the loop's own descriptors in the registry.  The kernel
    /// hands out the lowest free number, which may be that of a watched
    /// handle the user closed without unwatching: that watcher is dropped,
    /// and its old registration may linger.
    fn insert_own(&mut self, fd: RawFd, source: Source<W>) -> Token {
        let (token, old) = self.registry.insert(fd, source);
        if matches!(old, Some(Source::Io { .. } | Source::Child { .. })) {
            self.maybe_stale = true;
        }
        token
    }

    /// Notes a failed removal from the epoll set: EBADF or ENOENT mean the
    /// number no longer names the file that was registered, and if another
    /// descriptor still refers to that file, the kernel keeps reporting it.
    fn deleted(&mut self, res: io::Result<()>) {
        if res.is_err() {
            self.maybe_stale = true;
        }
    }

    /// Replaces the epoll set with a new one made from the registry.
    ///
    /// epoll registers an open file under the number it was added with, and
    /// removing it needs that number to still name that file.  Once the user
    /// closes a watched handle while a dup, a forked child or an
    /// SCM_RIGHTS-passed copy keeps the file open, the registration can no
    /// longer be removed, and its events (a level-triggered HUP, say) would
    /// wake every wait: a spinning loop.  As libev does, the set is rebuilt
    /// from our own records when such an event comes.  An owned dup per
    /// watcher would avoid the rebuild, but it would keep every watched
    /// file open after the user closed it (a socket's peer would never see
    /// the close) and double the descriptors.  A rebuild is O(watchers),
    /// and only happens after a handle was closed without `unwatch`.
    ///
    /// Watchers whose fd was closed, or now names another file, are dropped.
    /// A disarmed oneshot watcher stays out of the new set until it is
    /// re-armed (adding it would re-arm it); level- and edge-triggered
    /// watchers are added afresh, which may report a ready edge-triggered
    /// descriptor once more: a spurious wakeup, never a lost one.
    pub fn rebuild(&mut self) -> io::Result<()> {
        let epoll = Epoll::new()?;
        let mut dead = Vec::new();
        for (token, source) in self.registry.iter_mut() {
            let fd = token_fd(token);
            let added = match source {
                Source::Io {
                    interest,
                    file,
                    kernel,
                    ..
                } => {
                    if file_id(fd).ok() != Some(*file) {
                        dead.push(token);
                        continue;
                    }
                    if *kernel != Kernel::Armed {
                        *kernel = Kernel::Out;
                        continue;
                    }
                    epoll.add(fd, interest.events(), token)
                }
                Source::Waker | Source::Signals | Source::Child { .. } => {
                    epoll.add(fd, epoll::IN, token)
                }
            };
            if added.is_err() {
                dead.push(token);
            }
        }
        for token in dead {
            if let Some(Source::Child { pid, .. }) = self.registry.remove(token) {
                self.children.remove(&pid);
            }
        }
        self.epoll = epoll;
        self.maybe_stale = false;
        Ok(())
    }

    // ---- timers ----------------------------------------------------------

    /// Schedules a timer; it can fire from the next cycle on.
    pub fn add_timer(&mut self, deadline_ns: u64, payload: T) -> TimerId {
        self.timers.insert(deadline_ns, payload)
    }

    pub fn cancel_timer(&mut self, id: TimerId) -> Option<T> {
        self.timers.cancel(id)
    }

    // ---- I/O watchers ----------------------------------------------------

    /// The payload and switches of I/O watcher `token`.
    pub fn io(&self, token: Token) -> Option<(&W, &Interest)> {
        match self.registry.get(token)? {
            Source::Io {
                payload, interest, ..
            } => Some((payload, interest)),
            _ => None,
        }
    }

    pub fn io_mut(&mut self, token: Token) -> Option<(&mut W, &Interest)> {
        match self.registry.get_mut(token)? {
            Source::Io {
                payload, interest, ..
            } => Some((payload, interest)),
            _ => None,
        }
    }

    /// The payload of child watch `token`.
    pub fn child(&self, token: Token) -> Option<&W> {
        match self.registry.get(token)? {
            Source::Child { payload, .. } => Some(payload),
            _ => None,
        }
    }

    /// Whether `fd` is one of the loop's own descriptors.
    fn is_reserved(&self, fd: RawFd) -> bool {
        matches!(
            self.registry.on_fd(fd),
            Some((_, Source::Waker | Source::Signals | Source::Child { .. }))
        )
    }

    /// Watches `fd`, replacing (and dropping) any watcher already on it.
    pub fn watch(
        &mut self,
        fd: RawFd,
        interest: Interest,
        payload: W,
    ) -> Result<Token, Refused<W>> {
        if self.is_reserved(fd) {
            return Err(Refused {
                error: WatchError::Reserved,
                payload,
            });
        }
        let file = match file_id(fd) {
            Ok(f) => f,
            Err(e) => {
                return Err(Refused {
                    error: WatchError::Os(e),
                    payload,
                });
            }
        };
        let existed = match self.registry.on_fd(fd) {
            Some((_, Source::Io { kernel, .. })) => *kernel != Kernel::Out,
            _ => false,
        };
        let source = Source::Io {
            interest,
            payload,
            file,
            kernel: Kernel::Armed,
        };
        let (token, _replaced) = self.registry.insert(fd, source);
        let events = interest.events();
        let mut res = if existed {
            self.epoll.modify(fd, events, token)
        } else {
            self.epoll.add(fd, events, token)
        };
        // The previous handle on this number may have been closed (the
        // kernel dropped it from the set, or keeps it if the file is still
        // open elsewhere) or may still be registered.
        res = match res {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                self.maybe_stale = true;
                self.epoll.add(fd, events, token)
            }
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                self.epoll.modify(fd, events, token)
            }
            r => r,
        };
        let Err(e) = res else { return Ok(token) };
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
        Err(Refused { error, payload })
    }

    /// Applies new switches.  `rearm` forces the kernel update even when
    /// the mask is unchanged (a oneshot watcher that fired is disarmed).
    /// A registration that is out of the set is added again, but only if its
    /// number still names the file it was made for (never an unrelated file
    /// that took a closed handle's number).
    pub fn set_interest(
        &mut self,
        token: Token,
        interest: Interest,
        rearm: bool,
    ) -> io::Result<()> {
        let Some(Source::Io {
            interest: cur,
            kernel,
            file,
            ..
        }) = self.registry.get_mut(token)
        else {
            return Ok(());
        };
        // The error switch is not the kernel's business: it is reported anyway.
        let kernel_same = cur.events() == interest.events();
        *cur = interest;
        if kernel_same && !rearm {
            return Ok(());
        }
        let fd = token_fd(token);
        let events = interest.events();
        let res = match *kernel {
            Kernel::Out => Err(io::Error::from_raw_os_error(libc::ENOENT)),
            _ => self.epoll.modify(fd, events, token),
        };
        let res = match res {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                if file_id(fd).ok() == Some(*file) {
                    self.epoll.add(fd, events, token)
                } else {
                    Err(io::Error::from_raw_os_error(libc::EBADF))
                }
            }
            r => r,
        };
        if res.is_ok() {
            *kernel = Kernel::Armed;
        }
        res
    }

    /// Takes a watcher with read and write off out of the epoll set after
    /// it was reported anyway (the kernel always reports hang-up and error):
    /// with no callback to consume it, a level-triggered report would repeat
    /// at once, forever.  Turning read or write on puts it back.  Returns
    /// whether it was parked.
    fn park(&mut self, token: Token) -> bool {
        let Some(Source::Io {
            interest, kernel, ..
        }) = self.registry.get_mut(token)
        else {
            return false;
        };
        if interest.read || interest.write || *kernel == Kernel::Out {
            return false;
        }
        *kernel = Kernel::Out;
        let res = self.epoll.delete(token_fd(token));
        self.deleted(res);
        true
    }

    /// Removes an I/O watcher, handing its payload back.
    pub fn unwatch(&mut self, token: Token) -> Option<W> {
        let kernel = match self.registry.get(token) {
            Some(Source::Io { kernel, .. }) => *kernel,
            _ => return None,
        };
        if kernel != Kernel::Out {
            let res = self.epoll.delete(token_fd(token));
            self.deleted(res);
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

    /// Creates the waker and its registration, plus a duplicate fd for the
    /// user's handle (returned; the caller hands it to Perl, which then
    /// owns it).
    pub fn create_waker(&mut self) -> io::Result<(Arc<Waker>, OwnedFd)> {
        let waker = Arc::new(Waker::new()?);
        let dup = dup_cloexec(waker.fd())?;
        let fd = waker.fd();
        let token = self.insert_own(fd, Source::Waker);
        if let Err(e) = self.epoll.add(fd, epoll::IN, token) {
            self.registry.remove(token);
            return Err(e);
        }
        self.waker = Some(Arc::clone(&waker));
        Ok((waker, dup))
    }

    // ---- signals -------------------------------------------------------------

    /// Adds `signo` to the signals this loop receives (see `sigcatch`).
    /// Repeating it installs the handler again if the program replaced it.
    pub fn add_signal(&mut self, signo: i32) -> io::Result<()> {
        let slot = match self.signals.slot() {
            Some((slot, _)) => slot,
            None => self.open_signal_slot()?,
        };
        self.signals.add(slot, signo)
    }

    /// Takes a slot and waits on its eventfd, for the loop's lifetime.
    fn open_signal_slot(&mut self) -> io::Result<usize> {
        let (slot, fd) = sigcatch::acquire_slot()?;
        let token = self.insert_own(fd, Source::Signals);
        if let Err(e) = self.epoll.add(fd, epoll::IN, token) {
            self.registry.remove(token);
            let _ = sigcatch::release_slot(slot);
            return Err(e);
        }
        self.signals.set_slot((slot, fd));
        Ok(slot)
    }

    /// Stops receiving `signo` (its last handler went): arrivals not yet
    /// delivered are dropped, and after the last loop lets go of it, the
    /// signal is given back to the program.
    pub fn remove_signal(&mut self, signo: i32) -> io::Result<()> {
        self.signals.remove(signo)
    }

    // ---- child processes ---------------------------------------------------

    /// Watches process `pid` through a pidfd, replacing (and dropping) an
    /// earlier watch of the same pid.  With `reap`, a process that is not
    /// our child is refused with ECHILD, and its exit status is reaped.
    pub fn watch_child(&mut self, pid: i32, reap: bool, payload: W) -> Result<Token, Refused<W>> {
        let refuse = |e: io::Error, payload| {
            Err(Refused {
                error: WatchError::Os(e),
                payload,
            })
        };
        let pfd = match PidFd::open(pid) {
            Ok(f) => f,
            Err(e) => return refuse(e, payload),
        };
        match pfd.is_child() {
            Ok(true) => {}
            Ok(false) if !reap => {}
            Ok(false) => return refuse(io::Error::from_raw_os_error(libc::ECHILD), payload),
            Err(e) => return refuse(e, payload),
        }
        if let Some(&old) = self.children.get(&pid) {
            self.finish_child(old);
        }
        let fd = pfd.fd().as_raw_fd();
        let token = self.insert_own(
            fd,
            Source::Child {
                pid,
                reap,
                _fd: pfd,
                payload,
            },
        );
        if let Err(e) = self.epoll.add(fd, epoll::IN, token) {
            let Some(Source::Child { payload, .. }) = self.registry.remove(token) else {
                unreachable!("the entry inserted above")
            };
            return refuse(e, payload);
        }
        self.children.insert(pid, token);
        Ok(token)
    }

    /// Ends a child watch (after its exit, or when cancelled): closes the
    /// pidfd and returns the pid, whether to reap, and the payload.
    pub fn finish_child(&mut self, token: Token) -> Option<(i32, bool, W)> {
        self.child(token)?;
        // Removed before the pidfd is closed: a forked child may hold a copy
        // of it, which would keep an exited process's registration reporting.
        let res = self.epoll.delete(token_fd(token));
        self.deleted(res);
        match self.registry.remove(token) {
            Some(Source::Child {
                pid, reap, payload, ..
            }) => {
                self.children.remove(&pid);
                Some((pid, reap, payload))
            }
            _ => None,
        }
    }

    // ---- teardown --------------------------------------------------------------

    /// Every payload still held, so the glue can decide how they go (at
    /// global destruction, Perl's values must not be touched at all).
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

impl<W, T> Drop for Engine<W, T> {
    /// A loop that goes (freed, or at global destruction) gives its signals
    /// and its slot back.
    fn drop(&mut self) {
        self.signals.give_back();
    }
}
