//! What every binding shares about settings: the refusal of an invalid option
//! ([`InvalidOption`], naming the field) and the conversions from the numbers other
//! languages hand in (signed milliseconds, signed sizes, float seconds), so C, Python
//! and Objective-C refuse the same input with the same words as Rust.
//!
//! Each options type checks its own combinations in a `validate()` method
//! ([`crate::RelayOptions::validate`], [`crate::client::SocketOptions::validate`], …),
//! which `start` calls before doing anything.

use std::time::Duration;

/// An option value that cannot be used. `field` is the option's name as the Rust
/// options struct spells it (e.g. `ping_interval`); the bindings use the same names.
///
/// Shown as `invalid option ping_interval: must be less than ping_timeout (20000 ms), got 30000 ms`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid option {field}: {reason}")]
pub struct InvalidOption {
    /// The option's name, e.g. `ping_interval`.
    pub field: &'static str,
    /// What is wrong with the value, and the value.
    pub reason: String,
}

impl InvalidOption {
    /// An invalid `field` because of `reason`.
    pub fn new(field: &'static str, reason: impl Into<String>) -> InvalidOption {
        InvalidOption {
            field,
            reason: reason.into(),
        }
    }
}

/// A duration given in milliseconds by another language. Negative values are refused.
///
/// # Errors
/// [`InvalidOption`] naming `field` when `ms` is negative.
pub fn millis(field: &'static str, ms: i64) -> Result<Duration, InvalidOption> {
    u64::try_from(ms)
        .map(Duration::from_millis)
        .map_err(|_| InvalidOption::new(field, format!("must not be negative, got {ms} ms")))
}

/// A duration given in (fractional) seconds, as Python passes timeouts.
///
/// # Errors
/// [`InvalidOption`] naming `field` when `secs` is negative, NaN or infinite.
pub fn seconds(field: &'static str, secs: f64) -> Result<Duration, InvalidOption> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        let why = if secs.is_finite() && secs > 0.0 {
            "is too large (at most about 5.8e11 years)"
        } else {
            "must be a finite number of seconds >= 0"
        };
        InvalidOption::new(field, format!("{why}, got {secs}"))
    })
}

/// A size or count given by another language. Negative values are refused.
///
/// # Errors
/// [`InvalidOption`] naming `field` when `n` is negative or does not fit this platform.
pub fn size(field: &'static str, n: i64) -> Result<usize, InvalidOption> {
    if n < 0 {
        return Err(InvalidOption::new(
            field,
            format!("must not be negative, got {n}"),
        ));
    }
    usize::try_from(n).map_err(|_| InvalidOption::new(field, format!("is too large, got {n}")))
}

/// A TCP port given by another language (`0` picks a free port).
///
/// # Errors
/// [`InvalidOption`] naming `field` outside `0..=65535`.
pub fn port(field: &'static str, n: i64) -> Result<u16, InvalidOption> {
    u16::try_from(n)
        .map_err(|_| InvalidOption::new(field, format!("must be a port from 0 to 65535, got {n}")))
}

/// Refuses a zero duration.
pub(crate) fn positive(field: &'static str, d: Duration) -> Result<(), InvalidOption> {
    if d.is_zero() {
        Err(InvalidOption::new(field, "must be greater than 0 ms"))
    } else {
        Ok(())
    }
}

/// Refuses a zero size or count.
/// The largest `max_payload` (bytes) a relay or a client accepts: 1 GiB, above the
/// longest string a JavaScript engine builds (V8: 2^29 − 24 UTF-16 units). The
/// WebSocket reader reserves a frame's declared length as soon as its header arrives,
/// so a bound beyond what memory can hold would let one header abort the process.
pub const MAX_PAYLOAD_LIMIT: usize = 1 << 30;

/// `max_payload` in `1..=MAX_PAYLOAD_LIMIT`.
pub(crate) fn max_payload(n: usize) -> Result<(), InvalidOption> {
    nonzero("max_payload", n)?;
    if n > MAX_PAYLOAD_LIMIT {
        return Err(InvalidOption::new(
            "max_payload",
            format!("must be at most {MAX_PAYLOAD_LIMIT} bytes (1 GiB), got {n}"),
        ));
    }
    Ok(())
}

pub(crate) fn nonzero(field: &'static str, n: usize) -> Result<(), InvalidOption> {
    if n == 0 {
        Err(InvalidOption::new(field, "must be greater than 0"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_refuse_what_rust_types_cannot_hold() {
        assert_eq!(millis("x", 5).unwrap(), Duration::from_millis(5));
        assert_eq!(
            millis("ping_interval", -1).unwrap_err().to_string(),
            "invalid option ping_interval: must not be negative, got -1 ms"
        );
        assert!(seconds("timeout", f64::NAN).is_err());
        assert!(seconds("timeout", -0.5).is_err());
        assert!(seconds("timeout", f64::INFINITY).is_err());
        assert_eq!(seconds("t", 1.5).unwrap(), Duration::from_millis(1500));
        assert!(size("max_payload", -3).is_err());
        assert!(port("port", 70000).is_err());
        assert_eq!(port("port", 0).unwrap(), 0);
    }
}
