//! The engine of one loop: an epoll instance, the fd registry, the timer
//! heap, and the loop's own sources (waker, signal slot, pidfds).
//!
//! It is generic over the payloads the glue attaches to watchers (`W`) and
//! timers (`T`) and never looks inside them; it neither calls back nor
//! knows what a callback is.  Dispatch policy that depends on payloads lives
//! in the glue; the frozen per-fd order is `interest::plan`.

use crate::interest::Interest;
use crate::registry::{Registry, Token, token_fd};
use crate::sigcatch;
use crate::sys::epoll::{self, Epoll, Event};
use crate::sys::eventfd;
use crate::sys::pidfd::{self, PidFd};
use crate::sys::signal::is_realtime;
pub use crate::sys::signal::{MAX_SIGNAL, valid_signal};
use crate::sys::{FileId, clock, dup_cloexec, file_id};
use crate::timers::{TimerHeap, TimerId};
use crate::waker::Waker;
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;

/// Why `watch` refused a descriptor.
#[derive(Debug)]
pub enum WatchError {
    /// One of the loop's own descriptors (waker, signal eventfd, pidfd) is this fd.
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

/// Where an I/O watcher's registration stands in the kernel's epoll set.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Kernel {
    /// Registered and reporting.
    Armed,
    /// Registered, but a oneshot delivery disarmed it.
    Disarmed,
    /// Not registered: parked (nothing to report to) or left out of a rebuild.
    Out,
}

/// What one registry entry is.
pub enum Source<W> {
    Waker,
    Signals,
    Child {
        pid: i32,
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
    /// The loop's slot in `sigcatch` and its eventfd (never ours to close).
    signal_slot: Option<(usize, RawFd)>,
    /// The signals this loop subscribes to: bit `signo`.
    signal_set: u128,
    children: HashMap<i32, Token>,
    /// Payloads of registrations the engine dropped on its own (see
    /// `take_orphans`).
    orphans: Vec<W>,
    /// A removal failed because the fd was already closed: the kernel may
    /// still hold that registration (see `rebuild`).
    maybe_stale: bool,
    /// The process that made the loop: a forked child's copy has no signal
    /// subscriptions of its own to give back (see `sigcatch`).
    pid: u32,
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
            signal_slot: None,
            signal_set: 0,
            children: HashMap::new(),
            orphans: Vec::new(),
            maybe_stale: false,
            pid: std::process::id(),
        })
    }

    /// Payloads of registrations that the engine dropped by itself: a
    /// watcher whose closed fd number one of the loop's own descriptors took,
    /// or that a rebuild found closed.  The glue releases them.
    pub fn take_orphans(&mut self) -> Vec<W> {
        std::mem::take(&mut self.orphans)
    }

    /// Whether `take_orphans` has anything (checked twice a cycle, so cheap).
    pub fn has_orphans(&self) -> bool {
        !self.orphans.is_empty()
    }

    /// Puts one of the loop's own descriptors in the registry.  The kernel
    /// hands out the lowest free number, which may be that of a watched
    /// handle the user closed without unwatching: that watcher is dropped
    /// (an orphan) and its old registration may linger.
    fn insert_own(&mut self, fd: RawFd, source: Source<W>) -> Token {
        let (token, old) = self.registry.insert(fd, source);
        match old {
            Some(Source::Io { payload, .. }) | Some(Source::Child { payload, .. }) => {
                self.maybe_stale = true;
                self.orphans.push(payload);
            }
            _ => {}
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

    /// The next ready source of the last wait.  Events for registrations
    /// that are gone are skipped; if one arrives after a removal failed, the
    /// kernel holds a registration we cannot remove, and the set is rebuilt.
    pub fn next_ready(&mut self) -> io::Result<Option<Ready>> {
        self.next_ready_with(|ready, _| ready)
    }

    /// `next_ready`, handing the source to `f` from the same lookup (the
    /// glue copies out what it is to dispatch: one registry lookup a
    /// descriptor instead of two).
    pub fn next_ready_with<R>(
        &mut self,
        f: impl FnOnce(Ready, &Source<W>) -> R,
    ) -> io::Result<Option<R>> {
        while self.cursor < self.filled {
            let ev = self.events[self.cursor];
            self.cursor += 1;
            match self.registry.get_mut(ev.u64) {
                None if self.maybe_stale => self.rebuild()?,
                None => {} // replaced or cancelled since the wait
                Some(source) => {
                    if let Source::Io {
                        interest, kernel, ..
                    } = source
                        && interest.oneshot
                    {
                        *kernel = Kernel::Disarmed;
                    }
                    let ready = Ready {
                        token: ev.u64,
                        events: ev.events,
                    };
                    return Ok(Some(f(ready, source)));
                }
            }
        }
        Ok(None)
    }

    /// Hands back what a dispatch did not get to: `events` of `token` come
    /// out of the next `next_ready` again (a callback died before the rest
    /// of its delivery ran).  Only right after `next_ready` returned `token`.
    pub fn unread(&mut self, token: Token, events: u32) {
        debug_assert!(self.cursor > 0 && self.events[self.cursor - 1].u64 == token);
        self.cursor -= 1;
        self.events[self.cursor].events = events;
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
    /// Watchers whose fd was closed, or now names another file, are dropped
    /// (orphans).  A disarmed oneshot watcher stays out of the new set until
    /// it is re-armed (adding it would re-arm it); level- and edge-triggered
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
            match self.registry.remove(token) {
                Some(Source::Io { payload, .. }) | Some(Source::Child { payload, .. }) => {
                    self.orphans.push(payload)
                }
                _ => {}
            }
        }
        self.epoll = epoll;
        self.maybe_stale = false;
        Ok(())
    }

    // ---- timers ----------------------------------------------------------

    pub fn now(&self) -> u64 {
        clock::monotonic_ns()
    }

    /// Schedules a timer; it can fire from the next `begin_cycle` on.
    pub fn add_timer(&mut self, deadline_ns: u64, payload: T) -> TimerId {
        self.timers.insert(deadline_ns, payload)
    }

    pub fn cancel_timer(&mut self, id: TimerId) -> Option<T> {
        self.timers.cancel(id)
    }

    /// Starts a cycle: timers scheduled before now may fire in it.
    pub fn begin_cycle(&mut self) {
        self.timers.admit();
    }

    pub fn next_deadline(&self) -> Option<u64> {
        self.timers.next_deadline()
    }

    /// The next timer due at `now` among those of this cycle.
    pub fn pop_due_timer(&mut self, now: u64) -> Option<T> {
        self.timers.pop_due(now)
    }

    // ---- I/O watchers ----------------------------------------------------

    pub fn source(&self, token: Token) -> Option<&Source<W>> {
        self.registry.get(token)
    }

    pub fn source_mut(&mut self, token: Token) -> Option<&mut Source<W>> {
        self.registry.get_mut(token)
    }

    /// Whether `fd` is one of the loop's own descriptors.
    fn is_reserved(&self, fd: RawFd) -> bool {
        matches!(
            self.registry.on_fd(fd),
            Some((_, Source::Waker | Source::Signals | Source::Child { .. }))
        )
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
        let file = match file_id(fd) {
            Ok(f) => f,
            Err(e) => {
                return Err(Refused {
                    error: WatchError::Os(e),
                    payload,
                    replaced: None,
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
        let (token, old) = self.registry.insert(fd, source);
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
        if *cur == interest && !rearm {
            return Ok(());
        }
        *cur = interest;
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

    /// Takes a watcher with every direction off out of the epoll set after
    /// it was reported anyway (the kernel always reports hang-up and error):
    /// with no callback to consume it, a level-triggered report would repeat
    /// at once, forever.  Changing its interest puts it back.  Returns
    /// whether it was parked.
    pub fn park(&mut self, token: Token) -> bool {
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

    /// Removes an I/O watcher.
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

    /// Creates the waker and its watcher, plus a duplicate fd for the user's
    /// handle (returned; the caller hands it to Perl, which then owns it).
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
        let slot = match self.signal_slot {
            Some((slot, _)) => slot,
            None => self.open_signal_slot()?,
        };
        sigcatch::catch(slot, signo)?;
        self.signal_set |= 1 << signo;
        Ok(())
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
        self.signal_slot = Some((slot, fd));
        Ok(slot)
    }

    /// Stops receiving `signo` (its last handler went); after the last loop
    /// lets go of it, the signal is given back to the program.
    pub fn remove_signal(&mut self, signo: i32) -> io::Result<()> {
        if !self.has_signal(signo) {
            return Ok(());
        }
        self.signal_set &= !(1 << signo);
        if self.pid != std::process::id() {
            // A forked child's copy: the child's fork handler gave every
            // signal back already, and the slot is the parent's.
            return Ok(());
        }
        match self.signal_slot {
            Some((slot, _)) => sigcatch::release(slot, signo),
            None => Ok(()),
        }
    }

    /// Whether this loop receives `signo`.
    pub fn has_signal(&self, signo: i32) -> bool {
        (0..=MAX_SIGNAL as i32).contains(&signo) && self.signal_set & (1 << signo) != 0
    }

    /// Takes the signals that arrived for this loop into per-number counts
    /// (merged with counts not yet dispatched: an ordinary signal stays 1).
    pub fn read_signals(&self, counts: &mut [u32; MAX_SIGNAL + 1]) -> io::Result<()> {
        let Some((_, fd)) = self.signal_slot else {
            return Ok(());
        };
        // Emptied first: an arrival after a take below wakes the next wait.
        eventfd::take(fd)?;
        for (signo, count) in counts.iter_mut().enumerate() {
            let signo = signo as i32;
            if !self.has_signal(signo) {
                continue;
            }
            let n = sigcatch::take(signo);
            if n > 0 {
                *count = if is_realtime(signo) { *count + n } else { 1 };
            }
        }
        Ok(())
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
        let token = self.insert_own(
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
        // Removed before the pidfd is closed: a forked child may hold a copy
        // of it, which would keep an exited process's registration reporting.
        let res = self.epoll.delete(token_fd(token));
        self.deleted(res);
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
        ws.append(&mut self.orphans);
        let ts = self.timers.drain().collect();
        (ws, ts)
    }
}

impl<W, T> Drop for Reactor<W, T> {
    /// A loop that goes (freed, or at global destruction) gives its signals
    /// and its slot back.
    fn drop(&mut self) {
        for signo in 1..=MAX_SIGNAL as i32 {
            // Nothing is left to report a failure to.
            let _ = self.remove_signal(signo);
        }
        if let Some((slot, _)) = self.signal_slot
            && self.pid == std::process::id()
        {
            let _ = sigcatch::release_slot(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::FromRawFd;

    fn pipe() -> (OwnedFd, OwnedFd) {
        let mut fds = [0; 2];
        // SAFETY: valid out-array of two descriptors.
        assert_eq!(
            unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) },
            0
        );
        // SAFETY: the kernel just returned these descriptors.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    fn write(fd: &OwnedFd) {
        // SAFETY: writes one byte from a live buffer.
        assert_eq!(
            unsafe { libc::write(fd.as_raw_fd(), b"x".as_ptr().cast(), 1) },
            1
        );
    }

    const READ: Interest = Interest {
        read: true,
        write: false,
        edge: false,
        oneshot: false,
    };

    /// The tokens of one wait, as `next_ready` hands them out.
    fn ready(r: &mut Reactor<&'static str, ()>) -> Vec<Token> {
        r.wait(Some(0)).unwrap();
        let mut out = vec![];
        while let Some(x) = r.next_ready().unwrap() {
            out.push(x.token);
        }
        out
    }

    fn ok<T>(x: Result<(Token, Option<T>), Refused<T>>) -> Token {
        match x {
            Ok((t, _)) => t,
            Err(e) => panic!("refused: {:?}", e.error),
        }
    }

    #[test]
    fn a_closed_fd_kept_open_by_a_dup_is_rebuilt_away() {
        let mut r = Reactor::<&str, ()>::new().unwrap();
        let (rd, wr) = pipe();
        let (other, other_wr) = pipe();
        let dup = dup_cloexec(rd.as_raw_fd()).unwrap();
        let t = ok(r.watch(rd.as_raw_fd(), READ, "stale"));
        let keep = ok(r.watch(other.as_raw_fd(), READ, "kept"));
        write(&wr);
        assert_eq!(ready(&mut r), vec![t]);
        drop(rd); // closed without unwatch; the dup keeps the file open
        assert_eq!(r.unwatch(t), Some("stale"));
        // The kernel still reports it once; that report rebuilds the set.
        assert_eq!(ready(&mut r), Vec::<Token>::new());
        assert_eq!(ready(&mut r), Vec::<Token>::new(), "no more reports");
        write(&other_wr);
        assert_eq!(
            ready(&mut r),
            vec![keep],
            "the other watcher survived the rebuild"
        );
        drop(dup);
    }

    #[test]
    fn a_disarmed_oneshot_stays_disarmed_across_a_rebuild() {
        let mut r = Reactor::<&str, ()>::new().unwrap();
        let (rd, wr) = pipe();
        let once = Interest {
            oneshot: true,
            ..READ
        };
        let t = ok(r.watch(rd.as_raw_fd(), once, "once"));
        write(&wr);
        assert_eq!(ready(&mut r), vec![t]);
        assert_eq!(ready(&mut r), Vec::<Token>::new(), "disarmed");
        r.rebuild().unwrap();
        assert_eq!(
            ready(&mut r),
            Vec::<Token>::new(),
            "still disarmed after a rebuild"
        );
        r.set_interest(t, once, true).unwrap();
        assert_eq!(ready(&mut r), vec![t], "re-armed");
    }

    #[test]
    fn a_rebuild_drops_watchers_whose_fd_now_names_another_file() {
        let mut r = Reactor::<&str, ()>::new().unwrap();
        let (rd, _wr) = pipe();
        let fd = rd.as_raw_fd();
        ok(r.watch(fd, READ, "old"));
        drop(rd);
        let (rd2, _wr2) = pipe(); // most likely takes `fd` again
        let (rd3, _wr3) = pipe();
        let reused = rd2.as_raw_fd() == fd || rd3.as_raw_fd() == fd;
        r.rebuild().unwrap();
        if reused {
            assert_eq!(r.take_orphans(), vec!["old"]);
            assert!(r.io_token(fd).is_none());
        }
    }

    #[test]
    fn a_hung_up_watcher_with_nothing_enabled_is_parked_until_enabled() {
        let mut r = Reactor::<&str, ()>::new().unwrap();
        let (rd, wr) = pipe();
        let none = Interest::default();
        let t = ok(r.watch(rd.as_raw_fd(), none, "paused"));
        drop(wr); // hang-up: reported whatever the interest
        assert_eq!(ready(&mut r), vec![t]);
        assert!(r.park(t));
        assert_eq!(
            ready(&mut r),
            Vec::<Token>::new(),
            "parked: no more reports"
        );
        r.set_interest(t, READ, false).unwrap();
        assert_eq!(ready(&mut r), vec![t], "back once read is enabled");
        assert!(!r.park(t), "a watcher with read enabled is never parked");
        assert_eq!(r.unwatch(t), Some("paused"));
    }

    #[test]
    fn an_internal_fd_on_a_closed_watched_number_orphans_the_watcher() {
        let mut r = Reactor::<&str, ()>::new().unwrap();
        let (rd, _wr) = pipe();
        let fd = rd.as_raw_fd();
        ok(r.watch(fd, READ, "displaced"));
        drop(rd);
        let (waker, _dup) = r.create_waker().unwrap();
        if waker.fd() == fd {
            assert_eq!(r.take_orphans(), vec!["displaced"]);
        }
        assert!(matches!(
            r.watch(waker.fd(), READ, "no"),
            Err(Refused {
                error: WatchError::Reserved,
                ..
            })
        ));
    }

    #[test]
    fn next_ready_with_hands_each_ready_source_and_skips_removed_ones() {
        let mut r = Reactor::<&str, ()>::new().unwrap();
        let (rd1, wr1) = pipe();
        let (rd2, wr2) = pipe();
        let t1 = ok(r.watch(rd1.as_raw_fd(), READ, "one"));
        let t2 = ok(r.watch(rd2.as_raw_fd(), READ, "two"));
        write(&wr1);
        write(&wr2);
        r.wait(Some(0)).unwrap();
        let payload = |s: &Source<&'static str>| match s {
            Source::Io { payload, .. } => *payload,
            _ => "not an I/O watcher",
        };
        let first = r.next_ready_with(|ready, s| (ready.token, payload(s)));
        let (tf, pf) = first.unwrap().unwrap();
        assert!(tf == t1 && pf == "one" || tf == t2 && pf == "two");
        // The other one is removed before its turn: it is not handed out.
        let other = if tf == t1 { t2 } else { t1 };
        assert!(r.unwatch(other).is_some());
        assert!(r.next_ready_with(|ready, _| ready.token).unwrap().is_none());
    }

    #[test]
    fn unread_hands_the_rest_of_a_delivery_out_again() {
        let mut r = Reactor::<&str, ()>::new().unwrap();
        let (rd, wr) = pipe();
        let t = ok(r.watch(rd.as_raw_fd(), READ, "w"));
        write(&wr);
        r.wait(Some(0)).unwrap();
        let first = r.next_ready().unwrap().unwrap();
        assert_eq!(first.token, t);
        r.unread(t, epoll::OUT);
        assert!(r.has_pending());
        let again = r.next_ready().unwrap().unwrap();
        assert_eq!((again.token, again.events), (t, epoll::OUT));
        assert!(r.next_ready().unwrap().is_none());
    }

    #[test]
    fn timers_scheduled_in_a_cycle_wait_for_the_next() {
        let mut r = Reactor::<(), char>::new().unwrap();
        r.add_timer(5, 'a');
        r.add_timer(6, 'b');
        r.begin_cycle();
        assert_eq!(r.pop_due_timer(10), Some('a'));
        r.add_timer(0, 'n');
        assert_eq!(
            r.pop_due_timer(10),
            Some('b'),
            "the earlier new timer hides nothing"
        );
        assert_eq!(r.pop_due_timer(10), None);
        r.begin_cycle();
        assert_eq!(r.pop_due_timer(10), Some('n'));
    }
}
