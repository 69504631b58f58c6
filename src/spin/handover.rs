//! A pool worker's hand-over: after a completion while its owner thread
//! has a wake-up scheduled and not yet run, on a machine with no idle core,
//! the worker gives its core up, so that the owner's event loop runs now
//! instead of after the worker's time slice (issue 19, H3; the rule is
//! [`HandOver`], the measurements benchmark/http/CHANGES.md §3).

use super::{core_idle, Signal};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use threadkit_core::spin_budget::{HandOver, Pending, DEFAULT_HANDOVER};

/// Times a worker gave its core up, process-wide (`spinStats()[6]`).
pub(super) static HANDOVERS: AtomicU64 = AtomicU64::new(0);

/// What a worker does after a completion while its owner's wake-up is
/// pending: `THREADKIT_WAKE_HANDOVER` (see [`HandOver::from_env`]), read once;
/// by default [`DEFAULT_HANDOVER`].
static HANDOVER: LazyLock<HandOver> = LazyLock::new(|| {
    HandOver::from_env(
        std::env::var("THREADKIT_WAKE_HANDOVER").ok().as_deref(),
        DEFAULT_HANDOVER,
    )
});

thread_local! {
    /// The owner's wake-up (its `Signal::posts` count) this worker last gave way for.
    static GAVE_WAY_FOR: Cell<Option<u32>> = const { Cell::new(None) };
}

/// A pool worker handed a completion (or a progress value) to its owner;
/// `woke_owner`: that scheduled the owner's wake-up; `owner`: the owner
/// thread's signal. While that thread has a wake-up scheduled and not yet
/// run, on a machine with no idle core, the worker gives its core up (the
/// policy: [`HandOver`]), so that the owner's event loop runs now instead of
/// after the worker's time slice.
pub(crate) fn after_completion(woke_owner: bool, owner: Option<&Signal>) {
    let policy = *HANDOVER;
    let Some(owner) = owner.filter(|_| policy != HandOver::Off) else {
        return;
    };
    let posts = owner.posts.load(Ordering::Relaxed);
    let pending = if !owner.is_ready() {
        Pending::No
    } else if GAVE_WAY_FOR.with(Cell::get) == Some(posts) {
        Pending::Seen
    } else {
        Pending::New
    };
    if pending == Pending::No && !woke_owner {
        return;
    }
    match policy.after_completion(woke_owner, pending, core_idle()) {
        HandOver::Off => return,
        HandOver::Sleep(d) => std::thread::sleep(d),
        _ => std::thread::yield_now(),
    }
    GAVE_WAY_FOR.with(|c| c.set(Some(posts)));
    HANDOVERS.fetch_add(1, Ordering::Relaxed);
}
