//! Exported functions behind shared-mode `Channel` and `AsyncQueue` (see
//! `threadkit_core::channel` for the semantics and `lib/channel-shared.js`
//! for the JS side). Values are opaque bytes (serialized in JS).
//!
//! Every waiter is woken through its thread's mailbox (`isolate::post_wake`),
//! also when the waker is on the same thread: a channel call therefore never
//! writes into the caller's wake buffer, and JS never has to settle wakes
//! after a channel call. Wake codes: 1 done, 2 closed, 3 dropped (a select
//! waiter whose select completed elsewhere).
//!
//! Lifetime: a channel core lives while at least one thread is attached
//! (`chanOpen`); a thread detaches when its last JS object for the channel
//! is collected, or when it dies. A handle whose channel is gone is refused.

use crate::isolate::{self, Isolate};
use crate::shared_memory::{int32_array, StrongRef};
use crate::status;
use napi::bindgen_prelude::{Buffer, Either, Unknown};
use napi::{Env, JsValue};
use napi_derive::napi;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::AtomicI32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};
use threadkit_core::channel::{Channel, Group, RecvOutcome, SendOutcome, Side, Waiter, Wake, UNBOUNDED};
use threadkit_core::StateWord;

const WAKE_DONE: i32 = 1;
const WAKE_CLOSED: i32 = 2;
const WAKE_DROPPED: i32 = 3;
/// A try-operation found the channel full (send) or empty (receive).
const WOULD_BLOCK: i32 = -7;
/// The select this operation belongs to already completed through another case.
const GROUP_FIRED: i32 = -8;
/// `taskDone` with nothing unfinished.
const NOTHING_UNFINISHED: i32 = -9;
/// Cancel: the waiter was already served or dropped; its wake is on the way.
const NOT_QUEUED: i32 = -100;

/// The channel's head word, in a `SharedArrayBuffer` that every attached
/// isolate keeps alive with a strong reference (see `Entry::attached`); the
/// entry is dropped when the last one detaches.
struct ChanWord(*const AtomicI32);
unsafe impl Send for ChanWord {}
unsafe impl Sync for ChanWord {}

impl StateWord for ChanWord {
    fn word(&self) -> &AtomicI32 {
        unsafe { &*self.0 }
    }
}

struct Entry {
    chan: Channel<Vec<u8>, ChanWord>,
    /// Isolates attached.
    attached: Mutex<HashMap<u32, Attached>>,
}

/// One attached isolate.
struct Attached {
    /// Keeps the head word's buffer alive.
    state_ref: StrongRef,
    /// Where this thread batches the values it sends (see `chan_outbox`).
    outbox: Option<Outbox>,
    /// Slots reserved for this thread's outbox.
    credits: usize,
}

/// A `SharedArrayBuffer` (as a `Uint8Array`) in which the owning thread's JS
/// appends sent values without a native call: bytes 0..4 hold the number of
/// committed values (an `Int32`, stored last, after the value's bytes), then
/// from byte 8 each value as `[u32 length][bytes]`. Native code reads it when
/// that thread flushes, detaches or dies, so a value whose send resolved is
/// never lost, even if the thread is terminated before it flushed.
struct Outbox {
    ptr: *mut u8,
    len: usize,
    buf_ref: StrongRef,
}

unsafe impl Send for Outbox {}

const OUTBOX_DATA: usize = 8;

impl Outbox {
    /// The committed values, oldest first; resets the count.
    fn take(&self) -> Vec<Vec<u8>> {
        let count_word = unsafe { &*(self.ptr as *const AtomicI32) };
        let count = count_word.load(std::sync::atomic::Ordering::Acquire).max(0) as usize;
        let data = unsafe { std::slice::from_raw_parts(self.ptr, self.len) };
        let mut out = Vec::with_capacity(count);
        let mut at = OUTBOX_DATA;
        for _ in 0..count {
            if at + 4 > self.len {
                break;
            }
            let n = u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes")) as usize;
            if at + 4 + n > self.len {
                break;
            }
            out.push(data[at + 4..at + 4 + n].to_vec());
            at += 4 + n;
        }
        count_word.store(0, std::sync::atomic::Ordering::Release);
        out
    }
}

/// Moves `iso`'s committed outbox values into the channel and gives back
/// the slots it reserved but did not use. Returns false if not attached.
fn flush(e: &Entry, id: u32, iso: u32) -> bool {
    flush_inner(e, id, iso, false)
}

/// `keep`: the unused reserved slots stay with the thread (a flush before
/// one of its own receives, so that a producer and a consumer on one thread
/// do not give slots back and reserve them again for every value).
fn flush_inner(e: &Entry, id: u32, iso: u32, keep: bool) -> bool {
    let (values, credits) = {
        let mut a = e.attached.lock();
        let Some(at) = a.get_mut(&iso) else {
            return false;
        };
        let values = at.outbox.as_ref().map(Outbox::take).unwrap_or_default();
        let credits = if keep {
            let used = values.len().min(at.credits);
            at.credits -= used;
            used
        } else {
            std::mem::take(&mut at.credits)
        };
        (values, credits)
    };
    let unused = credits.saturating_sub(values.len());
    for v in values.into_iter().take(credits) {
        e.chan.push_reserved(v, deliver(id));
    }
    e.chan.release_reserved(unused, deliver(id));
    true
}

static CHANNELS: LazyLock<RwLock<HashMap<u32, Arc<Entry>>>> = LazyLock::new(Default::default);
static GROUPS: LazyLock<Mutex<HashMap<u32, Arc<Group>>>> = LazyLock::new(Default::default);
static NEXT_GROUP: AtomicU32 = AtomicU32::new(1);

fn code(w: Wake) -> i32 {
    match w {
        Wake::Done => WAKE_DONE,
        Wake::Closed => WAKE_CLOSED,
        Wake::Dropped => WAKE_DROPPED,
    }
}

fn deliver(id: u32) -> impl FnMut(&Waiter, Wake) -> bool {
    move |w, k| isolate::post_wake(w.owner, w.token, code(k), id)
}

/// The channel `id`, if the calling isolate is attached to it.
fn entry(iso: u32, id: u32) -> Option<Arc<Entry>> {
    let e = CHANNELS.read().get(&id).cloned()?;
    let attached = e.attached.lock().contains_key(&iso);
    attached.then_some(e)
}

fn group(gid: u32) -> Result<Option<Arc<Group>>, i32> {
    if gid == 0 {
        return Ok(None);
    }
    GROUPS.lock().get(&gid).cloned().map(Some).ok_or(status::BAD_ARGUMENT)
}

/// Creates (`creating`) or attaches to channel `id` with capacity `cap`
/// (-1 = unbounded) and head word `state[0]` (an `Int32Array` over a
/// `SharedArrayBuffer`). `unfinished` carries over the count of a queue
/// that was local until now. Returns 0 or a negative status.
#[napi(catch_unwind)]
pub fn chan_open(env: Env, iso: u32, id: u32, cap: i64, creating: bool, unfinished: f64, state: Unknown) -> i32 {
    if Isolate::get(iso).is_none() {
        return status::NOT_ATTACHED;
    }
    let Some((ptr, len)) = int32_array(&env, state.raw()) else {
        return status::BAD_ARGUMENT;
    };
    if len < 1 {
        return status::BAD_ARGUMENT;
    }
    let cap = if cap < 0 { UNBOUNDED } else { cap as usize };
    let mut all = CHANNELS.write();
    let e = if creating {
        if all.contains_key(&id) {
            return status::FOREIGN_HANDLE;
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
            _ => return status::FOREIGN_HANDLE,
        }
    };
    if let std::collections::hash_map::Entry::Vacant(slot) = e.attached.lock().entry(iso) {
        let Some(state_ref) = StrongRef::new(&env, state.raw()) else {
            return status::BAD_ARGUMENT;
        };
        slot.insert(Attached {
            state_ref,
            outbox: None,
            credits: 0,
        });
    }
    0
}

/// Detaches the calling thread (its last JS object for `id` was collected).
#[napi(catch_unwind)]
pub fn chan_detach(env: Env, iso: u32, id: u32) -> i32 {
    let mut all = CHANNELS.write();
    let Some(e) = all.get(&id).cloned() else {
        return status::NOT_ATTACHED;
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

/// A thread died: remove its waiters and return the values parked for it.
pub(crate) fn remove_thread(iso: u32) {
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

fn queued(env: &Env, iso: u32) {
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
        return status::NOT_ATTACHED;
    };
    let group = match group(gid) {
        Ok(g) => g,
        Err(s) => return s,
    };
    // A try (token 0) never queues and belongs to no select (a select polls
    // before its group has any waiter).
    let waiter = (token != 0).then(|| Waiter::new(iso, token, group));
    let outcome = e.chan.send(value.to_vec(), waiter, deliver(id));
    match outcome {
        SendOutcome::Sent => 0,
        SendOutcome::Queued(key) => {
            queued(&env, iso);
            2 + key as i32
        }
        SendOutcome::Full => WOULD_BLOCK,
        SendOutcome::Closed => status::CLOSED,
        SendOutcome::GroupFired => GROUP_FIRED,
    }
}

/// Receives. `token` 0 makes it a try-receive. Returns the value's bytes, or
/// `2 + key` (queued), or a negative status (`CLOSED` once closed and drained).
#[napi(catch_unwind)]
pub fn chan_recv(env: Env, iso: u32, id: u32, token: u32, gid: u32) -> Either<Buffer, i32> {
    let Some(e) = entry(iso, id) else {
        return Either::B(status::NOT_ATTACHED);
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
        RecvOutcome::Empty => Either::B(WOULD_BLOCK),
        RecvOutcome::Closed => Either::B(status::CLOSED),
        RecvOutcome::GroupFired => Either::B(GROUP_FIRED),
    }
}

/// The value parked for this thread's woken receiver `token`.
#[napi(catch_unwind)]
pub fn chan_claim(iso: u32, id: u32, token: u32) -> Option<Buffer> {
    let e = entry(iso, id)?;
    e.chan.claim(iso, token).map(Buffer::from)
}

/// Cancels a queued waiter (`side`: 0 send, 1 receive, 2 join). Returns 1 if
/// removed, `NOT_QUEUED` if it was already served (its wake is on the way).
#[napi(catch_unwind)]
pub fn chan_cancel(env: Env, iso: u32, id: u32, side: u32, key: u32, token: u32) -> i32 {
    let Some(e) = entry(iso, id) else {
        return status::NOT_ATTACHED;
    };
    let side = match side {
        0 => Side::Send,
        1 => Side::Receive,
        _ => Side::Join,
    };
    if e.chan.cancel(side, key as usize, iso, token) {
        settled(&env, iso);
        1
    } else {
        NOT_QUEUED
    }
}

/// Closes. Returns 1 if this call closed it, 0 if it was closed already.
#[napi(catch_unwind)]
pub fn chan_close(iso: u32, id: u32) -> i32 {
    match entry(iso, id) {
        Some(e) => e.chan.close(deliver(id)) as i32,
        None => status::NOT_ATTACHED,
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
        None => status::NOT_ATTACHED as f64,
    }
}

/// Values accepted and not yet marked done.
#[napi(catch_unwind)]
pub fn chan_unfinished(iso: u32, id: u32) -> f64 {
    match entry(iso, id) {
        Some(e) => e.chan.unfinished() as f64,
        None => status::NOT_ATTACHED as f64,
    }
}

/// Marks one value done. Returns the count left, or a negative status.
#[napi(catch_unwind)]
pub fn chan_task_done(iso: u32, id: u32) -> f64 {
    match entry(iso, id) {
        Some(e) => match e.chan.task_done(deliver(id)) {
            Some(left) => left as f64,
            None => NOTHING_UNFINISHED as f64,
        },
        None => status::NOT_ATTACHED as f64,
    }
}

/// Waits until nothing is unfinished: 0 if that is already so, else `2 + key`.
#[napi(catch_unwind)]
pub fn chan_join(env: Env, iso: u32, id: u32, token: u32) -> i32 {
    let Some(e) = entry(iso, id) else {
        return status::NOT_ATTACHED;
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

// ---------------------------------------------------------------- scratch-buffer paths
//
// The hot paths move a value's bytes through a per-thread scratch
// `Uint8Array` passed in each call (JS encodes straight into it and decodes
// straight out of it), instead of creating a `Buffer` per value: a Buffer
// argument plus an external Buffer result cost ~2 µs per value here.

/// Returned by `chan_recv_batch`/`chan_claim_raw` when the value does not fit
/// in the scratch buffer: it is parked under `(thread, token)`; take it with
/// `chan_claim`.
const TOO_BIG: i32 = -11;
/// `chan_recv_batch` queued the receiver: the result is `QUEUED_BASE - key`.
const QUEUED_BASE: i32 = -1_000_000;

/// Data pointer and length of a `Uint8Array` (or Buffer).
fn uint8_array(env: &Env, value: napi::sys::napi_value) -> Option<(*mut u8, usize)> {
    use napi::sys;
    let mut is_typed = false;
    unsafe {
        if sys::napi_is_typedarray(env.raw(), value, &mut is_typed) != sys::Status::napi_ok || !is_typed {
            return None;
        }
        let mut kind = 0;
        let mut len = 0usize;
        let mut data = std::ptr::null_mut();
        let mut buffer = std::ptr::null_mut();
        let mut offset = 0usize;
        let status = sys::napi_get_typedarray_info(
            env.raw(),
            value,
            &mut kind,
            &mut len,
            &mut data,
            &mut buffer,
            &mut offset,
        );
        if status != sys::Status::napi_ok || kind != sys::TypedarrayType::uint8_array || data.is_null() {
            return None;
        }
        Some((data as *mut u8, len))
    }
}

/// Copies `v` into the scratch buffer, or parks it for `chan_claim` if it does not fit.
fn hand_out(e: &Entry, iso: u32, token: u32, v: Vec<u8>, scratch: (*mut u8, usize)) -> i32 {
    if v.len() <= scratch.1 {
        unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), scratch.0, v.len()) };
        v.len() as i32
    } else {
        e.chan.park(iso, token, v);
        TOO_BIG
    }
}

/// `chan_send` with the value's bytes in `scratch[0..len]`.
#[napi(catch_unwind)]
pub fn chan_send_raw(env: Env, iso: u32, id: u32, scratch: Unknown, len: u32, token: u32, gid: u32) -> i32 {
    let Some(e) = entry(iso, id) else {
        return status::NOT_ATTACHED;
    };
    let Some((ptr, cap)) = uint8_array(&env, scratch.raw()) else {
        return status::BAD_ARGUMENT;
    };
    if len as usize > cap {
        return status::BAD_ARGUMENT;
    }
    let group = match group(gid) {
        Ok(g) => g,
        Err(s) => return s,
    };
    let value = unsafe { std::slice::from_raw_parts(ptr, len as usize) }.to_vec();
    let waiter = (token != 0).then(|| Waiter::new(iso, token, group));
    match e.chan.send(value, waiter, deliver(id)) {
        SendOutcome::Sent => 0,
        SendOutcome::Queued(key) => {
            queued(&env, iso);
            2 + key as i32
        }
        SendOutcome::Full => WOULD_BLOCK,
        SendOutcome::Closed => status::CLOSED,
        SendOutcome::GroupFired => GROUP_FIRED,
    }
}

/// `chan_claim` into `scratch`: the length, `TOO_BIG`, or `NOT_ATTACHED` if
/// nothing is parked for `token`.
#[napi(catch_unwind)]
pub fn chan_claim_raw(env: Env, iso: u32, id: u32, token: u32, scratch: Unknown) -> i32 {
    let Some(e) = entry(iso, id) else {
        return status::NOT_ATTACHED;
    };
    let Some(buf) = uint8_array(&env, scratch.raw()) else {
        return status::BAD_ARGUMENT;
    };
    match e.chan.claim(iso, token) {
        Some(v) => hand_out(&e, iso, token, v, buf),
        None => status::NOT_ATTACHED,
    }
}

/// Lets queued senders into slots freed by receivers that took values by
/// themselves (JS fast path; see `threadkit_core::seq_buffer`).
#[napi(catch_unwind)]
pub fn chan_sync(iso: u32, id: u32) -> i32 {
    match entry(iso, id) {
        Some(e) => {
            e.chan.sync(deliver(id));
            0
        }
        None => status::NOT_ATTACHED,
    }
}

/// Header of a batch written by `chan_recv_batch`: `[first value's length,
/// number of copies, number of the first copy]` as u32 (little endian).
const BATCH_HEADER: usize = 12;

/// Flushes this thread's outbox (keeping its reserved slots), then
/// `chan_recv` into `scratch`, and on success it also copies up to `max` of the
/// values still buffered after the one received, with the number of the
/// first, so that this thread can take them later with a compare-and-swap
/// on the head word, without a native call. Layout in `scratch`: the header,
/// the received value, then `[u32 length][bytes]` per copy. Returns the
/// bytes used, `TOO_BIG` (the value is parked), `QUEUED_BASE - key`, or a
/// negative status.
#[napi(catch_unwind)]
pub fn chan_recv_batch(env: Env, iso: u32, id: u32, scratch: Unknown, token: u32, gid: u32, max: u32) -> i32 {
    let Some(e) = entry(iso, id) else {
        return status::NOT_ATTACHED;
    };
    // This thread's own sends go in first (program order); it keeps its slots.
    flush_inner(&e, id, iso, true);
    let Some((ptr, cap)) = uint8_array(&env, scratch.raw()) else {
        return status::BAD_ARGUMENT;
    };
    if cap < BATCH_HEADER || cap > i32::MAX as usize {
        return status::BAD_ARGUMENT;
    }
    let group = match group(gid) {
        Ok(g) => g,
        Err(s) => return s,
    };
    let waiter = (token != 0).then(|| Waiter::new(iso, token, group));
    let v = match e.chan.recv(waiter, deliver(id)) {
        RecvOutcome::Value(v) => v,
        RecvOutcome::Queued(key) => {
            queued(&env, iso);
            return QUEUED_BASE - key as i32;
        }
        RecvOutcome::Empty => return WOULD_BLOCK,
        RecvOutcome::Closed => return status::CLOSED,
        RecvOutcome::GroupFired => return GROUP_FIRED,
    };
    if BATCH_HEADER + v.len() > cap {
        e.chan.park(iso, token, v);
        return TOO_BIG;
    }
    let out = unsafe { std::slice::from_raw_parts_mut(ptr, cap) };
    out[BATCH_HEADER..BATCH_HEADER + v.len()].copy_from_slice(&v);
    let mut at = BATCH_HEADER + v.len();
    let (first, copies) = if max == 0 {
        (0, 0)
    } else {
        e.chan.peek(max as usize, |c| {
            if at + 4 + c.len() > cap {
                return false;
            }
            out[at..at + 4].copy_from_slice(&(c.len() as u32).to_le_bytes());
            out[at + 4..at + 4 + c.len()].copy_from_slice(c);
            at += 4 + c.len();
            true
        })
    };
    out[0..4].copy_from_slice(&(v.len() as u32).to_le_bytes());
    out[4..8].copy_from_slice(&(copies as u32).to_le_bytes());
    out[8..12].copy_from_slice(&first.to_le_bytes());
    at as i32
}

/// Registers the calling thread's outbox for channel `id` (a `Uint8Array`
/// over a `SharedArrayBuffer`; see [`Outbox`]).
#[napi(catch_unwind)]
pub fn chan_outbox(env: Env, iso: u32, id: u32, buf: Unknown) -> i32 {
    let Some(e) = entry(iso, id) else {
        return status::NOT_ATTACHED;
    };
    let Some((ptr, len)) = uint8_array(&env, buf.raw()) else {
        return status::BAD_ARGUMENT;
    };
    if len < OUTBOX_DATA || !(ptr as usize).is_multiple_of(4) {
        return status::BAD_ARGUMENT;
    }
    let Some(buf_ref) = StrongRef::new(&env, buf.raw()) else {
        return status::BAD_ARGUMENT;
    };
    flush(&e, id, iso);
    let mut a = e.attached.lock();
    let Some(at) = a.get_mut(&iso) else {
        buf_ref.delete(&env);
        return status::NOT_ATTACHED;
    };
    if let Some(old) = at.outbox.replace(Outbox { ptr, len, buf_ref }) {
        old.buf_ref.delete(&env);
    }
    0
}

/// Flushes the calling thread's outbox (and gives back unused reserved
/// slots), then reserves up to `want` slots for it. Returns the number
/// reserved, or `CLOSED`.
#[napi(catch_unwind)]
pub fn chan_flush(iso: u32, id: u32, want: u32) -> i32 {
    let Some(e) = entry(iso, id) else {
        return status::NOT_ATTACHED;
    };
    flush(&e, id, iso);
    if want == 0 {
        return 0;
    }
    match e.chan.reserve(want as usize) {
        None => status::CLOSED,
        Some(granted) => {
            if let Some(at) = e.attached.lock().get_mut(&iso) {
                at.credits = granted;
            }
            granted as i32
        }
    }
}
