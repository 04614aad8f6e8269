//! Classification of received text into SocketCluster frames (SC§2, SC§3).
//!
//! Decoding follows the reference codec: `#1`/`#2` and the empty text are keep-alive,
//! text that does not look like JSON (or fails to parse) is "raw", an array is a batch,
//! an object is an event, a response or raw. Payloads stay borrowed [`RawValue`]s so
//! the relay can forward them byte for byte.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::ping::{PING_V1, PONG_V1};

/// One received WebSocket text message, classified.
#[derive(Debug)]
pub enum Inbound<'a> {
    /// `#1`: a v1 ping (normally only servers send it).
    PingV1,
    /// `#2`: a v1 pong.
    PongV1,
    /// The zero-length text: a v2 ping or pong.
    Empty,
    /// A single JSON object frame.
    Frame(Frame<'a>),
    /// A JSON array: several frames to process in order (SC§10).
    Batch(Vec<Frame<'a>>),
    /// Anything else: not JSON, invalid JSON, or JSON that is not a frame.
    Raw(&'a str),
}

/// One frame of a message (a message is one frame or a batch of them).
#[derive(Debug)]
pub enum Frame<'a> {
    /// A transmit or an invoke.
    Event(Event<'a>),
    /// The answer to an invoke.
    Response(Response<'a>),
    /// JSON that is neither an event nor a response (ignored by every peer).
    Raw(&'a str),
}

/// An event: a transmit when `cid` is `None`, an invoke otherwise.
#[derive(Debug)]
pub struct Event<'a> {
    /// The event name (`#handshake`, `login`, …).
    pub name: Cow<'a, str>,
    /// The `data` value as sent; `None` when the key is absent. JSON `null` is kept as
    /// `Some("null")` because it is a value the sender chose.
    pub data: Option<&'a RawValue>,
    /// The call id, as raw JSON (a number, or a string which is echoed unchanged).
    pub cid: Option<&'a RawValue>,
}

/// A response to an invoke (`rid` matches the invoke's `cid`).
#[derive(Debug)]
pub struct Response<'a> {
    /// The invoke's call id, as raw JSON.
    pub rid: &'a RawValue,
    /// The answer's data, if any.
    pub data: Option<&'a RawValue>,
    /// `None` when absent or `null` (SC§3: `error: null` means success).
    pub error: Option<&'a RawValue>,
}

impl Event<'_> {
    /// Whether the sender expects a response.
    pub fn is_invoke(&self) -> bool {
        self.cid.is_some()
    }

    /// The data as a string if it is a JSON string (e.g. a channel name).
    pub fn data_str(&self) -> Option<Cow<'_, str>> {
        self.data.and_then(json_str)
    }
}

impl Response<'_> {
    /// The `rid` as an integer when it is one (clients number their invokes).
    pub fn rid_u64(&self) -> Option<u64> {
        self.rid.get().parse().ok()
    }
}

/// An event with its values as raw JSON text: what [`scan_event`] finds, and what
/// an [`Event`] is seen as by code that takes either.
#[derive(Debug, Clone)]
pub struct TextEvent<'a> {
    /// The event name.
    pub name: Cow<'a, str>,
    /// The `data` value as sent (`null` included); `None` when the key is absent.
    pub data: Option<&'a str>,
    /// The call id (a number or a string) as raw JSON; `None` for a transmit.
    pub cid: Option<&'a str>,
}

impl<'a> From<Event<'a>> for TextEvent<'a> {
    fn from(e: Event<'a>) -> Self {
        TextEvent {
            name: e.name,
            data: e.data.map(RawValue::get),
            cid: e.cid.map(RawValue::get),
        }
    }
}

/// The fast path of [`classify`] for the common frame, one JSON object with an
/// `event`: `Some` exactly when `classify` would return `Inbound::Frame(Frame::Event)`
/// with the same name, data and cid, except that it may return `None` for frames it
/// leaves to `classify` (escaped names or keys, duplicate keys, deep nesting). One
/// validating pass over the text (see [`scan`](super::scan)); `data` is a span of it.
pub fn scan_event(text: &str) -> Option<TextEvent<'_>> {
    let env = super::scan::envelope(text)?;
    let name = env.event?;
    // A string without escapes (anything else goes the exact way).
    let name = name.strip_prefix('"')?.strip_suffix('"')?;
    if name.contains('\\') {
        return None;
    }
    Some(TextEvent {
        name: Cow::Borrowed(name),
        data: env.data,
        cid: env.cid.filter(|c| valid_call_id_text(c)),
    })
}

/// Decodes a JSON string value without allocating when it has no escapes.
pub fn json_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    json_text_str(raw.get())
}

/// [`json_str`] of raw JSON text (`None` when it is not a valid JSON string).
pub fn json_text_str(text: &str) -> Option<Cow<'_, str>> {
    if !text.starts_with('"') {
        return None;
    }
    if let Ok(s) = serde_json::from_str::<&str>(text) {
        return Some(Cow::Borrowed(s));
    }
    serde_json::from_str::<String>(text).ok().map(Cow::Owned)
}

/// Classifies one received text message (SC§2 decode rules).
pub fn classify(text: &str) -> Inbound<'_> {
    if text.is_empty() {
        return Inbound::Empty;
    }
    if text == PING_V1 {
        return Inbound::PingV1;
    }
    if text == PONG_V1 {
        return Inbound::PongV1;
    }
    match text
        .trim_start_matches([' ', '\t', '\r', '\n'])
        .as_bytes()
        .first()
    {
        // One pass over the text: the envelope parse validates the whole object.
        Some(b'{') => match serde_json::from_str::<Envelope<'_>>(text) {
            Ok(env) => Inbound::Frame(classify_envelope(env, text)),
            Err(_) => Inbound::Raw(text),
        },
        Some(b'[') => match serde_json::from_str::<Vec<&RawValue>>(text) {
            Ok(items) => Inbound::Batch(items.into_iter().map(classify_object).collect()),
            Err(_) => Inbound::Raw(text),
        },
        _ => Inbound::Raw(text),
    }
}

/// The envelope keys of a frame; everything else in the object is ignored.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    event: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "keep_null")]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    cid: Option<&'a RawValue>,
    #[serde(borrow, default)]
    rid: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

/// Deserializes a present key as its raw value even when that value is `null`.
fn keep_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// A cid or rid is valid when it is a number or a string (SC§3).
fn valid_call_id(raw: Option<&RawValue>) -> Option<&RawValue> {
    raw.filter(|r| valid_call_id_text(r.get()))
}

fn valid_call_id_text(t: &str) -> bool {
    matches!(t.as_bytes().first(), Some(b'"' | b'-' | b'0'..=b'9'))
}

fn classify_object(raw: &RawValue) -> Frame<'_> {
    let text = raw.get();
    match serde_json::from_str::<Envelope<'_>>(text) {
        Ok(env) => classify_envelope(env, text),
        Err(_) => Frame::Raw(text),
    }
}

fn classify_envelope<'a>(env: Envelope<'a>, text: &'a str) -> Frame<'a> {
    if let Some(event) = env.event {
        return match json_str(event) {
            Some(name) => Frame::Event(Event {
                name,
                data: env.data,
                cid: valid_call_id(env.cid),
            }),
            None => Frame::Raw(text),
        };
    }
    match valid_call_id(env.rid) {
        Some(rid) => Frame::Response(Response {
            rid,
            data: env.data,
            error: env.error.filter(|e| e.get() != "null"),
        }),
        None => Frame::Raw(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(text: &str) -> Event<'_> {
        match classify(text) {
            Inbound::Frame(Frame::Event(e)) => e,
            other => panic!("not an event: {other:?}"),
        }
    }

    #[test]
    fn keepalive_forms() {
        assert!(matches!(classify(""), Inbound::Empty));
        assert!(matches!(classify("#1"), Inbound::PingV1));
        assert!(matches!(classify("#2"), Inbound::PongV1));
        assert!(matches!(classify("\"\""), Inbound::Raw(_)));
        assert!(matches!(classify("#3"), Inbound::Raw(_)));
    }

    #[test]
    fn invoke_transmit_and_cid_forms() {
        let e = event(r#"{"event":"login","data":"master","cid":2}"#);
        assert_eq!(e.name, "login");
        assert_eq!(e.data.unwrap().get(), r#""master""#);
        assert_eq!(e.cid.unwrap().get(), "2");
        assert!(!event(r#"{"event":"log","data":{}}"#).is_invoke());
        assert!(!event(r#"{"event":"log","data":{},"cid":null}"#).is_invoke());
        assert_eq!(
            event(r#"{"event":"x","cid":"a7"}"#).cid.unwrap().get(),
            r#""a7""#
        );
        assert!(!event(r#"{"event":"x","cid":true}"#).is_invoke());
    }

    #[test]
    fn python_spacing_and_key_order() {
        let e = event(r##"{"cid": 1, "data": {"authToken": null}, "event": "#handshake"}"##);
        assert_eq!(e.name, "#handshake");
        assert_eq!(e.data.unwrap().get(), r#"{"authToken": null}"#);
    }

    #[test]
    fn data_absent_vs_null() {
        assert!(event(r##"{"event":"#removeAuthToken"}"##).data.is_none());
        assert_eq!(
            event(r##"{"event":"#removeAuthToken","data":null}"##)
                .data
                .unwrap()
                .get(),
            "null"
        );
    }

    #[test]
    fn escaped_event_name() {
        assert_eq!(event(r#"{"event":"l\u006fg","data":1}"#).name, "log");
    }

    #[test]
    fn responses() {
        match classify(r#"{"rid":3,"error":null}"#) {
            Inbound::Frame(Frame::Response(r)) => {
                assert_eq!(r.rid_u64(), Some(3));
                assert!(r.error.is_none());
            }
            other => panic!("{other:?}"),
        }
        match classify(r#"{"rid":6,"error":{"message":"custom failure"}}"#) {
            Inbound::Frame(Frame::Response(r)) => assert!(r.error.is_some()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn raw_and_malformed() {
        for text in ["hello", "{not json", "{\"event\":5}", "{}", "[1,", "  x{"] {
            let ok = matches!(
                classify(text),
                Inbound::Raw(_) | Inbound::Frame(Frame::Raw(_))
            );
            assert!(ok, "{text}");
        }
    }

    #[test]
    fn scan_event_agrees_with_classify() {
        let cases = [
            r#"{"event":"log","data":{"type":"STATE","payload":"{\"a\":[1,\"\\n\"]}"}}"#,
            r#"{"event":"login","data":"master","cid":2}"#,
            r##"{"cid": 1, "data": {"authToken": null}, "event": "#handshake"}"##,
            r#"{"event":"x","cid":null,"data":null}"#,
            r#"{"event":"x","cid":true}"#,
            r#"{"event":"x","cid":"a7","extra":[{"k":-1.5e3}]}"#,
            r#"{"event":"l\u006fg","data":1}"#,
            r#"{"event":5}"#,
            r#"{"event":null,"rid":1}"#,
            r#"{"event":"a","event":"b"}"#,
            r#"{"event":"a","data":"\x"}"#,
            r#"{"event":"a","data":[1,]}"#,
            r#"{"event":"a","data":"tab	"}"#,
            r#"{"rid":3}"#,
        ];
        for text in cases {
            let exact = match classify(text) {
                Inbound::Frame(Frame::Event(e)) => Some(TextEvent::from(e)),
                _ => None,
            };
            match (scan_event(text), exact) {
                (Some(fast), Some(exact)) => {
                    assert_eq!(fast.name, exact.name, "{text}");
                    assert_eq!(fast.data, exact.data, "{text}");
                    assert_eq!(fast.cid, exact.cid, "{text}");
                }
                (Some(fast), None) => panic!("{text}: fast path accepted {fast:?}"),
                (None, _) => {}
            }
        }
        assert!(scan_event(r#"{"event":"log","data":{"x":"y"}}"#).is_some());
    }

    #[test]
    fn batches_keep_order_and_mix() {
        match classify(r##" [{"event":"#subscribe","data":{"channel":"a"},"cid":3},{"rid":1},5]"##)
        {
            Inbound::Batch(frames) => {
                assert!(matches!(frames[0], Frame::Event(_)));
                assert!(matches!(frames[1], Frame::Response(_)));
                assert!(matches!(frames[2], Frame::Raw("5")));
            }
            other => panic!("{other:?}"),
        }
    }
}
