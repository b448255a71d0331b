//! The XSUB behind Linux::Event::Loop::Clock: the loop's clock object reads
//! the same CLOCK_MONOTONIC as the engine's timers, so `at` deadlines built
//! from it share their timebase.

use super::ffi;
use super::xs::*;
use crate::sys::clock;

/// _monotonic_ns() -> nanoseconds on CLOCK_MONOTONIC.
fn monotonic_ns(a: Args) -> XsResult {
    a.expect(0, 0, "Linux::Event::Loop::Clock::_monotonic_ns()")?;
    ret_uv(a.perl, clock::monotonic_ns())
}
xsub!(xs_monotonic_ns, monotonic_ns);

pub fn register(reg: &mut dyn FnMut(&str, ffi::Xsub, i32)) {
    reg(
        "Linux::Event::Loop::Clock::_monotonic_ns",
        xs_monotonic_ns,
        0,
    );
}
