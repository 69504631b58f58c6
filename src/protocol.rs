//! The JS↔native boundary, declared once: every status code, wake code and
//! positional layout that crosses it. Each constant is exported to JS (it
//! appears in the generated `native.d.ts`), and `lib/` reads it from
//! `lib/native.js` into a module-level `const` once, so a hot path compares
//! against a constant V8 can inline.
//!
//! Status codes share one number space: no two meanings have the same
//! number, whichever function returns it. Two encodings reuse parts of the
//! negative range: `poolDrain`'s [`DRAIN_OVERSIZE_BASE`] and
//! `chanRecvBatch`'s [`QUEUED_BASE`]; each is named where it is read.

use napi_derive::napi;
use threadkit_core::task_queue::Outcome;

// Status codes: negative results of exported functions.

/// The primitive or channel is closed.
#[napi]
pub const STATUS_CLOSED: i32 = -1;
/// More permits released than are held.
#[napi]
pub const STATUS_OVER_RELEASE: i32 = -2;
/// The pool does not exist (any more).
#[napi]
pub const STATUS_UNKNOWN_POOL: i32 = -3;
/// The handle was made by another copy of the addon, or its object is gone.
#[napi]
pub const STATUS_FOREIGN_HANDLE: i32 = -4;
/// An argument was refused (wrong type, size or range).
#[napi]
pub const STATUS_BAD_ARGUMENT: i32 = -5;
/// The calling thread is not attached to that primitive or channel.
#[napi]
pub const STATUS_NOT_ATTACHED: i32 = -6;
/// A try-operation found the channel full (send) or empty (receive).
#[napi]
pub const STATUS_WOULD_BLOCK: i32 = -7;
/// The select this operation belongs to already completed through another case.
#[napi]
pub const STATUS_GROUP_FIRED: i32 = -8;
/// `taskDone` with nothing unfinished.
#[napi]
pub const STATUS_NOTHING_UNFINISHED: i32 = -9;
/// The value does not fit the caller's buffer; it is kept for a retry.
#[napi]
pub const STATUS_TOO_BIG: i32 = -11;
/// `poolTake`: no task is queued.
#[napi]
pub const STATUS_NO_TASK: i32 = -12;
/// `poolTake`: this worker should leave (the pool shrinks or is closing).
#[napi]
pub const STATUS_RETIRE: i32 = -13;
/// Cancel: the waiter was already served or dropped; its wake is on the way.
#[napi]
pub const STATUS_NOT_QUEUED: i32 = -100;

/// `poolDrain`: a result of `DRAIN_OVERSIZE_BASE - needed` (so at most this)
/// says the first completion needs a scratch buffer of `needed` bytes.
#[napi]
pub const DRAIN_OVERSIZE_BASE: i32 = -10;
/// `poolSubmit`: the task is queued.
#[napi]
pub const SUBMIT_QUEUED: i32 = 0;
/// `poolSubmit`: the task is queued, and the pool should start a worker now
/// (the core's grow policy, `TaskQueue::should_start_worker`).
#[napi]
pub const SUBMIT_START_WORKER: i32 = 1;
/// `chanRecvBatch`: a result of `QUEUED_BASE - key` says the receiver was
/// queued under `key`.
#[napi]
pub const QUEUED_BASE: i32 = -1_000_000;

/// `semAcquire`, `chanSendRaw`, `chanRecv`, `chanJoin`: a result of
/// `QUEUED_KEY_BASE + key` (so at least this) says the call was queued under
/// `key`, which a later cancel names. 0 and 1 are the calls' immediate
/// answers.
#[napi]
pub const QUEUED_KEY_BASE: i32 = 2;

/// The largest `needed` that [`DRAIN_OVERSIZE_BASE`]` - needed` can carry.
pub(crate) const DRAIN_OVERSIZE_MAX: usize = (i32::MAX + DRAIN_OVERSIZE_BASE) as usize;

// Wake codes: written after each token in a thread's wake buffer, for
// semaphores and channels alike (one mailbox).

/// The waiter got what it waited for (permits, or its send/receive is done).
#[napi]
pub const WAKE_GRANTED: i32 = 1;
/// The primitive or channel closed while it waited.
#[napi]
pub const WAKE_CLOSED: i32 = 2;
/// A select waiter whose select completed through another case.
#[napi]
pub const WAKE_DROPPED: i32 = 3;

// `poolDrain`'s completion meta: `COMPLETION_STRIDE` doubles per completion.

/// Doubles per completion in `poolDrain`'s meta array.
#[napi]
pub const COMPLETION_STRIDE: u32 = 7;
/// Offset of the task id.
#[napi]
pub const COMPLETION_ID: u32 = 0;
/// Offset of the outcome: [`OUTCOME_FULFILLED`], [`OUTCOME_REJECTED`],
/// [`OUTCOME_TIMED_OUT`] or [`OUTCOME_PROGRESS`].
#[napi]
pub const COMPLETION_OUTCOME: u32 = 1;
/// Offset of the time the task waited in the queue, in µs.
#[napi]
pub const COMPLETION_WAIT_US: u32 = 2;
/// Offset of the time the task ran, in µs.
#[napi]
pub const COMPLETION_RUN_US: u32 = 3;
/// Offset of the payload's offset in the scratch buffer.
#[napi]
pub const COMPLETION_OFFSET: u32 = 4;
/// Offset of the payload's length.
#[napi]
pub const COMPLETION_LENGTH: u32 = 5;
/// Offset of the slot of the worker that ran it.
#[napi]
pub const COMPLETION_WORKER: u32 = 6;

/// Outcome: the task returned; the payload is its result.
#[napi]
pub const OUTCOME_FULFILLED: u32 = Outcome::Fulfilled as u32;
/// Outcome: the task threw; the payload is its error.
#[napi]
pub const OUTCOME_REJECTED: u32 = Outcome::Rejected as u32;
/// Outcome: the task ran past its deadline; its worker is being stopped.
#[napi]
pub const OUTCOME_TIMED_OUT: u32 = Outcome::TimedOut as u32;
/// Not an end: a value the running task reported with `context.progress`.
#[napi]
pub const OUTCOME_PROGRESS: u32 = Outcome::Progress as u32;

// `poolTake`'s task meta.

/// Doubles `poolTake` writes into its meta array.
#[napi]
pub const TAKE_STRIDE: u32 = 2;
/// Offset of the task id.
#[napi]
pub const TAKE_ID: u32 = 0;
/// Offset of the task's function name (an index + 1 into the pool's names; 0: the default export).
#[napi]
pub const TAKE_NAME: u32 = 1;

// Channel layouts and results.

/// `chanCancel`: the waiter was removed (it will not be woken).
#[napi]
pub const CANCEL_REMOVED: i32 = 1;
/// Bytes of the header of a batch written by `chanRecvBatch`: `[first
/// value's length, number of copies, number of the first copy]` as u32
/// (little endian), followed by the value.
#[napi]
pub const RECV_BATCH_HEADER: u32 = 12;
/// Byte offset of the first value in a send outbox: bytes 0..4 hold the
/// committed count, 4..8 the unclaimed reserved slots, then `[u32
/// length][bytes]` per value.
#[napi]
pub const OUTBOX_DATA: u32 = threadkit_core::channel::outbox::DATA as u32;
/// Bytes before the received value in `chanSelectTry`'s scratch: `[case
/// index, result]` as u32.
#[napi]
pub const SELECT_HEADER: u32 = 8;
/// `chanSelectTry` result: the case's value was sent.
#[napi]
pub const SELECT_SENT: u32 = 0;
/// `chanSelectTry` result: a value was received.
#[napi]
pub const SELECT_VALUE: u32 = 1;
/// `chanSelectTry` result: the case's channel is closed.
#[napi]
pub const SELECT_CLOSED: u32 = 2;
/// A channel waiter's side (`chanCancel`, `chanSelectTry`): a sender.
#[napi]
pub const SIDE_SEND: u32 = 0;
/// A channel waiter's side: a receiver.
#[napi]
pub const SIDE_RECEIVE: u32 = 1;
/// A channel waiter's side: an AsyncQueue `join`.
#[napi]
pub const SIDE_JOIN: u32 = 2;

// Shared words, owned by the core (the layouts are defined there).

/// Semaphore state word: set while a waiter is queued (fast paths must fail).
#[napi]
pub const SEM_WAITERS: i32 = threadkit_core::semaphore::word::WAITERS;
/// Semaphore state word: set once the semaphore is closed.
#[napi]
pub const SEM_CLOSED: i32 = threadkit_core::semaphore::word::CLOSED;
/// Semaphore state word: the permits are stored above this many flag bits.
#[napi]
pub const SEM_SHIFT: u32 = threadkit_core::semaphore::word::SHIFT;
/// Semaphore state word: the largest permit count it can hold.
#[napi]
pub const SEM_MAX_PERMITS: u32 = threadkit_core::semaphore::word::MAX_PERMITS;
/// `semAcquireLeasing`: queued on a lease this thread now holds.
#[napi]
pub const SEM_LEASED: i32 = 0;
/// Semaphore lease word (the third word): `owner << SEM_LEASE_SHIFT | count`.
#[napi]
pub const SEM_LEASE_SHIFT: u32 = threadkit_core::semaphore::word::LEASE_SHIFT;
/// Semaphore lease word: the largest count, and its mask.
#[napi]
pub const SEM_LEASE_COUNT_MAX: i32 = threadkit_core::semaphore::word::LEASE_COUNT_MAX;
/// Semaphore lease word: the largest thread id that can hold a lease.
#[napi]
pub const SEM_LEASE_MAX_OWNER: u32 = threadkit_core::semaphore::word::LEASE_MAX_OWNER;
/// Semaphore bound word (`state[1]`): the mask of the bound, `max`.
#[napi]
pub const SEM_BOUND_MASK: i32 = threadkit_core::semaphore::word::BOUND_MASK;
/// Semaphore bound word: set on a `{ max }` semaphore, whose `release` works on any thread.
#[napi]
pub const SEM_RELEASE_ANYWHERE: i32 = threadkit_core::semaphore::word::RELEASE_ANYWHERE;
/// Channel head word: senders are queued (a JS take must be followed by a native call).
#[napi]
pub const HEAD_SENDERS_WAITING: i32 = threadkit_core::seq_buffer::head::SENDERS_WAITING;
/// Channel head word: JS must not take by itself.
#[napi]
pub const HEAD_NATIVE_ONLY: i32 = threadkit_core::seq_buffer::head::NATIVE_ONLY;
/// Channel head word: the sequence number is stored above this many flag bits.
#[napi]
pub const HEAD_SHIFT: u32 = threadkit_core::seq_buffer::head::SHIFT;
/// Channel head word: the mask of the sequence number (after the shift).
#[napi]
pub const HEAD_SEQ_MASK: u32 = threadkit_core::seq_buffer::head::SEQ_MASK;
