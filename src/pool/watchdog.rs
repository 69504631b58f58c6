//! The watchdog thread: one per process, running the core's deadline loop
//! (`threadkit_core::task_queue::deadlines::Watchdog`) over every pool. This
//! binding only supplies what the core cannot do itself: the list of pools,
//! stopping a worker thread with `node::Stop` (see [`crate::node_env`]), and
//! waking an owner through its threadsafe function. Where `node::Stop` is
//! not available ([`pool_watchdog_stops`] is false), it still ends the
//! tasks, and the owner thread terminates their workers.

use super::{Pool, POOLS};
use crate::node_env;
use std::ffi::c_void;
use std::sync::{Arc, LazyLock};
use threadkit_core::task_queue::deadlines::{Supervised, Watchdog};
use threadkit_core::task_queue::TaskQueue;

/// Whether the watchdog stops the workers of timed-out tasks itself. If
/// not, the owner must terminate them when it sees the timeout.
#[napi_derive::napi]
pub fn pool_watchdog_stops() -> bool {
    node_env::can_stop()
}

impl Supervised for Pool {
    fn queue(&self) -> &TaskQueue {
        &self.queue
    }

    fn stop_worker(&self, worker: u32) {
        let envs = self.envs.lock();
        if let Some(&env) = envs.get(&worker) {
            // Safety: the env's cleanup hook removes it from `envs` under
            // this lock before the env is freed.
            unsafe { node_env::stop(env as *mut c_void) };
        }
    }

    fn wake_owner(&self) {
        Pool::wake_owner(self);
    }
}

/// The process's watchdog, started on first use.
pub(super) fn watchdog() -> &'static Watchdog {
    static W: LazyLock<&'static Watchdog> = LazyLock::new(|| {
        let w: &'static Watchdog = Box::leak(Box::new(Watchdog::new()));
        std::thread::Builder::new()
            .name("threadkit-watchdog".into())
            .spawn(move || w.run(|| POOLS.read().values().cloned().collect::<Vec<Arc<Pool>>>()))
            .expect("spawn the threadkit watchdog thread");
        w
    });
    &W
}
