//! Signal numbers and dispositions: sigaction(2).

use std::io;
use std::mem::MaybeUninit;

/// Highest signal number Linux delivers (SIGRTMAX).
pub const MAX_SIGNAL: usize = 64;

/// Whether `signo` is a signal number this kernel knows and lets a process
/// catch.
pub fn valid_signal(signo: i64) -> bool {
    (1..=MAX_SIGNAL as i64).contains(&signo)
        && signo != libc::SIGKILL as i64
        && signo != libc::SIGSTOP as i64
        && !(32..libc::SIGRTMIN() as i64).contains(&signo)
}

/// Whether `signo` is a real-time signal (these queue; the others coalesce).
pub fn is_realtime(signo: i32) -> bool {
    signo >= libc::SIGRTMIN()
}

/// What a process does with one signal: a `struct sigaction`.
#[derive(Clone, Copy)]
pub struct Disposition(libc::sigaction);

/// The C signature of an SA_SIGINFO signal handler.
pub type Handler = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);

impl Disposition {
    /// An all-zero disposition (SIG_DFL, no flags), usable in a `static`.
    pub const fn default_action() -> Disposition {
        // SAFETY: a sigaction of zeroes is SIG_DFL with an empty mask and no flags.
        Disposition(unsafe { std::mem::zeroed() })
    }

    /// Catch with `handler` (told who sent the signal), every signal
    /// blocked while it runs, and interrupted system calls restarted where
    /// the kernel can.
    pub fn catching(handler: Handler) -> Disposition {
        let mut act = Disposition::default_action();
        act.0.sa_sigaction = handler as usize;
        act.0.sa_flags = libc::SA_RESTART | libc::SA_SIGINFO;
        // SAFETY: fills the mask field of a sigaction we own.
        unsafe { libc::sigfillset(&mut act.0.sa_mask) };
        act
    }

    /// Ignore the signal (SIG_IGN).
    #[cfg(test)]
    pub fn ignoring() -> Disposition {
        let mut act = Disposition::default_action();
        act.0.sa_sigaction = libc::SIG_IGN;
        act
    }

    #[cfg(test)]
    pub fn is_ignored(&self) -> bool {
        self.0.sa_sigaction == libc::SIG_IGN
    }

    /// Whether this disposition is catching with `handler`.
    pub fn is(&self, handler: Handler) -> bool {
        self.0.sa_sigaction == handler as usize && self.0.sa_flags & libc::SA_SIGINFO != 0
    }

    /// The disposition of `signo` now.
    pub fn of(signo: i32) -> io::Result<Disposition> {
        let mut old = MaybeUninit::<libc::sigaction>::uninit();
        // SAFETY: a null new action only reads the current one into `old`.
        if unsafe { libc::sigaction(signo, std::ptr::null(), old.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: sigaction succeeded, so it filled `old`.
        Ok(Disposition(unsafe { old.assume_init() }))
    }

    /// Makes this the disposition of `signo`; returns the one before.
    pub fn install(&self, signo: i32) -> io::Result<Disposition> {
        let mut old = MaybeUninit::<libc::sigaction>::uninit();
        // SAFETY: valid pointers to a full sigaction and an out-buffer.
        if unsafe { libc::sigaction(signo, &self.0, old.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: sigaction succeeded, so it filled `old`.
        Ok(Disposition(unsafe { old.assume_init() }))
    }

    /// Makes this the disposition of `signo`, ignoring failure.  Only
    /// async-signal-safe calls: usable in a signal handler or a fork child.
    pub fn install_quietly(&self, signo: i32) {
        // SAFETY: sigaction is async-signal-safe; valid pointer.
        unsafe { libc::sigaction(signo, &self.0, std::ptr::null_mut()) };
    }
}

/// Whether `signo` reports a fault of the instruction that raised it: the
/// kernel sends it (a positive `si_code`) and returning would run the
/// instruction again, and fault again.
pub fn is_fault(signo: i32, si_code: i32) -> bool {
    si_code > 0
        && matches!(
            signo,
            libc::SIGSEGV
                | libc::SIGBUS
                | libc::SIGFPE
                | libc::SIGILL
                | libc::SIGTRAP
                | libc::SIGSYS
        )
}

/// Whether a signal handler of `handler` is installed for `signo`; false if
/// the disposition cannot be read.  Async-signal-safe.
pub fn is_caught_by(signo: i32, handler: Handler) -> bool {
    Disposition::of(signo).is_ok_and(|d| d.is(handler))
}
