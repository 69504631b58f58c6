//! Changing a semaphore's bound at run time (`set_max`), as the module docs
//! of `semaphore` say: raising frees, lowering takes or owes.

use super::word::{self, BoundWord};
use super::{Delivery, Semaphore, Waiter};
use crate::sync::{lock, Ordering};

impl<W: BoundWord> Semaphore<W> {
    /// Changes the bound to `max` (in `1..=MAX_PERMITS`), as the module docs
    /// say: raising it frees the difference (after paying any debt) and
    /// serves the waiters that now fit; lowering it takes the difference from
    /// the free permits and owes the rest. Waiters asking for more than the
    /// new bound stay queued.
    pub fn set_max(&self, max: u32, mut deliver: impl FnMut(&Waiter, Delivery) -> bool) {
        assert!((1..=word::MAX_PERMITS).contains(&max), "max permits out of range");
        let mut inner = lock(&self.inner);
        self.break_lease(&mut inner);
        let bound = self.state.bound();
        let flags = bound.load(Ordering::Acquire) & !word::BOUND_MASK;
        let old = self.max();
        let w = self.word();
        if max < old {
            // The bound first (module docs), then the word.
            bound.store(max as i32 | flags, Ordering::SeqCst);
            let cut = old - max;
            let mut s = w.load(Ordering::Acquire);
            loop {
                let available = word::permits(s);
                let take = cut.min(available);
                let owed = cut - take;
                if s & word::WAITERS != 0 {
                    inner.debt += owed;
                    w.store(Self::settle(&inner, available - take, s), Ordering::Release);
                    return;
                }
                let waiters = if owed > 0 { word::WAITERS } else { 0 };
                let next = word::encode(available - take, (s & word::CLOSED) | waiters);
                match w.compare_exchange(s, next, Ordering::SeqCst, Ordering::Acquire) {
                    Ok(_) => {
                        inner.debt += owed;
                        return;
                    }
                    Err(actual) => s = actual,
                }
            }
        }
        if max > old {
            let mut add = max - old;
            let paid = add.min(inner.debt);
            inner.debt -= paid;
            add -= paid;
            let mut s = w.load(Ordering::Acquire);
            loop {
                if s & word::WAITERS != 0 {
                    let left = Self::serve(&mut inner, word::permits(s) + add, &mut deliver);
                    w.store(Self::settle(&inner, left, s), Ordering::SeqCst);
                    break;
                }
                match w.compare_exchange(s, s + word::encode(add, 0), Ordering::SeqCst, Ordering::Acquire) {
                    Ok(_) => break,
                    Err(actual) => s = actual,
                }
            }
            // The word first, then the bound (module docs).
            bound.store(max as i32 | flags, Ordering::SeqCst);
        }
    }
}
