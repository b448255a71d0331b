//! One cycle of the loop, as a sequence of events handed out one at a
//! time by `Engine::next_event`: the caller runs each event's callback
//! between two calls, and may change the loop (watch, cancel, schedule)
//! while it does.
//!
//! The frozen order of a cycle:
//! 1. Perl's own deferred `%SIG` handlers, if any are pending: they end
//!    the cycle (`Event::PerlSignals`);
//! 2. one wait for the kernel, unless the previous cycle was cut short and
//!    left something to deliver; the wait lasts until the next timer
//!    (rounded up to whole milliseconds) or the caller's limit, and not at
//!    all when signals are waiting;
//! 3. signals left over from a cut-short cycle, merged with new arrivals,
//!    in ascending number;
//! 4. the ready descriptors in the kernel's order: an I/O watcher's
//!    error, read and write callbacks (see `interest::plan`), a wakeup
//!    with its count, the signals that arrived (ascending), a child's exit;
//! 5. the timers due at one reading of the clock, in deadline order.
//!    A timer scheduled during the cycle waits for the next one.
//!
//! Whatever the callback of an event does, the next call sees the loop as
//! it is now: a cancelled or replaced watcher gets no more events, a
//! disabled direction is skipped, a cancelled signal loses its arrivals.
//! If a callback dies, the caller simply stops asking; the next cycle
//! resumes where this one stopped (nothing promised is lost).

use super::interest::{Dir, Plan, plan};
use super::registry::Token;
use super::{Engine, IoPayload, Kernel, Source};
use crate::sys::clock;
use std::io;

/// What to run next.
pub enum Event<W: IoPayload, T> {
    /// Perl's deferred `%SIG` handlers are pending: run them; the cycle
    /// ends here.
    PerlSignals,
    /// One callback of the I/O watcher `token`, with what its payload gives
    /// out for it.
    Io {
        token: Token,
        dir: Dir,
        args: W::Args,
    },
    /// The waker was signalled `count` times since the last drain.
    Wakeup { count: u64 },
    /// Signal `signo` arrived (`count` > 1 only for real-time signals).
    Signal { signo: i32, count: u32 },
    /// A watched process exited; its watch is over.
    ChildExit(Box<ChildExit<W>>),
    /// A due timer, out of the heap.
    Timer(T),
}

/// A watched process that exited (boxed: rare, and it keeps `Event` small,
/// which every event is moved as).
#[derive(Debug)]
pub struct ChildExit<W> {
    pub pid: i32,
    pub payload: W,
    /// Its raw wait status if it was to be reaped, or the error of reaping it.
    pub status: io::Result<Option<i32>>,
}

/// A system call of the cycle failed; the loop cannot go on as promised.
#[derive(Debug)]
pub enum CycleError {
    Wait(io::Error),
    Rebuild(io::Error),
    DrainWaker(io::Error),
    TakeSignals(io::Error),
}

#[derive(Clone, Copy, Default, PartialEq, Debug)]
enum Phase {
    /// Before the wait.
    #[default]
    Start,
    /// Handing out ready descriptors.
    Ready,
    /// Handing out due timers.
    Timers,
    Done,
}

/// Where the current cycle stands, kept between calls and across a cycle
/// cut short.
#[derive(Default)]
pub(super) struct Cycle {
    phase: Phase,
    /// The longest wait the caller allows (None: no limit).
    limit: Option<u64>,
    /// The I/O watcher being delivered, with its callbacks still to run.
    delivery: Option<(Token, Plan)>,
    /// The clock reading timers are due by in this cycle (None: no timers).
    now: Option<u64>,
}

const MS: u64 = 1_000_000;

impl<W: IoPayload, T> Engine<W, T> {
    /// Starts a cycle that waits at most `limit` ns (None: until something
    /// happens).  Timers scheduled before now may fire in it.
    pub fn begin_cycle(&mut self, limit: Option<u64>) {
        self.timers.admit();
        self.cycle.phase = Phase::Start;
        self.cycle.limit = limit;
    }

    /// The next event of the cycle, or None once the cycle is over.
    /// `perl_signals` tells whether Perl's deferred signal handlers are
    /// pending (asked before the wait, and when a signal interrupts it).
    pub fn next_event(
        &mut self,
        mut perl_signals: impl FnMut() -> bool,
    ) -> Result<Option<Event<W, T>>, CycleError> {
        if self.cycle.phase == Phase::Start {
            if perl_signals() || !self.wait(&mut perl_signals)? {
                self.cycle.phase = Phase::Done;
                return Ok(Some(Event::PerlSignals));
            }
            if self.signals.due() {
                // Left over: merged with what arrived since, so the cycle
                // still goes in ascending order.
                self.signals
                    .take_arrivals()
                    .map_err(CycleError::TakeSignals)?;
            }
            self.cycle.phase = Phase::Ready;
        }
        if self.cycle.phase == Phase::Ready {
            if let Some(event) = self.next_ready()? {
                return Ok(Some(event));
            }
            // The clock is read only when there are timers at all.
            self.cycle.now = self.timers.next_deadline().map(|_| clock::monotonic_ns());
            self.cycle.phase = Phase::Timers;
        }
        if self.cycle.phase == Phase::Timers {
            if let Some(now) = self.cycle.now
                && let Some(timer) = self.timers.pop_due(now)
            {
                return Ok(Some(Event::Timer(timer)));
            }
            self.cycle.phase = Phase::Done;
        }
        Ok(None)
    }

    /// How long to wait from `now` (read only if needed): until the next
    /// deadline, or the limit if sooner.
    fn timeout(&self, now: &mut impl FnMut() -> u64) -> Option<u64> {
        if self.signals.due() {
            return Some(0);
        }
        // Timer waits are rounded up to whole milliseconds: a timer may fire
        // up to 1 ms late (never early), and timers due within the same
        // millisecond share one wakeup instead of costing one each.
        let until_timer = self
            .timers
            .next_deadline()
            .map(|d| d.saturating_sub(now()).div_ceil(MS) * MS);
        match (until_timer, self.cycle.limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Waits for the kernel, unless events are pending; false when a Perl
    /// `%SIG` handler interrupted the wait and is to run.  An interruption
    /// that left no handler to run (SIGSTOP and SIGCONT, a signal whose
    /// handler is C's) is no event: the wait goes on for the rest of its time.
    fn wait(&mut self, perl_signals: &mut impl FnMut() -> bool) -> Result<bool, CycleError> {
        if self.cursor < self.filled || self.cycle.delivery.is_some() {
            return Ok(true);
        }
        // The clock is read once, and only if a timer or a bounded wait
        // needs it.
        let mut read = None;
        let mut now = || *read.get_or_insert_with(clock::monotonic_ns);
        let wait = self.timeout(&mut now);
        // With nothing registered and nothing to wait for, skip the system call.
        if wait == Some(0) && self.registry.is_empty() {
            self.cursor = 0;
            self.filled = 0;
            return Ok(true);
        }
        let deadline = wait.map(|w| now().saturating_add(w));
        let mut left = wait;
        loop {
            match self.epoll.wait(&mut self.events, left) {
                Ok(n) => {
                    self.cursor = 0;
                    self.filled = n;
                    if n == self.events.len() && n < MAX_BATCH {
                        // A full buffer: next time take more at once.
                        self.events.resize(n * 2, EMPTY);
                    }
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    if perl_signals() {
                        return Ok(false);
                    }
                    left = deadline.map(|d| d.saturating_sub(clock::monotonic_ns()));
                }
                Err(e) => return Err(CycleError::Wait(e)),
            }
        }
    }

    /// The next event from the ready descriptors, or None when they are done.
    fn next_ready(&mut self) -> Result<Option<Event<W, T>>, CycleError> {
        loop {
            // Checked before calling: both are rare, and the hot path of a
            // dispatch should not pay for setting them up.
            if self.signals.due()
                && let Some((signo, count)) = self.signals.next_due()
            {
                return Ok(Some(Event::Signal { signo, count }));
            }
            if self.cycle.delivery.is_some()
                && let Some(event) = self.next_delivery()
            {
                return Ok(Some(event));
            }
            if self.cursor == self.filled {
                return Ok(None);
            }
            let ev = self.events[self.cursor];
            self.cursor += 1;
            let token = ev.u64;
            let kind = match self.registry.get_mut(token) {
                None => Kind::Gone,
                Some(Source::Io {
                    interest,
                    kernel,
                    payload,
                    ..
                }) => {
                    if interest.oneshot {
                        *kernel = Kernel::Disarmed;
                    }
                    let mut p = plan(ev.events, interest.read, interest.write, interest.error);
                    // The first callback was just checked against the
                    // switches; the rest are checked when their turn comes.
                    match p.take_first() {
                        Some(dir) => Kind::Io(p, dir, payload.args(dir)),
                        None => Kind::Park,
                    }
                }
                Some(Source::Waker) => Kind::Waker,
                Some(Source::Signals) => Kind::Signals,
                Some(Source::Child { .. }) => Kind::Child,
            };
            match kind {
                // Replaced or cancelled since the wait; if a removal failed,
                // the kernel holds a registration we cannot remove.
                Kind::Gone if self.maybe_stale => self.rebuild().map_err(CycleError::Rebuild)?,
                Kind::Gone => {}
                // A hang-up or error with no callback to take it.
                Kind::Park => {
                    self.park(token);
                }
                Kind::Io(rest, dir, args) => {
                    self.cycle.delivery = (rest != Plan::default()).then_some((token, rest));
                    return Ok(Some(Event::Io { token, dir, args }));
                }
                Kind::Waker => {
                    let drained = match &self.waker {
                        Some(w) => w.drain().map_err(CycleError::DrainWaker)?,
                        None => 0,
                    };
                    if drained > 0 {
                        return Ok(Some(Event::Wakeup { count: drained }));
                    }
                }
                Kind::Signals => self
                    .signals
                    .take_arrivals()
                    .map_err(CycleError::TakeSignals)?,
                Kind::Child => {
                    let Some((pid, reap, payload)) = self.finish_child(token) else {
                        continue;
                    };
                    let status = if reap {
                        crate::sys::pidfd::reap(pid)
                    } else {
                        Ok(None)
                    };
                    return Ok(Some(Event::ChildExit(Box::new(ChildExit {
                        pid,
                        payload,
                        status,
                    }))));
                }
            }
        }
    }

    /// Puts an `Event::Io` just handed out back in front of the delivery:
    /// the caller could not start its callback (asking the handle died), so
    /// it stays owed to the next cycle.
    pub fn owe(&mut self, token: Token, dir: Dir) {
        let plan = match &mut self.cycle.delivery {
            Some((t, plan)) if *t == token => plan,
            _ => &mut self.cycle.delivery.insert((token, Plan::default())).1,
        };
        match dir {
            Dir::Error => plan.error = true,
            Dir::Read => plan.read = true,
            Dir::Write => plan.write = true,
        }
    }

    /// The next callback of the watcher being delivered, as it stands now:
    /// gone, or with that direction switched off, it is skipped.
    #[inline(never)]
    fn next_delivery(&mut self) -> Option<Event<W, T>> {
        while let Some((token, plan)) = &mut self.cycle.delivery {
            let token = *token;
            let Some(dir) = plan.take_first() else {
                self.cycle.delivery = None;
                break;
            };
            if *plan == Plan::default() {
                // Its last callback: nothing is owed if it dies.
                self.cycle.delivery = None;
            }
            let (on, args) = match self.registry.get(token) {
                Some(Source::Io {
                    interest, payload, ..
                }) => {
                    let on = match dir {
                        Dir::Read => interest.read,
                        Dir::Write => interest.write,
                        Dir::Error => interest.error,
                    };
                    (on, payload.args(dir))
                }
                _ => {
                    self.cycle.delivery = None;
                    break;
                }
            };
            if on {
                return Some(Event::Io { token, dir, args });
            }
        }
        None
    }
}

/// What a ready descriptor is, looked up once.
enum Kind<A> {
    Gone,
    /// An I/O watcher: the rest of its plan, its first callback, and what
    /// its payload gives out for it.
    Io(Plan, Dir, A),
    /// An I/O watcher with nothing to run.
    Park,
    Waker,
    Signals,
    Child,
}

const EMPTY: crate::sys::epoll::Event = crate::sys::epoll::Event { events: 0, u64: 0 };
/// The most events taken per wait.
const MAX_BATCH: usize = 4096;
