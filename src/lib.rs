#![deny(clippy::all)]
// `#[napi]` exports are not compiled into the test harness, so their callees look unused there.
#![cfg_attr(test, allow(dead_code))]
//! Node binding of threadkit: translation only.
//!
//! The engine is `threadkit-core` (pure Rust). This crate turns JS calls into
//! core calls, and core deliveries into JS wake-ups:
//! - [`isolate`]: one record per JS thread (main thread or worker) that loaded
//!   the addon: its wake buffer, its one long-lived threadsafe function, its
//!   held-permit ledger, and the env cleanup hook that returns what a dying
//!   thread held.
//! - [`semaphore`]: the exported functions behind Semaphore, Mutex and RwLock.
//! - [`deadlock`]: the opt-in deadlock detector's graph.
//! - [`shared_memory`]: raw access to `SharedArrayBuffer`-backed typed arrays.
//! - [`pool`]: the WorkerPool's native task queue, completion queue and
//!   watchdog; [`node_env`]: stopping a worker's env from the watchdog thread.
//! - [`node_symbols`]: Node's functions outside Node-API (`node::Stop`,
//!   libuv), looked up at run time so that the addon links against
//!   Node-API only.
//! - [`channel`], [`channel_fast`] and [`channel_select`]: the exported functions behind Channel,
//!   select and AsyncQueue once shared (see `threadkit_core::channel`), over
//!   [`channel_registry`]: the table of channels and each thread's attachment.
//! - [`handle`]: the look-up prelude shared by every call on a handle.
//! - [`allocator`]: returning the C allocator's free memory to the OS.
//! - [`owner_wake`]: the one way another thread wakes an owner's event loop
//!   (wake mailbox, pool completions): the addon's own libuv async handle,
//!   or a Node-API threadsafe function as the fallback; panics caught.
//! - [`protocol`]: the JS↔native boundary declared once: every status code,
//!   wake code and positional layout, exported to JS as constants.
//! - [`spin`]: a short adaptive spin before a thread's event loop sleeps
//!   while another thread is about to wake it.
//!
//! Hot-path functions are plain exported functions taking numbers (a
//! `#[napi]` class method costs ~3x a plain function call here). Errors that
//! JS must turn into typed errors come back as negative status codes
//! ([`protocol`]).

mod allocator;
mod barrier;
mod channel;
mod channel_fast;
mod channel_registry;
mod channel_select;
mod deadlock;
mod handle;
mod isolate;
mod keyed_mutex;
mod node_env;
mod node_symbols;
mod owner_wake;
mod pool;
mod protocol;
mod semaphore;
mod shared_memory;
mod shared_registry;
mod spin;
