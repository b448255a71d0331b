//! The interpreter-owned part of a loop: the engine plus the Perl values it
//! dispatches to.  Only the interpreter that made it ever sees it.
//!
//! Everything is behind `Cell`/`RefCell` and borrowed only between calls
//! into Perl, never across one: a callback may call back into the loop
//! (schedule, watch, cancel) while dispatch is under way.  Values are let
//! go by dropping their `Owned`, which runs no Perl code.

use super::owned::{Owned, ptr_of};
use super::xs::Perl;
use crate::engine::interest::Interest;
use crate::engine::registry::{Token, token_fd};
use crate::engine::{Dir, Engine, IoPayload, MAX_SIGNAL};
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};

/// An I/O watcher's Perl side.
pub struct IoWatch {
    /// The Linux::Event::Watcher object (a reference to its array).
    pub object: Owned,
    /// The weak reference to the user's handle: the object's own scalar.
    pub fh: Owned,
    /// read, write, error callbacks (CVs), by `Dir`.
    pub cb: [Option<Owned>; 3],
    /// What the user enabled, by `Dir` (independent of the callbacks).
    pub enabled: [bool; 3],
}

impl IoWatch {
    /// A direction is live when enabled and a callback is there.
    pub fn on(&self, dir: Dir) -> bool {
        self.enabled[dir as usize] && self.cb[dir as usize].is_some()
    }

    /// The switches the engine dispatches by, with `mode`'s edge/oneshot.
    pub fn interest(&self, mode: Interest) -> Interest {
        Interest {
            read: self.on(Dir::Read),
            write: self.on(Dir::Write),
            error: self.on(Dir::Error),
            ..mode
        }
    }

    pub fn callback(&self, dir: Dir) -> *mut super::ffi::SV {
        ptr_of(&self.cb[dir as usize])
    }
}

/// A subscription's Perl side (a signal handler or a child watch).
pub struct Subscription {
    /// The Linux::Event::Signal::Subscription / ::Pid::Subscription object.
    pub object: Owned,
    pub cb: Owned,
    pub data: Option<Owned>,
    /// Distinguishes this subscription from its replacement.
    pub id: u64,
}

/// What the engine keeps for a watcher.
pub enum Payload {
    Io(IoWatch),
    Child(Subscription),
}

/// A callback and the two values it is called with besides the loop: the
/// handle and the watcher object.  Raw: valid until Perl code runs.
pub type IoArgs = [*mut super::ffi::SV; 3];

impl IoPayload for Payload {
    type Args = IoArgs;
    fn args(&self, dir: Dir) -> IoArgs {
        match self {
            Payload::Io(w) => [w.callback(dir), w.fh.as_ptr(), w.object.as_ptr()],
            Payload::Child(_) => [std::ptr::null_mut(); 3],
        }
    }
}

pub type PerlEngine = Engine<Payload, Owned>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub struct LoopCore {
    pub engine: RefCell<PerlEngine>,
    /// Signal handlers by number.
    pub signals: RefCell<Vec<Option<Subscription>>>,
    pub on_wakeup: RefCell<Option<Owned>>,
    /// A weak reference to the user's handle on the waker: its fd is the
    /// loop's only while that handle is open.
    pub waker_fh: RefCell<Option<Owned>>,
    /// A weak reference to the loop object, shared by every object the loop
    /// hands out (their slot 0).
    pub owner_ref: Owned,
    /// The loop's number in this process, which its watchers keep (see
    /// `objects::register_loop`).
    pub id: u64,
    /// True while run/run_once is on the stack.
    pub dispatching: Cell<bool>,
    /// The fork generation the loop was made in (see handle.rs).
    fork_generation: u64,
    next_subscription: Cell<u64>,
}

impl LoopCore {
    pub fn new(owner_ref: Owned) -> std::io::Result<LoopCore> {
        Ok(LoopCore {
            engine: RefCell::new(Engine::new()?),
            signals: RefCell::new((0..=MAX_SIGNAL).map(|_| None).collect()),
            on_wakeup: RefCell::new(None),
            waker_fh: RefCell::new(None),
            owner_ref,
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

    /// Removes an I/O watcher; whether there was one.
    pub fn unwatch(&self, token: Token) -> bool {
        let payload = self.engine.borrow_mut().unwatch(token);
        payload.is_some()
    }

    /// The weak handle reference of I/O watcher `token`, held for a
    /// lookup that may run Perl code (a PerlIO layer's FILENO).
    pub fn watcher_fh(&self, perl: Perl, token: Token) -> Option<Owned> {
        match self.engine.borrow().io(token) {
            Some((Payload::Io(w), _)) => Owned::hold(perl, w.fh.as_ptr()),
            _ => None,
        }
    }

    /// The callback for `dir` of I/O watcher `token` with its arguments,
    /// if its handle still has the watcher's fd open; if not, the user
    /// closed or dropped it without unwatching, and the watcher is purged
    /// without a word.  `args` are what the engine handed out with the
    /// event.  Asking the handle may run Perl code (a PerlIO layer's
    /// FILENO), which may die or change the loop: then the watcher is
    /// looked up again after it.
    pub fn io_target(
        &self,
        perl: Perl,
        token: Token,
        dir: Dir,
        args: IoArgs,
    ) -> Result<Option<IoArgs>, super::xs::Failure> {
        let open = match super::handle::handle_fd_now(perl, args[1]) {
            Some(fd) if fd == token_fd(token) => return Ok(Some(args)),
            Some(_) => false,
            None => {
                let fh = Owned::hold(perl, args[1]);
                super::handle::handle_fd(perl, ptr_of(&fh))? == token_fd(token)
            }
        };
        if !open {
            self.unwatch(token);
            return Ok(None);
        }
        Ok(match self.engine.borrow().io(token) {
            Some((p @ Payload::Io(w), _)) if w.on(dir) => Some(p.args(dir)),
            _ => None,
        })
    }

    /// Tears the loop down.  During global destruction the Perl values may
    /// already be gone, so they are abandoned, not touched.
    pub fn teardown(self: Box<Self>, perl: Perl, exiting: bool) {
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
        let (payloads, timers) = engine.drain_payloads();
        drop(engine); // gives its signals back
        if !exiting {
            super::objects::unregister_loop(perl, id);
            return;
        }
        for p in payloads {
            match p {
                Payload::Io(w) => {
                    w.object.abandon();
                    w.fh.abandon();
                    w.cb.into_iter().flatten().for_each(Owned::abandon);
                }
                Payload::Child(s) => s.abandon(),
            }
        }
        timers.into_iter().for_each(Owned::abandon);
        for s in signals.into_inner().into_iter().flatten() {
            s.abandon();
        }
        on_wakeup.into_inner().into_iter().for_each(Owned::abandon);
        waker_fh.into_inner().into_iter().for_each(Owned::abandon);
        owner_ref.abandon();
    }
}

impl Subscription {
    fn abandon(self) {
        self.object.abandon();
        self.cb.abandon();
        self.data.into_iter().for_each(Owned::abandon);
    }
}
