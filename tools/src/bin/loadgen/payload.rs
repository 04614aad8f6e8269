//! The benchmark message: built by apps with their index and send time, found
//! again by monitors in whatever envelope the relay delivers it.
//!
//! Three kinds of `data` (`--payload`), all exactly `--size` bytes of JSON text
//! (never shorter than the marker fields themselves):
//! * `object`: `{"type":"BENCH","app":A,"seq":S,"ts":T,"pad":"xxx…"}`, a plain
//!   JSON object;
//! * `string`: `{"type":"STATE","app":A,"seq":S,"ts":T,"payload":"{\"pad\":\"xxx…\"}"}`,
//!   the state as one long JSON string, as RemoteDev apps send it;
//! * `state`: as `string`, with a stringified state that looks like a real lifted
//!   state (nested objects, arrays, numbers, booleans, `null`, quotes, newlines,
//!   backslashes and non-ASCII text, all escaped once more inside the string).

use clap::ValueEnum;

/// What the `data` of a benchmark message looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// A JSON object with a long plain string field.
    Object,
    /// A JSON object whose `payload` is a stringified state of one long field.
    String,
    /// A JSON object whose `payload` is a stringified, realistic lifted state.
    State,
}

impl Kind {
    /// The name reported in the JSON line.
    pub fn label(self) -> String {
        format!("{self:?}").to_lowercase()
    }
}

pub struct Payload {
    size: usize,
    sc: bool,
    kind: Kind,
    /// Escaped text that opens the stringified state up to its padding string.
    prefix: String,
    pad: String,
}

/// A stringified state shaped like a Redux DevTools lifted state, at least `min`
/// bytes long, ending just inside its last string value (`…,"pad":"`) so that
/// padding with `x` and closing with `"}` keeps it valid JSON.
fn lifted_state_prefix(min: usize) -> String {
    use serde_json::json;
    let mut actions = serde_json::Map::new();
    let mut ids = Vec::new();
    let mut states = Vec::new();
    let mut len = 0;
    let mut i = 0u64;
    while len < min {
        let action = json!({
            "type": "todos/added",
            "payload": {
                "id": i,
                "text": format!("Buy \"milk\" #{i}\n\tthen C:\\tmp — café ☕"),
                "done": i.is_multiple_of(3),
                "tags": ["home", "urgent", null],
                "due": 1_700_000_000_000u64 + i * 60_000,
                "ratio": 0.5 + i as f64 / 1000.0,
            },
        });
        let state = json!({
            "todos": {"ids": [i, i + 1], "filter": "SHOW_ALL", "loading": false},
            "user": {"name": "Zoë", "roles": ["admin"], "meta": {}},
        });
        len += action.to_string().len() + state.to_string().len() + 16;
        actions.insert(i.to_string(), json!({"action": action, "timestamp": 1_700_000_000_000u64 + i, "type": "PERFORM_ACTION"}));
        ids.push(json!(i));
        states.push(json!({"state": state}));
        i += 1;
    }
    let lifted = json!({
        "actionsById": actions,
        "computedStates": states,
        "currentStateIndex": i.saturating_sub(1),
        "nextActionId": i,
        "skippedActionIds": [],
        "stagedActionIds": ids,
        "isLocked": false,
        "isPaused": false,
    });
    let mut text = lifted.to_string();
    text.pop(); // the closing brace: the padding field goes in its place
    text.push_str(r#","pad":""#);
    text
}

/// `s` escaped as the inside of a JSON string literal (no surrounding quotes).
fn escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).expect("a str always serializes");
    quoted[1..quoted.len() - 1].to_owned()
}

impl Payload {
    pub fn new(size: usize, sc: bool, kind: Kind) -> Self {
        let prefix = match kind {
            Kind::Object => String::new(),
            Kind::String => escape(r#"{"pad":""#),
            // Most of the state is structure; the rest is padding.
            Kind::State => escape(&lifted_state_prefix(size.saturating_mul(3) / 5)),
        };
        // The marker fields take up to ~70 bytes; below a few hundred bytes a lifted
        // state does not fit, so small sizes get a tiny state (or just the padding).
        let fits = |p: &str| p.len() + 80 <= size;
        let prefix = if fits(&prefix) {
            prefix
        } else {
            let tiny = escape(r#"{"todos":[{"text":"a \"b\"\n","done":false}],"pad":""#);
            if kind == Kind::State && fits(&tiny) {
                tiny
            } else {
                escape(r#"{"pad":""#)
            }
        };
        Payload {
            size,
            sc,
            kind,
            prefix,
            pad: "x".repeat(size),
        }
    }

    /// The `data` of message `seq` of app `app`, sent at `ts`, padded to `size` bytes
    /// and wrapped in a `log` transmit in sc mode.
    pub fn build(&self, app: usize, seq: u64, ts: u64) -> String {
        let mut s = String::with_capacity(self.size + 64);
        if self.sc {
            s.push_str(r#"{"event":"log","data":"#);
        }
        let start = s.len();
        s.push_str(if self.kind == Kind::Object {
            r#"{"type":"BENCH","app":"#
        } else {
            r#"{"type":"STATE","app":"#
        });
        s.push_str(&app.to_string());
        s.push_str(r#","seq":"#);
        s.push_str(&seq.to_string());
        s.push_str(r#","ts":"#);
        s.push_str(&ts.to_string());
        let tail = match self.kind {
            Kind::Object => {
                s.push_str(r#","pad":""#);
                "\"}"
            }
            Kind::String | Kind::State => {
                s.push_str(r#","payload":""#);
                s.push_str(&self.prefix);
                // closes the pad string and the state inside, then the outer string and object
                r#"\"}"}"#
            }
        };
        let used = s.len() - start + tail.len();
        s.push_str(&self.pad[..self.size.saturating_sub(used)]);
        s.push_str(tail);
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
    use super::{parse_marker, Kind, Payload};

    #[test]
    fn padded_to_size_and_marker_found_in_any_envelope() {
        let bare = Payload::new(100, false, Kind::Object).build(3, 7, 123_456);
        assert_eq!(bare.len(), 100);
        assert_eq!(parse_marker(&bare), Some((3, 123_456)));

        let sc = Payload::new(100, true, Kind::Object).build(3, 7, 123_456);
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
            parse_marker(&Payload::new(1, false, Kind::Object).build(0, 0, 9)),
            Some((0, 9))
        );
    }

    #[test]
    fn stringified_kinds_are_exact_valid_json_with_a_valid_state_inside() {
        for kind in [Kind::String, Kind::State] {
            for size in [100, 1024, 10 * 1024, 100 * 1024] {
                let bare = Payload::new(size, false, kind).build(2, 5, 987);
                assert_eq!(bare.len(), size, "{kind:?} {size}");
                let v: serde_json::Value = serde_json::from_str(&bare).unwrap();
                let state: serde_json::Value =
                    serde_json::from_str(v["payload"].as_str().unwrap()).unwrap();
                assert!(state.is_object());
                if kind == Kind::State && size >= 10 * 1024 {
                    assert!(state["actionsById"].is_object(), "{size}");
                    assert!(bare.contains(r#"\\\""#), "escapes inside the string");
                }
                assert_eq!(parse_marker(&bare), Some((2, 987)));
                let sc = Payload::new(size, true, kind).build(2, 5, 987);
                let env: serde_json::Value = serde_json::from_str(&sc).unwrap();
                assert_eq!(env["data"], v);
            }
        }
    }
}
