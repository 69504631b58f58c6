//! A thread's wake mailbox: what other threads post for it, and the
//! once-per-batch wake-up handshake. The first post after a drain schedules
//! one wake-up of the owner (in the binding: one call of its threadsafe
//! function); later posts only queue, until the owner drains the whole batch
//! in that wake-up. Once the owner is gone the mailbox refuses posts, so the
//! poster can hand the item to someone else.
//!
//! The caller keeps the mailbox behind a lock; `schedule` runs under it, so
//! a drain cannot slip between a post and its wake-up.

/// See the module documentation.
#[derive(Debug)]
pub struct Mailbox<T> {
    alive: bool,
    scheduled: bool,
    items: Vec<T>,
}

impl<T> Default for Mailbox<T> {
    fn default() -> Self {
        Mailbox {
            alive: true,
            scheduled: false,
            items: Vec::new(),
        }
    }
}

impl<T> Mailbox<T> {
    /// Queues `item`. If no wake-up is scheduled, calls `schedule`; if that
    /// fails (the owner is going away) the mailbox is dead from now on. Returns
    /// `Err(item)` if the mailbox is (now) dead: it was not delivered.
    pub fn post(&mut self, item: T, schedule: impl FnOnce() -> bool) -> Result<(), T> {
        if !self.alive {
            return Err(item);
        }
        if !self.scheduled {
            if !schedule() {
                self.alive = false;
                return Err(item);
            }
            self.scheduled = true;
        }
        self.items.push(item);
        Ok(())
    }

    /// The owner's wake-up: takes the whole batch, and lets the next post
    /// schedule a new wake-up. The flag says whether one was scheduled.
    pub fn drain(&mut self) -> (Vec<T>, bool) {
        let was_scheduled = std::mem::replace(&mut self.scheduled, false);
        (std::mem::take(&mut self.items), was_scheduled)
    }

    /// The owner is gone: refuses every later post and returns what was
    /// posted but not drained (its owner will never see it).
    pub fn close(&mut self) -> Vec<T> {
        self.alive = false;
        std::mem::take(&mut self.items)
    }

    /// The wake-up mechanism itself is gone (no schedule can succeed).
    pub fn mark_dead(&mut self) {
        self.alive = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn one_wake_up_per_batch() {
        let mut m = Mailbox::default();
        let wakes = Cell::new(0);
        let schedule = || {
            wakes.set(wakes.get() + 1);
            true
        };
        for i in 0..5 {
            m.post(i, schedule).unwrap();
        }
        assert_eq!(wakes.get(), 1, "later posts of a batch schedule nothing");
        assert_eq!(m.drain(), (vec![0, 1, 2, 3, 4], true));
        m.post(5, schedule).unwrap();
        assert_eq!(wakes.get(), 2, "the first post after a drain schedules again");
        assert_eq!(m.drain(), (vec![5], true));
        assert_eq!(m.drain(), (vec![], false), "a spare wake-up finds nothing");
    }

    #[test]
    fn a_failed_schedule_kills_the_mailbox_and_hands_the_item_back() {
        let mut m = Mailbox::default();
        assert_eq!(m.post(1, || false), Err(1));
        assert_eq!(m.post(2, || panic!("a dead mailbox schedules nothing")), Err(2));
        assert_eq!(m.drain(), (vec![], false));
    }

    #[test]
    fn close_returns_the_undelivered_items_and_refuses_later_posts() {
        let mut m = Mailbox::default();
        m.post('a', || true).unwrap();
        m.post('b', || true).unwrap();
        assert_eq!(m.close(), vec!['a', 'b']);
        assert_eq!(m.post('c', || true), Err('c'));
        let mut n: Mailbox<u8> = Mailbox::default();
        n.mark_dead();
        assert_eq!(n.post(1, || true), Err(1));
    }
}
