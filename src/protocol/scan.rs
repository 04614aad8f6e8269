//! A validating single-pass scanner for the envelope of one frame: the relay's hot path.
//!
//! [`classify`](super::classify) deserializes frames with serde_json, which is exact but
//! costs about as much as all the WebSocket work for a large `data` (its generic
//! machinery runs per value and its string loop takes 8 bytes at a time). This scanner
//! finds the envelope keys (`event`, `data`, `cid`, `rid`, `error`) and validates every
//! value on the way, with a string loop that looks at 64 bytes per step through 16-byte
//! vectors (the `wide` crate: SSE2 on x86-64, NEON on aarch64, scalar elsewhere).
//!
//! It accepts a subset of what serde_json accepts and never more: anything it is not
//! sure of (an escaped key, a duplicate key, nesting deeper than serde_json's limit,
//! malformed JSON) makes it give up, and the caller falls back to the exact path. So a
//! frame it accepts is valid JSON, and its values are byte-for-byte spans of the text.

/// The spans of the envelope keys of one JSON object; the rest of the object was
/// validated and skipped.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EnvelopeSpans<'a> {
    /// `event` value, as raw JSON.
    pub event: Option<&'a str>,
    /// `data` value, as raw JSON (`null` included).
    pub data: Option<&'a str>,
    /// `cid` value, as raw JSON.
    pub cid: Option<&'a str>,
    /// `rid` value, as raw JSON.
    pub rid: Option<&'a str>,
    /// `error` value, as raw JSON.
    pub error: Option<&'a str>,
}

/// serde_json refuses nesting deeper than 128 arrays/objects; stay below that so
/// everything accepted here is accepted there.
const MAX_DEPTH: u32 = 100;

use wide::u8x16;

/// Scans `text` as one JSON object (surrounding whitespace allowed). `None` when it is
/// not one, or when it is one this scanner leaves to the exact path.
pub fn envelope(text: &str) -> Option<EnvelopeSpans<'_>> {
    let b = text.as_bytes();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(b, i + 1);
    let mut env = EnvelopeSpans::default();
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let key_end = string(b, i + 1)?;
            let key = &b[i + 1..key_end - 1];
            i = ws(b, key_end);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = ws(b, i + 1);
            let start = i;
            i = value(b, i, 1)?;
            let slot = match key {
                b"event" => &mut env.event,
                b"data" => &mut env.data,
                b"cid" => &mut env.cid,
                b"rid" => &mut env.rid,
                b"error" => &mut env.error,
                // An escape could spell one of the keys above: leave it to serde_json.
                k if k.contains(&b'\\') => return None,
                _ => &mut None,
            };
            if slot.is_some() {
                // serde_json refuses duplicate fields.
                return None;
            }
            // Spans start and end on ASCII bytes, so they are char boundaries.
            *slot = Some(text.get(start..i)?);
            i = ws(b, i);
            match b.get(i) {
                Some(b',') => i = ws(b, i + 1),
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (ws(b, i) == b.len()).then_some(env)
}

/// Whether `text` is exactly one valid JSON value (surrounding whitespace allowed),
/// by the same rules as [`envelope`].
pub fn is_valid_value(text: &str) -> bool {
    let b = text.as_bytes();
    let i = ws(b, 0);
    value(b, i, 0).is_some_and(|end| ws(b, end) == b.len())
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// The end of the value starting at `i` (no leading whitespace).
fn value(b: &[u8], i: usize, depth: u32) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string(b, i + 1),
        b'{' => object(b, i + 1, depth + 1),
        b'[' => array(b, i + 1, depth + 1),
        b't' => literal(b, i, b"true"),
        b'f' => literal(b, i, b"false"),
        b'n' => literal(b, i, b"null"),
        b'-' | b'0'..=b'9' => number(b, i),
        _ => None,
    }
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (b.get(i..i + word.len())? == word).then_some(i + word.len())
}

fn object(b: &[u8], mut i: usize, depth: u32) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    i = ws(b, i);
    if b.get(i) == Some(&b'}') {
        return Some(i + 1);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        i = ws(b, string(b, i + 1)?);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = ws(b, i + 1);
        i = ws(b, value(b, i, depth)?);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b'}') => return Some(i + 1),
            _ => return None,
        }
    }
}

fn array(b: &[u8], mut i: usize, depth: u32) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    i = ws(b, i);
    if b.get(i) == Some(&b']') {
        return Some(i + 1);
    }
    loop {
        i = ws(b, value(b, i, depth)?);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b']') => return Some(i + 1),
            _ => return None,
        }
    }
}

/// RFC 8259 number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn number(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(b, i + 1),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let j = digits(b, i + 1);
        if j == i + 1 {
            return None;
        }
        i = j;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let j = digits(b, i);
        if j == i {
            return None;
        }
        i = j;
    }
    Some(i)
}

fn digits(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// Whether a 64-byte block holds a quote, a backslash or a control character. One
/// mask for the whole block: `(b ^ 2) <= 0x20` holds exactly for a quote or a byte
/// below 0x20, so two compares per byte.
#[inline(always)]
pub(crate) fn any_special64(block: &[u8]) -> bool {
    let mut seen = u8x16::splat(0);
    for k in 0..4 {
        let mut a = [0u8; 16];
        a.copy_from_slice(&block[k * 16..k * 16 + 16]);
        let v = u8x16::from(a);
        let x = v ^ u8x16::splat(2);
        seen |= x.min(u8x16::splat(0x20)).simd_eq(x) | v.simd_eq(u8x16::splat(b'\\'));
    }
    seen.to_bitmask() != 0
}

/// The index after the escape sequence whose backslash is at `i`.
#[inline(always)]
fn escape_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i + 1)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(i + 2),
        b'u' => b
            .get(i + 2..i + 6)?
            .iter()
            .all(u8::is_ascii_hexdigit)
            .then_some(i + 6),
        _ => None,
    }
}

/// The high bit of each byte of `w` that is a quote, a backslash or a control
/// character, exact up to the first one (a borrow can mark bytes after a real hit,
/// never before it).
#[inline(always)]
fn specials8(w: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let control = w.wrapping_sub(LO * 0x20) & !w;
    let q = w ^ (LO * u64::from(b'"'));
    let quote = q.wrapping_sub(LO) & !q;
    let s = w ^ (LO * u64::from(b'\\'));
    let backslash = s.wrapping_sub(LO) & !s;
    (control | quote | backslash) & HI
}

/// Bit masks of one 64-byte block: backslashes and quotes; and whether it holds a
/// control character at all (rare: [`controls64`] then says where).
#[inline(always)]
fn masks64(block: &[u8]) -> (u64, u64, bool) {
    let (mut backslash, mut quote) = (0, 0);
    let mut control = u8x16::splat(0);
    for k in 0..4 {
        let mut a = [0u8; 16];
        a.copy_from_slice(&block[k * 16..k * 16 + 16]);
        let v = u8x16::from(a);
        let shift = 16 * k as u32;
        backslash |= (v.simd_eq(u8x16::splat(b'\\')).to_bitmask() as u64) << shift;
        quote |= (v.simd_eq(u8x16::splat(b'"')).to_bitmask() as u64) << shift;
        control |= v.min(u8x16::splat(0x1f)).simd_eq(v);
    }
    (backslash, quote, control.to_bitmask() != 0)
}

/// The control characters of a 64-byte block.
fn controls64(block: &[u8]) -> u64 {
    block
        .iter()
        .enumerate()
        .fold(0, |m, (k, &c)| m | (u64::from(c < 0x20) << k))
}

/// Which bytes of a block are escaped (follow an odd run of backslashes), given the
/// block's backslashes and whether its first byte is escaped by the previous block;
/// also whether the next block's first byte is. Branch-free, after simdjson: runs of
/// backslashes that start on an even bit and on an odd bit are told apart by one
/// subtraction.
#[inline(always)]
fn escaped(backslash: u64, first_escaped: u64) -> (u64, u64) {
    const ODD: u64 = 0xAAAA_AAAA_AAAA_AAAA;
    let potential = backslash & !first_escaped;
    let code = ((potential << 1) | ODD).wrapping_sub(potential) ^ ODD;
    let escaped = code ^ (backslash | first_escaped);
    let escape = code & backslash;
    (escaped, escape >> 63)
}

/// Whether the escape code at `i` (the byte after a backslash) other than a quote or
/// a backslash is valid: `/ b f n r t`, or `u` and four hex digits.
fn other_escape_ok(b: &[u8], i: usize) -> bool {
    match b.get(i).copied().unwrap_or(0) {
        b'/' | b'b' | b'f' | b'n' | b'r' | b't' => true,
        b'u' => b
            .get(i + 1..i + 5)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)),
        _ => false,
    }
}

/// The end (index after the closing quote) of the string whose body starts at `i`.
///
/// 64 bytes a step. While a string has nothing to look at, one combined mask per
/// block says so. Blocks with escapes get the backslash, quote and control masks; the
/// escaped bytes come from one subtraction, so a string as dense with `\"` as a
/// stringified state costs the same per byte as a plain one. Only escapes other than
/// `\"` and `\\` are looked at one by one.
#[inline(always)]
fn string(b: &[u8], mut i: usize) -> Option<usize> {
    // Keys and short values end within a few bytes, where a block mask would cost more:
    // the first 32 bytes go 8 at a time in a general register.
    let short = i + 32;
    while i < short {
        let Some(chunk) = b.get(i..i + 8) else { break };
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let m = specials8(u64::from_le_bytes(w));
        if m == 0 {
            i += 8;
            continue;
        }
        i += (m.trailing_zeros() / 8) as usize;
        match b[i] {
            b'"' => return Some(i + 1),
            b'\\' => i = escape_end(b, i)?,
            _ => return None,
        }
    }
    long_string(b, i)
}

/// The rest of a string longer than the short path (see [`string`]).
#[inline(never)]
fn long_string(b: &[u8], mut i: usize) -> Option<usize> {
    let mut carry = 0u64;
    let mut busy = false;
    // The last block is copied into one padded with quotes: if the string does not end
    // in the text, its "end" shows up in the padding and is refused below.
    let mut padded = [b'"'; 64];
    while i < b.len() {
        let block = match b.get(i..i + 64) {
            Some(block) => block,
            None => {
                let rest = &b[i..];
                padded[..rest.len()].copy_from_slice(rest);
                &padded[..]
            }
        };
        if !busy && carry == 0 && !any_special64(block) {
            i += 64;
            continue;
        }
        let (backslash, quote, any_control) = masks64(block);
        let (escaped, next_carry) = escaped(backslash, carry);
        let ends = quote & !escaped;
        // The bits before the closing quote (all of them when it is not here).
        let body = (ends & ends.wrapping_neg()).wrapping_sub(1);
        if any_control && controls64(block) & body != 0 {
            return None;
        }
        let mut others = escaped & !(quote | backslash) & body;
        while others != 0 {
            if !other_escape_ok(b, i + others.trailing_zeros() as usize) {
                return None;
            }
            others &= others - 1;
        }
        if ends != 0 {
            let end = i + ends.trailing_zeros() as usize + 1;
            return (end <= b.len()).then_some(end);
        }
        carry = next_carry;
        busy = backslash != 0;
        i += 64;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_ok(text: &str) -> bool {
        serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    }

    #[test]
    fn envelope_spans() {
        let e = envelope(r#" {"event":"log","data":{"a":[1,2.5e-3,"x\"y"]},"cid":7} "#).unwrap();
        assert_eq!(e.event, Some(r#""log""#));
        assert_eq!(e.data, Some(r#"{"a":[1,2.5e-3,"x\"y"]}"#));
        assert_eq!(e.cid, Some("7"));
        assert_eq!(e.rid, None);
        let e = envelope(r#"{"rid":3,"error":null,"other":[{}]}"#).unwrap();
        assert_eq!((e.rid, e.error), (Some("3"), Some("null")));
        assert_eq!(envelope("{}"), Some(EnvelopeSpans::default()));
    }

    #[test]
    fn leaves_doubtful_frames_to_serde() {
        for text in [
            r#"{"event":"a","event":"b"}"#,
            r#"{"ev\u0065nt":"a"}"#,
            r#"{"event":"a"} x"#,
            r#"["event"]"#,
            "",
        ] {
            assert_eq!(envelope(text), None, "{text}");
        }
        let deep = format!("{}1{}", "[".repeat(120), "]".repeat(120));
        assert!(!is_valid_value(&deep));
    }

    #[test]
    fn escaped_bits_match_a_byte_by_byte_walk() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Sparse to dense runs of backslashes.
            let backslash = match round % 4 {
                0 => seed,
                1 => seed & (seed >> 1),
                2 => seed | (seed >> 3),
                _ => seed & (seed >> 2) & (seed >> 5),
            };
            let carry = (seed >> 40) & 1;
            let (mut want, mut c) = (0u64, carry);
            for k in 0..64 {
                if c == 1 {
                    want |= 1 << k;
                    c = 0;
                } else if backslash >> k & 1 == 1 {
                    c = 1;
                }
            }
            assert_eq!(
                escaped(backslash, carry),
                (want, c),
                "{backslash:#x} {carry}"
            );
        }
    }

    #[test]
    fn long_strings_with_escapes_at_every_block_position() {
        for len in [60, 64, 100, 128, 200, 300] {
            for at in 0..len {
                for esc in [
                    "\\\"", "\\\\", "\\n", "\\u00e9", "\\q", "\\u12", "\"", "\n", "\\",
                ] {
                    let mut body: String = "a".repeat(len);
                    body.insert_str(at, esc);
                    let text = format!("\"{body}\"");
                    assert_eq!(is_valid_value(&text), serde_ok(&text), "{text:?}");
                    // Dense: a stringified object.
                    let dense = format!(
                        "\"{}{esc}{}\"",
                        "\\\"k\\\":".repeat(at / 5),
                        "\\\\".repeat(len / 7)
                    );
                    assert_eq!(is_valid_value(&dense), serde_ok(&dense), "{dense:?}");
                }
            }
        }
    }

    #[test]
    fn never_accepts_what_serde_json_refuses() {
        let long = "y".repeat(40);
        let cases = [
            "1",
            "-0",
            "-",
            "01",
            "1.",
            "1.5",
            ".5",
            "1e",
            "1e+",
            "1E-7",
            "-1.0e10",
            "true",
            "tru",
            "nul",
            "null",
            "falsey",
            "[]",
            "[1,]",
            "[,1]",
            "{}",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{1:2}",
            "\"\"",
            "\"abc",
            "\"a\\\"",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"\\u00e9\"",
            "\"\\ud800\"",
            "\"tab\there\"",
            "\"nl\nhere\"",
            "\"é☕\"",
            "[1 2]",
            "{\"a\":1 \"b\":2}",
            " [ 1 , { \"k\" : [ ] } ] ",
            "\"\u{7f}\"",
        ];
        let mut all: Vec<String> = cases.iter().map(|s| s.to_string()).collect();
        // Every position of a special byte relative to the 8- and 16-byte steps.
        for k in 0..34 {
            for special in ["\\\"", "\\n", "\\u0041", "\"", "\n", "\\q", "\\"] {
                all.push(format!(
                    "\"{}{special}{}\"",
                    &long[..k],
                    &long[..(k * 7) % 23]
                ));
            }
        }
        for text in &all {
            let ours = is_valid_value(text);
            assert_eq!(ours, serde_ok(text), "{text:?}");
            let framed = format!(r#"{{"event":"x","data":{text}}}"#);
            assert_eq!(envelope(&framed).is_some(), serde_ok(&framed), "{framed:?}");
            if ours {
                assert_eq!(envelope(&framed).unwrap().data, Some(text.trim()));
            }
        }
    }
}
