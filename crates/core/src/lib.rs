//! Pure-Rust core of threadkit. Nothing in this crate knows about napi or V8.
//!
//! - [`semaphore`]: the one fair, weighted, closable FIFO semaphore that every
//!   lock in threadkit is built on (Mutex = 1 permit, RwLock = many readers or
//!   all permits for a writer), in the style of tokio's `batch_semaphore`.
//! - [`barrier`]: the cyclic barrier behind `Barrier` (arrival indexes, breaking).
//! - [`channel`]: the MPMC channel core (Go semantics, select groups, a
//!   select with a default decided at one moment, reserved slots, task
//!   counting) behind shared `Channel` and `AsyncQueue`.
//! - [`keyed`]: one FIFO lock per key, freed when unused, behind `KeyedMutex`.
//! - [`ledger`]: the permits each thread holds, and what a dead thread gives back.
//! - [`mailbox`]: a thread's wake mailbox and its once-per-batch wake-up.
//! - [`seq_buffer`]: a channel's buffer, whose values JS receivers can take
//!   with a compare-and-swap on a shared head word (no native call).
//! - [`waiter_queue`]: the O(1)-removal FIFO that holds its waiters.
//! - [`spin_budget`]: how long a thread spins before its event loop sleeps
//!   while another thread is about to wake it.
//! - [`task_queue`]: the worker pool's priority queue, running-task records
//!   and completion queue.
//!
//! The semaphore's state lives in a single 32-bit word that JavaScript also
//! reads and writes (through a `SharedArrayBuffer`) on its fast path, so the
//! word layout in [`semaphore::word`] is part of the contract with `lib/`.
//!
//! Concurrency is model-checked with loom:
//! `RUSTFLAGS="--cfg loom" cargo test -p threadkit-core --release --test loom`.

pub mod barrier;
pub mod channel;
pub mod deadlock;
pub mod keyed;
pub mod ledger;
pub mod mailbox;
pub mod semaphore;
pub mod seq_buffer;
pub mod spin_budget;
mod sync;
pub mod task_queue;
pub mod waiter_queue;

pub use semaphore::{AcquireOutcome, BoundWord, Delivery, OwnedWord, ReleaseError, Semaphore, StateWord, Waiter};
pub use waiter_queue::{WaiterKey, WaiterQueue};
