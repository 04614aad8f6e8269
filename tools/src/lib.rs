//! Helpers shared by the benchmark tools (`loadgen`, `client_bench`): the raw
//! SocketCluster peer they measure with, and the latency percentile they report.
//!
//! The peers here are deliberately not `remotedev::client`: a benchmark of the relay
//! must not depend on the client under test, and `client_bench` compares that client
//! against exactly this raw sender and receiver.

pub mod ws;

/// The `q` quantile (nearest rank) of `sorted` nanoseconds, in microseconds.
///
/// One definition for every tool, so `loadgen` and `client_bench` rows in one
/// table are comparable.
pub fn percentile_us(sorted: &[u64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let idx = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    Some(sorted[idx] as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::percentile_us;

    #[test]
    fn nearest_rank() {
        let ns: Vec<u64> = (1..=1000).map(|i| i * 1000).collect();
        assert_eq!(percentile_us(&ns, 0.50), Some(500.0));
        assert_eq!(percentile_us(&ns, 0.99), Some(990.0));
        assert_eq!(percentile_us(&ns, 0.999), Some(999.0));
        assert_eq!(percentile_us(&[7000], 0.999), Some(7.0));
        assert_eq!(percentile_us(&[], 0.5), None);
    }
}
