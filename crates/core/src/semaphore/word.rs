//! Layout of the shared state word (JS reads it through `src/protocol.rs`),
//! and where that word lives ([`StateWord`]).

use crate::sync::AtomicI32;

/// Set while at least one waiter is queued. Fast paths must fail.
pub const WAITERS: i32 = 1;
/// Set once the semaphore is closed.
pub const CLOSED: i32 = 2;
/// Permits are stored above the two flag bits.
pub const SHIFT: u32 = 2;
/// Largest permit count the word can hold.
pub const MAX_PERMITS: u32 = (i32::MAX >> SHIFT) as u32;

/// The bound word (the second `i32` beside the state word): `max | RELEASE_ANYWHERE`.
/// Written only by the semaphore's creator before it is shared, and by
/// [`Semaphore::set_max`](super::Semaphore::set_max) under the semaphore's lock.
pub const BOUND_MASK: i32 = (1 << 30) - 1;
/// Bound word flag: `release` is allowed on threads that hold no permit (a
/// `new Semaphore(n, { max })`); only the bound limits it.
pub const RELEASE_ANYWHERE: i32 = 1 << 30;

pub fn permits(s: i32) -> u32 {
    (s >> SHIFT) as u32
}

pub fn encode(permits: u32, flags: i32) -> i32 {
    ((permits as i32) << SHIFT) | flags
}

/// Where the state word lives: a `SharedArrayBuffer` in production, an owned
/// atomic in tests.
pub trait StateWord: Send + Sync {
    fn word(&self) -> &AtomicI32;
}

/// The lease word (the third `i32`): `owner << LEASE_SHIFT | count` while
/// thread `owner` holds the queue's lease (see `lease.rs`), 0 otherwise.
pub const LEASE_SHIFT: u32 = 16;
/// The most waiters a lease's count can hold; a thread with this many goes native.
pub const LEASE_COUNT_MAX: i32 = (1 << LEASE_SHIFT) - 1;
/// The largest thread (isolate) id that can hold a lease (its word stays positive).
pub const LEASE_MAX_OWNER: u32 = (i32::MAX >> LEASE_SHIFT) as u32;

/// The lease word of `owner` with `count` waiters.
pub fn lease(owner: u32, count: u32) -> i32 {
    ((owner as i32) << LEASE_SHIFT) | count as i32
}

/// A semaphore's words: the state word and, beside it, the bound word
/// (`max | RELEASE_ANYWHERE`), which JS reads to check a release and `permits`,
/// and the lease word.
pub trait BoundWord: StateWord {
    fn bound(&self) -> &AtomicI32;
    fn lease(&self) -> &AtomicI32;
}

/// A state word owned by Rust (tests, and anything that needs no JS view).
pub struct OwnedWord(AtomicI32, AtomicI32, AtomicI32);

impl OwnedWord {
    /// `permits` free, and a bound of `permits`.
    pub fn new(permits: u32) -> Self {
        Self::bounded(permits, permits, false)
    }

    /// `permits` free out of a bound of `max`; `release_anywhere` as [`RELEASE_ANYWHERE`].
    pub fn bounded(permits: u32, max: u32, release_anywhere: bool) -> Self {
        let flag = if release_anywhere { RELEASE_ANYWHERE } else { 0 };
        Self(
            AtomicI32::new(encode(permits, 0)),
            AtomicI32::new(max as i32 | flag),
            AtomicI32::new(0),
        )
    }
}

impl StateWord for OwnedWord {
    fn word(&self) -> &AtomicI32 {
        &self.0
    }
}

impl BoundWord for OwnedWord {
    fn bound(&self) -> &AtomicI32 {
        &self.1
    }

    fn lease(&self) -> &AtomicI32 {
        &self.2
    }
}
