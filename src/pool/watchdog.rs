//! The watchdog: one thread per process that ends tasks whose deadline
//! passed, in every pool, and stops their worker with `node::Stop` (see
//! [`crate::node_env`]). It sleeps until the earliest deadline it has been
//! told about ([`Watchdog::due`]), so it works while every JS thread is
//! blocked, and costs nothing while no task has a deadline. Where
//! `node::Stop` is not available ([`pool_watchdog_stops`] is false), it
//! still ends the tasks, and the owner thread terminates their workers.

use super::{Pool, POOLS};
use crate::node_env;
use parking_lot::{Condvar, Mutex};
use std::ffi::c_void;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

/// Whether the watchdog stops the workers of timed-out tasks itself. If
/// not, the owner must terminate them when it sees the timeout.
#[napi_derive::napi]
pub fn pool_watchdog_stops() -> bool {
    node_env::can_stop()
}

pub(super) struct Watchdog {
    /// The earliest deadline it has been told about (None = none known).
    next: Mutex<Option<Instant>>,
    cv: Condvar,
}

impl Watchdog {
    /// A task's deadline: wake up by then.
    pub(super) fn due(&self, deadline: Instant) {
        let mut next = self.next.lock();
        if next.is_none_or(|n| deadline < n) {
            *next = Some(deadline);
            self.cv.notify_one();
        }
    }
}

/// The process's watchdog, started on first use.
pub(super) fn watchdog() -> &'static Watchdog {
    static W: LazyLock<&'static Watchdog> = LazyLock::new(|| {
        let w: &'static Watchdog = Box::leak(Box::new(Watchdog {
            next: Mutex::new(None),
            cv: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("threadkit-watchdog".into())
            .spawn(move || watchdog_loop(w))
            .expect("spawn the threadkit watchdog thread");
        w
    });
    &W
}

fn watchdog_loop(w: &'static Watchdog) {
    loop {
        {
            let mut next = w.next.lock();
            match *next {
                None => w.cv.wait(&mut next),
                Some(at) if at > Instant::now() => {
                    w.cv.wait_until(&mut next, at);
                }
                Some(_) => {}
            }
            *next = None;
        }
        let now = Instant::now();
        let pools: Vec<Arc<Pool>> = POOLS.read().values().cloned().collect();
        for p in pools {
            let (expired, wake) = p.queue.expire(now);
            if !expired.is_empty() {
                let workers = p.workers.lock();
                for (slot, _) in &expired {
                    if let Some(&env) = workers.get(slot) {
                        // Safety: the env's cleanup hook removes it from
                        // `workers` under this lock before the env is freed.
                        unsafe { node_env::stop(env as *mut c_void) };
                    }
                }
            }
            if wake {
                p.wake_owner();
            }
            if let Some(d) = p.queue.next_deadline() {
                w.due(d);
            }
        }
    }
}
