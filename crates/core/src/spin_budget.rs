//! The adaptive spin budget of a thread that is about to sleep while another
//! thread will wake it (the binding's `spin` module does the spinning): the
//! classic adaptive mutex. The budget is back to [`MAX_SPIN`] whenever a
//! spin catches its wake-up and halves when one times out; below
//! [`MIN_SPIN`] spinning stops, and a full spin is tried again only after
//! [`COOLDOWN`] sleeps. Pure logic, no clock: the caller measures.

use std::time::Duration;

/// The longest spin before one sleep, unless `THREADKIT_SPIN_MAX_US` says otherwise.
pub const MAX_SPIN: Duration = Duration::from_micros(50);
/// The longest spin of a pool worker that found the queue empty, unless
/// `THREADKIT_WORKER_SPIN_MAX_US` says otherwise: the next task of a caller
/// that awaits each result arrives a few tens of microseconds after the last
/// one finished (measured: a 19 µs round trip with the spin, 35 µs without).
pub const WORKER_MAX_SPIN: Duration = Duration::from_micros(30);
/// The most `THREADKIT_SPIN_MAX_US` may ask for.
pub const MAX_SPIN_LIMIT_US: u64 = 1000;
/// Shorter budgets are not worth spinning for.
pub const MIN_SPIN: Duration = Duration::from_micros(3);
/// Sleeps without spinning after the budget fell below `MIN_SPIN`.
pub const COOLDOWN: u32 = 64;

/// One thread's adaptive spin budget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    spin: Duration,
    cooldown: u32,
}

impl Budget {
    pub fn full(max: Duration) -> Budget {
        Budget { spin: max, cooldown: 0 }
    }

    /// How long to spin before this sleep, if at all (`max`: the full budget).
    pub fn start(&mut self, max: Duration) -> Option<Duration> {
        if max < MIN_SPIN {
            return None;
        }
        if self.spin >= MIN_SPIN {
            return Some(self.spin);
        }
        if self.cooldown > 0 {
            self.cooldown -= 1;
            return None;
        }
        self.spin = max;
        Some(max)
    }

    /// A spin caught its wake-up.
    pub fn caught(&mut self, max: Duration) {
        *self = Budget::full(max);
    }

    /// A spin of `budget` timed out.
    pub fn missed(&mut self, budget: Duration) {
        self.spin = budget / 2;
        if self.spin < MIN_SPIN {
            self.cooldown = COOLDOWN;
        }
    }
}

/// The full budget from `THREADKIT_SPIN_MAX_US`'s value: whole microseconds,
/// at most [`MAX_SPIN_LIMIT_US`]; `0`, `off`, `false` or `no` turn spinning
/// off; unset or not a number: [`MAX_SPIN`].
pub fn spin_from_env(value: Option<&str>) -> Duration {
    budget_from_env(value, MAX_SPIN)
}

/// As [`spin_from_env`], with `default` when unset or not a number (the
/// workers' `THREADKIT_WORKER_SPIN_MAX_US` defaults to [`WORKER_MAX_SPIN`]).
pub fn budget_from_env(value: Option<&str>, default: Duration) -> Duration {
    let Some(v) = value.map(str::trim) else { return default };
    if ["off", "false", "no"].contains(&v.to_ascii_lowercase().as_str()) {
        return Duration::ZERO;
    }
    match v.parse::<u64>() {
        Ok(us) => Duration::from_micros(us.min(MAX_SPIN_LIMIT_US)),
        Err(_) => default,
    }
}

/// Whether a pool worker that found the queue empty may spin at all: only
/// while a core is left over for it after the thread that will submit the
/// next task (the pool's owner) and every task running now. On a machine
/// with no idle core a spin takes the core the submitter needs, and delays
/// the very wake-up it waits for.
pub fn worker_may_spin(cpus: usize, running: usize) -> bool {
    running + 2 <= cpus
}

/// Runnable threads on the whole machine now, from `/proc/loadavg`'s text
/// (its fourth field is `running/total`; the reader counts itself).
pub fn nr_running(loadavg: &str) -> Option<usize> {
    loadavg.split_whitespace().nth(3)?.split('/').next()?.parse().ok()
}

/// CPUs online on the whole machine, from `/sys/devices/system/cpu/online`'s
/// text (ranges such as `0-3,6,8-9`). It is what `/proc/loadavg`'s run count
/// must be compared with: both are host-wide, while the process's CPU count
/// follows its cgroup quota and affinity (a container limited to 2 CPUs on a
/// 64-core host would otherwise count the host's threads against 2 CPUs and
/// never spin).
pub fn online_cpus(list: &str) -> Option<usize> {
    let mut n = 0;
    for part in list.trim().split(',') {
        let (lo, hi) = match part.split_once('-') {
            Some((lo, hi)) => (lo.parse::<usize>().ok()?, hi.parse::<usize>().ok()?),
            None => {
                let cpu = part.parse::<usize>().ok()?;
                (cpu, cpu)
            }
        };
        n += hi.checked_sub(lo)? + 1;
    }
    Some(n)
}

/// Whether a run-queue sample says a spinner would take a core that another
/// thread waits for: more runnable threads than CPUs **plus one**. The
/// would-be spinner and the thread it waits for are both runnable by design
/// (on 2 CPUs that alone fills the machine), and one more runnable thread
/// is usually a short one (a GC helper, a kernel worker). Counting that one
/// as busy turned the spins off in a plain sequential round trip on an idle
/// 2-core machine (P2: 18-24 µs against 10-11 µs with this rule, same run),
/// while a second waiting thread (another process's busy loop next to a
/// saturated pool, or a loaded machine) still closes the gate.
pub fn oversubscribed(runnable: usize, cpus: usize) -> bool {
    runnable > cpus + 1
}

/// Full scale of [`busy_score`].
pub const BUSY_SCALE: u32 = 1024;

/// The machine's "no idle core" score, a moving average over samples of
/// whether more threads were runnable than there are CPUs (weight 1/8 per
/// sample): one snapshot of the run queue says little, a few milliseconds
/// of them say whether a spinner would take a core someone else is waiting
/// for. Spinning pays only below half of [`BUSY_SCALE`].
pub fn busy_score(prev: u32, oversubscribed: bool) -> u32 {
    let sample = if oversubscribed { BUSY_SCALE } else { 0 };
    (prev.min(BUSY_SCALE) * 7 + sample) / 8
}

/// What a pool worker does after a completion while its owner's wake-up is
/// scheduled and has not run yet (issue 19, H3). On a machine with no idle
/// core the woken owner waits in a run queue until some thread's time slice
/// ends (up to a scheduler tick), and while work is queued the workers never
/// block, so that wait falls on the owner's event loop. A worker that gives
/// its core up (`sched_yield`) lets an owner queued on its core run now. The wait is also longer than
/// it looks: Node's threadsafe function holds its mutex while it wakes the
/// owner, so an owner that runs before the worker let go of it sleeps on the
/// mutex and needs a second wake-up (benchmark/http/CHANGES.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandOver {
    /// Go on with the next task.
    Off,
    /// `sched_yield` once, after the completion that scheduled the wake-up.
    Yield,
    /// `sched_yield` after every completion while the wake-up is pending,
    /// whichever worker's completion scheduled it (the default: the owner
    /// may be queued on the other core, where only that core's worker can
    /// give way, and a wake-up still pending a task later is the tail of
    /// the owner's lag).
    YieldWhilePending,
    /// `sched_yield` once per worker and pending wake-up.
    YieldOncePerWake,
    /// Sleep this long once, after the completion that scheduled the wake-up
    /// (the kernel rounds it up by the thread's timer slack).
    Sleep(Duration),
}

/// The default [`HandOver`] policy.
pub const DEFAULT_HANDOVER: HandOver = HandOver::YieldWhilePending;

/// The most `THREADKIT_WAKE_HANDOVER` may ask a worker to sleep.
pub const HANDOVER_SLEEP_LIMIT_US: u64 = 1000;

/// The owner's wake-up as a worker sees it after a completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    /// None is scheduled (the owner already ran it).
    No,
    /// One is scheduled, and this worker has not given way for it yet.
    New,
    /// One is scheduled, and this worker already gave way for it.
    Seen,
}

impl HandOver {
    /// The policy from `THREADKIT_WAKE_HANDOVER`'s value: `pending`
    /// ([`HandOver::YieldWhilePending`]), `once`
    /// ([`HandOver::YieldOncePerWake`]), `yield`, a whole number of microseconds to
    /// sleep (at most [`HANDOVER_SLEEP_LIMIT_US`]); `0`, `off`, `false` or
    /// `no` for none; unset or anything else: `default`.
    pub fn from_env(value: Option<&str>, default: HandOver) -> HandOver {
        let Some(v) = value.map(|v| v.trim().to_ascii_lowercase()) else {
            return default;
        };
        match v.as_str() {
            "once" => HandOver::YieldOncePerWake,
            "yield" => HandOver::Yield,
            "pending" => HandOver::YieldWhilePending,
            "off" | "false" | "no" => HandOver::Off,
            _ => match v.parse::<u64>() {
                Ok(0) => HandOver::Off,
                Ok(us) => HandOver::Sleep(Duration::from_micros(us.min(HANDOVER_SLEEP_LIMIT_US))),
                Err(_) => default,
            },
        }
    }

    /// What to do after a completion: `woke_owner` says whether it scheduled
    /// the owner's wake-up, `pending` where that wake-up stands. Nothing
    /// while the machine has an idle core (`core_idle`): the owner gets one
    /// without help, and a hand-over would only delay the worker's next task.
    pub fn after_completion(self, woke_owner: bool, pending: Pending, core_idle: bool) -> HandOver {
        let due = match self {
            HandOver::Off => false,
            HandOver::Yield | HandOver::Sleep(_) => woke_owner,
            HandOver::YieldWhilePending => pending != Pending::No,
            HandOver::YieldOncePerWake => pending == Pending::New,
        };
        match self {
            _ if !due || core_idle => HandOver::Off,
            HandOver::YieldWhilePending | HandOver::YieldOncePerWake => HandOver::Yield,
            _ => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_halves_on_misses_then_cools_down_and_retries_in_full() {
        let mut b = Budget::full(MAX_SPIN);
        let mut spun = Duration::ZERO;
        let mut spins = 0;
        while let Some(d) = b.start(MAX_SPIN) {
            spun += d;
            spins += 1;
            b.missed(d);
        }
        // 50 + 25 + 12.5 + 6.25 + 3.125 µs, then no more.
        assert_eq!(spins, 5);
        assert!(spun < Duration::from_micros(100), "{spun:?}");
        for _ in 1..COOLDOWN {
            assert_eq!(b.start(MAX_SPIN), None);
        }
        assert_eq!(b.start(MAX_SPIN), Some(MAX_SPIN));
    }

    #[test]
    fn a_caught_wake_up_restores_the_full_budget() {
        let mut b = Budget::full(MAX_SPIN);
        let d = b.start(MAX_SPIN).unwrap();
        b.missed(d);
        let d = b.start(MAX_SPIN).unwrap();
        assert_eq!(d, MAX_SPIN / 2);
        b.caught(MAX_SPIN);
        assert_eq!(b, Budget::full(MAX_SPIN));
        assert_eq!(b.start(MAX_SPIN), Some(MAX_SPIN));
    }

    #[test]
    fn a_worker_spins_only_with_a_core_left_for_it() {
        assert!(!worker_may_spin(1, 0), "one CPU: never");
        assert!(
            worker_may_spin(2, 0),
            "two CPUs, nothing running: the submitter and this worker"
        );
        assert!(
            !worker_may_spin(2, 1),
            "two CPUs, another task running: no core is idle"
        );
        assert!(worker_may_spin(8, 6));
        assert!(!worker_may_spin(8, 7));
    }

    #[test]
    fn runnable_threads_come_from_the_fourth_field_of_loadavg() {
        assert_eq!(nr_running("0.52 0.58 0.59 3/482 12345\n"), Some(3));
        assert_eq!(nr_running("0.52 0.58 0.59"), None);
        assert_eq!(nr_running(""), None);
        assert_eq!(nr_running("a b c x/1 1"), None);
    }

    #[test]
    fn one_runnable_thread_beyond_the_cpus_is_not_oversubscribed() {
        assert!(!oversubscribed(2, 2));
        assert!(!oversubscribed(3, 2));
        assert!(oversubscribed(4, 2));
        assert!(!oversubscribed(1, 1) && !oversubscribed(2, 1) && oversubscribed(3, 1));
    }

    #[test]
    fn online_cpus_reads_the_kernel_range_list() {
        assert_eq!(online_cpus("0-1\n"), Some(2));
        assert_eq!(online_cpus("0"), Some(1));
        assert_eq!(online_cpus("0-3,6,8-9\n"), Some(7));
        assert_eq!(online_cpus(""), None);
        assert_eq!(online_cpus("3-1"), None);
        assert_eq!(online_cpus("x"), None);
    }

    #[test]
    fn the_busy_score_follows_a_run_of_samples_not_one() {
        let mut s = 0;
        s = busy_score(s, true);
        assert!(
            s < BUSY_SCALE / 2,
            "one oversubscribed sample does not stop spinning: {s}"
        );
        for _ in 0..8 {
            s = busy_score(s, true);
        }
        assert!(s >= BUSY_SCALE / 2, "a run of them does: {s}");
        for _ in 0..8 {
            s = busy_score(s, false);
        }
        assert!(s < BUSY_SCALE / 2, "and a run of idle samples lets it spin again: {s}");
        assert_eq!(busy_score(u32::MAX, true), BUSY_SCALE, "stays in scale");
    }

    #[test]
    fn the_workers_budget_has_its_own_default() {
        assert_eq!(budget_from_env(None, WORKER_MAX_SPIN), WORKER_MAX_SPIN);
        assert_eq!(budget_from_env(Some("x"), WORKER_MAX_SPIN), WORKER_MAX_SPIN);
        assert_eq!(budget_from_env(Some("0"), WORKER_MAX_SPIN), Duration::ZERO);
        assert_eq!(budget_from_env(Some("12"), WORKER_MAX_SPIN), Duration::from_micros(12));
    }

    #[test]
    fn the_environment_sets_the_full_budget() {
        assert_eq!(spin_from_env(None), MAX_SPIN);
        assert_eq!(spin_from_env(Some("0")), Duration::ZERO);
        assert_eq!(spin_from_env(Some(" 20 ")), Duration::from_micros(20));
        assert_eq!(spin_from_env(Some("999999")), Duration::from_micros(MAX_SPIN_LIMIT_US));
        assert_eq!(spin_from_env(Some("off")), Duration::ZERO);
        assert_eq!(spin_from_env(Some("lots")), MAX_SPIN, "not a number: the default");
        let mut b = Budget::full(Duration::ZERO);
        assert_eq!(b.start(Duration::ZERO), None, "0 turns spinning off");
    }

    #[test]
    fn a_worker_hands_its_core_over_only_for_a_pending_wake_up_on_a_busy_machine() {
        use Pending::*;
        for policy in [HandOver::Yield, HandOver::Sleep(Duration::from_micros(20))] {
            assert_eq!(
                policy.after_completion(true, New, false),
                policy,
                "woke the owner, no idle core"
            );
            assert_eq!(
                policy.after_completion(false, New, false),
                HandOver::Off,
                "another completion scheduled the wake-up"
            );
            assert_eq!(
                policy.after_completion(true, New, true),
                HandOver::Off,
                "a core is idle for the owner"
            );
        }
        let p = HandOver::YieldWhilePending;
        assert_eq!(p.after_completion(true, New, false), HandOver::Yield);
        assert_eq!(
            p.after_completion(false, Seen, false),
            HandOver::Yield,
            "every completion"
        );
        assert_eq!(
            p.after_completion(false, No, false),
            HandOver::Off,
            "the owner ran its wake-up"
        );
        assert_eq!(
            p.after_completion(true, New, true),
            HandOver::Off,
            "a core is idle for the owner"
        );
        let o = HandOver::YieldOncePerWake;
        assert_eq!(
            o.after_completion(true, New, false),
            HandOver::Yield,
            "this completion woke the owner"
        );
        assert_eq!(
            o.after_completion(false, New, false),
            HandOver::Yield,
            "the other worker's completion woke it"
        );
        assert_eq!(
            o.after_completion(false, Seen, false),
            HandOver::Off,
            "once per wake-up"
        );
        assert_eq!(
            o.after_completion(false, No, false),
            HandOver::Off,
            "the owner ran its wake-up"
        );
        assert_eq!(
            o.after_completion(true, New, true),
            HandOver::Off,
            "a core is idle for the owner"
        );
        for pending in [No, New, Seen] {
            assert_eq!(HandOver::Off.after_completion(true, pending, false), HandOver::Off);
        }
    }

    #[test]
    fn by_default_a_worker_gives_way_after_each_completion_while_a_wake_up_is_pending() {
        assert_eq!(HandOver::from_env(None, DEFAULT_HANDOVER), HandOver::YieldWhilePending);
    }

    #[test]
    fn the_environment_sets_the_hand_over() {
        let d = HandOver::Off;
        assert_eq!(HandOver::from_env(None, d), d);
        assert_eq!(HandOver::from_env(None, HandOver::Yield), HandOver::Yield);
        assert_eq!(HandOver::from_env(Some(" Yield "), d), HandOver::Yield);
        assert_eq!(HandOver::from_env(Some("pending"), d), HandOver::YieldWhilePending);
        assert_eq!(HandOver::from_env(Some("once"), d), HandOver::YieldOncePerWake);
        assert_eq!(HandOver::from_env(Some("off"), HandOver::Yield), HandOver::Off);
        assert_eq!(HandOver::from_env(Some("0"), HandOver::Yield), HandOver::Off);
        assert_eq!(
            HandOver::from_env(Some("20"), d),
            HandOver::Sleep(Duration::from_micros(20))
        );
        assert_eq!(
            HandOver::from_env(Some("999999"), d),
            HandOver::Sleep(Duration::from_micros(HANDOVER_SLEEP_LIMIT_US))
        );
        assert_eq!(
            HandOver::from_env(Some("lots"), HandOver::Yield),
            HandOver::Yield,
            "not understood: the default"
        );
    }
}
