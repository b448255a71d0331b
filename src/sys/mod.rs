//! Thin wrappers over the Linux system calls the engine uses.  Each returns
//! `io::Result` and owns its file descriptors with `OwnedFd`; nothing here
//! knows about Perl or about event-loop policy.  `sigcatch` is the one
//! thicker piece: the process-wide signal handler and the static state it
//! may touch, which is kernel-facing for the same reasons.

pub mod clock;
pub mod epoll;
pub mod eventfd;
pub mod fork;
pub mod pidfd;
pub mod pretend;
pub mod sigcatch;
pub mod signal;

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// Turns a C-style `-1 means errno` return into an `io::Result`.
pub(crate) fn check(ret: libc::c_long) -> io::Result<libc::c_long> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Takes ownership of a descriptor a system call just returned.
pub(crate) fn owned(ret: libc::c_long) -> io::Result<OwnedFd> {
    let fd = check(ret)? as RawFd;
    // SAFETY: the kernel just returned this descriptor and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A close-on-exec duplicate of `fd`.
pub fn dup_cloexec(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC only reads `fd`; a bad fd gives EBADF.
    owned(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) } as libc::c_long)
}

/// Which open file a descriptor refers to, as far as fstat(2) tells: the
/// device and inode.  Pipes and sockets each have their own inode; files
/// on the anonymous inode (eventfd, timerfd) all share one.
///
/// Folded into one word, since every I/O watcher keeps one: the device in
/// the high half, the inode in the low half.  That is exact while both
/// fit in 32 bits (every pipe, socket and eventfd, and the files of most
/// file systems); beyond that two files may share an id, as two numbers
/// that only a wrap-around could confuse.
pub type FileId = u64;

pub fn file_id(fd: RawFd) -> io::Result<FileId> {
    // SAFETY: zeroed stat is a valid out-buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid out-pointer; a bad fd gives EBADF.
    check(unsafe { libc::fstat(fd, &mut st) } as libc::c_long)?;
    Ok(st.st_dev.rotate_left(32) ^ st.st_ino)
}
