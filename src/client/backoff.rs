//! The reconnect delay of the reference clients (SC§11): `initialDelay + randomness·rand`,
//! times `multiplier^attempt`, capped at `maxDelay`; the attempt count restarts after a
//! successful handshake.

use std::time::Duration;

use crate::options::InvalidOption;

/// Reconnect settings, with the reference clients' defaults except `randomness`, which
/// is the remote DevTools libraries' 30 s.
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    /// The delay before the first retry. Default 10 s.
    pub initial_delay: Duration,
    /// Up to this much is added at random to the first delay. Default 30 s.
    pub randomness: Duration,
    /// Each further attempt waits this many times longer (≥ 1). Default 1.5.
    pub multiplier: f64,
    /// The longest delay. Default 60 s.
    pub max_delay: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial_delay: Duration::from_millis(10_000),
            randomness: Duration::from_millis(30_000),
            multiplier: 1.5,
            max_delay: Duration::from_millis(60_000),
        }
    }
}

impl Backoff {
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

    /// The delay before reconnect attempt number `attempt` (0-based), given a random
    /// number in `[0, 1)`.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let base = self.initial_delay.as_millis() as f64
            + (self.randomness.as_millis() as f64 * random).round();
        let scaled = (base * self.multiplier.powi(attempt.min(64) as i32)).round();
        let capped = scaled.min(self.max_delay.as_millis() as f64).max(0.0);
        Duration::from_millis(capped as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn grows_by_the_multiplier_and_caps() {
        let b = Backoff {
            initial_delay: ms(1000),
            randomness: ms(0),
            multiplier: 2.0,
            max_delay: ms(5000),
        };
        let delays: Vec<_> = (0..5).map(|a| b.delay(a, 0.7)).collect();
        assert_eq!(delays, [ms(1000), ms(2000), ms(4000), ms(5000), ms(5000)]);
    }

    #[test]
    fn randomness_spreads_the_first_delay() {
        let b = Backoff::default();
        assert_eq!(b.delay(0, 0.0), ms(10_000));
        assert_eq!(b.delay(0, 0.5), ms(25_000));
        assert_eq!(b.delay(1, 0.0), ms(15_000));
        assert_eq!(b.delay(3, 0.99), ms(60_000));
    }
}
