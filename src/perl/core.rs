//! The interpreter-owned part of a loop: the engine plus the Perl values it
//! dispatches to.  Only the interpreter that made it ever sees it.
//!
//! Everything is behind `Cell`/`RefCell` and borrowed only between calls
//! into Perl, never across one: a callback may call back into the loop
//! (schedule, watch, cancel) while dispatch is under way.

use super::ffi::{Interp, SV};
use super::xs::release;
use crate::reactor::MAX_SIGNAL;
use crate::reactor::Reactor;
use crate::registry::Token;
use std::cell::{Cell, RefCell};
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};

/// An I/O watcher's Perl side.  Each pointer holds one reference.
pub struct IoWatch {
    /// A reference to the Linux::Event::Watcher object.
    pub object: *mut SV,
    /// The weak reference to the user's handle: the object itself.
    pub fh: *mut SV,
    /// read, write, error callbacks (CVs; null when unset).
    pub cb: [*mut SV; 3],
    /// What the user enabled (dispatch switches, independent of handlers).
    pub enabled: [bool; 3],
}

pub const READ: usize = 0;
pub const WRITE: usize = 1;
pub const ERROR: usize = 2;

impl IoWatch {
    /// A direction is live when enabled and a handler is there.
    pub fn on(&self, dir: usize) -> bool {
        self.enabled[dir] && !self.cb[dir].is_null()
    }

    fn release(self, p: *mut Interp) {
        release(p, self.object);
        release(p, self.fh);
        for cb in self.cb {
            release(p, cb);
        }
    }
}

/// A subscription's Perl side (a signal handler or a child watch).
pub struct Subscription {
    /// The Linux::Event::Signal::Subscription / ::Pid::Subscription object.
    pub object: *mut SV,
    pub cb: *mut SV,
    pub data: *mut SV,
    /// For a child watch: reap it and pass the status.
    pub reap: bool,
    /// Distinguishes this subscription from its replacement.
    pub id: u64,
}

impl Subscription {
    pub fn release(self, p: *mut Interp) {
        release(p, self.object);
        release(p, self.cb);
        release(p, self.data);
    }
}

/// What the engine keeps for an fd source.
pub enum Held {
    Io(IoWatch),
    Child(Subscription),
}

impl Held {
    pub fn release(self, p: *mut Interp) {
        match self {
            Held::Io(w) => w.release(p),
            Held::Child(s) => s.release(p),
        }
    }
}

pub type Engine = Reactor<Held, *mut SV>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub struct LoopCore {
    pub engine: RefCell<Engine>,
    /// Signal handlers by number.
    pub signals: RefCell<Vec<Option<Subscription>>>,
    /// Signals taken for this loop and not yet dispatched.
    pub signal_counts: RefCell<[u32; MAX_SIGNAL + 1]>,
    pub signals_pending: Cell<bool>,
    pub on_wakeup: Cell<*mut SV>,
    /// A weak reference to the user's handle on the waker: its fd is the
    /// loop's only while that handle is open (null before `waker`).
    pub waker_fh: Cell<*mut SV>,
    /// A weak reference to the loop object, shared by every object the loop
    /// hands out (their slot 0; watchers find it by `id`).
    pub owner_ref: *mut SV,
    /// The loop's number in this process, which its watchers keep (see
    /// `le_loop_lookup` in csrc/shim.c).
    pub id: u64,
    /// True while run/run_once is on the stack.
    pub dispatching: Cell<bool>,
    /// The fork generation the loop was made in (see handle.rs).
    fork_generation: u64,
    next_subscription: Cell<u64>,
}

impl LoopCore {
    pub fn new() -> std::io::Result<LoopCore> {
        Ok(LoopCore {
            engine: RefCell::new(Reactor::new()?),
            signals: RefCell::new((0..=MAX_SIGNAL).map(|_| None).collect()),
            signal_counts: RefCell::new([0; MAX_SIGNAL + 1]),
            signals_pending: Cell::new(false),
            on_wakeup: Cell::new(ptr::null_mut()),
            waker_fh: Cell::new(ptr::null_mut()),
            owner_ref: ptr::null_mut(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            dispatching: Cell::new(false),
            fork_generation: super::handle::fork_generation(),
            next_subscription: Cell::new(1),
        })
    }

    /// Whether this copy of the loop is in a child forked after it was made.
    pub fn in_forked_child(&self) -> bool {
        self.fork_generation != super::handle::fork_generation()
    }

    pub fn new_subscription_id(&self) -> u64 {
        let id = self.next_subscription.get();
        self.next_subscription.set(id + 1);
        id
    }

    /// Removes an I/O watcher and releases its Perl values.
    pub fn unwatch(&self, p: *mut Interp, token: Token) -> bool {
        let held = self.engine.borrow_mut().unwatch(token);
        let found = held.is_some();
        if let Some(h) = held {
            h.release(p);
        }
        self.release_orphans(p);
        found
    }

    /// Whether the handle `fh` of watcher `token` still has its fd open; if
    /// not, the user closed or dropped it without unwatching, and the
    /// watcher is purged without a word.
    pub fn still_open(&self, p: *mut Interp, token: Token, fh: *mut SV) -> bool {
        // SAFETY: `fh` is the weak handle reference the watcher holds.
        if unsafe { super::ffi::le_handle_fd(p, fh) } == crate::registry::token_fd(token) {
            return true;
        }
        self.unwatch(p, token);
        false
    }

    /// Releases the Perl values of registrations the engine dropped by
    /// itself (see `Reactor::take_orphans`).
    pub fn release_orphans(&self, p: *mut Interp) {
        if !self.engine.borrow().has_orphans() {
            return;
        }
        let orphans = self.engine.borrow_mut().take_orphans();
        for h in orphans {
            h.release(p);
        }
    }

    /// Tears the loop down.  During global destruction the Perl values may
    /// already be gone, so they are left alone.
    pub fn release(self: Box<Self>, p: *mut Interp, exiting: bool) {
        let LoopCore {
            engine,
            signals,
            on_wakeup,
            waker_fh,
            owner_ref,
            id,
            ..
        } = *self;
        let mut engine = engine.into_inner();
        let (held, timers) = engine.drain_payloads();
        if exiting {
            return;
        }
        for h in held {
            h.release(p);
        }
        for cb in timers {
            release(p, cb);
        }
        for s in signals.into_inner().into_iter().flatten() {
            s.release(p);
        }
        release(p, on_wakeup.get());
        release(p, waker_fh.get());
        // SAFETY: the entry `init` made for this loop, if any.
        unsafe { super::ffi::le_loop_unregister(p, id) };
        release(p, owner_ref);
    }
}
