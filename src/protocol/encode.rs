//! Builders for every outbound frame (SC§3–§7), in the key order of the reference
//! packages so our bytes match the captures.
//!
//! Payloads are taken as raw JSON text and copied in unchanged; only names (event and
//! channel names, ids) are JSON-escaped here.

use wide::u8x16;

use super::error::ErrorObject;
use super::scan;

/// Appends `s` as a JSON string literal, escaped exactly as serde_json escapes it
/// (the frames must match the references' bytes). Written in place: states are sent as
/// long escaped strings, and an intermediate `String` per state was a copy too many.
pub fn push_json_str(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push('"');
    // Runs without escapes are copied whole. A 64-byte block without any is skipped
    // with one mask (plain text and the long padding of states); one with escapes is
    // looked at 16 bytes at a time, so a stringified state (a quote every few bytes)
    // costs about what plain text does.
    let mut copied = 0;
    let mut at = 0;
    while let Some(block) = bytes.get(at..at + 64) {
        if scan::any_special64(block) {
            for k in (0..64).step_by(16) {
                let mask = escapes_in(block[k..k + 16].try_into().expect("16 bytes"));
                copied = push_escapes(out, s, copied, at + k, mask);
            }
        }
        at += 64;
    }
    // The rest, 16 bytes at a time; the last block is padded with spaces, which are
    // never escaped.
    while at < bytes.len() {
        let n = (bytes.len() - at).min(16);
        let mut block = [b' '; 16];
        block[..n].copy_from_slice(&bytes[at..at + n]);
        copied = push_escapes(out, s, copied, at, escapes_in(block));
        at += n;
    }
    out.push_str(&s[copied..]);
    out.push('"');
}

/// Bit `i` set = byte `i` of the block must be escaped (`"`, `\\`, or below 0x20).
#[inline(always)]
fn escapes_in(block: [u8; 16]) -> u32 {
    let v = u8x16::from(block);
    let control = v.min(u8x16::splat(0x1f)).simd_eq(v);
    let marks = v.simd_eq(u8x16::splat(b'"')) | v.simd_eq(u8x16::splat(b'\\')) | control;
    marks.to_bitmask()
}

/// Appends what precedes each escape marked in `mask` (bit `k` = byte `at + k`) and the
/// escape itself; returns the index up to which `s` has been written.
#[inline(always)]
fn push_escapes(out: &mut String, s: &str, mut copied: usize, at: usize, mut mask: u32) -> usize {
    while mask != 0 {
        let i = at + mask.trailing_zeros() as usize;
        push_escaped(out, s, copied, i);
        copied = i + 1;
        mask &= mask - 1;
    }
    copied
}

/// Appends `s[from..i]` and then the escape of the ASCII byte at `i`.
#[inline]
fn push_escaped(out: &mut String, s: &str, from: usize, i: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let c = s.as_bytes()[i];
    // `c` is ASCII, so both slice ends are char boundaries. Runs between the escapes
    // of a stringified state are short: no copy call for an empty one.
    if from < i {
        out.push_str(&s[from..i]);
    }
    out.push('\\');
    match c {
        b'"' | b'\\' => out.push(char::from(c)),
        b'\n' => out.push('n'),
        b'\r' => out.push('r'),
        b'\t' => out.push('t'),
        0x08 => out.push('b'),
        0x0c => out.push('f'),
        _ => {
            out.push_str("u00");
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 0xf)]));
        }
    }
}

/// `s` as a JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_str(&mut out, s);
    out
}

/// `<head>"name"[,"data":D]<tail>`: the shape of a transmit and of a `#publish`, with
/// `D` written by `data` straight into the frame (`data_len` is its size hint), so a
/// large message is not built apart and then copied in.
fn named_with(
    head: &str,
    name: &str,
    data_len: usize,
    data: Option<impl FnOnce(&mut String)>,
    tail: &str,
) -> String {
    let mut out = String::with_capacity(head.len() + tail.len() + 12 + name.len() + data_len);
    out.push_str(head);
    push_json_str(&mut out, name);
    if let Some(write) = data {
        out.push_str(r#","data":"#);
        write(&mut out);
    }
    out.push_str(tail);
    out
}

/// [`named_with`] of data given as JSON text.
fn named_with_data(head: &str, name: &str, data: Option<&str>, tail: &str) -> String {
    let write = data.map(|d| move |out: &mut String| out.push_str(d));
    named_with(head, name, data.map_or(0, str::len), write, tail)
}

const TRANSMIT_HEAD: &str = r#"{"event":"#;
const PUBLISH_HEAD: &str = r##"{"event":"#publish","data":{"channel":"##;

/// `{"event":E[,"data":D]}`: a transmit.
pub fn transmit(event: &str, data: Option<&str>) -> String {
    named_with_data(TRANSMIT_HEAD, event, data, "}")
}

/// `{"event":E,"data":D}` with `D` written by `data` straight into the frame.
/// `data_len` is its size hint.
pub fn transmit_with(event: &str, data_len: usize, data: impl FnOnce(&mut String)) -> String {
    named_with(TRANSMIT_HEAD, event, data_len, Some(data), "}")
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
    named_with_data(PUBLISH_HEAD, channel, data, PUBLISH_TAIL)
}

/// The text of a `#publish` frame before its data: `{"event":"#publish","data":{"channel":C,"data":`.
/// With the data and [`PUBLISH_TAIL`] after it, the same bytes as [`publish`].
pub fn publish_head(channel: &str) -> String {
    named_with(PUBLISH_HEAD, channel, 0, Some(|_: &mut String| {}), "")
}

/// The text of a `#publish` frame after its data.
pub const PUBLISH_TAIL: &str = "}}";

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
    fn a_publish_in_three_parts_is_the_same_bytes() {
        for channel in ["log", "sc-a\"b"] {
            let data = r#"{"type":"STATE","payload":"{\"a\":1}"}"#;
            let parts = publish_head(channel) + data + PUBLISH_TAIL;
            assert_eq!(parts, publish(channel, Some(data)));
        }
    }

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
