//! epoll(7): an instance, its control operations and the wait.

use super::{check, owned, pretend};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

pub use libc::epoll_event as Event;
pub const IN: u32 = libc::EPOLLIN as u32;
pub const OUT: u32 = libc::EPOLLOUT as u32;
pub const ERR: u32 = libc::EPOLLERR as u32;
pub const HUP: u32 = libc::EPOLLHUP as u32;
pub const RDHUP: u32 = libc::EPOLLRDHUP as u32;
pub const ET: u32 = libc::EPOLLET as u32;
pub const ONESHOT: u32 = libc::EPOLLONESHOT as u32;

/// Set once epoll_pwait2 (Linux 5.11) turned out to be missing or forbidden.
static NO_PWAIT2: AtomicBool = AtomicBool::new(false);

pub struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: plain system call with a flag argument.
        let fd = owned(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) } as libc::c_long)?;
        Ok(Epoll { fd })
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut ev = Event { events, u64: token };
        // SAFETY: `ev` outlives the call; the kernel validates `fd`.
        check(unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut ev) } as libc::c_long)?;
        Ok(())
    }

    pub fn add(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, events, token)
    }

    pub fn modify(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, events, token)
    }

    pub fn delete(&self, fd: RawFd) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// Waits for events, at most `timeout_ns` (None: forever).  Returns how
    /// many entries of `buf` were filled; EINTR comes back as an error.
    pub fn wait(&self, buf: &mut [Event], timeout_ns: Option<u64>) -> io::Result<usize> {
        let max = buf.len().min(i32::MAX as usize) as libc::c_int;
        // epoll_pwait2 only for timeouts that milliseconds cannot express.
        let whole_ms = timeout_ns.is_none_or(|ns| ns % 1_000_000 == 0);
        if !whole_ms && !NO_PWAIT2.load(Ordering::Relaxed) {
            let ts = timeout_ns.map(|ns| libc::timespec {
                tv_sec: (ns / 1_000_000_000) as libc::time_t,
                tv_nsec: (ns % 1_000_000_000) as libc::c_long,
            });
            let tsp = ts
                .as_ref()
                .map_or(std::ptr::null(), |t| t as *const libc::timespec);
            let ret = match pretend::missing("epoll_pwait2") {
                Some(e) => Err(e),
                // SAFETY: `buf` has room for `max` events; `tsp` is null or points to `ts`.
                None => check(unsafe {
                    libc::syscall(
                        libc::SYS_epoll_pwait2,
                        self.fd.as_raw_fd(),
                        buf.as_mut_ptr(),
                        max,
                        tsp,
                        std::ptr::null::<libc::sigset_t>(),
                        0usize,
                    )
                }),
            };
            match ret {
                // An older kernel (ENOSYS) or a seccomp profile (EPERM):
                // epoll_wait from now on.
                Err(e) if pretend::is_unavailable(&e) => NO_PWAIT2.store(true, Ordering::Relaxed),
                r => return r.map(|n| n as usize),
            }
        }
        // Millisecond resolution: round up so a timer is never woken early.
        let ms = timeout_ns.map_or(-1, |ns| ns.div_ceil(1_000_000).min(i32::MAX as u64) as i32);
        // SAFETY: `buf` has room for `max` events.
        let ret = unsafe { libc::epoll_wait(self.fd.as_raw_fd(), buf.as_mut_ptr(), max, ms) };
        check(ret as libc::c_long).map(|n| n as usize)
    }
}
