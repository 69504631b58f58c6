//! Exported functions behind shared-mode `Channel` and `AsyncQueue` (see
//! `threadkit_core::channel` for the semantics and `lib/channel/shared.js`
//! for the JS side). Values are opaque bytes (serialized in JS).
//!
//! Every waiter is woken through its thread's mailbox (`isolate::post_wake`),
//! also when the waker is on the same thread: a channel call therefore never
//! writes into the caller's wake buffer, and JS never has to settle wakes
//! after a channel call. Wake codes: `protocol::WAKE_*`.
//!
//! The hot paths (values through per-thread scratch buffers, receive
//! batches, the send outbox) are in [`crate::channel_fast`].
//!
//! Lifetime: a channel core lives while at least one thread is attached
//! (`chanOpen`); a thread detaches when its last JS object for the channel
//! is collected, or when it dies. A handle whose channel is gone is refused.

use crate::channel_fast::{flush, Outbox};
use crate::isolate::{self, Isolate};
use crate::protocol::{
    self, STATUS_GROUP_FIRED, STATUS_NOTHING_UNFINISHED, STATUS_NOT_QUEUED, STATUS_WOULD_BLOCK, WAKE_CLOSED,
    WAKE_DROPPED, WAKE_GRANTED,
};
use crate::shared_memory::{int32_array, StrongRef};
use napi::bindgen_prelude::{Buffer, Either, Unknown};
use napi::{Env, JsValue};
use napi_derive::napi;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::AtomicI32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};
use threadkit_core::channel::credits::Credits;
use threadkit_core::channel::{Channel, Group, RecvOutcome, SendOutcome, Side, Waiter, Wake, UNBOUNDED};
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
    fn closed_flag(&self) -> &AtomicI32 {
        // Safety: `chan_open` checked that the creator's state has two words,
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
    pub(crate) state_ref: StrongRef,
    /// Where this thread batches the values it sends (see `chan_outbox`).
    pub(crate) outbox: Option<Outbox>,
    /// Slots reserved for this thread's outbox.
    pub(crate) credits: Credits,
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

pub(crate) fn deliver(id: u32) -> impl FnMut(&Waiter, Wake) -> bool {
    move |w, k| isolate::post_wake(w.owner, w.token, code(k), id)
}

/// The channel `id`, if the calling isolate is attached to it.
pub(crate) fn entry(iso: u32, id: u32) -> Option<Arc<Entry>> {
    let e = CHANNELS.read().get(&id).cloned()?;
    let attached = e.attached.lock().contains_key(&iso);
    attached.then_some(e)
}

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

/// Creates (`creating`) or attaches to channel `id` with capacity `cap`
/// (-1 = unbounded), head word `state[0]` and closed flag `state[1]` (an
/// `Int32Array` over a `SharedArrayBuffer`). `unfinished` carries over the count of a queue
/// that was local until now. Returns 0 or a negative status.
#[napi(catch_unwind)]
pub fn chan_open(env: Env, iso: u32, id: u32, cap: i64, creating: bool, unfinished: f64, state: Unknown) -> i32 {
    if Isolate::get(iso).is_none() {
        return protocol::STATUS_NOT_ATTACHED;
    }
    let Some((ptr, len)) = int32_array(&env, state.raw()) else {
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
        let Some(state_ref) = StrongRef::new(&env, state.raw()) else {
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

/// Detaches the calling thread (its last JS object for `id` was collected).
#[napi(catch_unwind)]
pub fn chan_detach(env: Env, iso: u32, id: u32) -> i32 {
    let mut all = CHANNELS.write();
    let Some(e) = all.get(&id).cloned() else {
        return protocol::STATUS_NOT_ATTACHED;
    };
    flush(&e, id, iso);
    let empty = {
        let mut a = e.attached.lock();
        if let Some(at) = a.remove(&iso) {
            at.state_ref.delete(&env);
            if let Some(o) = at.outbox {
                o.buf_ref.delete(&env);
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

pub(crate) fn queued(env: &Env, iso: u32) {
    if let Some(me) = Isolate::get(iso) {
        me.local().queued(env);
    }
}

fn settled(env: &Env, iso: u32) {
    if let Some(me) = Isolate::get(iso) {
        me.local().settled(env);
    }
}

/// Sends the serialized `value`. `token` 0 makes it a try-send. Returns 0
/// (sent), `2 + key` (queued), or a negative status.
#[napi(catch_unwind)]
pub fn chan_send(env: Env, iso: u32, id: u32, value: Buffer, token: u32, gid: u32) -> i32 {
    let Some(e) = entry(iso, id) else {
        return protocol::STATUS_NOT_ATTACHED;
    };
    let group = match group(gid) {
        Ok(g) => g,
        Err(s) => return s,
    };
    // A try (token 0) never queues and belongs to no select (a select polls
    // before its group has any waiter).
    let waiter = (token != 0).then(|| Waiter::new(iso, token, group));
    let outcome = e.chan.send(value.to_vec(), waiter, deliver(id));
    send_status(&env, iso, outcome)
}

/// A send's outcome as returned to JS: 0 sent, `2 + key` queued (the
/// thread's loop is kept alive for it), or a negative status.
pub(crate) fn send_status(env: &Env, iso: u32, outcome: SendOutcome) -> i32 {
    match outcome {
        SendOutcome::Sent => 0,
        SendOutcome::Queued(key) => {
            queued(env, iso);
            2 + key as i32
        }
        SendOutcome::Full => STATUS_WOULD_BLOCK,
        SendOutcome::Closed => protocol::STATUS_CLOSED,
        SendOutcome::GroupFired => STATUS_GROUP_FIRED,
    }
}

/// Receives. `token` 0 makes it a try-receive. Returns the value's bytes, or
/// `2 + key` (queued), or a negative status (`CLOSED` once closed and drained).
#[napi(catch_unwind)]
pub fn chan_recv(env: Env, iso: u32, id: u32, token: u32, gid: u32) -> Either<Buffer, i32> {
    let Some(e) = entry(iso, id) else {
        return Either::B(protocol::STATUS_NOT_ATTACHED);
    };
    let group = match group(gid) {
        Ok(g) => g,
        Err(s) => return Either::B(s),
    };
    let waiter = (token != 0).then(|| Waiter::new(iso, token, group));
    match e.chan.recv(waiter, deliver(id)) {
        RecvOutcome::Value(v) => Either::A(v.into()),
        RecvOutcome::Queued(key) => {
            queued(&env, iso);
            Either::B(2 + key as i32)
        }
        RecvOutcome::Empty => Either::B(STATUS_WOULD_BLOCK),
        RecvOutcome::Closed => Either::B(protocol::STATUS_CLOSED),
        RecvOutcome::GroupFired => Either::B(STATUS_GROUP_FIRED),
    }
}

/// The value parked for this thread's woken receiver `token`.
#[napi(catch_unwind)]
pub fn chan_claim(iso: u32, id: u32, token: u32) -> Option<Buffer> {
    let e = entry(iso, id)?;
    e.chan.claim(iso, token).map(Buffer::from)
}

/// Cancels a queued waiter (`side`: `SIDE_SEND`, `SIDE_RECEIVE` or
/// `SIDE_JOIN`). Returns `CANCEL_REMOVED` if removed, `STATUS_NOT_QUEUED` if it
/// was already served (its wake is on the way).
#[napi(catch_unwind)]
pub fn chan_cancel(env: Env, iso: u32, id: u32, side: u32, key: u32, token: u32) -> i32 {
    let Some(e) = entry(iso, id) else {
        return protocol::STATUS_NOT_ATTACHED;
    };
    let side = match side {
        protocol::SIDE_SEND => Side::Send,
        protocol::SIDE_RECEIVE => Side::Receive,
        _ => Side::Join,
    };
    if e.chan.cancel(side, key as usize, iso, token) {
        settled(&env, iso);
        protocol::CANCEL_REMOVED
    } else {
        STATUS_NOT_QUEUED
    }
}

/// Closes. Returns 1 if this call closed it, 0 if it was closed already.
#[napi(catch_unwind)]
pub fn chan_close(iso: u32, id: u32) -> i32 {
    match entry(iso, id) {
        Some(e) => {
            // First the flag that JS senders check before they use a slot
            // they reserved earlier (see lib/channel/outbox.js).
            e.chan
                .word()
                .closed_flag()
                .store(1, std::sync::atomic::Ordering::SeqCst);
            e.chan.close(deliver(id)) as i32
        }
        None => protocol::STATUS_NOT_ATTACHED,
    }
}

/// `[buffered values, closed (0/1)]` packed as `len * 2 + closed`, or a negative status.
#[napi(catch_unwind)]
pub fn chan_state(iso: u32, id: u32) -> f64 {
    match entry(iso, id) {
        Some(e) => {
            // Let queued senders into slots that JS receivers freed, first.
            e.chan.sync(deliver(id));
            (e.chan.len() as f64) * 2.0 + if e.chan.is_closed() { 1.0 } else { 0.0 }
        }
        None => protocol::STATUS_NOT_ATTACHED as f64,
    }
}

/// Values accepted and not yet marked done.
#[napi(catch_unwind)]
pub fn chan_unfinished(iso: u32, id: u32) -> f64 {
    match entry(iso, id) {
        Some(e) => e.chan.unfinished() as f64,
        None => protocol::STATUS_NOT_ATTACHED as f64,
    }
}

/// Marks one value done. Returns the count left, or a negative status.
#[napi(catch_unwind)]
pub fn chan_task_done(iso: u32, id: u32) -> f64 {
    match entry(iso, id) {
        Some(e) => match e.chan.task_done(deliver(id)) {
            Some(left) => left as f64,
            None => STATUS_NOTHING_UNFINISHED as f64,
        },
        None => protocol::STATUS_NOT_ATTACHED as f64,
    }
}

/// Waits until nothing is unfinished: 0 if that is already so, else `2 + key`.
#[napi(catch_unwind)]
pub fn chan_join(env: Env, iso: u32, id: u32, token: u32) -> i32 {
    let Some(e) = entry(iso, id) else {
        return protocol::STATUS_NOT_ATTACHED;
    };
    match e.chan.join(Waiter::new(iso, token, None)) {
        None => 0,
        Some(key) => {
            queued(&env, iso);
            2 + key as i32
        }
    }
}

/// A new select group (its waiters complete at most once).
#[napi(catch_unwind)]
pub fn chan_group_new() -> u32 {
    let mut id = NEXT_GROUP.fetch_add(1, Ordering::Relaxed);
    if id == 0 {
        id = NEXT_GROUP.fetch_add(1, Ordering::Relaxed);
    }
    GROUPS.lock().insert(id, Group::new());
    id
}

/// Forgets a select group id (its queued waiters keep the group alive).
#[napi(catch_unwind)]
pub fn chan_group_end(gid: u32) {
    GROUPS.lock().remove(&gid);
}
