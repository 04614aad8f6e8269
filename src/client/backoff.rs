//! How long a client waits before each reconnect attempt.
//!
//! The default ([`Schedule::Jittered`]) is made for a developer's relay that restarts
//! in under a second: the first retry comes after 250–500 ms, then the wait doubles
//! with jitter up to 30 s, so a relay that is back is found within about a second, and
//! one that stays down is tried at a falling rate — at most 8 attempts in its first
//! 30 s and then about one every 15–30 s, whatever the random numbers. (Jitter keeps
//! many clients from retrying in step after a restart. *Full* jitter — a uniformly
//! random wait in `[0, d]` — is not used because it gives no lower bound on the
//! attempt rate.)
//!
//! [`Backoff::reference`] is SocketCluster's schedule (SC§11), which the reference
//! clients use: `(initialDelay + randomness·rand) · multiplier^attempt`, capped at
//! `maxDelay` — 10–20 s before the first retry with socketcluster-client's defaults.
//!
//! The attempt count starts again after every successful handshake.

use std::time::Duration;

use crate::options::InvalidOption;

/// The shape of the delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Schedule {
    /// Attempt 0 waits `initial_delay + randomness·r`; attempt n ≥ 1 waits a random
    /// time in `[d/2, d]` with `d = min(max_delay, (initial_delay + randomness) ·
    /// multiplierⁿ)` ("equal jitter").
    #[default]
    Jittered,
    /// SocketCluster's: `(initial_delay + randomness·r) · multiplierⁿ`, capped at
    /// `max_delay`.
    Reference,
}

impl Schedule {
    /// The schedule for a number other languages pass: 0 jittered, 1 reference.
    ///
    /// # Errors
    /// [`InvalidOption`] (field `backoff.schedule`) for any other number.
    pub fn from_number(n: i64) -> Result<Schedule, InvalidOption> {
        match n {
            0 => Ok(Schedule::Jittered),
            1 => Ok(Schedule::Reference),
            _ => Err(InvalidOption::new(
                "backoff.schedule",
                format!("must be 0 (jittered) or 1 (reference), got {n}"),
            )),
        }
    }

    /// The schedule for a name: `jittered` or `reference`.
    ///
    /// # Errors
    /// [`InvalidOption`] (field `backoff.schedule`) for any other name.
    pub fn from_name(name: &str) -> Result<Schedule, InvalidOption> {
        match name {
            "jittered" => Ok(Schedule::Jittered),
            "reference" => Ok(Schedule::Reference),
            _ => Err(InvalidOption::new(
                "backoff.schedule",
                format!("must be \"jittered\" or \"reference\", got {name:?}"),
            )),
        }
    }
}

/// Reconnect settings. All durations are wall-clock waits; `r` is a random number in
/// `[0, 1)` drawn per attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    /// The shortest first wait. Default 250 ms.
    pub initial_delay: Duration,
    /// Up to this much is added at random to the first wait (and, for
    /// [`Schedule::Reference`], to every base). Default 250 ms.
    pub randomness: Duration,
    /// Each further attempt waits up to this many times longer (≥ 1). Default 2.
    pub multiplier: f64,
    /// The longest wait (≥ `initial_delay`). Default 30 s.
    pub max_delay: Duration,
    /// How the waits grow. Default [`Schedule::Jittered`].
    pub schedule: Schedule,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial_delay: Duration::from_millis(250),
            randomness: Duration::from_millis(250),
            multiplier: 2.0,
            max_delay: Duration::from_secs(30),
            schedule: Schedule::Jittered,
        }
    }
}

impl Backoff {
    /// socketcluster-client's schedule and defaults (SC§11): 10 s plus up to 10 s,
    /// ×1.5 per attempt, at most 60 s. (`@redux-devtools/remote` and
    /// `remote-redux-devtools` use 30 s of randomness instead of 10 s.)
    pub fn reference() -> Backoff {
        Backoff {
            initial_delay: Duration::from_secs(10),
            randomness: Duration::from_secs(10),
            multiplier: 1.5,
            max_delay: Duration::from_secs(60),
            schedule: Schedule::Reference,
        }
    }

    /// The same wait before every attempt (tests and special cases).
    pub fn fixed(delay: Duration) -> Backoff {
        Backoff {
            initial_delay: delay,
            randomness: Duration::ZERO,
            multiplier: 1.0,
            max_delay: delay,
            schedule: Schedule::Reference,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`InvalidOption`] for a `multiplier` below 1 or not finite, or a `max_delay`
    /// below `initial_delay`.
    pub fn validate(&self) -> Result<(), InvalidOption> {
        if !self.multiplier.is_finite() || self.multiplier < 1.0 {
            return Err(InvalidOption::new(
                "backoff.multiplier",
                format!("must be a finite number >= 1, got {}", self.multiplier),
            ));
        }
        if self.max_delay < self.initial_delay {
            return Err(InvalidOption::new(
                "backoff.max_delay",
                format!(
                    "must be at least backoff.initial_delay ({} ms), got {} ms",
                    self.initial_delay.as_millis(),
                    self.max_delay.as_millis()
                ),
            ));
        }
        Ok(())
    }

    /// The wait before reconnect attempt number `attempt` (0-based), given a random
    /// number in `[0, 1)`.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let ms = |d: Duration| d.as_millis() as f64;
        let growth = self.multiplier.powi(attempt.min(64) as i32);
        let cap = ms(self.max_delay);
        let millis = match self.schedule {
            Schedule::Reference => {
                ((ms(self.initial_delay) + (ms(self.randomness) * random).round()) * growth)
                    .round()
                    .min(cap)
            }
            Schedule::Jittered if attempt == 0 => {
                (ms(self.initial_delay) + ms(self.randomness) * random).min(cap)
            }
            Schedule::Jittered => {
                let ceiling = ((ms(self.initial_delay) + ms(self.randomness)) * growth).min(cap);
                ceiling / 2.0 + ceiling / 2.0 * random
            }
        };
        Duration::from_millis(millis.max(0.0).round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn reference_grows_by_the_multiplier_and_caps() {
        let b = Backoff {
            initial_delay: ms(1000),
            randomness: ms(0),
            multiplier: 2.0,
            max_delay: ms(5000),
            schedule: Schedule::Reference,
        };
        let delays: Vec<_> = (0..5).map(|a| b.delay(a, 0.7)).collect();
        assert_eq!(delays, [ms(1000), ms(2000), ms(4000), ms(5000), ms(5000)]);
        let r = Backoff::reference();
        assert_eq!(r.delay(0, 0.0), ms(10_000));
        assert_eq!(r.delay(0, 0.5), ms(15_000));
        assert_eq!(r.delay(1, 0.0), ms(15_000));
        assert_eq!(r.delay(3, 0.99), ms(60_000));
    }

    #[test]
    fn jittered_is_fast_first_then_bounded_below_and_above() {
        let b = Backoff::default();
        assert_eq!(b.delay(0, 0.0), ms(250));
        assert_eq!(b.delay(0, 0.999), ms(500));
        assert_eq!((b.delay(1, 0.0), b.delay(1, 0.999)), (ms(500), ms(1000)));
        assert_eq!((b.delay(2, 0.0), b.delay(2, 0.999)), (ms(1000), ms(1999)));
        assert_eq!(
            (b.delay(20, 0.0), b.delay(20, 0.999)),
            (ms(15_000), ms(29_985))
        );
    }

    #[test]
    fn a_relay_that_stays_down_gets_at_most_8_attempts_in_30_s() {
        // The fastest possible schedule: every random number 0.
        let b = Backoff::default();
        let mut t = Duration::ZERO;
        let mut attempts = 0;
        while t <= Duration::from_secs(30) {
            attempts += 1; // an attempt at time t
            t += b.delay(attempts - 1, 0.0);
        }
        assert!(attempts <= 8, "{attempts}");
    }

    #[test]
    fn validation_names_the_field() {
        let b = Backoff {
            multiplier: 0.5,
            ..Backoff::default()
        };
        assert_eq!(b.validate().unwrap_err().field, "backoff.multiplier");
        let b = Backoff {
            max_delay: ms(1),
            ..Backoff::default()
        };
        assert_eq!(b.validate().unwrap_err().field, "backoff.max_delay");
    }
}
