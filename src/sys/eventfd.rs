//! eventfd(2): a kernel counter that is readable while non-zero.

use super::{check, owned};
use std::io;
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};

pub struct EventFd {
    fd: OwnedFd,
}

impl EventFd {
    pub fn new() -> io::Result<EventFd> {
        let flags = libc::EFD_NONBLOCK | libc::EFD_CLOEXEC;
        // SAFETY: plain system call with flag arguments.
        let fd = owned(unsafe { libc::eventfd(0, flags) } as libc::c_long)?;
        Ok(EventFd { fd })
    }

    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Adds `n` to the counter; WouldBlock when it would pass 2**64-2.
    pub fn add(&self, n: u64) -> io::Result<()> {
        let buf = n.to_ne_bytes();
        // SAFETY: writes 8 bytes from a live buffer.
        check(unsafe { libc::write(self.fd.as_raw_fd(), buf.as_ptr().cast(), 8) } as libc::c_long)?;
        Ok(())
    }

    /// Reads and resets the counter; 0 when it was already 0.
    pub fn take(&self) -> io::Result<u64> {
        take(self.fd.as_raw_fd())
    }

    /// Gives up ownership: the descriptor stays open for good (for a
    /// descriptor a signal handler may write to at any time).
    pub fn into_raw(self) -> RawFd {
        self.fd.into_raw_fd()
    }
}

/// Reads and resets the counter of the eventfd `fd`; 0 when it was 0.
pub fn take(fd: RawFd) -> io::Result<u64> {
    let mut buf = [0u8; 8];
    // SAFETY: reads at most 8 bytes into a live buffer; a bad fd gives EBADF.
    let ret = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), 8) };
    match check(ret as libc::c_long) {
        Ok(_) => Ok(u64::from_ne_bytes(buf)),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
        Err(e) => Err(e),
    }
}

/// Adds one to the counter of the eventfd `fd`, ignoring failure (a full
/// counter is readable already).  Async-signal-safe: only write(2).
pub fn poke(fd: RawFd) {
    let one = 1u64.to_ne_bytes();
    // SAFETY: writes 8 bytes from a live buffer; a bad fd gives EBADF.
    unsafe { libc::write(fd, one.as_ptr().cast(), 8) };
}
