//! Subscribed signals: caught process-wide by one C handler and routed to
//! the loops that subscribe to them.
//!
//! Why a handler and not a signalfd: a signalfd only reports signals that
//! are blocked, and a blocked mask is inherited by every child.  Perl's
//! `fork` and `system` set the parent's mask again in the child after the
//! C library's fork handlers ran, so no hook could hand children the mask
//! the program had.  As libev does without signalfd, the handler only
//! counts the arrival and writes to an eventfd that the loops wait on; the
//! mask is never changed.  Children of `fork` get the dispositions the
//! program had back from a `pthread_atfork` child handler (Perl's `fork`
//! does not touch dispositions), and `exec` resets a caught signal to its
//! default action by itself.
//!
//! Everything the handler touches is static and never freed: it may run in
//! any thread, at any time, also while a loop is being freed.  Each loop
//! that subscribes takes a slot, whose eventfd stays open (and is reused by
//! later loops) for the life of the process, so the handler never writes to
//! a number that was closed and reused.
//!
//! Counts are per signal, shared by the loops that subscribe to it: the
//! handler wakes each of them, and the first to take the count gets it, so
//! each arrival is delivered to exactly one loop.

use crate::sys::eventfd::{self, EventFd};
use crate::sys::signal::{Disposition, MAX_SIGNAL, is_caught_by, is_fault, is_realtime};
use crate::sys::{FileId, file_id};
use std::cell::UnsafeCell;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};

/// How many loops of one process can subscribe to signals at the same time.
pub const SLOTS: usize = 256;
const WORDS: usize = SLOTS / 64;

/// The eventfd of each slot; -1 before its first use.
static SLOT_FD: [AtomicI32; SLOTS] = [const { AtomicI32::new(-1) }; SLOTS];
/// The slots that listen to each signal: bit `slot % 64` of word `slot / 64`.
static LISTENERS: [[AtomicU64; WORDS]; MAX_SIGNAL + 1] =
    [const { [const { AtomicU64::new(0) }; WORDS] }; MAX_SIGNAL + 1];
/// Arrivals of each signal that no loop has taken yet.
static ARRIVED: [AtomicU32; MAX_SIGNAL + 1] = [const { AtomicU32::new(0) }; MAX_SIGNAL + 1];
/// The process whose loops subscribed; the handler feeds no other.
static OWNER: AtomicI32 = AtomicI32::new(0);

/// What only the subscribing side reads and writes, under `BOOKS`' lock.
struct Books {
    used: [bool; SLOTS],
    /// The open file each slot's number named when we made it.
    file: [FileId; SLOTS],
    /// Whether the handler was installed for the signal by us.
    caught: [bool; MAX_SIGNAL + 1],
    /// The disposition found when we installed it: given back at the end.
    before: [Disposition; MAX_SIGNAL + 1],
}

static BOOKS: Locked<Books> = Locked {
    busy: AtomicBool::new(false),
    value: UnsafeCell::new(Books {
        used: [false; SLOTS],
        file: [0; SLOTS],
        caught: [false; MAX_SIGNAL + 1],
        before: [const { Disposition::default_action() }; MAX_SIGNAL + 1],
    }),
};

/// A spin lock that a fork handler can take in the parent and drop in the
/// child (a `std` mutex cannot be held across those callbacks).  Held only
/// for a few system calls, never while Perl runs.
struct Locked<T> {
    busy: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reached through the lock (or, documented at each
// use, where no other thread can exist).
unsafe impl<T: Send> Sync for Locked<T> {}

struct Guard<'a, T>(&'a Locked<T>);

impl<T> Locked<T> {
    fn acquire(&self) {
        while self
            .busy
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::thread::yield_now();
        }
    }

    fn release(&self) {
        self.busy.store(false, Ordering::Release);
    }

    fn lock(&self) -> Guard<'_, T> {
        self.acquire();
        Guard(self)
    }

    /// The value without the lock.
    ///
    /// # Safety
    /// No other thread may use it meanwhile (a forked child, whose parent
    /// held the lock across the fork).
    #[allow(clippy::mut_from_ref)]
    unsafe fn unlocked(&self) -> &mut T {
        // SAFETY: exclusive by the caller's promise.
        unsafe { &mut *self.value.get() }
    }
}

impl<T> std::ops::Deref for Guard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the lock is held.
        unsafe { &*self.0.value.get() }
    }
}

impl<T> std::ops::DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the lock is held.
        unsafe { &mut *self.0.value.get() }
    }
}

impl<T> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        self.0.release();
    }
}

fn bit(slot: usize) -> (usize, u64) {
    (slot / 64, 1u64 << (slot % 64))
}

fn has_listeners(signo: usize) -> bool {
    LISTENERS[signo]
        .iter()
        .any(|w| w.load(Ordering::Acquire) != 0)
}

/// The handler of every subscribed signal.  Async-signal-safe: atomics,
/// getpid, write (and, to pass a signal on, sigaction and raise).
extern "C" fn on_signal(signo: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: this thread's errno, saved and restored around our calls.
    let errno = unsafe { *libc::__errno_location() };
    let i = signo as usize;
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let si_code = unsafe { info.as_ref() }.map_or(0, |info| info.si_code);
    // SAFETY: getpid is async-signal-safe.
    let foreign = unsafe { libc::getpid() } != OWNER.load(Ordering::Acquire);
    if is_fault(signo, si_code) {
        // A real fault (a subscribed SIGSEGV): returning would run the
        // faulting instruction again, forever.  It takes the default action
        // and ends the process.
        Disposition::default_action().install_quietly(signo);
    } else if foreign {
        pass_on(signo);
    } else if let (Some(arrived), Some(words)) = (ARRIVED.get(i), LISTENERS.get(i)) {
        arrived.fetch_add(1, Ordering::AcqRel);
        for (w, word) in words.iter().enumerate() {
            let mut bits = word.load(Ordering::Acquire);
            while bits != 0 {
                let slot = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let fd = SLOT_FD[slot].load(Ordering::Acquire);
                if fd >= 0 {
                    eventfd::poke(fd);
                }
            }
        }
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

/// A signal caught in a process that is not the subscriber: a child between
/// its fork and our fork handler.  It goes to the disposition the program
/// had, as if we had never caught it.
fn pass_on(signo: libc::c_int) {
    // SAFETY: the fork that made this process held the lock across it, so
    // nothing writes the books here.
    let books = unsafe { BOOKS.unlocked() };
    let before = match books.before.get(signo as usize) {
        Some(d) if !d.is(on_signal) => *d,
        _ => Disposition::default_action(),
    };
    before.install_quietly(signo);
    // SAFETY: raise is async-signal-safe; the signal is blocked while this
    // handler runs, so it is acted on (with `before`) when the handler returns.
    unsafe { libc::raise(signo) };
}

extern "C" fn before_fork() {
    BOOKS.acquire();
}

extern "C" fn after_fork_in_parent() {
    BOOKS.release();
}

/// A forked child does not feed the parent's loops: the dispositions the
/// program had come back, the slots' eventfds (the parent's open files) are
/// closed, and the child starts with no subscriptions.
extern "C" fn after_fork_in_child() {
    // SAFETY: the parent held the lock across the fork; the child has one thread.
    let books = unsafe { BOOKS.unlocked() };
    for signo in 1..=MAX_SIGNAL {
        for word in &LISTENERS[signo] {
            word.store(0, Ordering::Release);
        }
        ARRIVED[signo].store(0, Ordering::Release);
        if books.caught[signo] {
            books.caught[signo] = false;
            if is_caught_by(signo as i32, on_signal) {
                books.before[signo].install_quietly(signo as i32);
            }
        }
    }
    for (slot, fd) in SLOT_FD.iter().enumerate() {
        let fd = fd.swap(-1, Ordering::AcqRel);
        if fd >= 0 {
            // SAFETY: close is async-signal-safe; the number is ours.
            unsafe { libc::close(fd) };
        }
        books.used[slot] = false;
    }
    // SAFETY: getpid is async-signal-safe.
    OWNER.store(unsafe { libc::getpid() }, Ordering::Release);
    BOOKS.release();
}

/// Registers the fork handlers and notes the owning process, once.
fn start() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        OWNER.store(std::process::id() as i32, Ordering::Release);
        // SAFETY: the handlers only take and drop the spin lock, or (in the
        // child) use atomics and async-signal-safe calls.
        unsafe {
            libc::pthread_atfork(
                Some(before_fork),
                Some(after_fork_in_parent),
                Some(after_fork_in_child),
            )
        };
    });
}

/// Takes a free slot for a loop: its number and its eventfd, which the
/// loop waits on and must never close.
pub fn acquire_slot() -> io::Result<(usize, RawFd)> {
    start();
    let mut books = BOOKS.lock();
    let Some(slot) = books.used.iter().position(|u| !u) else {
        return Err(io::Error::other(format!(
            "more than {SLOTS} loops subscribe to signals at once"
        )));
    };
    let mut fd = SLOT_FD[slot].load(Ordering::Acquire);
    if fd < 0 || file_id(fd).ok() != Some(books.file[slot]) {
        // First use, or the program closed our number behind our back (it
        // is not ours to close any more): a new eventfd.
        let efd = EventFd::new()?;
        books.file[slot] = file_id(efd.fd().as_raw_fd())?;
        fd = efd.into_raw();
        SLOT_FD[slot].store(fd, Ordering::Release);
    }
    // A late wakeup meant for the slot's last loop.
    let _ = eventfd::take(fd);
    books.used[slot] = true;
    Ok((slot, fd))
}

/// Gives a slot back (its loop is gone); it stops listening to everything.
pub fn release_slot(slot: usize) -> io::Result<()> {
    let mut res = Ok(());
    for signo in 1..=MAX_SIGNAL as i32 {
        res = res.and(release(slot, signo));
    }
    BOOKS.lock().used[slot] = false;
    res
}

/// Routes `signo` to the loop of `slot`.  Installs the handler if it is
/// not installed: at the first subscription, and again if the program set
/// another disposition since (the subscription owns the disposition).
pub fn catch(slot: usize, signo: i32) -> io::Result<()> {
    let i = signo as usize;
    let (w, b) = bit(slot);
    let mut books = BOOKS.lock();
    let was = LISTENERS[i][w].fetch_or(b, Ordering::AcqRel) & b != 0;
    if is_caught_by(signo, on_signal) {
        return Ok(());
    }
    if !books.caught[i] {
        ARRIVED[i].store(0, Ordering::Release);
    }
    match Disposition::catching(on_signal).install(signo) {
        Ok(before) => {
            books.before[i] = before;
            books.caught[i] = true;
            Ok(())
        }
        Err(e) => {
            if !was {
                LISTENERS[i][w].fetch_and(!b, Ordering::AcqRel);
            }
            Err(e)
        }
    }
}

/// Stops routing `signo` to the loop of `slot`.  After the last listener,
/// the signal is given back: the disposition found when the handler was
/// installed comes back, unless the program set another one since, and
/// arrivals no loop took are dropped (they came while it was subscribed).
pub fn release(slot: usize, signo: i32) -> io::Result<()> {
    let i = signo as usize;
    let (w, b) = bit(slot);
    let mut books = BOOKS.lock();
    LISTENERS[i][w].fetch_and(!b, Ordering::AcqRel);
    if has_listeners(i) || !books.caught[i] {
        return Ok(());
    }
    books.caught[i] = false;
    let res = if is_caught_by(signo, on_signal) {
        books.before[i].install(signo).map(|_| ())
    } else {
        Ok(())
    };
    ARRIVED[i].store(0, Ordering::Release);
    res
}

/// Takes the arrivals of `signo` since the last take, by any loop: each
/// arrival of a real-time signal counts (they queue), an ordinary signal
/// counts once (as the kernel coalesces it).
pub fn take(signo: i32) -> u32 {
    let n = ARRIVED[signo as usize].swap(0, Ordering::AcqRel);
    if n > 1 && !is_realtime(signo) { 1 } else { n }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caught(signo: i32) -> bool {
        is_caught_by(signo, on_signal)
    }

    fn ignored(signo: i32) -> bool {
        Disposition::of(signo).unwrap().is_ignored()
    }

    #[test]
    fn a_fault_goes_to_the_program_s_disposition() {
        assert!(is_fault(libc::SIGSEGV, 1), "SEGV_MAPERR from the kernel");
        assert!(!is_fault(libc::SIGSEGV, 0), "SI_USER: kill(2)");
        assert!(!is_fault(libc::SIGSEGV, -6), "SI_TKILL: raise(3)");
        assert!(!is_fault(libc::SIGCHLD, 1), "CLD_EXITED is no fault");
    }

    fn raise(signo: i32) {
        // SAFETY: the handler of this signal is ours (or it is ignored).
        unsafe { libc::raise(signo) };
    }

    #[test]
    fn an_arrival_is_counted_once_and_wakes_the_slot() {
        let sig = libc::SIGRTMIN() + 3;
        let (slot, fd) = acquire_slot().unwrap();
        catch(slot, sig).unwrap();
        assert!(caught(sig));
        raise(sig);
        raise(sig);
        assert!(eventfd::take(fd).unwrap() >= 2, "the slot was woken");
        assert_eq!(take(sig), 2, "real-time arrivals count each");
        assert_eq!(take(sig), 0);
        release_slot(slot).unwrap();
        assert!(!caught(sig), "given back with the slot");
    }

    #[test]
    fn the_disposition_before_comes_back_after_the_last_listener() {
        let sig = libc::SIGRTMIN() + 4;
        Disposition::ignoring().install(sig).unwrap();
        let (a, _) = acquire_slot().unwrap();
        let (b, _) = acquire_slot().unwrap();
        catch(a, sig).unwrap();
        catch(b, sig).unwrap();
        raise(sig);
        release(a, sig).unwrap();
        assert!(caught(sig), "one listener is left");
        release(b, sig).unwrap();
        assert!(ignored(sig), "SIG_IGN is back");
        raise(sig);
        assert_eq!(take(sig), 0, "what no loop took was dropped");
        release_slot(a).unwrap();
        release_slot(b).unwrap();
    }

    #[test]
    fn an_ordinary_signal_coalesces() {
        let sig = libc::SIGURG; // ignored by default: harmless if it leaks
        let (slot, _) = acquire_slot().unwrap();
        catch(slot, sig).unwrap();
        raise(sig);
        raise(sig);
        raise(sig);
        assert_eq!(take(sig), 1);
        release_slot(slot).unwrap();
    }

    #[test]
    fn a_forked_child_gets_the_old_disposition_back() {
        let sig = libc::SIGRTMIN() + 5;
        let (slot, _) = acquire_slot().unwrap();
        catch(slot, sig).unwrap();
        // SAFETY: the child only calls async-signal-safe functions and _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let clean = !caught(sig) && SLOT_FD[slot].load(Ordering::Relaxed) < 0;
            // SAFETY: ends the child at once.
            unsafe { libc::_exit(if clean { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waits for our own child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert_eq!(status, 0, "the child had our handler or our slots");
        assert!(caught(sig), "the parent keeps it");
        release_slot(slot).unwrap();
    }
}
