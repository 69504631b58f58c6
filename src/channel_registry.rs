//! The shared channels of this process, and each thread's attachment to
//! them: what every exported channel function looks up first
//! ([`with_channel`]), and the per-thread send outbox that native code
//! flushes when its thread flushes, detaches or dies. The exported functions
//! are in [`crate::channel`] (open, send, receive, close, tasks),
//! [`crate::channel_fast`] (scratch buffers, receive batches, the outbox)
//! and [`crate::channel_select`]; they all build on this module, which uses
//! none of them.
//!
//! Lifetime: a channel core lives while at least one thread is attached
//! ([`open`]); a thread detaches when its last JS object for the channel
//! is collected, or when it dies. A handle whose channel is gone is refused.

use crate::handle::{with_handle, Status};
use crate::isolate::{self, Isolate};
use crate::protocol::{self, STATUS_GROUP_FIRED, STATUS_WOULD_BLOCK, WAKE_CLOSED, WAKE_DROPPED, WAKE_GRANTED};
use crate::shared_memory::{int32_array, StrongRef};
use napi::{sys, Env};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};
use threadkit_core::channel::credits::Credits;
use threadkit_core::channel::{outbox, Channel, Group, SendOutcome, Waiter, Wake, UNBOUNDED};
use threadkit_core::StateWord;

/// The channel's head word, in a `SharedArrayBuffer` that every attached
/// isolate keeps alive with a strong reference (see `Entry::attached`); the
/// entry is dropped when the last one detaches.
pub(crate) struct ChanWord(*const AtomicI32);
// Safety: the word is an atomic in shared memory, only accessed through
// `&AtomicI32`, and kept alive as said above for as long as the entry exists.
unsafe impl Send for ChanWord {}
// Safety: as for `Send`.
unsafe impl Sync for ChanWord {}

impl StateWord for ChanWord {
    fn word(&self) -> &AtomicI32 {
        // Safety: 4-aligned (an `Int32Array`) and alive while `self` is (above).
        unsafe { &*self.0 }
    }
}

impl ChanWord {
    /// `state[1]`, which JS senders read: 1 once the channel is closed.
    pub(crate) fn closed_flag(&self) -> &AtomicI32 {
        // Safety: `open` checked that the creator's state has two words,
        // and attaching threads must hand in that same buffer.
        unsafe { &*self.0.add(1) }
    }
}

pub(crate) struct Entry {
    pub(crate) chan: Channel<Vec<u8>, ChanWord>,
    /// Isolates attached.
    pub(crate) attached: Mutex<HashMap<u32, Attached>>,
}

/// One attached isolate.
pub(crate) struct Attached {
    /// Keeps the head word's buffer alive.
    state_ref: StrongRef,
    /// Where this thread batches the values it sends (see `chan_outbox`).
    pub(crate) outbox: Option<Outbox>,
    /// Slots reserved for this thread's outbox.
    pub(crate) credits: Credits,
}

/// A thread's send outbox: a `SharedArrayBuffer` (as a `Uint8Array`) in the
/// format of `threadkit_core::channel::outbox`. Native code reads it when that
/// thread flushes, detaches or dies, so a value whose send resolved is never
/// lost, even if the thread is terminated before it flushed.
pub(crate) struct Outbox {
    pub(crate) ptr: *mut u8,
    pub(crate) len: usize,
    pub(crate) buf_ref: StrongRef,
}

// Safety: the buffer is a `SharedArrayBuffer`, meant to be shared between
// threads; `ptr` is only read through atomics and copies (see `take`), and
// `buf_ref` is only deleted on the owning thread's env.
unsafe impl Send for Outbox {}

impl Outbox {
    /// The reserved slots that the owner's JS has not claimed yet.
    pub(crate) fn avail(&self) -> &AtomicI32 {
        // Safety: `chan_outbox` checked that the buffer is 4-aligned and at
        // least `outbox::DATA` (8) bytes long, and `buf_ref` keeps it alive.
        unsafe { &*(self.ptr.add(outbox::AVAIL) as *const AtomicI32) }
    }

    /// The committed values, oldest first; resets the count.
    fn take(&self) -> Vec<Vec<u8>> {
        // Safety: as in `avail`; `outbox::COUNT` is 0, so the word is 4-aligned.
        let count_word = unsafe { &*(self.ptr.add(outbox::COUNT) as *const AtomicI32) };
        let count = count_word.load(Ordering::Acquire).max(0) as usize;
        // Safety: `ptr..ptr + len` is the live buffer (see `avail`). JS of the
        // owning thread may append after the committed values meanwhile, but
        // never rewrites the committed ones until the count is reset below.
        let data = unsafe { std::slice::from_raw_parts(self.ptr, self.len) };
        let out = outbox::read_values(data, count);
        count_word.store(0, Ordering::Release);
        out
    }
}

static CHANNELS: LazyLock<RwLock<HashMap<u32, Arc<Entry>>>> = LazyLock::new(|| {
    // Registered once, with the table: before it exists no thread is attached.
    isolate::on_thread_gone(remove_thread);
    Default::default()
});
static GROUPS: LazyLock<Mutex<HashMap<u32, Arc<Group>>>> = LazyLock::new(Default::default);
static NEXT_GROUP: AtomicU32 = AtomicU32::new(1);

fn code(w: Wake) -> i32 {
    match w {
        Wake::Done => WAKE_GRANTED,
        Wake::Closed => WAKE_CLOSED,
        Wake::Dropped => WAKE_DROPPED,
    }
}

/// The `deliver` callback of channel `id`: every waiter is woken through its
/// thread's mailbox (see `crate::channel`).
pub(crate) fn deliver(id: u32) -> impl FnMut(&Waiter, Wake) -> bool {
    move |w, k| isolate::post_wake(w.owner, w.token, code(k), id)
}

/// The channel `id`, if the calling isolate is attached to it.
pub(crate) fn entry(iso: u32, id: u32) -> Option<Arc<Entry>> {
    let e = CHANNELS.read().get(&id).cloned()?;
    let attached = e.attached.lock().contains_key(&iso);
    attached.then_some(e)
}

/// The prelude of every call on an attached channel: `f` gets channel `id`,
/// or the call returns `STATUS_NOT_ATTACHED` if thread `iso` is not attached.
pub(crate) fn with_channel<R: Status>(iso: u32, id: u32, f: impl FnOnce(Arc<Entry>) -> R) -> R {
    with_handle(entry(iso, id), f)
}

/// The select group `gid` (0: none), or `STATUS_BAD_ARGUMENT` if unknown.
pub(crate) fn group(gid: u32) -> Result<Option<Arc<Group>>, i32> {
    if gid == 0 {
        return Ok(None);
    }
    GROUPS
        .lock()
        .get(&gid)
        .cloned()
        .map(Some)
        .ok_or(protocol::STATUS_BAD_ARGUMENT)
}

/// A new select group; its id is never 0.
pub(crate) fn new_group() -> u32 {
    let mut id = NEXT_GROUP.fetch_add(1, Ordering::Relaxed);
    if id == 0 {
        id = NEXT_GROUP.fetch_add(1, Ordering::Relaxed);
    }
    GROUPS.lock().insert(id, Group::new());
    id
}

/// Forgets a select group id (its queued waiters keep the group alive).
pub(crate) fn end_group(gid: u32) {
    GROUPS.lock().remove(&gid);
}

/// Creates (`creating`) or attaches thread `iso` to channel `id`; see
/// `chan_open`. Returns 0 or a negative status.
pub(crate) fn open(
    env: &Env,
    iso: u32,
    id: u32,
    cap: i64,
    creating: bool,
    unfinished: f64,
    state: sys::napi_value,
) -> i32 {
    if Isolate::get(iso).is_none() {
        return protocol::STATUS_NOT_ATTACHED;
    }
    let Some((ptr, len)) = int32_array(env, state) else {
        return protocol::STATUS_BAD_ARGUMENT;
    };
    if len < 2 {
        return protocol::STATUS_BAD_ARGUMENT;
    }
    let cap = if cap < 0 { UNBOUNDED } else { cap as usize };
    let mut all = CHANNELS.write();
    let e = if creating {
        if all.contains_key(&id) {
            return protocol::STATUS_FOREIGN_HANDLE;
        }
        let e = Arc::new(Entry {
            chan: Channel::with_word(cap, unfinished.max(0.0) as u64, ChanWord(ptr)),
            attached: Mutex::new(HashMap::new()),
        });
        all.insert(id, e.clone());
        e
    } else {
        match all.get(&id) {
            Some(e) if e.chan.capacity() == cap && std::ptr::eq(e.chan.word().0, ptr) => e.clone(),
            _ => return protocol::STATUS_FOREIGN_HANDLE,
        }
    };
    if let std::collections::hash_map::Entry::Vacant(slot) = e.attached.lock().entry(iso) {
        let Some(state_ref) = StrongRef::new(env, state) else {
            return protocol::STATUS_BAD_ARGUMENT;
        };
        slot.insert(Attached {
            state_ref,
            outbox: None,
            credits: Credits::default(),
        });
    }
    0
}

/// Detaches thread `iso` from channel `id` (its last JS object for it was
/// collected), after flushing its outbox; the channel goes when nobody is
/// attached any more.
pub(crate) fn detach(env: &Env, iso: u32, id: u32) -> i32 {
    let mut all = CHANNELS.write();
    let Some(e) = all.get(&id).cloned() else {
        return protocol::STATUS_NOT_ATTACHED;
    };
    flush(&e, id, iso);
    let empty = {
        let mut a = e.attached.lock();
        if let Some(at) = a.remove(&iso) {
            at.state_ref.delete(env);
            if let Some(o) = at.outbox {
                o.buf_ref.delete(env);
            }
        }
        a.is_empty()
    };
    if empty {
        all.remove(&id);
    }
    0
}

/// A thread died: remove its waiters and return the values parked for it (a
/// thread-gone hook).
fn remove_thread(iso: u32) {
    let entries: Vec<(u32, Arc<Entry>)> = CHANNELS.read().iter().map(|(k, v)| (*k, v.clone())).collect();
    for (id, e) in entries {
        if !e.attached.lock().contains_key(&iso) {
            continue;
        }
        // Values whose send resolved on the dead thread are still delivered.
        flush(&e, id, iso);
        e.chan.remove_owner(iso, deliver(id));
        let empty = {
            let mut a = e.attached.lock();
            // The env is going away and frees its references itself.
            a.remove(&iso);
            a.is_empty()
        };
        if empty {
            CHANNELS.write().remove(&id);
        }
    }
}

/// Moves `iso`'s committed outbox values into the channel and gives back
/// the slots it reserved but did not use. Returns false if not attached.
pub(crate) fn flush(e: &Entry, id: u32, iso: u32) -> bool {
    flush_inner(e, id, iso, false)
}

/// `keep`: the unused reserved slots stay with the thread (a flush before
/// one of its own receives, so that a producer and a consumer on one thread
/// do not give slots back and reserve them again for every value).
pub(crate) fn flush_inner(e: &Entry, id: u32, iso: u32, keep: bool) -> bool {
    let (values, credits) = {
        let mut a = e.attached.lock();
        let Some(at) = a.get_mut(&iso) else {
            return false;
        };
        let Some(outbox) = at.outbox.as_ref() else {
            return true;
        };
        let values = outbox.take();
        let (fill, unused) = at.credits.settle(values.len(), keep, outbox.avail());
        (values.into_iter().take(fill), unused)
    };
    for v in values {
        e.chan.push_reserved(v, deliver(id));
    }
    e.chan.release_reserved(credits, deliver(id));
    true
}

/// Takes back the reserved slots that threads other than `iso` hold for
/// their outboxes and have not used, so that `iso`'s try-send does not fail
/// on a channel with room (see `threadkit_core::channel::credits`). Returns
/// false if there were none.
pub(crate) fn take_back_reserved(e: &Entry, id: u32, iso: u32) -> bool {
    let n: usize = {
        let mut a = e.attached.lock();
        a.iter_mut()
            .filter(|(owner, _)| **owner != iso)
            .filter_map(|(_, at)| Some(at.credits.take_back(at.outbox.as_ref()?.avail())))
            .sum()
    };
    e.chan.release_reserved(n, deliver(id));
    n > 0
}

/// A send's outcome as returned to JS: 0 sent, `QUEUED_KEY_BASE + key` queued (the
/// thread's loop is kept alive for it), or a negative status.
pub(crate) fn send_status(env: &Env, iso: u32, outcome: SendOutcome) -> i32 {
    match outcome {
        SendOutcome::Sent => 0,
        SendOutcome::Queued(key) => {
            isolate::queued(env, iso);
            protocol::QUEUED_KEY_BASE + key as i32
        }
        SendOutcome::Full => STATUS_WOULD_BLOCK,
        SendOutcome::Closed => protocol::STATUS_CLOSED,
        SendOutcome::GroupFired => STATUS_GROUP_FIRED,
    }
}
