//! The benchmark message: built by apps with their index and send time, found
//! again by monitors in whatever envelope the relay delivers it.

pub struct Payload {
    size: usize,
    sc: bool,
    pad: String,
}

impl Payload {
    pub fn new(size: usize, sc: bool) -> Self {
        Payload {
            size,
            sc,
            pad: "x".repeat(size),
        }
    }

    /// `{"type":"BENCH","app":A,"seq":S,"ts":T,"pad":"xxx"}`, padded to `size`
    /// bytes (never shorter than the fields themselves), wrapped in a `log`
    /// transmit in sc mode.
    pub fn build(&self, app: usize, seq: u64, ts: u64) -> String {
        let mut s = String::with_capacity(self.size + 64);
        if self.sc {
            s.push_str(r#"{"event":"log","data":"#);
        }
        let start = s.len();
        s.push_str(r#"{"type":"BENCH","app":"#);
        s.push_str(&app.to_string());
        s.push_str(r#","seq":"#);
        s.push_str(&seq.to_string());
        s.push_str(r#","ts":"#);
        s.push_str(&ts.to_string());
        s.push_str(r#","pad":""#);
        let used = s.len() - start + 2;
        s.push_str(&self.pad[..self.size.saturating_sub(used)]);
        s.push_str("\"}");
        if self.sc {
            s.push('}');
        }
        s
    }
}

/// The unsigned integer after the first `key` in `t`. A scan instead of a JSON
/// parse: monitors run this on every delivery, and the relays under test wrap the
/// payload in different envelopes.
fn number_after(t: &str, key: &str) -> Option<u64> {
    let i = t.find(key)? + key.len();
    let b = t.as_bytes();
    let mut j = i;
    while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
        j += 1;
    }
    let k0 = j;
    let mut v: u64 = 0;
    while j < b.len() && b[j].is_ascii_digit() {
        v = v.wrapping_mul(10).wrapping_add((b[j] - b'0') as u64);
        j += 1;
    }
    (j > k0).then_some(v)
}

/// (app index, send timestamp ns) of a benchmark payload, wrapped or not.
/// Key order is not relied upon.
pub fn parse_marker(t: &str) -> Option<(usize, u64)> {
    let app = number_after(t, "\"app\":")?;
    let ts = number_after(t, "\"ts\":")?;
    Some((app as usize, ts))
}

#[cfg(test)]
mod tests {
    use super::{parse_marker, Payload};

    #[test]
    fn padded_to_size_and_marker_found_in_any_envelope() {
        let bare = Payload::new(100, false).build(3, 7, 123_456);
        assert_eq!(bare.len(), 100);
        assert_eq!(parse_marker(&bare), Some((3, 123_456)));

        let sc = Payload::new(100, true).build(3, 7, 123_456);
        let data: serde_json::Value = serde_json::from_str(&sc).unwrap();
        assert_eq!(data["event"], "log");
        assert_eq!(data["data"].to_string().len(), 100);
        let published = format!(
            r##"{{"event":"#publish","data":{{"channel":"log","data":{}}}}}"##,
            data["data"]
        );
        assert_eq!(parse_marker(&published), Some((3, 123_456)));

        // Smaller than the fields: never truncated.
        assert_eq!(
            parse_marker(&Payload::new(1, false).build(0, 0, 9)),
            Some((0, 9))
        );
    }
}
