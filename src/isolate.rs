//! One record per JS thread (isolate) that loaded threadkit.
//!
//! # Waking
//! The core hands every grant/rejection to a `deliver` callback. If the
//! waiter belongs to the thread that is calling right now, the wake is written
//! into that thread's wake buffer (an `Int32Array` over a
//! `SharedArrayBuffer`) and JS settles the promise as soon as the call
//! returns: no threadsafe-function hop. Otherwise it is posted to the
//! owner's mailbox, and the owner's one long-lived threadsafe function is
//! called if the mailbox was idle; the owner drains the whole mailbox in one
//! wake-up, in batches.
//!
//! # Keeping the loop alive
//! The threadsafe function is unref'd while the thread has no queued waiter
//! and ref'd while it has one, so a pending acquire keeps its thread alive and
//! an idle primitive keeps nothing alive. The count is only touched on the
//! owning thread.
//!
//! # Death
//! When the env is torn down (worker exit, crash, `terminate()`), the cleanup
//! hook marks the record dead under the mailbox lock (so no other thread
//! calls its threadsafe function again), removes its queued waiters, and
//! releases everything it held: the permits in its ledger and grants that
//! were posted but never delivered. The threadsafe function's finalizer also
//! marks it dead, in case Node tears that down first.
//!
//! Lock order: `Isolate::local` → core lock → any `Isolate::mailbox`.

use crate::handle::{with_handle, Status};
use crate::owner_wake::{self, OwnerWake};
use crate::protocol::{WAKE_CLOSED, WAKE_GRANTED};
use crate::shared_memory::{int32_array, StrongRef};
use crate::spin;
use napi::{sys, Env};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::ffi::{c_void, CStr};
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};
use threadkit_core::ledger::Ledger;
use threadkit_core::{BoundWord, Delivery, Semaphore, StateWord, Waiter};

mod attach;
mod ledger;
use attach::drop_attachment;
pub(crate) use attach::{attach, detach};
pub(crate) use ledger::set_ledger;
use ledger::LedgerBuf;

/// A semaphore word that lives in a `SharedArrayBuffer`.
///
/// Validity: the buffer is kept alive by a strong reference from every
/// isolate attached to the core (see [`Attachment`]). The core is removed
/// from [`CORES`] when the last one detaches, and every access goes through
/// a core found in [`CORES`] or an attachment, so the pointer is never used
/// after its buffer may have been freed.
pub(crate) struct SabWord(*const AtomicI32);
// Safety: only accessed as `&AtomicI32` (shared memory made for threads), and
// kept alive as said above.
unsafe impl Send for SabWord {}
// Safety: as for `Send`.
unsafe impl Sync for SabWord {}

impl StateWord for SabWord {
    fn word(&self) -> &AtomicI32 {
        // Safety: 4-aligned (an `Int32Array`) and alive while `self` is (above).
        unsafe { &*self.0 }
    }
}

impl BoundWord for SabWord {
    fn bound(&self) -> &AtomicI32 {
        // Safety: `attach` checked that the `Int32Array` has three words; alive as above.
        unsafe { &*self.0.add(1) }
    }

    fn lease(&self) -> &AtomicI32 {
        // Safety: as for `bound`.
        unsafe { &*self.0.add(2) }
    }
}

pub(crate) struct Core {
    pub id: u32,
    pub sem: Semaphore<SabWord>,
    /// Number of isolates attached. Changed only under the [`CORES`] lock.
    attached: AtomicU32,
}

impl Core {
    pub(crate) fn word_ptr(&self) -> *const AtomicI32 {
        self.sem.state().0
    }
}

pub(crate) static CORES: LazyLock<Mutex<HashMap<u32, Arc<Core>>>> = LazyLock::new(Default::default);
static ISOLATES: LazyLock<RwLock<HashMap<u32, Arc<Isolate>>>> = LazyLock::new(Default::default);
static NEXT_ISOLATE: AtomicU32 = AtomicU32::new(1);
/// What features do when a thread is gone (see [`on_thread_gone`]).
static THREAD_GONE: Mutex<Vec<fn(u32)>> = Mutex::new(Vec::new());

/// Registers `hook(isolate id)`, called once for each thread that dies from
/// now on, after it was removed from [`ISOLATES`] (nothing can be posted to it
/// any more) and before its semaphore permits are released. A feature that
/// keeps per-thread state (channels, the deadlock graph) registers when that
/// state is first created, so the isolate names no feature (no import circle).
pub(crate) fn on_thread_gone(hook: fn(u32)) {
    THREAD_GONE.lock().push(hook);
}

struct Posted {
    token: u32,
    code: i32,
    core: u32,
    permits: u32,
    /// The waiter leaves the queue with this wake (not a group's `GrantedPart`).
    settles: bool,
}

struct Mailbox {
    /// `None` until `init` created it.
    wake_fn: Option<OwnerWake>,
    /// The batch and its once-per-batch wake-up (`threadkit_core::mailbox`).
    queue: threadkit_core::mailbox::Mailbox<Posted>,
}

struct Attachment {
    core: Arc<Core>,
    state_ref: StrongRef,
}

/// State touched only on the isolate's own thread.
pub(crate) struct Local {
    wake: (*mut AtomicI32, usize),
    wake_ref: Option<StrongRef>,
    /// Pairs written into `wake` during the current call.
    wake_len: usize,
    /// The permits this thread holds, per attached core
    /// (`threadkit_core::ledger`); `attach` hands its slot numbers to JS.
    ledger: Ledger<LedgerBuf>,
    attachments: HashMap<u32, Attachment>,
    pending: u32,
    wake_fn: Option<OwnerWake>,
}

// Safety: `Local` is only used on its isolate's own thread (or by the env
// cleanup hook, on that thread too); it is `Send` only so that `Isolate`
// can sit in the global table behind a mutex.
unsafe impl Send for Local {}

pub(crate) struct Isolate {
    pub id: u32,
    /// Node's `threadId` of this thread (0 on the main thread), for messages.
    pub thread_id: u32,
    mailbox: Mutex<Mailbox>,
    local: Mutex<Local>,
    /// Bumped when a wake-up is scheduled for this thread (see `spin`).
    signal: Option<Arc<spin::Signal>>,
}

impl Isolate {
    pub(crate) fn get(id: u32) -> Option<Arc<Isolate>> {
        ISOLATES.read().get(&id).cloned()
    }
}

/// The prelude of a call made by thread `iso`: `f` gets its record, or the
/// call returns `STATUS_NOT_ATTACHED` (in `R`'s shape) if `iso` is unknown.
pub(crate) fn with_isolate<R: Status>(iso: u32, f: impl FnOnce(Arc<Isolate>) -> R) -> R {
    with_handle(Isolate::get(iso), f)
}

/// A waiter of thread `iso` was queued (a channel's, a barrier's, a keyed
/// lock's): its loop is kept alive for it. Called on that thread.
pub(crate) fn queued(env: &Env, iso: u32) {
    if let Some(me) = Isolate::get(iso) {
        me.local().queued(env);
    }
}

/// A waiter of thread `iso` left the queue without a wake (cancelled).
pub(crate) fn settled(env: &Env, iso: u32) {
    if let Some(me) = Isolate::get(iso) {
        me.local().settled(env);
    }
}

impl Isolate {
    pub(crate) fn local(&self) -> parking_lot::MutexGuard<'_, Local> {
        self.local.lock()
    }

    /// Posts a wake to this isolate from any thread. `false` if it is dead.
    fn post(&self, item: Posted) -> bool {
        let mut mb = self.mailbox.lock();
        let wake_fn = mb.wake_fn;
        // A failed call: closing, the thread is going away.
        mb.queue
            .post(item, || {
                let called = wake_fn.is_some_and(OwnerWake::call);
                if called {
                    if let Some(s) = &self.signal {
                        s.posted();
                    }
                }
                called
            })
            .is_ok()
    }
}

impl Local {
    pub(crate) fn core(&self, id: u32) -> Option<Arc<Core>> {
        self.attachments.get(&id).map(|a| a.core.clone())
    }

    pub(crate) fn begin_call(&mut self) {
        self.wake_len = 0;
    }

    pub(crate) fn wakes_written(&self) -> i32 {
        self.wake_len as i32
    }

    pub(crate) fn queued(&mut self, env: &Env) {
        self.pending += 1;
        if self.pending == 1 {
            if let Some(t) = self.wake_fn {
                t.set_ref(env, true);
            }
            spin::want(true);
        }
    }

    /// Whether the wake-up function is ref'd (see `queued`).
    pub(crate) fn has_ref(&self) -> bool {
        self.pending > 0
    }

    pub(crate) fn settled(&mut self, env: &Env) {
        debug_assert!(self.pending > 0);
        self.pending = self.pending.saturating_sub(1);
        if self.pending == 0 {
            if let Some(t) = self.wake_fn {
                t.set_ref(env, false);
            }
            spin::want(false);
        }
    }

    /// Writes one wake pair; `false` if the buffer is full.
    fn push_wake(&mut self, token: u32, code: i32) -> bool {
        let (buf, len) = self.wake;
        if (self.wake_len + 1) * 2 > len {
            return false;
        }
        // Safety: `buf` is the wake `Int32Array` of `len` words, kept alive by
        // `wake_ref`; both indexes are below `len` (checked above).
        unsafe {
            (*buf.add(self.wake_len * 2)).store(token as i32, Ordering::Relaxed);
            (*buf.add(self.wake_len * 2 + 1)).store(code, Ordering::Relaxed);
        }
        self.wake_len += 1;
        true
    }

    /// Adds `permits` to this thread's ledger entry for `core`. Native code
    /// counts every permit it hands to this thread itself, before JS hears of
    /// it, so that a thread terminated at any moment gives back exactly what
    /// it was given.
    pub(crate) fn credit(&mut self, core: u32, permits: u32) {
        self.ledger.credit(core, permits);
    }

    pub(crate) fn debit(&mut self, core: u32, permits: u32) {
        self.ledger.debit(core, permits);
    }
}

fn wake_code(d: Delivery) -> i32 {
    match d {
        Delivery::Granted | Delivery::GrantedPart => WAKE_GRANTED,
        Delivery::Closed => WAKE_CLOSED,
    }
}

/// Delivers to a waiter of another thread (or of a dead one: `false`).
pub(crate) fn deliver_remote(core: u32, w: &Waiter, d: Delivery) -> bool {
    match Isolate::get(w.owner) {
        Some(iso) => iso.post(Posted {
            token: w.token,
            code: wake_code(d),
            core,
            permits: w.permits,
            settles: d != Delivery::GrantedPart,
        }),
        None => false,
    }
}

/// Posts a wake `(token, code)` to thread `owner` through its mailbox (also
/// for the calling thread). `false` if that thread is gone. Used by the
/// channel core, whose waiters are always woken this way.
pub(crate) fn post_wake(owner: u32, token: u32, code: i32, core: u32) -> bool {
    match Isolate::get(owner) {
        Some(iso) => iso.post(Posted {
            token,
            code,
            core,
            permits: 0,
            settles: true,
        }),
        None => false,
    }
}

/// The `deliver` callback for a call made by `me`: its own waiters are woken
/// through the wake buffer (or its mailbox if the buffer is full), others
/// through their mailboxes.
pub(crate) fn deliver_from<'a>(
    env: &'a Env,
    me: &'a Isolate,
    local: &'a mut Local,
    core: u32,
) -> impl FnMut(&Waiter, Delivery) -> bool + 'a {
    move |w, d| {
        if w.owner != me.id {
            return deliver_remote(core, w, d);
        }
        if local.push_wake(w.token, wake_code(d)) {
            if d != Delivery::GrantedPart {
                local.settled(env);
            }
            if d != Delivery::Closed {
                local.credit(core, w.permits);
            }
            true
        } else {
            me.post(Posted {
                token: w.token,
                code: wake_code(d),
                core,
                permits: w.permits,
                settles: d != Delivery::GrantedPart,
            })
        }
    }
}

/// Registers the calling JS thread. `wake_fn(count)` is called on this thread
/// with `count` wake pairs in `wake_buf`; `ledger[slot]` is kept by JS as the
/// permits this thread holds on the core attached at `slot`.
pub(crate) fn init(
    env: &Env,
    thread_id: u32,
    wake_fn: sys::napi_value,
    wake_buf: sys::napi_value,
    ledger: sys::napi_value,
    resource: sys::napi_value,
) -> Result<u32, i32> {
    napi::bindgen_prelude::retain_current_module_for_unload_safety();
    let wake = int32_array(env, wake_buf)
        .filter(|w| w.1 >= 2)
        .ok_or(crate::protocol::STATUS_BAD_ARGUMENT)?;
    let ledger_words = LedgerBuf::new(env, ledger).ok_or(crate::protocol::STATUS_BAD_ARGUMENT)?;
    let id = NEXT_ISOLATE.fetch_add(1, Ordering::Relaxed);
    let iso = Arc::new(Isolate {
        id,
        thread_id,
        mailbox: Mutex::new(Mailbox {
            wake_fn: None,
            queue: Default::default(),
        }),
        local: Mutex::new(Local {
            wake,
            wake_ref: StrongRef::new(env, wake_buf),
            wake_len: 0,
            ledger: Ledger::new(ledger_words),
            attachments: HashMap::new(),
            pending: 0,
            wake_fn: None,
        }),
        signal: spin::signal(env),
    });

    let wake_fn = OwnerWake::create(env, wake_fn, resource, &iso).ok_or(crate::protocol::STATUS_BAD_ARGUMENT)?;
    iso.mailbox.lock().wake_fn = Some(wake_fn);
    iso.local.lock().wake_fn = Some(wake_fn);
    ISOLATES.write().insert(id, iso.clone());
    // Added after the threadsafe function, so it runs before Node's own
    // teardown of it (cleanup hooks run in reverse order).
    // Safety: `env` is this thread's; the hook takes back the one strong count
    // handed over here, exactly once.
    unsafe { sys::napi_add_env_cleanup_hook(env.raw(), Some(env_cleanup), Arc::into_raw(iso) as *mut c_void) };
    Ok(id)
}

impl owner_wake::Owner for Isolate {
    const NAME: &'static CStr = c"threadkit.wake";

    /// Drains the mailbox into the wake buffer and calls JS once per buffer-full.
    fn call_js(&self, env: &Env, js_cb: sys::napi_value) {
        let mut items = {
            let (items, was_scheduled) = self.mailbox.lock().queue.drain();
            if was_scheduled {
                if let Some(s) = &self.signal {
                    s.drained();
                }
            }
            items
        };
        let mut next = 0;
        while next < items.len() {
            let count = {
                let mut local = self.local.lock();
                local.begin_call();
                while next < items.len() && local.push_wake(items[next].token, items[next].code) {
                    if items[next].settles {
                        local.settled(env);
                    }
                    if items[next].code == WAKE_GRANTED {
                        local.credit(items[next].core, items[next].permits);
                    }
                    next += 1;
                }
                local.wakes_written()
            };
            let mut arg = ptr::null_mut();
            // Safety: on the owning thread with its env.
            unsafe { sys::napi_create_int32(env.raw(), count, &mut arg) };
            if !owner_wake::call_function(env, js_cb, &[arg]) {
                break;
            }
        }
        items.clear();
    }

    fn finalized(&self) {
        self.mailbox.lock().queue.mark_dead();
    }
}

/// # Safety
/// Called by Node once, with the pointer `init` registered: one strong count.
unsafe extern "C" fn env_cleanup(arg: *mut c_void) {
    let iso = Arc::from_raw(arg as *const Isolate);
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| release_everything(&iso)));
}

/// The thread is gone: nothing may be delivered to it again, and everything
/// it held or was about to receive goes back.
fn release_everything(iso: &Isolate) {
    let undelivered = { iso.mailbox.lock().queue.close() };
    ISOLATES.write().remove(&iso.id);
    // Copied out so that a hook may register another one without deadlock.
    let hooks: Vec<fn(u32)> = THREAD_GONE.lock().clone();
    for hook in hooks {
        hook(iso.id);
    }
    let mut local = iso.local.lock();
    // What it held, and grants posted to it that it never received.
    let grants = undelivered
        .iter()
        .filter(|p| p.code == WAKE_GRANTED)
        .map(|p| (p.core, p.permits));
    for (id, held, undelivered) in local.ledger.give_back(grants) {
        if let Some(att) = local.attachments.get(&id) {
            att.core
                .sem
                .owner_gone(iso.id, held, undelivered, |w, d| deliver_remote(id, w, d));
        }
    }
    // The env is going away and frees its references itself (the ledger's
    // too); only the cores' attachment counts need dropping.
    for (_, att) in local.attachments.drain() {
        drop_attachment(att.core);
    }
    local.wake_ref = None;
}
