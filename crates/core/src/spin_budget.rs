//! The adaptive spin budget of a thread that is about to sleep while another
//! thread will wake it (the binding's `spin` module does the spinning): the
//! classic adaptive mutex. The budget is back to [`MAX_SPIN`] whenever a
//! spin catches its wake-up and halves when one times out; below
//! [`MIN_SPIN`] spinning stops, and a full spin is tried again only after
//! [`COOLDOWN`] sleeps. Pure logic, no clock: the caller measures.

use std::time::Duration;

/// The longest spin before one sleep, unless `THREADKIT_SPIN_MAX_US` says otherwise.
pub const MAX_SPIN: Duration = Duration::from_micros(50);
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
    let Some(v) = value.map(str::trim) else { return MAX_SPIN };
    if ["off", "false", "no"].contains(&v.to_ascii_lowercase().as_str()) {
        return Duration::ZERO;
    }
    match v.parse::<u64>() {
        Ok(us) => Duration::from_micros(us.min(MAX_SPIN_LIMIT_US)),
        Err(_) => MAX_SPIN,
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
}
