//! Linux::Event's engine, loaded by Perl as the XS module of `Linux::Event`.
//!
//! Layers, bottom up:
//! - `sys`: thin wrappers over the system calls, and the process-wide
//!   signal catcher (`sys::sigcatch`);
//! - `engine`: one loop's registry, timer heap and waker, and the policy
//!   of a cycle (what runs next, in which order, how long to wait).  Plain
//!   Rust, no Perl, tested with `cargo test`;
//! - `perl`: the XS glue.  It translates between Perl values and the
//!   engine, calls the callbacks the engine's events name, and reaches the
//!   kernel only through the engine and `sys`.
//!
//! One loop, by layer: `engine::Engine` (the engine), `perl::core::LoopCore`
//! (the engine with the Perl values it dispatches to, only in the
//! interpreter that made the loop), `perl::handle::LoopHandle` (what a Perl
//! loop object carries: its core, or none in another thread's clone, and
//! the `Remote` part any thread may use: the stop flag and the waker).

pub mod engine;
pub mod sys;

#[cfg(not(test))]
mod perl;
