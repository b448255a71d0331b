//! The engine's policy, tested without Perl: real pipes, a real epoll set,
//! and payloads that record when the engine lets go of them.

use super::*;
use crate::sys::{clock, epoll};
use std::cell::RefCell;
use std::os::fd::FromRawFd;
use std::rc::Rc;

/// A payload that logs its name when dropped: the glue's payloads give
/// their Perl references back at that moment.
#[derive(Debug)]
struct Probe(&'static str, Rc<RefCell<Vec<&'static str>>>);

impl IoPayload for Probe {
    type Args = &'static str;
    fn args(&self, _dir: Dir) -> &'static str {
        self.0
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.1.borrow_mut().push(self.0);
    }
}

type TestEngine = Engine<Probe, &'static str>;

struct World {
    engine: TestEngine,
    dropped: Rc<RefCell<Vec<&'static str>>>,
}

impl World {
    fn new() -> World {
        World {
            engine: Engine::new().unwrap(),
            dropped: Rc::default(),
        }
    }

    fn probe(&self, name: &'static str) -> Probe {
        Probe(name, Rc::clone(&self.dropped))
    }

    fn watch(&mut self, fd: &OwnedFd, interest: Interest, name: &'static str) -> Token {
        let p = self.probe(name);
        match self.engine.watch(fd.as_raw_fd(), interest, p) {
            Ok(t) => t,
            Err(e) => panic!("refused: {:?}", e.error),
        }
    }

    fn dropped(&self) -> Vec<&'static str> {
        self.dropped.borrow().clone()
    }

    /// Every event of one cycle that never waits, in order, as text.
    fn cycle(&mut self) -> Vec<String> {
        self.cycle_with(|_, _| {})
    }

    /// One cycle; `act` runs after each event, as a callback would.
    fn cycle_with(&mut self, mut act: impl FnMut(&mut TestEngine, &str)) -> Vec<String> {
        self.engine.begin_cycle(Some(0));
        let mut out = vec![];
        while let Some(ev) = self.engine.next_event(|| false).unwrap() {
            let text = describe(&self.engine, &ev);
            act(&mut self.engine, &text);
            out.push(text);
        }
        out
    }
}

fn describe(e: &TestEngine, ev: &Event<Probe, &'static str>) -> String {
    match ev {
        Event::PerlSignals => "perl-signals".into(),
        Event::Io { token, dir, args } => {
            let name = e.io(*token).map_or("?", |(p, _)| p.0);
            assert_eq!(name, *args, "the payload's args come with the event");
            format!("{name}:{dir:?}")
        }
        Event::Wakeup { count } => format!("wakeup:{count}"),
        Event::Signal { signo, count } => format!("signal:{signo}x{count}"),
        Event::ChildExit(exit) => format!("exit:{}", exit.payload.0),
        Event::Timer(name) => format!("timer:{name}"),
    }
}

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

/// Two connected stream sockets: each end is writable at once.
fn socketpair() -> (OwnedFd, OwnedFd) {
    let mut sv = [0; 2];
    // SAFETY: valid out-array of two descriptors.
    assert_eq!(
        unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
                0,
                sv.as_mut_ptr(),
            )
        },
        0
    );
    // SAFETY: the kernel just returned these descriptors.
    unsafe { (OwnedFd::from_raw_fd(sv[0]), OwnedFd::from_raw_fd(sv[1])) }
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
    error: false,
    edge: false,
    oneshot: false,
};

const READ_WRITE: Interest = Interest {
    write: true,
    ..READ
};

// ---- ordering ---------------------------------------------------------------

#[test]
fn a_cycle_runs_signals_then_descriptors_then_timers_in_deadline_order() {
    let mut w = World::new();
    let (rd, wr) = pipe();
    w.watch(&rd, READ, "r");
    write(&wr);
    w.engine.add_timer(20, "late");
    w.engine.add_timer(10, "early");
    w.engine.add_timer(10, "early-too");
    w.engine.signals.pretend_arrival(12, 1);
    w.engine.signals.pretend_arrival(10, 1);
    assert_eq!(
        w.cycle(),
        [
            "signal:10x1",
            "signal:12x1",
            "r:Read",
            "timer:early",
            "timer:early-too",
            "timer:late"
        ]
    );
}

#[test]
fn one_descriptor_gets_read_before_write_and_an_error_alone() {
    let mut w = World::new();
    let (rd, wr) = pipe();
    // A pipe's write end is writable; its read end readable once written.
    w.watch(&wr, READ_WRITE, "w");
    assert_eq!(w.cycle(), ["w:Write"]);
    drop(rd); // the write end now reports an error
    let with_error = Interest {
        error: true,
        ..READ_WRITE
    };
    let t = w.engine.io_token(wr.as_raw_fd()).unwrap();
    w.engine.set_interest(t, with_error, false).unwrap();
    assert_eq!(
        w.cycle(),
        ["w:Error"],
        "an error goes to the error callback alone"
    );
    w.engine.set_interest(t, READ_WRITE, false).unwrap();
    assert_eq!(
        w.cycle(),
        ["w:Read", "w:Write"],
        "with no error callback, an error is readable and writable"
    );
}

#[test]
fn a_timer_scheduled_during_a_cycle_waits_for_the_next() {
    let mut w = World::new();
    w.engine.add_timer(0, "first");
    let seen = w.cycle_with(|e, ev| {
        if ev == "timer:first" {
            e.add_timer(0, "added");
        }
    });
    assert_eq!(seen, ["timer:first"]);
    assert_eq!(w.cycle(), ["timer:added"]);
}

#[test]
fn ordinary_signals_coalesce_and_real_time_signals_count() {
    let mut w = World::new();
    w.engine.signals.pretend_arrival(10, 1);
    w.engine.signals.pretend_arrival(10, 1);
    let rt = libc::SIGRTMIN();
    w.engine.signals.pretend_arrival(rt, 3);
    let seen = w.cycle();
    assert_eq!(seen, ["signal:10x2".to_string(), format!("signal:{rt}x3")]);
}

// ---- timeouts -----------------------------------------------------------------

#[test]
fn the_wait_lasts_until_the_next_timer_rounded_up_to_a_millisecond() {
    let mut w = World::new();
    let (rd, _wr) = pipe();
    w.watch(&rd, READ, "idle");
    let start = clock::monotonic_ns();
    w.engine.add_timer(start + 2_500_000, "t");
    w.engine.begin_cycle(None);
    let ev = w.engine.next_event(|| false).unwrap();
    let waited = clock::monotonic_ns() - start;
    assert!(matches!(ev, Some(Event::Timer("t"))));
    assert!(waited >= 2_500_000, "never early: {waited} ns");
    assert!(waited < 500_000_000, "not much late: {waited} ns");
}

#[test]
fn the_callers_limit_bounds_the_wait_and_a_limit_of_zero_polls() {
    let mut w = World::new();
    let (rd, _wr) = pipe();
    w.watch(&rd, READ, "idle");
    let start = clock::monotonic_ns();
    w.engine.begin_cycle(Some(5_000_000));
    assert!(w.engine.next_event(|| false).unwrap().is_none());
    let waited = clock::monotonic_ns() - start;
    assert!((5_000_000..500_000_000).contains(&waited), "{waited} ns");
    let start = clock::monotonic_ns();
    w.engine.add_timer(start + 10_000_000_000, "far");
    w.engine.begin_cycle(Some(0));
    assert!(w.engine.next_event(|| false).unwrap().is_none());
    assert!(clock::monotonic_ns() - start < 100_000_000, "polled");
}

#[test]
fn pending_signals_make_the_wait_a_poll() {
    let mut w = World::new();
    let (rd, _wr) = pipe();
    w.watch(&rd, READ, "idle");
    w.engine.signals.pretend_arrival(10, 1);
    let start = clock::monotonic_ns();
    w.engine.begin_cycle(None); // would block forever otherwise
    let ev = w.engine.next_event(|| false).unwrap();
    assert!(matches!(
        ev,
        Some(Event::Signal {
            signo: 10,
            count: 1
        })
    ));
    assert!(clock::monotonic_ns() - start < 100_000_000);
}

#[test]
fn pending_perl_signals_end_the_cycle_before_anything_else() {
    let mut w = World::new();
    w.engine.add_timer(0, "due");
    w.engine.begin_cycle(Some(0));
    assert!(matches!(
        w.engine.next_event(|| true).unwrap(),
        Some(Event::PerlSignals)
    ));
    assert!(w.engine.next_event(|| true).unwrap().is_none());
    assert_eq!(w.cycle(), ["timer:due"], "the timer is not lost");
}

// ---- stale tokens and cancellation during a cycle ---------------------------------

#[test]
fn a_watcher_cancelled_during_the_cycle_gets_no_more_events() {
    let mut w = World::new();
    let (rd1, wr1) = pipe();
    let (rd2, wr2) = pipe();
    let t1 = w.watch(&rd1, READ, "one");
    let t2 = w.watch(&rd2, READ, "two");
    write(&wr1);
    write(&wr2);
    // Whichever comes first cancels the other: it must not be handed out.
    let seen = w.cycle_with(|e, ev| {
        let other = if ev.starts_with("one") { t2 } else { t1 };
        assert!(e.unwatch(other).is_some());
    });
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(w.dropped().len(), 1, "the cancelled payload was let go");
}

#[test]
fn a_read_callback_that_cancels_or_disables_write_stops_the_write_half() {
    let mut w = World::new();
    let (rd, wr) = pipe();
    let (a, b) = socketpair();
    write(&b);
    let t = w.watch(&a, READ_WRITE, "rw");
    let seen = w.cycle_with(|e, ev| {
        if ev == "rw:Read" {
            e.set_interest(t, READ, false).unwrap();
        }
    });
    assert_eq!(
        seen,
        ["rw:Read"],
        "write was switched off by the read callback"
    );
    w.engine.set_interest(t, READ_WRITE, false).unwrap();
    let seen = w.cycle_with(|e, ev| {
        if ev == "rw:Read" {
            e.unwatch(t);
        }
    });
    assert_eq!(seen, ["rw:Read"], "cancelled by the read callback");
    drop((rd, wr));
}

#[test]
fn a_replaced_watcher_is_let_go_and_its_old_token_is_stale() {
    let mut w = World::new();
    let (rd, wr) = pipe();
    let old = w.watch(&rd, READ, "old");
    let new = w.watch(&rd, READ, "new");
    assert_eq!(w.dropped(), ["old"]);
    assert!(w.engine.io(old).is_none());
    assert!(
        w.engine.unwatch(old).is_none(),
        "a stale token removes nothing"
    );
    write(&wr);
    assert_eq!(w.cycle(), ["new:Read"]);
    assert!(w.engine.unwatch(new).is_some());
}

#[test]
fn a_cancelled_timer_never_fires_and_a_cancelled_signal_loses_its_arrivals() {
    let mut w = World::new();
    let id = w.engine.add_timer(0, "cancelled");
    w.engine.add_timer(0, "kept");
    assert_eq!(w.engine.cancel_timer(id), Some("cancelled"));
    assert_eq!(w.engine.cancel_timer(id), None, "an id is cancelled once");
    w.engine.signals.pretend_arrival(10, 1);
    w.engine.signals.pretend_arrival(12, 1);
    let seen = w.cycle_with(|e, ev| {
        if ev == "signal:10x1" {
            e.signals.remove(12).unwrap();
        }
    });
    assert_eq!(seen, ["signal:10x1", "timer:kept"]);
}

// ---- a cycle cut short (a callback died) ---------------------------------------------

#[test]
fn a_cycle_cut_short_resumes_where_it_stopped_without_waiting() {
    let mut w = World::new();
    let (a, b) = socketpair();
    write(&b);
    let edge = Interest {
        edge: true,
        ..READ_WRITE
    };
    w.watch(&a, edge, "rw");
    w.engine.add_timer(0, "t1");
    w.engine.add_timer(0, "t2");
    w.engine.signals.pretend_arrival(10, 1);
    w.engine.signals.pretend_arrival(12, 1);
    // The caller stops after each first event, as after a die.
    let mut seen = vec![];
    for _ in 0..6 {
        w.engine.begin_cycle(None); // would block if nothing were left
        let ev = w.engine.next_event(|| false).unwrap().expect("an event");
        seen.push(describe(&w.engine, &ev));
    }
    assert_eq!(
        seen,
        [
            "signal:10x1",
            "signal:12x1",
            "rw:Read",
            "rw:Write",
            "timer:t1",
            "timer:t2"
        ],
        "edge-triggered: the write half is not reported again, yet not lost"
    );
}

// ---- the stale-registration remedy ----------------------------------------------------

#[test]
fn a_closed_fd_kept_open_by_a_dup_is_rebuilt_away() {
    let mut w = World::new();
    let (rd, wr) = pipe();
    let (other, other_wr) = pipe();
    let dup = dup_cloexec(rd.as_raw_fd()).unwrap();
    let t = w.watch(&rd, READ, "stale");
    w.watch(&other, READ, "kept");
    write(&wr);
    assert_eq!(w.cycle(), ["stale:Read"]);
    drop(rd); // closed without unwatch; the dup keeps the file open
    assert!(w.engine.unwatch(t).is_some());
    // The kernel still reports it once; that report rebuilds the set.
    assert_eq!(w.cycle(), Vec::<String>::new());
    assert_eq!(w.cycle(), Vec::<String>::new(), "no more reports");
    write(&other_wr);
    assert_eq!(
        w.cycle(),
        ["kept:Read"],
        "the other watcher survived the rebuild"
    );
    drop(dup);
}

#[test]
fn a_disarmed_oneshot_stays_disarmed_across_a_rebuild() {
    let mut w = World::new();
    let (rd, wr) = pipe();
    let once = Interest {
        oneshot: true,
        ..READ
    };
    let t = w.watch(&rd, once, "once");
    write(&wr);
    assert_eq!(w.cycle(), ["once:Read"]);
    assert_eq!(w.cycle(), Vec::<String>::new(), "disarmed");
    w.engine.rebuild().unwrap();
    assert_eq!(
        w.cycle(),
        Vec::<String>::new(),
        "still disarmed after a rebuild"
    );
    w.engine.set_interest(t, once, true).unwrap();
    assert_eq!(w.cycle(), ["once:Read"], "re-armed");
}

#[test]
fn a_rebuild_drops_watchers_whose_fd_now_names_another_file() {
    let mut w = World::new();
    let (rd, _wr) = pipe();
    let fd = rd.as_raw_fd();
    let (kept, _kept_wr) = pipe();
    w.watch(&rd, READ, "old");
    w.watch(&kept, READ, "kept");
    // Another file takes the number, whatever else the process opens.
    let (other, _other_wr) = pipe();
    // SAFETY: dup2 onto a number we own (closing the watched file).
    assert_eq!(unsafe { libc::dup2(other.as_raw_fd(), fd) }, fd);
    std::mem::forget(rd); // `fd` now belongs to the dup
    // SAFETY: we made this duplicate just above.
    let _dup = unsafe { OwnedFd::from_raw_fd(fd) };
    w.engine.rebuild().unwrap();
    assert_eq!(w.dropped(), ["old"]);
    assert!(w.engine.io_token(fd).is_none());
    assert!(
        w.engine.io_token(kept.as_raw_fd()).is_some(),
        "the other one stays"
    );
}

#[test]
fn a_hung_up_watcher_with_nothing_enabled_is_parked_until_enabled() {
    let mut w = World::new();
    let (rd, wr) = pipe();
    let none = Interest::default();
    let t = w.watch(&rd, none, "paused");
    drop(wr); // hang-up: reported whatever the interest
    assert_eq!(w.cycle(), Vec::<String>::new(), "nothing to run: parked");
    w.engine.begin_cycle(Some(0));
    w.engine.next_event(|| false).unwrap();
    assert!(
        w.engine.cursor == w.engine.filled && w.engine.filled == 0,
        "no more reports"
    );
    w.engine.set_interest(t, READ, false).unwrap();
    assert_eq!(w.cycle(), ["paused:Read"], "back once read is enabled");
    assert!(w.engine.unwatch(t).is_some());
}

#[test]
fn an_internal_fd_on_a_closed_watched_number_lets_the_watcher_go() {
    let mut w = World::new();
    let (rd, _wr) = pipe();
    let fd = rd.as_raw_fd();
    w.watch(&rd, READ, "displaced");
    drop(rd);
    let (waker, _dup) = w.engine.create_waker().unwrap();
    // The kernel hands out the lowest free number; another test's thread
    // may take it first, so both outcomes are checked.
    if waker.fd() == fd {
        assert_eq!(w.dropped(), ["displaced"], "its number is the waker's now");
    } else {
        assert!(w.dropped().is_empty());
        assert!(w.engine.io_token(fd).is_some(), "still on its number");
    }
    let p = w.probe("no");
    assert!(matches!(
        w.engine.watch(waker.fd(), READ, p),
        Err(Refused {
            error: WatchError::Reserved,
            ..
        })
    ));
}

#[test]
fn a_wakeup_is_handed_out_with_its_count() {
    let mut w = World::new();
    let (waker, _dup) = w.engine.create_waker().unwrap();
    waker.signal(3).unwrap();
    assert_eq!(w.cycle(), ["wakeup:3"]);
    assert_eq!(w.cycle(), Vec::<String>::new());
}

#[test]
fn the_epoll_event_mask_follows_the_switches() {
    assert_eq!(READ.events(), epoll::IN | epoll::RDHUP);
    let i = Interest {
        error: true,
        ..Interest::default()
    };
    assert_eq!(i.events(), 0, "errors need no bit");
}

#[test]
fn a_callback_owed_back_comes_first_in_the_next_cycle() {
    let mut w = World::new();
    let (rd, wr) = pipe();
    let t = w.watch(&rd, READ, "r");
    write(&wr);
    w.engine.begin_cycle(Some(0));
    let ev = w.engine.next_event(|| false).unwrap();
    assert!(matches!(ev, Some(Event::Io { dir: Dir::Read, .. })));
    // The caller could not start it (as when asking the handle died).
    w.engine.owe(t, Dir::Read);
    w.engine.add_timer(0, "t");
    assert_eq!(w.cycle(), ["r:Read", "timer:t"]);
}

#[test]
fn a_level_triggered_event_whose_last_callback_died_is_reported_again() {
    let mut w = World::new();
    let (rd, wr) = pipe();
    w.watch(&rd, READ, "r");
    write(&wr);
    w.engine.begin_cycle(Some(0));
    assert!(w.engine.next_event(|| false).unwrap().is_some());
    // The caller stops (the callback died): nothing is owed, and the
    // next cycle asks the kernel, which still reports the pipe readable.
    assert_eq!(w.cycle(), ["r:Read"]);
}
