//! Attaching a JS thread to a shared primitive's core, and detaching it.
//!
//! A thread attaches when it first shares a primitive (its creator takes the
//! handle) or opens a handle (`X.from(handle)`). The attachment keeps the
//! primitive's `SharedArrayBuffer` alive and gives the thread a slot in its
//! permit ledger. A core lives in [`CORES`] while any thread is attached.

use super::{deliver_remote, Attachment, Core, Isolate, SabWord, CORES};
use crate::shared_memory::{int32_array, StrongRef};
use napi::{sys, Env};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};
use threadkit_core::Semaphore;

/// Ids whose creator has shared them (taken their handle) at least once. A
/// handle naming any other id is a forgery: its primitive either does not
/// exist or still lives only in its creator's JS (local mode). One bit per id.
static SHARED_EVER: LazyLock<Mutex<Vec<u64>>> = LazyLock::new(Default::default);

fn mark_shared(id: u32) {
    let mut bits = SHARED_EVER.lock();
    let word = id as usize / 64;
    if bits.len() <= word {
        bits.resize(word + 1, 0);
    }
    bits[word] |= 1 << (id % 64);
}

fn was_shared(id: u32) -> bool {
    SHARED_EVER
        .lock()
        .get(id as usize / 64)
        .is_some_and(|w| w & (1 << (id % 64)) != 0)
}

/// Attaches `me` to a core (creating it if this process has none with that
/// id), keeping its `SharedArrayBuffer` alive. Returns the ledger slot.
/// `creating` is true only for the creator's first share; other attaches must
/// name an id that was shared before.
pub(crate) fn attach(
    env: &Env,
    me: &Isolate,
    id: u32,
    state: sys::napi_value,
    max: u32,
    creating: bool,
) -> Result<usize, i32> {
    use threadkit_core::semaphore::word::{BOUND_MASK, MAX_PERMITS};
    let (ptr, len) = int32_array(env, state).ok_or(crate::protocol::STATUS_BAD_ARGUMENT)?;
    // The state word, the bound word and the lease word.
    if len < 3 {
        return Err(crate::protocol::STATUS_BAD_ARGUMENT);
    }
    // Safety: `len >= 3` words of a live `Int32Array` (4-aligned).
    let bound = unsafe { (*ptr.add(1)).load(Ordering::Acquire) } & BOUND_MASK;
    // The bound word is the truth (setPermits changes it); `max` is what the
    // creator wrote there, checked once. An attach to an existing core is
    // checked by its buffer instead (a forgery has other memory).
    let bound_ok = bound != 0 && bound as u32 <= MAX_PERMITS && (!creating || bound as u32 == max);
    let mut local = me.local.lock();
    if let Some(a) = local.attachments.get(&id) {
        return if std::ptr::eq(a.core.word_ptr(), ptr) {
            Ok(local.ledger.attach(id))
        } else {
            Err(crate::protocol::STATUS_FOREIGN_HANDLE)
        };
    }
    if creating {
        mark_shared(id);
    } else if !was_shared(id) {
        return Err(crate::protocol::STATUS_FOREIGN_HANDLE);
    }
    let state_ref = StrongRef::new(env, state).ok_or(crate::protocol::STATUS_BAD_ARGUMENT)?;
    let core = {
        let mut cores = CORES.lock();
        if creating && cores.contains_key(&id) {
            // Impossible unless ids were reused; refuse rather than alias.
            drop(cores);
            state_ref.delete(env);
            return Err(crate::protocol::STATUS_FOREIGN_HANDLE);
        }
        if !bound_ok && !cores.contains_key(&id) {
            drop(cores);
            state_ref.delete(env);
            return Err(crate::protocol::STATUS_BAD_ARGUMENT);
        }
        let core = cores
            .entry(id)
            .or_insert_with(|| {
                Arc::new(Core {
                    id,
                    sem: Semaphore::new(SabWord(ptr)),
                    attached: AtomicU32::new(0),
                })
            })
            .clone();
        if !std::ptr::eq(core.word_ptr(), ptr) {
            drop(cores);
            state_ref.delete(env);
            return Err(crate::protocol::STATUS_FOREIGN_HANDLE);
        }
        core.attached.fetch_add(1, Ordering::Relaxed);
        core
    };
    let slot = local.ledger.attach(id);
    local.attachments.insert(id, Attachment { core, state_ref });
    Ok(slot)
}

/// Detaches `me` from a core: returns what it still held, removes its
/// waiters, and drops the core when nobody is attached any more.
pub(crate) fn detach(env: &Env, me: &Isolate, id: u32) -> bool {
    let mut local = me.local.lock();
    let Some(att) = local.attachments.remove(&id) else {
        return false;
    };
    let held = att.core.sem.given_back(local.ledger.detach(id).unwrap_or(0), 0);
    let removed = att.core.sem.remove_owner(me.id, |w, d| deliver_remote(id, w, d));
    for _ in 0..removed {
        local.settled(env);
    }
    if held > 0 {
        att.core.sem.release_saturating(held, |w, d| deliver_remote(id, w, d));
    }
    drop_attachment(att.core);
    att.state_ref.delete(env);
    true
}

pub(super) fn drop_attachment(core: Arc<Core>) {
    let mut cores = CORES.lock();
    if core.attached.fetch_sub(1, Ordering::Relaxed) == 1 {
        cores.remove(&core.id);
    }
}
