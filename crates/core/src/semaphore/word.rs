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

/// A state word owned by Rust (tests, and anything that needs no JS view).
pub struct OwnedWord(AtomicI32);

impl OwnedWord {
    pub fn new(permits: u32) -> Self {
        Self(AtomicI32::new(encode(permits, 0)))
    }
}

impl StateWord for OwnedWord {
    fn word(&self) -> &AtomicI32 {
        &self.0
    }
}
