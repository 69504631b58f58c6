//! A table of shared cores for the primitives whose whole state is native
//! (Barrier, KeyedMutex): each has an id and a nonce, and lives while at
//! least one thread is attached to it. A thread attaches when it creates one
//! or opens its handle, and detaches when its last JS object for it is
//! collected, or when it dies (a hook per table, see
//! `isolate::on_thread_gone`). On both, the core is told, so that what that
//! thread held or waited for is given back or removed.
//!
//! The nonce makes a forged or stale handle fail: an id alone could name
//! another live primitive by chance.

use crate::protocol::{STATUS_BAD_ARGUMENT, STATUS_FOREIGN_HANDLE};
use parking_lot::{Mutex, RwLock};
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

pub(crate) struct Shared<T> {
    pub core: T,
    nonce: u32,
    /// Attached threads: isolate id -> attaches made on it.
    attached: Mutex<HashMap<u32, u32>>,
}

pub(crate) struct Registry<T> {
    map: RwLock<HashMap<u32, Arc<Shared<T>>>>,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Self {
            map: RwLock::new(HashMap::new()),
        }
    }
}

fn random_nonce() -> u32 {
    let mut h = RandomState::new().build_hasher();
    h.write_u32(0);
    // 31 bits: it crosses to JS as a positive int32.
    (h.finish() as u32) & 0x7fff_ffff
}

impl<T> Registry<T> {
    /// Adds `core` under a new primitive id, attached to thread `iso`.
    /// Returns `(id, nonce)`.
    pub(crate) fn create(&self, iso: u32, core: T) -> (u32, u32) {
        let id = crate::semaphore::new_primitive_id();
        let nonce = random_nonce();
        let shared = Arc::new(Shared {
            core,
            nonce,
            attached: Mutex::new(HashMap::from([(iso, 1)])),
        });
        self.map.write().insert(id, shared);
        (id, nonce)
    }

    /// Attaches thread `iso` to `id`, whose handle carried `nonce`.
    pub(crate) fn attach(&self, iso: u32, id: u32, nonce: u32) -> Result<Arc<Shared<T>>, i32> {
        let map = self.map.read();
        let s = map.get(&id).ok_or(STATUS_FOREIGN_HANDLE)?;
        if s.nonce != nonce {
            return Err(STATUS_FOREIGN_HANDLE);
        }
        *s.attached.lock().entry(iso).or_insert(0) += 1;
        Ok(s.clone())
    }

    /// `id`, if thread `iso` is attached to it.
    pub(crate) fn get(&self, iso: u32, id: u32) -> Option<Arc<Shared<T>>> {
        let s = self.map.read().get(&id).cloned()?;
        let attached = s.attached.lock().contains_key(&iso);
        attached.then_some(s)
    }

    /// Thread `iso` drops one attach of `id`; at its last, `left(core)` runs
    /// (give back what the thread held) and the core goes once nobody is
    /// attached. `STATUS_BAD_ARGUMENT` if it was not attached.
    pub(crate) fn detach(&self, iso: u32, id: u32, left: impl FnOnce(&T)) -> i32 {
        let Some(s) = self.get(iso, id) else {
            return STATUS_BAD_ARGUMENT;
        };
        let last = {
            let mut a = s.attached.lock();
            match a.get_mut(&iso) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                _ => {
                    a.remove(&iso);
                    true
                }
            }
        };
        if last {
            left(&s.core);
            self.drop_if_unused(id);
        }
        0
    }

    /// Thread `iso` is gone: `left(id, core)` for each core it was attached to.
    pub(crate) fn thread_gone(&self, iso: u32, left: impl Fn(u32, &T)) {
        let all: Vec<(u32, Arc<Shared<T>>)> = self.map.read().iter().map(|(k, v)| (*k, v.clone())).collect();
        for (id, s) in all {
            if s.attached.lock().remove(&iso).is_some() {
                left(id, &s.core);
                self.drop_if_unused(id);
            }
        }
    }

    fn drop_if_unused(&self, id: u32) {
        let mut map = self.map.write();
        if map.get(&id).is_some_and(|s| s.attached.lock().is_empty()) {
            map.remove(&id);
        }
    }
}
