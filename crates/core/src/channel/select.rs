//! `select` support: the [`Group`] that lets at most one of a select's
//! waiters complete, and [`try_select`], which decides a select with a
//! default at one moment.
//!
//! # Contract of `try_select` (Go's `select` with `default`)
//! It runs the first case, in the caller's order, that is ready, or none.
//! If it runs none, there was one moment during the call at which no case
//! was ready ("select acts on the state of the channels at one moment in
//! the execution, not over a smeared time window", Go's
//! `TestNonblockSelectRace`), also while other threads send, receive and
//! close on the same channels.
//!
//! # Implementation details
//! It locks every channel of the select (each once, in creation order, so
//! two selects cannot deadlock; no other path holds two channel locks) and
//! freezes their buffers ([`SeqBuffer::freeze`](crate::seq_buffer::SeqBuffer::freeze)):
//! JS receivers then cannot take values by themselves, so what a buffer
//! holds changes only under its lock. Then it tries the cases one by one.
//! Why that is one moment: while the locks are held, nothing can make a case
//! ready. Values, receivers, senders, reserved slots and the closed flag all
//! change under the lock, and the only change from outside is that a queued
//! waiter of another select goes stale when that select completes elsewhere,
//! which makes a case *less* ready. So a case found not ready stays so until
//! the last case is tried, and at that moment none is ready.

use super::{Channel, RecvOutcome, SendOutcome, Waiter, Wake};
use crate::semaphore::StateWord;
use crate::sync::{lock, shim_static, Arc, AtomicBool, Mutex, Ordering};

/// The waiters of one `select`: at most one of them completes.
#[derive(Debug, Default)]
pub struct Group {
    pub(super) fired: AtomicBool,
}

impl Group {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn is_fired(&self) -> bool {
        self.fired.load(Ordering::Acquire)
    }
}

shim_static! {
    /// Held only for the short, non-blocking `commit` in [`fire`].
    static FIRE: Mutex<()> = Mutex::new(());
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum FireError {
    /// The caller's own group already fired (another case of its select won).
    Own,
    /// The other waiter's group already fired: that waiter is stale.
    Other,
    /// The delivery failed (the other waiter's thread is gone).
    Delivery,
}

/// Fires `own` and `other` (either may be absent) together with `commit`,
/// all or nothing.
pub(super) fn fire(own: Option<&Group>, other: Option<&Group>, commit: impl FnOnce() -> bool) -> Result<(), FireError> {
    if own.is_none() && other.is_none() {
        return if commit() { Ok(()) } else { Err(FireError::Delivery) };
    }
    let _guard = lock(&FIRE);
    if own.is_some_and(Group::is_fired) {
        return Err(FireError::Own);
    }
    if other.is_some_and(Group::is_fired) {
        return Err(FireError::Other);
    }
    if !commit() {
        return Err(FireError::Delivery);
    }
    for g in [own, other].into_iter().flatten() {
        g.fired.store(true, Ordering::Release);
    }
    Ok(())
}

pub(super) fn same_group(a: Option<&Group>, b: Option<&Group>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if std::ptr::eq(a, b))
}

/// One case of a select with a default ([`try_select`]).
#[derive(Debug)]
pub enum TryOp<V> {
    /// Send this value.
    Send(V),
    Recv,
}

/// What the case that ran did.
#[derive(Debug, PartialEq, Eq)]
pub enum TryResult<V> {
    /// A send case: its value was accepted.
    Sent,
    /// A receive case: this value.
    Value(V),
    /// The channel is closed (send case: rejected; receive case: drained).
    Closed,
}

/// Runs the first ready case of `cases`, in their order, deciding on the
/// state of all their channels at one moment (see the module docs). Returns
/// the case's index and result, or `None` if no case was ready. `deliver`
/// is told the index of the case whose channel wakes a waiter.
pub fn try_select<V, W: StateWord>(
    cases: Vec<(&Channel<V, W>, TryOp<V>)>,
    mut deliver: impl FnMut(usize, &Waiter, Wake) -> bool,
) -> Option<(usize, TryResult<V>)> {
    let mut chans: Vec<&Channel<V, W>> = cases.iter().map(|(c, _)| *c).collect();
    chans.sort_by_key(|c| c.rank);
    chans.dedup_by_key(|c| c.rank);
    let mut guards: Vec<_> = chans.iter().map(|c| lock(&c.inner)).collect();
    for (c, g) in chans.iter().zip(guards.iter_mut()) {
        let waiting = Channel::<V, W>::senders_waiting(g);
        g.buf.freeze(c.w(), waiting);
    }
    let mut result = None;
    for (i, (c, op)) in cases.into_iter().enumerate() {
        let at = chans.iter().position(|x| x.rank == c.rank).expect("locked");
        let g = &mut guards[at];
        let mut d = |w: &Waiter, k: Wake| deliver(i, w, k);
        let done = match op {
            TryOp::Send(v) => match c.send_in(g, v, None, &mut d) {
                Ok(SendOutcome::Sent) => Some(TryResult::Sent),
                Ok(SendOutcome::Closed) => Some(TryResult::Closed),
                _ => None,
            },
            TryOp::Recv => match c.recv_in(g, None, &mut d) {
                RecvOutcome::Value(v) => Some(TryResult::Value(v)),
                RecvOutcome::Closed => Some(TryResult::Closed),
                _ => None,
            },
        };
        if let Some(r) = done {
            result = Some((i, r));
            break;
        }
    }
    for (c, g) in chans.iter().zip(guards.iter_mut()) {
        let waiting = Channel::<V, W>::senders_waiting(g);
        g.buf.thaw(c.w(), waiting);
    }
    result
}
