//! Spin briefly before a thread's event loop sleeps, while that thread waits
//! for a wake-up from another thread.
//!
//! Every cross-thread wake-up in threadkit (a lock or permits handed over, a
//! channel value, a pool completion) reaches its thread through a threadsafe
//! function, i.e. a `uv_async_send`. When the receiving thread is asleep in
//! `epoll_wait`, the kernel has to wake it, and on this machine that is most
//! of a hand-off's latency. `Atomics.waitAsync` pays the same cost. A thread
//! that is still running when the wake-up is posted pays almost none: its
//! poll returns at once.
//!
//! So each JS thread that loads the addon gets one libuv *prepare* handle
//! (prepare callbacks run just before the loop polls for I/O). It is active
//! only while the thread has something outstanding that another thread will
//! wake (a queued waiter, an unfinished pool task). Then, if the loop is
//! about to block, the callback spins for a short while, watching
//! [`Signal`], the counter that posters bump when they schedule a wake-up
//! for this thread. It never delays ready work: it does not spin when the
//! loop would not block, or past the next timer.
//!
//! The budget adapts ([`threadkit_core::spin_budget`], the classic adaptive
//! mutex): it is back to `MAX_SPIN` whenever a spin catches a wake-up, and
//! halves when a spin times out. Below `MIN_SPIN` spinning stops, and a full
//! spin is tried again only after `COOLDOWN` sleeps. A thread whose waits are long (a
//! lock held for milliseconds) therefore stops spinning after a few misses:
//! about 100 µs of spinning, then one spin per `COOLDOWN` sleeps.
//!
//! `THREADKIT_SPIN_MAX_US` sets the full budget for the process (whole
//! microseconds, at most 1000; `0` or `off` turns spinning off), and
//! `spinStats()` (a native export, not public API) counts the spins and
//! those that paid.
//!
//! A pool worker that completes a task while its owner has a wake-up
//! pending, on a machine with no idle core, gives its core up so that the
//! owner runs now ([`after_completion`], the `handover` submodule).
//!
//! Pool workers spin too, when they find the queue empty ([`worker_spin`]),
//! with their own adaptive budget, only while a core is left after the
//! pool's running tasks and the submitter
//! ([`threadkit_core::spin_budget::worker_may_spin`]), and within the same cap.
//!
//! At most one thread per CPU but one spins at any moment (none on a
//! single-CPU machine), so spinning never takes the last core from the
//! thread that will do the waking; and no thread spins while the machine
//! has no idle core ([`core_idle`]: more threads runnable than CPUs over the
//! last few milliseconds), where a spinner would take the core of a thread
//! that is ready to run (issue 19: the main thread's event-loop lag). The
//! policy and its measurements: docs/architecture.md, "Spin and wake policy".
//!
//! libuv's functions are exported by the node binary to addons; they are
//! looked up at run time ([`crate::node_symbols`]), and where that fails
//! there is no spinner and no spinning. The handle's memory is
//! sized with `uv_handle_size` and freed from its close callback, which runs
//! before the loop is closed: the handle is closed from an async cleanup hook,
//! which Node waits for.

mod handover;
mod signal;

pub(crate) use handover::after_completion;
pub(crate) use signal::Signal;

use crate::node_symbols::{self, Uv};
use napi::{sys, Env};
use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void};
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};
use threadkit_core::spin_budget::{
    budget_from_env, busy_score, nr_running, online_cpus, oversubscribed, spin_from_env, worker_may_spin, Budget,
    BUSY_SCALE, MIN_SPIN, WORKER_MAX_SPIN,
};

/// `UV_PREPARE` in libuv's `uv_handle_type`.
const UV_PREPARE: c_int = 9;
/// One thread's spinner. Touched only on that thread.
struct Spinner {
    uv: &'static Uv,
    lp: *mut sys::uv_loop_s,
    handle: *mut c_void,
    signal: Arc<Signal>,
    /// Outstanding things another thread will wake (see [`want`]).
    interest: Cell<u32>,
    budget: Cell<Budget>,
}

/// What the close callback frees.
struct Closing {
    mem: *mut [u64],
    remove: sys::napi_async_cleanup_hook_handle,
}

/// Threads spinning right now, process-wide, and the most allowed.
static SPINNING: AtomicUsize = AtomicUsize::new(0);
static MAX_SPINNING: LazyLock<usize> = LazyLock::new(|| num_cpus::get().saturating_sub(1));
/// The full budget: `THREADKIT_SPIN_MAX_US` (whole microseconds, at most
/// 1000; `0` or `off` turns spinning off), or `spin_budget::MAX_SPIN`.
static FULL_SPIN: LazyLock<Duration> =
    LazyLock::new(|| spin_from_env(std::env::var("THREADKIT_SPIN_MAX_US").ok().as_deref()));
/// The pool workers' full budget: `THREADKIT_WORKER_SPIN_MAX_US` (as
/// `THREADKIT_SPIN_MAX_US`), or `spin_budget::WORKER_MAX_SPIN`.
static WORKER_FULL_SPIN: LazyLock<Duration> = LazyLock::new(|| {
    budget_from_env(
        std::env::var("THREADKIT_WORKER_SPIN_MAX_US").ok().as_deref(),
        WORKER_MAX_SPIN,
    )
});
static CPUS: LazyLock<usize> = LazyLock::new(num_cpus::get);
/// CPUs online on the whole machine: what the host-wide run count in
/// /proc/loadavg is compared with (see `spin_budget::online_cpus`).
static HOST_CPUS: LazyLock<usize> = LazyLock::new(|| {
    std::fs::read_to_string("/sys/devices/system/cpu/online")
        .ok()
        .as_deref()
        .and_then(online_cpus)
        .unwrap_or(*CPUS)
});
/// The machine's "no idle core" score (`spin_budget::busy_score`), and when
/// it was last sampled (µs since `EPOCH`).
static BUSY: AtomicU32 = AtomicU32::new(0);
static BUSY_AT: AtomicU64 = AtomicU64::new(0);
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
/// How often the run queue is sampled, process-wide (reading /proc/loadavg
/// costs a few µs: at most one read per this many µs, by whichever thread
/// is about to spin).
const BUSY_SAMPLE_US: u64 = 2000;

/// Whether a core is idle for a spinner, as far as the last few
/// milliseconds of run-queue samples say. Spinning when every core is
/// wanted takes a core from a thread that is ready to run, quite possibly
/// the very one that will do the waking. Where /proc/loadavg cannot be read
/// (not Linux), every sample says idle.
fn core_idle() -> bool {
    let now = EPOCH.elapsed().as_micros() as u64;
    let last = BUSY_AT.load(Ordering::Relaxed);
    if (last == 0 || now.saturating_sub(last) >= BUSY_SAMPLE_US)
        && BUSY_AT
            .compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        let running = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .as_deref()
            .and_then(nr_running);
        let over = running.is_some_and(|r| oversubscribed(r, *HOST_CPUS));
        // One sampler at a time (the exchange above), so load-then-store is enough.
        BUSY.store(busy_score(BUSY.load(Ordering::Relaxed), over), Ordering::Relaxed);
    }
    BUSY.load(Ordering::Relaxed) < BUSY_SCALE / 2
}

/// Spins started and spins that caught their wake-up, process-wide (for
/// `spinStats`): event-loop spinners, then pool workers.
static SPINS: AtomicU64 = AtomicU64::new(0);
static CAUGHT: AtomicU64 = AtomicU64::new(0);
static WORKER_SPINS: AtomicU64 = AtomicU64::new(0);
static WORKER_CAUGHT: AtomicU64 = AtomicU64::new(0);

/// `[spins started, spins that caught their wake-up, full budget in µs,
/// worker spins started, worker spins that caught their task, workers' full
/// budget in µs, worker hand-overs ([`after_completion`])]`, process-wide:
/// how much spinning this process did, and whether it paid. The first budget is 0 when spinning is off (by the
/// environment, or because libuv's functions were not found).
#[napi_derive::napi]
pub fn spin_stats() -> Vec<f64> {
    let full = if node_symbols::uv().is_some() {
        FULL_SPIN.as_micros()
    } else {
        0
    };
    vec![
        SPINS.load(Ordering::Relaxed) as f64,
        CAUGHT.load(Ordering::Relaxed) as f64,
        full as f64,
        WORKER_SPINS.load(Ordering::Relaxed) as f64,
        WORKER_CAUGHT.load(Ordering::Relaxed) as f64,
        WORKER_FULL_SPIN.as_micros() as f64,
        handover::HANDOVERS.load(Ordering::Relaxed) as f64,
    ]
}

thread_local! {
    /// A pool worker's adaptive budget (each worker thread has its own).
    static WORKER_BUDGET: Cell<Budget> = Cell::new(Budget::full(*WORKER_FULL_SPIN));
}

/// A slot of the process-wide spin cap, given back when dropped (a spin
/// runs inside one native call, so nothing can stop the thread in between).
struct SpinSlot;

impl SpinSlot {
    fn take() -> Option<SpinSlot> {
        if SPINNING.fetch_add(1, Ordering::AcqRel) >= *MAX_SPINNING {
            SPINNING.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(SpinSlot)
    }
}

impl Drop for SpinSlot {
    fn drop(&mut self) {
        SPINNING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A pool worker found the queue empty at doorbell sequence `seen`
/// (`poolSpin` in src/pool.rs calls this): spins until `seq` moves (`true`:
/// take again) or the worker's budget runs out (`false`: sleep on the
/// doorbell). `woke_soon`: this worker's last sleep on the doorbell ended
/// within its full budget (lib/pool/worker/task-loop.js times it with the futex wait).
/// It does not spin when `running` tasks of its pool leave no core beside
/// the submitter's, when the machine has no idle core ([`core_idle`]), when
/// the process-wide cap is taken, or while its adaptive budget cools down
/// after misses.
pub(crate) fn worker_spin(seq: &AtomicI32, seen: i32, woke_soon: bool, running: usize) -> bool {
    if !worker_may_spin(*CPUS, running) || !core_idle() {
        return false;
    }
    let max = *WORKER_FULL_SPIN;
    let mut b = WORKER_BUDGET.with(Cell::get);
    if woke_soon {
        // Its last sleep ended within a full spin: spinning would have paid.
        // Without this, a worker and an owner that both cooled down would stay
        // so: each one's spin misses while the other sleeps.
        b.caught(max);
    }
    let Some(budget) = b.start(max) else {
        WORKER_BUDGET.with(|c| c.set(b));
        return false;
    };
    let start = Instant::now();
    let moved = || seq.load(Ordering::SeqCst) != seen;
    // The main thread's spinner may hold the slot for a moment after it
    // caught this worker's completion (it then submits the next task): wait
    // for the slot, watching the doorbell, for at most MIN_SPIN.
    let slot = loop {
        if moved() {
            return true;
        }
        if let Some(slot) = SpinSlot::take() {
            break slot;
        }
        if start.elapsed() >= MIN_SPIN {
            return false;
        }
        std::hint::spin_loop();
    };
    let caught = 'spin: loop {
        for _ in 0..64 {
            if moved() {
                break 'spin true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() >= budget {
            break false;
        }
    };
    drop(slot);
    WORKER_SPINS.fetch_add(1, Ordering::Relaxed);
    if caught {
        WORKER_CAUGHT.fetch_add(1, Ordering::Relaxed);
        b.caught(max);
    } else {
        b.missed(budget);
    }
    WORKER_BUDGET.with(|c| c.set(b));
    caught
}

/// The pool doorbell's layout (an `Int32Array` over a SharedArrayBuffer of
/// `BELL_INTS` words, made by the pool, shared with its workers):
/// `BELL_SEQ` moves on every submit (the word workers wait on),
/// `BELL_SLEEPERS` counts workers inside `Atomics.wait`/`waitAsync` on it
/// that no notify has woken yet (a notifier counts out the one it woke), so
/// a submit notifies only when one sleeps, and each sleeper once
/// (lib/pool/worker/task-loop.js says why no wake-up is lost).
#[napi_derive::napi]
pub const BELL_SEQ: u32 = 0;
/// The doorbell's count of sleeping workers (see [`BELL_SEQ`]).
#[napi_derive::napi]
pub const BELL_SLEEPERS: u32 = 1;
/// The doorbell's length in 32-bit words (see [`BELL_SEQ`]).
#[napi_derive::napi]
pub const BELL_INTS: u32 = 2;

thread_local! {
    static SPINNER: RefCell<Option<Spinner>> = const { RefCell::new(None) };
}

/// The calling thread's [`Signal`], setting up its spinner on first use.
/// `None` if libuv is not available or refused (then wake-ups work as
/// before, without spinning).
pub(crate) fn signal(env: &Env) -> Option<Arc<Signal>> {
    if let Some(s) = SPINNER.with(|c| c.borrow().as_ref().map(|s| s.signal.clone())) {
        return Some(s);
    }
    // Safety: `env` is the calling thread's env, and this thread has no spinner yet.
    let spinner = unsafe { setup(env)? };
    let signal = spinner.signal.clone();
    SPINNER.with(|c| *c.borrow_mut() = Some(spinner));
    Some(signal)
}

/// # Safety
/// `env` must be the calling thread's env; call once per thread.
unsafe fn setup(env: &Env) -> Option<Spinner> {
    let uv = node_symbols::uv()?;
    let (lp, mem) = node_symbols::handle_memory(uv, env, UV_PREPARE)?;
    let handle = mem as *mut u64 as *mut c_void;
    if (uv.prepare_init)(lp, handle) != 0 {
        drop(Box::from_raw(mem));
        return None;
    }
    (uv.unref)(handle);
    let closing = Box::into_raw(Box::new(Closing {
        mem,
        remove: ptr::null_mut(),
    }));
    // `data` is the first field of every uv handle.
    *(handle as *mut *mut c_void) = closing as *mut c_void;
    if sys::napi_add_async_cleanup_hook(
        env.raw(),
        Some(on_cleanup),
        closing as *mut c_void,
        &mut (*closing).remove,
    ) != sys::Status::napi_ok
    {
        // Without the hook the handle could outlive the loop: close it now.
        (uv.close)(handle, on_closed);
        return None;
    }
    Some(Spinner {
        uv,
        lp,
        handle,
        signal: Arc::new(Signal::default()),
        interest: Cell::new(0),
        budget: Cell::new(Budget::full(*FULL_SPIN)),
    })
}

/// The calling thread now waits (`true`) for one more thing another thread
/// will wake, or for one fewer (`false`). Calls must pair up.
pub(crate) fn want(on: bool) {
    SPINNER.with(|c| {
        let c = c.borrow();
        let Some(s) = c.as_ref() else { return };
        let n = s.interest.get();
        let next = if on { n + 1 } else { n.saturating_sub(1) };
        s.interest.set(next);
        // Safety: on the loop's own thread; the handle is open until
        // `on_cleanup`, which first takes the spinner out of `SPINNER`.
        unsafe {
            if n == 0 && next > 0 {
                (s.uv.prepare_start)(s.handle, on_prepare);
            } else if n > 0 && next == 0 {
                (s.uv.prepare_stop)(s.handle);
            }
        }
    });
}

/// # Safety
/// Called by libuv on the loop's thread (no pointer is used).
unsafe extern "C" fn on_prepare(_handle: *mut c_void) {
    SPINNER.with(|c| {
        if let Some(s) = c.borrow().as_ref() {
            s.before_sleep();
        }
    });
}

impl Spinner {
    fn before_sleep(&self) {
        if self.signal.is_ready() {
            return;
        }
        let mut b = self.budget.get();
        let max = *FULL_SPIN;
        if !core_idle() {
            return;
        }
        let Some(budget) = b.start(max) else {
            self.budget.set(b);
            return;
        };
        // Safety: `lp` is this thread's loop, alive while its spinner is.
        let timeout = unsafe { (self.uv.backend_timeout)(self.lp) };
        if timeout == 0 {
            return; // the loop will not block
        }
        let limit = if timeout > 0 {
            budget.min(Duration::from_millis(timeout as u64))
        } else {
            budget
        };
        // At most one spinning thread per CPU but one, so that a spinner
        // never takes the last core from the thread that will wake it (and
        // a single-CPU machine never spins).
        let Some(slot) = SpinSlot::take() else { return };
        let caught = self.spin(limit);
        drop(slot);
        SPINS.fetch_add(1, Ordering::Relaxed);
        if caught {
            CAUGHT.fetch_add(1, Ordering::Relaxed);
            b.caught(max);
        } else {
            b.missed(budget);
        }
        self.budget.set(b);
    }

    /// Spins until a wake-up is scheduled (`true`) or `limit` passes.
    fn spin(&self, limit: Duration) -> bool {
        let start = Instant::now();
        loop {
            for _ in 0..64 {
                if self.signal.is_ready() {
                    return true;
                }
                std::hint::spin_loop();
            }
            // No sched_yield here: under CFS with busy processes around, a
            // yield gives the core away for a whole time slice (measured:
            // a 2.5 ms round trip instead of 35 µs).
            if start.elapsed() >= limit {
                return false;
            }
        }
    }
}

/// # Safety
/// Called by Node once, on the loop's thread, with the `Closing` that `setup`
/// registered, whose handle is open.
unsafe extern "C" fn on_cleanup(_remove: sys::napi_async_cleanup_hook_handle, arg: *mut c_void) {
    let closing = arg as *mut Closing;
    SPINNER.with(|c| c.borrow_mut().take());
    // A handle exists only if the lookup succeeded.
    let Some(uv) = node_symbols::uv() else { return };
    let handle = (*closing).mem as *mut u64 as *mut c_void;
    (uv.prepare_stop)(handle);
    (uv.close)(handle, on_closed);
}

/// # Safety
/// Called by libuv once the handle is closed; its first word points to the
/// leaked `Closing` (set in `setup`), freed here exactly once.
unsafe extern "C" fn on_closed(handle: *mut c_void) {
    let closing = Box::from_raw(*(handle as *mut *mut Closing));
    let remove = closing.remove;
    drop(Box::from_raw(closing.mem));
    if !remove.is_null() {
        sys::napi_remove_async_cleanup_hook(remove);
    }
}
