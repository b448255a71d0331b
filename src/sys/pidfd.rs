//! pidfd_open(2) and non-blocking reaping.

use super::{check, owned, pretend};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

pub struct PidFd {
    fd: OwnedFd,
    pid: i32,
}

impl PidFd {
    /// Opens a pidfd (Linux 5.3).  ENOSYS or EPERM (see
    /// `pretend::is_unavailable`) mean this kernel or sandbox has none.
    pub fn open(pid: i32) -> io::Result<PidFd> {
        if let Some(e) = pretend::missing("pidfd_open") {
            return Err(e);
        }
        // SAFETY: plain system call; the kernel validates `pid`.
        let fd = owned(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) })?;
        // SAFETY: setting a descriptor flag on our own descriptor.
        check(
            unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) } as libc::c_long,
        )?;
        Ok(PidFd { fd, pid })
    }

    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Whether the process is a child of this process that can be waited
    /// for (ECHILD otherwise); it is not reaped.
    pub fn is_child(&self) -> io::Result<bool> {
        // SAFETY: zeroed siginfo is a valid out-buffer for waitid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        let by_pidfd = match pretend::missing("waitid_pidfd") {
            Some(e) => Err(e),
            // SAFETY: valid out-pointer; P_PIDFD takes our descriptor as the id.
            None => check(unsafe {
                libc::waitid(
                    libc::P_PIDFD,
                    self.fd.as_raw_fd() as libc::id_t,
                    &mut info,
                    flags,
                )
            } as libc::c_long),
        };
        let ret = match by_pidfd {
            // Linux 5.3 has pidfd_open but not P_PIDFD (5.4): ask by pid.
            // While it is an unreaped child of ours the pid cannot be reused.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                // SAFETY: valid out-pointer.
                check(
                    unsafe { libc::waitid(libc::P_PID, self.pid as libc::id_t, &mut info, flags) }
                        as libc::c_long,
                )
            }
            r => r,
        };
        match ret {
            Ok(_) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::ECHILD) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Reaps `pid` if it has exited: Some(raw wait status), None if still running.
pub fn reap(pid: i32) -> io::Result<Option<i32>> {
    let mut status = 0;
    // SAFETY: valid out-pointer; WNOHANG never blocks.
    let ret = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    Ok((check(ret as libc::c_long)? != 0).then_some(status))
}
