//! Exported functions of the opt-in deadlock detector: translation only.
//! The graph and the rule are in `threadkit_core::deadlock`.
//!
//! Scope and wait ids are JS numbers (safe integers, unique per process: the
//! JS side builds them from its thread's id and a counter).

use crate::isolate::{self, Isolate, CORES};
use napi_derive::napi;
use parking_lot::Mutex;
use std::sync::LazyLock;
use threadkit_core::deadlock::WaitForGraph;

// Lock order: GRAPH, then CORES (in `held_total`).
static GRAPH: LazyLock<Mutex<WaitForGraph>> = LazyLock::new(|| {
    // Registered once, with the graph: before it exists no thread has an entry.
    isolate::on_thread_gone(remove_thread);
    Default::default()
});

fn held_total(primitive: u32) -> u64 {
    CORES
        .lock()
        .get(&primitive)
        .map(|c| (c.sem.max() - c.sem.available()) as u64)
        .unwrap_or(0)
}

/// Scope `scope` of thread `iso` now holds `permits` of `primitive`.
#[napi(catch_unwind)]
pub fn dd_hold(iso: u32, scope: f64, primitive: u32, permits: u32) {
    GRAPH.lock().hold(scope as u64, iso, primitive, permits);
}

/// The scope's callback settled; it holds nothing any more.
#[napi(catch_unwind)]
pub fn dd_end_scope(scope: f64) {
    GRAPH.lock().end_scope(scope as u64);
}

/// Registers a queued wait made inside `scopes` and checks for a deadlock.
/// Returns `null`, or the cycle as flat `[primitive, threadId, ...]` pairs
/// (the wait is then not registered).
#[napi(catch_unwind)]
pub fn dd_wait(iso: u32, wait: f64, primitive: u32, scopes: Vec<f64>) -> Option<Vec<u32>> {
    let scopes: Vec<u64> = scopes.into_iter().map(|s| s as u64).collect();
    let cycle = GRAPH
        .lock()
        .wait(wait as u64, iso, primitive, &scopes, held_total)
        .err()?;
    Some(
        cycle
            .into_iter()
            .flat_map(|step| {
                let thread = Isolate::get(step.holder_thread).map_or(u32::MAX, |i| i.thread_id);
                [step.primitive, thread]
            })
            .collect(),
    )
}

/// The wait was granted, cancelled or rejected.
#[napi(catch_unwind)]
pub fn dd_unwait(wait: f64) {
    GRAPH.lock().unwait(wait as u64);
}

/// Forgets a dead thread's scopes and waits (a thread-gone hook).
fn remove_thread(iso: u32) {
    GRAPH.lock().remove_thread(iso);
}
