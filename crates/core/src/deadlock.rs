//! The wait-for graph behind the opt-in deadlock detector.
//!
//! # What is tracked
//! JS code that holds a lock for the duration of a callback (`runExclusive`,
//! `runRead`, `runWrite`) opens a *scope*: the scope holds that lock until the
//! callback settles. An acquire made inside the callback's async context is a
//! *wait* of every scope around it. Locks held any other way (a guard, or the
//! `release()` method form) are unknown holders: nobody can say when they are
//! released, so a primitive with an unknown holder is never called frozen.
//!
//! # When is it a deadlock
//! A primitive is *frozen* when its permits can never grow again: it has at
//! least one holder, every permit held on it is held by a scope, and every
//! such scope is itself waiting on a frozen primitive. This is the greatest
//! fixpoint of that rule, computed by removing primitives that can still make
//! progress until nothing changes. A waiter on a frozen primitive waits
//! forever (under the assumption that a scope awaits the acquires it makes),
//! so it is rejected instead, with the cycle that explains why.
//!
//! With a Mutex on each side this is ordinary cycle detection; with
//! semaphores it also requires *all* holders to be stuck, so a cycle through
//! one holder of a semaphore that another holder will release is not reported.

use std::collections::{HashMap, HashSet};

pub type ScopeId = u64;
pub type WaitId = u64;
pub type PrimitiveId = u32;

struct Scope {
    thread: u32,
    holds: Vec<(PrimitiveId, u32)>,
    waits: HashSet<WaitId>,
}

struct Wait {
    thread: u32,
    primitive: PrimitiveId,
    scopes: Vec<ScopeId>,
}

/// One step of a reported cycle: `scope` on `thread` holds `primitive` and
/// waits (through one of its acquires) for the next step's primitive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleStep {
    pub primitive: PrimitiveId,
    pub holder_thread: u32,
    pub holder_scope: ScopeId,
}

#[derive(Default)]
pub struct WaitForGraph {
    scopes: HashMap<ScopeId, Scope>,
    waits: HashMap<WaitId, Wait>,
    /// Permits held by scopes, per primitive.
    scoped_held: HashMap<PrimitiveId, u64>,
    /// Scopes holding each primitive.
    holders: HashMap<PrimitiveId, HashSet<ScopeId>>,
    /// Waits queued on each primitive.
    waiting_on: HashMap<PrimitiveId, HashSet<WaitId>>,
}

impl WaitForGraph {
    pub fn new() -> Self {
        Self::default()
    }

    /// `scope` (on `thread`) now holds `permits` of `primitive`.
    pub fn hold(&mut self, scope: ScopeId, thread: u32, primitive: PrimitiveId, permits: u32) {
        let s = self.scopes.entry(scope).or_insert_with(|| Scope {
            thread,
            holds: Vec::new(),
            waits: HashSet::new(),
        });
        s.holds.push((primitive, permits));
        *self.scoped_held.entry(primitive).or_default() += permits as u64;
        self.holders.entry(primitive).or_default().insert(scope);
    }

    /// The scope ended: it holds nothing any more. Its waits stay registered
    /// until they are settled (`unwait`), but no longer count for it.
    pub fn end_scope(&mut self, scope: ScopeId) {
        let Some(s) = self.scopes.remove(&scope) else { return };
        for (p, permits) in s.holds {
            if let Some(h) = self.scoped_held.get_mut(&p) {
                *h -= permits as u64;
                if *h == 0 {
                    self.scoped_held.remove(&p);
                }
            }
            if let Some(set) = self.holders.get_mut(&p) {
                set.remove(&scope);
                if set.is_empty() {
                    self.holders.remove(&p);
                }
            }
        }
        for w in s.waits {
            if let Some(wait) = self.waits.get_mut(&w) {
                wait.scopes.retain(|x| *x != scope);
            }
        }
    }

    /// Registers a queued wait on `primitive` made inside `scopes`, then checks
    /// for a deadlock. `held_total(p)` must give the permits currently held on
    /// `p` by anyone. On a deadlock the wait is not kept and the cycle is
    /// returned.
    pub fn wait(
        &mut self,
        wait: WaitId,
        thread: u32,
        primitive: PrimitiveId,
        scopes: &[ScopeId],
        held_total: impl Fn(PrimitiveId) -> u64,
    ) -> Result<(), Vec<CycleStep>> {
        let scopes: Vec<ScopeId> = scopes.iter().copied().filter(|s| self.scopes.contains_key(s)).collect();
        for s in &scopes {
            self.scopes.get_mut(s).expect("filtered above").waits.insert(wait);
        }
        self.waits.insert(
            wait,
            Wait {
                thread,
                primitive,
                scopes,
            },
        );
        self.waiting_on.entry(primitive).or_default().insert(wait);
        let frozen = self.frozen(&held_total);
        if !frozen.contains(&primitive) {
            return Ok(());
        }
        let cycle = self.explain(primitive, &frozen);
        self.unwait(wait);
        Err(cycle)
    }

    /// The wait was granted, cancelled or rejected.
    pub fn unwait(&mut self, wait: WaitId) {
        let Some(w) = self.waits.remove(&wait) else { return };
        for s in w.scopes {
            if let Some(scope) = self.scopes.get_mut(&s) {
                scope.waits.remove(&wait);
            }
        }
        if let Some(set) = self.waiting_on.get_mut(&w.primitive) {
            set.remove(&wait);
            if set.is_empty() {
                self.waiting_on.remove(&w.primitive);
            }
        }
    }

    /// Removes every scope and wait of a dead thread.
    pub fn remove_thread(&mut self, thread: u32) {
        let dead: Vec<ScopeId> = self
            .scopes
            .iter()
            .filter(|(_, s)| s.thread == thread)
            .map(|(id, _)| *id)
            .collect();
        for s in dead {
            self.end_scope(s);
        }
        let dead: Vec<WaitId> = self
            .waits
            .iter()
            .filter(|(_, w)| w.thread == thread)
            .map(|(id, _)| *id)
            .collect();
        for w in dead {
            self.unwait(w);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty() && self.waits.is_empty()
    }

    /// Greatest fixpoint: primitives whose permits can never grow again.
    fn frozen(&self, held_total: &impl Fn(PrimitiveId) -> u64) -> HashSet<PrimitiveId> {
        let mut frozen: HashSet<PrimitiveId> = self
            .waiting_on
            .keys()
            .copied()
            .filter(|p| {
                let scoped = self.scoped_held.get(p).copied().unwrap_or(0);
                scoped > 0 && held_total(*p) <= scoped
            })
            .collect();
        loop {
            let before = frozen.len();
            let snapshot = frozen.clone();
            frozen.retain(|p| {
                self.holders
                    .get(p)
                    .is_some_and(|hs| hs.iter().all(|s| self.scope_stuck(*s, &snapshot)))
            });
            if frozen.len() == before {
                return frozen;
            }
        }
    }

    fn scope_stuck(&self, scope: ScopeId, frozen: &HashSet<PrimitiveId>) -> bool {
        self.scopes
            .get(&scope)
            .is_some_and(|s| s.waits.iter().any(|w| frozen.contains(&self.waits[w].primitive)))
    }

    /// Walks from `start` through frozen primitives until one repeats.
    fn explain(&self, start: PrimitiveId, frozen: &HashSet<PrimitiveId>) -> Vec<CycleStep> {
        let mut steps = Vec::new();
        let mut seen = HashSet::new();
        let mut p = start;
        while seen.insert(p) {
            // Every holder of a frozen primitive is stuck on a frozen one; take the first.
            let Some((scope_id, scope, next)) = self.holders.get(&p).and_then(|hs| {
                let mut hs: Vec<_> = hs.iter().copied().collect();
                hs.sort_unstable();
                hs.into_iter().find_map(|sid| {
                    let s = &self.scopes[&sid];
                    let mut ws: Vec<_> = s.waits.iter().copied().collect();
                    ws.sort_unstable();
                    ws.into_iter()
                        .map(|w| self.waits[&w].primitive)
                        .find(|q| frozen.contains(q))
                        .map(|q| (sid, s, q))
                })
            }) else {
                break;
            };
            steps.push(CycleStep {
                primitive: p,
                holder_thread: scope.thread,
                holder_scope: scope_id,
            });
            p = next;
        }
        // Keep only the cycle itself (drop a lead-in that is not part of it).
        if let Some(i) = steps.iter().position(|s| s.primitive == p) {
            steps.drain(..i);
        }
        steps
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn two_mutexes_in_opposite_order_deadlock() {
        let mut g = WaitForGraph::new();
        g.hold(1, 10, 100, 1); // thread 10, scope 1 holds A
        g.hold(2, 20, 200, 1); // thread 20, scope 2 holds B
        let totals: HashMap<u32, u64> = [(100, 1), (200, 1)].into();
        assert_eq!(g.wait(1, 0, 200, &[1], |p| totals[&p]), Ok(())); // 1 waits for B
        let cycle = g.wait(2, 0, 100, &[2], |p| totals[&p]).unwrap_err(); // 2 waits for A: cycle
        let prims: Vec<_> = cycle.iter().map(|s| s.primitive).collect();
        assert_eq!(prims.len(), 2);
        assert!(prims.contains(&100) && prims.contains(&200));
        assert!(cycle.iter().any(|s| s.holder_thread == 10) && cycle.iter().any(|s| s.holder_thread == 20));
        // The rejected wait is gone; scope 1's wait remains.
        assert_eq!(g.waits.len(), 1);
    }

    #[test]
    fn a_chain_without_a_cycle_is_not_a_deadlock() {
        let mut g = WaitForGraph::new();
        g.hold(1, 10, 100, 1);
        g.hold(2, 20, 200, 1);
        g.hold(3, 30, 300, 1);
        assert_eq!(g.wait(1, 0, 200, &[1], |_| 1), Ok(()));
        assert_eq!(g.wait(2, 0, 300, &[2], |_| 1), Ok(())); // scope 3 is not waiting
    }

    #[test]
    fn an_unknown_holder_may_release_so_no_deadlock() {
        let mut g = WaitForGraph::new();
        g.hold(1, 10, 100, 1);
        g.hold(2, 20, 200, 1);
        assert_eq!(g.wait(1, 0, 200, &[1], |_| 1), Ok(()));
        // Semaphore 100 has 2 permits held but scopes account for only 1.
        assert_eq!(g.wait(2, 0, 100, &[2], |p| if p == 100 { 2 } else { 1 }), Ok(()));
    }

    #[test]
    fn a_semaphore_with_a_free_running_holder_is_not_frozen() {
        let mut g = WaitForGraph::new();
        g.hold(1, 10, 100, 1); // scope 1 holds a permit of S and waits for M
        g.hold(3, 30, 100, 1); // scope 3 holds the other permit of S and waits for nothing
        g.hold(2, 20, 200, 1); // scope 2 holds M and waits for S
        let totals: HashMap<u32, u64> = [(100, 2), (200, 1)].into();
        assert_eq!(g.wait(1, 0, 200, &[1], |p| totals[&p]), Ok(()));
        assert_eq!(
            g.wait(2, 0, 100, &[2], |p| totals[&p]),
            Ok(()),
            "scope 3 will release S"
        );
        // Once scope 3 also waits for M, nothing can move.
        assert!(g.wait(3, 0, 200, &[3], |p| totals[&p]).is_err());
    }

    #[test]
    fn ending_a_scope_breaks_the_cycle() {
        let mut g = WaitForGraph::new();
        g.hold(1, 10, 100, 1);
        g.hold(2, 20, 200, 1);
        assert_eq!(g.wait(1, 0, 200, &[1], |_| 1), Ok(()));
        g.end_scope(1);
        assert_eq!(g.wait(2, 0, 100, &[2], |_| 0), Ok(()));
    }

    #[test]
    fn nested_scopes_count_as_waiting_and_dead_threads_are_removed() {
        let mut g = WaitForGraph::new();
        g.hold(1, 10, 100, 1); // outer scope on thread 10 holds A
        g.hold(2, 10, 300, 1); // inner scope holds C
        g.hold(5, 20, 200, 1); // thread 20 holds B
        assert_eq!(g.wait(1, 10, 200, &[1, 2], |_| 1), Ok(())); // inner context waits for B
        assert!(
            g.wait(2, 0, 100, &[5], |_| 1).is_err(),
            "outer scope is stuck through the inner wait"
        );
        g.remove_thread(10);
        assert_eq!(g.wait(3, 20, 100, &[5], |_| 0), Ok(()));
        g.remove_thread(20);
        assert!(g.is_empty(), "left: {} scopes, {} waits", g.scopes.len(), g.waits.len());
    }

    #[test]
    fn three_thread_cycle_is_named_in_order() {
        let mut g = WaitForGraph::new();
        for (scope, thread, prim) in [(1, 10, 100), (2, 20, 200), (3, 30, 300)] {
            g.hold(scope, thread, prim, 1);
        }
        assert_eq!(g.wait(1, 0, 200, &[1], |_| 1), Ok(()));
        assert_eq!(g.wait(2, 0, 300, &[2], |_| 1), Ok(()));
        let cycle = g.wait(3, 0, 100, &[3], |_| 1).unwrap_err();
        let prims: Vec<_> = cycle.iter().map(|s| s.primitive).collect();
        assert_eq!(prims, vec![100, 200, 300]);
        assert_eq!(
            cycle.iter().map(|s| s.holder_thread).collect::<Vec<_>>(),
            vec![10, 20, 30]
        );
    }
}
