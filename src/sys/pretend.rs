//! A testing aid: `LINUX_EVENT_PRETEND_MISSING` makes chosen system calls
//! fail as an older kernel or a container's seccomp profile makes them fail,
//! so the fallbacks can be exercised on a kernel that has everything.
//!
//! The variable is a comma-separated list of calls, each optionally with the
//! errno to fail with (ENOSYS by default, or EPERM, as seccomp answers):
//! `epoll_pwait2`, `pidfd_open=EPERM`, `waitid_pidfd` (the P_PIDFD form of
//! waitid, which fails with EINVAL before Linux 5.4).  It is read once, when
//! the module loads; later changes are not seen.

use std::io;
use std::sync::OnceLock;

static MISSING: OnceLock<Vec<(String, i32)>> = OnceLock::new();

fn parse(spec: &str) -> Vec<(String, i32)> {
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| match item.split_once('=') {
            Some((call, "EPERM")) => (call.to_string(), libc::EPERM),
            Some((call, "EINVAL")) => (call.to_string(), libc::EINVAL),
            Some((call, _)) => (call.to_string(), libc::ENOSYS),
            None => (item.to_string(), libc::ENOSYS),
        })
        .collect()
}

/// Reads the variable (the first call does; the module's boot makes it).
pub fn load() {
    MISSING
        .get_or_init(|| parse(&std::env::var("LINUX_EVENT_PRETEND_MISSING").unwrap_or_default()));
}

/// The error `call` is to fail with, when the variable names it.
pub fn missing(call: &str) -> Option<io::Error> {
    load();
    let list = MISSING.get()?;
    list.iter()
        .find(|(c, _)| c == call)
        .map(|&(_, errno)| io::Error::from_raw_os_error(errno))
}

/// Whether an error says the kernel (or a sandbox in front of it) does not
/// offer a system call at all, rather than refusing this one use of it.
pub fn is_unavailable(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_calls_and_errnos() {
        let got = parse(" epoll_pwait2, pidfd_open=EPERM,waitid_pidfd=EINVAL,x=junk,,");
        assert_eq!(
            got,
            vec![
                ("epoll_pwait2".to_string(), libc::ENOSYS),
                ("pidfd_open".to_string(), libc::EPERM),
                ("waitid_pidfd".to_string(), libc::EINVAL),
                ("x".to_string(), libc::ENOSYS),
            ]
        );
        assert!(parse("").is_empty());
    }

    #[test]
    fn unavailable_means_enosys_or_eperm() {
        assert!(is_unavailable(&io::Error::from_raw_os_error(libc::ENOSYS)));
        assert!(is_unavailable(&io::Error::from_raw_os_error(libc::EPERM)));
        assert!(!is_unavailable(&io::Error::from_raw_os_error(libc::ESRCH)));
    }
}
