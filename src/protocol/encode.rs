//! Builders for every outbound frame (SC§3–§7), in the key order of the reference
//! packages so our bytes match the captures.
//!
//! Payloads are taken as raw JSON text and copied in unchanged; only names (event and
//! channel names, ids) are JSON-escaped here.

use super::error::ErrorObject;

/// Appends `s` as a JSON string literal, escaped exactly as serde_json escapes it
/// (the frames must match the references' bytes). Written in place: states are sent as
/// long escaped strings, and an intermediate `String` per state was a copy too many.
pub fn push_json_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, &c) in s.as_bytes().iter().enumerate() {
        let escape = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        // `i` is an ASCII byte, so both slices end on char boundaries.
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 0xf)]));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// `s` as a JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_str(&mut out, s);
    out
}

/// `<head>"name"[,"data":D]<tail>`: the shape of a transmit and of a `#publish`.
fn named_with_data(head: &str, name: &str, data: Option<&str>, tail: &str) -> String {
    let mut out =
        String::with_capacity(head.len() + tail.len() + 12 + name.len() + data.map_or(0, str::len));
    out.push_str(head);
    push_json_str(&mut out, name);
    if let Some(d) = data {
        out.push_str(r#","data":"#);
        out.push_str(d);
    }
    out.push_str(tail);
    out
}

/// `{"event":E[,"data":D]}`: a transmit.
pub fn transmit(event: &str, data: Option<&str>) -> String {
    named_with_data(r#"{"event":"#, event, data, "}")
}

/// `{"event":E[,"data":D],"cid":N}`: an invoke.
pub fn invoke(event: &str, data: Option<&str>, cid: u64) -> String {
    let mut out = transmit(event, data);
    out.pop();
    out.push_str(r#","cid":"#);
    out.push_str(&cid.to_string());
    out.push('}');
    out
}

/// `{"event":"#publish","data":{"channel":C[,"data":D]}}`: a channel delivery.
/// Built once per publish and shared by every subscriber.
pub fn publish(channel: &str, data: Option<&str>) -> String {
    named_with_data(
        r##"{"event":"#publish","data":{"channel":"##,
        channel,
        data,
        "}}",
    )
}

/// `{"rid":N}`: a successful response without data. `rid` is the raw cid text.
pub fn ack(rid: &str) -> String {
    format!(r#"{{"rid":{rid}}}"#)
}

/// `{"rid":N,"data":D}`.
pub fn ack_data(rid: &str, data: &str) -> String {
    format!(r#"{{"rid":{rid},"data":{data}}}"#)
}

/// `{"rid":N,"error":ERR[,"data":D]}` (the `data` form is v14's).
pub fn ack_error(rid: &str, error: &ErrorObject, data: Option<&str>) -> String {
    let err = error.to_json();
    match data {
        Some(d) => format!(r#"{{"rid":{rid},"error":{err},"data":{d}}}"#),
        None => format!(r#"{{"rid":{rid},"error":{err}}}"#),
    }
}

/// The data of a handshake response (SC§4): exactly `id`, `pingTimeout`, optional
/// `authError`, `isAuthenticated`.
pub fn handshake_status(
    id: &str,
    ping_timeout_ms: u64,
    auth_error: Option<&ErrorObject>,
) -> String {
    handshake_status_authenticated(id, ping_timeout_ms, auth_error, false)
}

/// As [`handshake_status`], with `isAuthenticated` as given (a relay with an auth key
/// that accepted the socket's token).
pub fn handshake_status_authenticated(
    id: &str,
    ping_timeout_ms: u64,
    auth_error: Option<&ErrorObject>,
    is_authenticated: bool,
) -> String {
    let mut out = String::with_capacity(96);
    out.push_str(r#"{"id":"#);
    push_json_str(&mut out, id);
    out.push_str(r#","pingTimeout":"#);
    out.push_str(&ping_timeout_ms.to_string());
    if let Some(e) = auth_error {
        out.push_str(r#","authError":"#);
        out.push_str(&e.to_json());
    }
    out.push_str(if is_authenticated {
        r#","isAuthenticated":true}"#
    } else {
        r#","isAuthenticated":false}"#
    });
    out
}

/// `{"event":"#handshake","data":{"authToken":T},"cid":N}`: what a client sends first.
pub fn handshake_request(cid: u64, auth_token: Option<&str>) -> String {
    let token = auth_token.map_or_else(|| "null".to_owned(), json_str);
    invoke(
        "#handshake",
        Some(&format!(r#"{{"authToken":{token}}}"#)),
        cid,
    )
}

/// `{"event":"#disconnect","data":{"code":C[,"data":R]}}` (SC§7), sent to v1 peers
/// before the close frame.
pub fn disconnect(code: u16, reason: Option<&str>) -> String {
    let data = match reason {
        Some(r) => format!(r#"{{"code":{code},"data":{}}}"#, json_str(r)),
        None => format!(r#"{{"code":{code}}}"#),
    };
    transmit("#disconnect", Some(&data))
}

/// `{"event":"#subscribe","data":{"channel":C},"cid":N}`.
pub fn subscribe(channel: &str, cid: u64) -> String {
    invoke(
        "#subscribe",
        Some(&format!(r#"{{"channel":{}}}"#, json_str(channel))),
        cid,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::names;

    #[test]
    fn frames_match_reference_bytes() {
        assert_eq!(ack("3"), r#"{"rid":3}"#);
        assert_eq!(
            ack_data("2", r#""respond""#),
            r#"{"rid":2,"data":"respond"}"#
        );
        assert_eq!(
            publish("log", Some(r#"{"id":"a","type":"DISCONNECTED"}"#)),
            r##"{"event":"#publish","data":{"channel":"log","data":{"id":"a","type":"DISCONNECTED"}}}"##
        );
        assert_eq!(
            transmit("#removeAuthToken", None),
            r##"{"event":"#removeAuthToken"}"##
        );
        assert_eq!(
            disconnect(4321, Some("server says bye")),
            r##"{"event":"#disconnect","data":{"code":4321,"data":"server says bye"}}"##
        );
        assert_eq!(
            handshake_status("yN-w0lZOrB5TXxd5AAAA", 20000, None),
            r#"{"id":"yN-w0lZOrB5TXxd5AAAA","pingTimeout":20000,"isAuthenticated":false}"#
        );
        assert_eq!(
            handshake_request(1, None),
            r##"{"event":"#handshake","data":{"authToken":null},"cid":1}"##
        );
        assert_eq!(
            subscribe("respond", 3),
            r##"{"event":"#subscribe","data":{"channel":"respond"},"cid":3}"##
        );
        let e = ErrorObject::new(names::INVALID_ACTION, "Client publish feature is disabled");
        assert_eq!(
            ack_error("5", &e, None),
            r#"{"rid":5,"error":{"message":"Client publish feature is disabled","name":"InvalidActionError"}}"#
        );
    }

    #[test]
    fn strings_are_escaped_as_serde_json_does() {
        let all_low: String = (0u8..0x20).map(char::from).collect();
        for s in [
            "",
            "plain",
            "q\"b\\s/",
            "\u{7f}é☕\u{1F600}",
            &all_low,
            "{\"a\":[1,\"x\\ny\"]}\n\ttab",
        ] {
            assert_eq!(json_str(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn names_are_escaped() {
        assert_eq!(json_str("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(transmit("é", Some("1")), r#"{"event":"é","data":1}"#);
    }
}
