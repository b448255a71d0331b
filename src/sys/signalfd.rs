//! Signal masks and signalfd(2).

use super::{check, owned};
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, OwnedFd};

/// Highest signal number Linux delivers (SIGRTMAX).
pub const MAX_SIGNAL: usize = 64;

#[derive(Clone, Copy)]
pub struct SigSet(libc::sigset_t);

impl SigSet {
    pub fn empty() -> SigSet {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the whole set.
        unsafe { libc::sigemptyset(set.as_mut_ptr()) };
        // SAFETY: initialised just above.
        SigSet(unsafe { set.assume_init() })
    }

    pub fn add(&mut self, signo: i32) {
        // SAFETY: the set is initialised; an invalid number only gives EINVAL.
        unsafe { libc::sigaddset(&mut self.0, signo) };
    }

    pub fn remove(&mut self, signo: i32) {
        // SAFETY: as in `add`.
        unsafe { libc::sigdelset(&mut self.0, signo) };
    }

    pub fn contains(&self, signo: i32) -> bool {
        // SAFETY: the set is initialised; an invalid number gives -1.
        unsafe { libc::sigismember(&self.0, signo) == 1 }
    }

    /// Blocks the set in the calling thread; returns the mask before.
    pub fn block(&self) -> io::Result<SigSet> {
        self.change_mask(libc::SIG_BLOCK)
    }

    /// Unblocks the set in the calling thread.
    pub fn unblock(&self) -> io::Result<()> {
        self.change_mask(libc::SIG_UNBLOCK).map(|_| ())
    }

    fn change_mask(&self, how: libc::c_int) -> io::Result<SigSet> {
        let mut old = SigSet::empty();
        // SAFETY: valid set pointers.
        let ret = unsafe { libc::pthread_sigmask(how, &self.0, &mut old.0) };
        if ret != 0 {
            return Err(io::Error::from_raw_os_error(ret));
        }
        Ok(old)
    }

    /// Takes every pending signal of the set (for this thread or the
    /// process) without waiting; returns how many were taken.
    pub fn take_pending(&self) -> usize {
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let mut n = 0;
        // SAFETY: valid set and timeout pointers; no siginfo is asked for.
        while unsafe { libc::sigtimedwait(&self.0, std::ptr::null_mut(), &zero) } > 0 {
            n += 1;
        }
        n
    }

    /// Unblocks the set in a freshly forked child.
    ///
    /// # Safety
    /// Only between fork and exec in the child (or in a single-threaded
    /// process): uses only async-signal-safe calls.
    pub unsafe fn unblock_in_child(&self) {
        // SAFETY: sigprocmask is async-signal-safe; valid set pointer.
        unsafe { libc::sigprocmask(libc::SIG_UNBLOCK, &self.0, std::ptr::null_mut()) };
    }
}

/// Whether `signo` is a signal number this kernel knows.
pub fn valid_signal(signo: i64) -> bool {
    (1..=MAX_SIGNAL as i64).contains(&signo)
        && signo != libc::SIGKILL as i64
        && signo != libc::SIGSTOP as i64
        && !(32..libc::SIGRTMIN() as i64).contains(&signo)
}

pub struct SignalFd {
    fd: OwnedFd,
}

impl SignalFd {
    pub fn new(set: &SigSet) -> io::Result<SignalFd> {
        let flags = libc::SFD_NONBLOCK | libc::SFD_CLOEXEC;
        // SAFETY: valid set pointer; -1 asks for a new descriptor.
        let fd = owned(unsafe { libc::signalfd(-1, &set.0, flags) } as libc::c_long)?;
        Ok(SignalFd { fd })
    }

    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Replaces the set of signals this descriptor reports.
    pub fn set_mask(&self, set: &SigSet) -> io::Result<()> {
        // SAFETY: valid set pointer; the descriptor is ours.
        check(unsafe { libc::signalfd(self.fd.as_raw_fd(), &set.0, 0) } as libc::c_long)?;
        Ok(())
    }

    /// Reads every queued signal, counting each number in `counts`.
    pub fn read_all(&self, counts: &mut [u32; MAX_SIGNAL + 1]) -> io::Result<()> {
        const BATCH: usize = 16;
        let mut infos = MaybeUninit::<[libc::signalfd_siginfo; BATCH]>::uninit();
        let size = std::mem::size_of::<libc::signalfd_siginfo>();
        loop {
            // SAFETY: reads whole siginfo records into a buffer of BATCH records.
            let ret =
                unsafe { libc::read(self.fd.as_raw_fd(), infos.as_mut_ptr().cast(), size * BATCH) };
            let n = match check(ret as libc::c_long) {
                Ok(n) => n as usize / size,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            };
            // SAFETY: the kernel filled the first `n` records.
            let got = unsafe { &infos.assume_init_ref()[..n] };
            for info in got {
                if let Some(c) = counts.get_mut(info.ssi_signo as usize) {
                    *c += 1;
                }
            }
            if n < BATCH {
                return Ok(());
            }
        }
    }
}
