//! Linux::Event's engine, loaded by Perl as the XS module of `Linux::Event`.
//!
//! Layers, bottom up: `sys` (system call wrappers), the engine (`timers`,
//! `registry`, `waker`, `interest`, `sigcatch`, `reactor`: plain Rust, no Perl), and
//! `perl` (the XS glue: Perl values, callbacks, objects; no system calls).

pub mod interest;
pub mod reactor;
pub mod registry;
pub mod sigcatch;
pub mod sys;
pub mod timers;
pub mod waker;

#[cfg(not(test))]
mod perl;
