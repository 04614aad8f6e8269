//! The cross-relay message format: a small binary header followed by the frame data
//! exactly as the publishing socket sent it (never re-serialised, so payloads stay
//! byte-exact, multi-MiB states included).
//!
//! ```text
//! 0      version (1)
//! 1      kind: b'P' publish on a channel, b'T' targeted `sc-<id>` for the owner node
//! 2..10  origin node id (8 ASCII characters)
//! 10..18 publish time, microseconds since the Unix epoch, big-endian (lag metric)
//! 18..20 channel name length, big-endian, then the channel name (UTF-8)
//! 1 byte 1 when a data value follows, 0 for "no data key"
//! rest   the data value (raw JSON text)
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

const VERSION: u8 = 1;
/// The length of a node id (6 random bytes as URL-safe base64).
pub(crate) const NODE_LEN: usize = 8;
const FIXED: usize = 2 + NODE_LEN + 8 + 2;

/// What a cross-relay message asks its receivers to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Publish on the channel to this relay's subscribers.
    Publish,
    /// `sc-<id>` for a socket this relay owns: the relay spec §4 delivery.
    Targeted,
}

/// A decoded message, borrowing the received bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Envelope<'a> {
    pub(crate) kind: Kind,
    pub(crate) origin: &'a str,
    /// Publish time in microseconds since the Unix epoch (the sender's clock).
    pub(crate) sent_micros: u64,
    pub(crate) channel: &'a str,
    pub(crate) data: Option<&'a str>,
}

/// Why received bytes are not an envelope (another program on the same Redis channel,
/// or a newer format).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum DecodeError {
    #[error("message of {0} bytes is shorter than its header")]
    Short(usize),
    #[error("unknown envelope version {0}")]
    Version(u8),
    #[error("unknown message kind {0:#04x}")]
    Kind(u8),
    #[error("channel name or data is not UTF-8")]
    Utf8,
}

pub(crate) fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Builds a message; `node` must be [`NODE_LEN`] bytes and `channel` at most 65535.
pub(crate) fn encode(kind: Kind, node: &str, channel: &str, data: Option<&str>) -> Vec<u8> {
    debug_assert_eq!(node.len(), NODE_LEN);
    let channel = &channel.as_bytes()[..channel.len().min(u16::MAX as usize)];
    let data_len = data.map_or(0, str::len);
    let mut out = Vec::with_capacity(FIXED + channel.len() + 1 + data_len);
    out.push(VERSION);
    out.push(match kind {
        Kind::Publish => b'P',
        Kind::Targeted => b'T',
    });
    out.extend_from_slice(node.as_bytes());
    out.extend_from_slice(&now_micros().to_be_bytes());
    out.extend_from_slice(&(channel.len() as u16).to_be_bytes());
    out.extend_from_slice(channel);
    match data {
        Some(d) => {
            out.push(1);
            out.extend_from_slice(d.as_bytes());
        }
        None => out.push(0),
    }
    out
}

/// Reads a message without copying its data.
pub(crate) fn decode(bytes: &[u8]) -> Result<Envelope<'_>, DecodeError> {
    if bytes.len() < FIXED {
        return Err(DecodeError::Short(bytes.len()));
    }
    if bytes[0] != VERSION {
        return Err(DecodeError::Version(bytes[0]));
    }
    let kind = match bytes[1] {
        b'P' => Kind::Publish,
        b'T' => Kind::Targeted,
        k => return Err(DecodeError::Kind(k)),
    };
    let origin = std::str::from_utf8(&bytes[2..2 + NODE_LEN]).map_err(|_| DecodeError::Utf8)?;
    let mut at = 2 + NODE_LEN;
    let sent_micros = u64::from_be_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
    at += 8;
    let channel_len = u16::from_be_bytes([bytes[at], bytes[at + 1]]) as usize;
    at += 2;
    if bytes.len() < at + channel_len + 1 {
        return Err(DecodeError::Short(bytes.len()));
    }
    let channel =
        std::str::from_utf8(&bytes[at..at + channel_len]).map_err(|_| DecodeError::Utf8)?;
    at += channel_len;
    let data = match bytes[at] {
        0 => None,
        _ => Some(std::str::from_utf8(&bytes[at + 1..]).map_err(|_| DecodeError::Utf8)?),
    };
    Ok(Envelope {
        kind,
        origin,
        sent_micros,
        channel,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_bytes() {
        let data = r#"{"type":"ACTION","payload":"{\"a\" : 1 }","x":"é\u0000"}"#;
        let bytes = encode(Kind::Publish, "ABCDEFGH", "log", Some(data));
        let e = decode(&bytes).unwrap();
        assert_eq!(e.kind, Kind::Publish);
        assert_eq!(e.origin, "ABCDEFGH");
        assert_eq!(e.channel, "log");
        assert_eq!(e.data, Some(data));
        assert!(e.sent_micros > 0);
    }

    #[test]
    fn no_data_and_targeted() {
        let bytes = encode(Kind::Targeted, "node0001", "sc-abc", None);
        let e = decode(&bytes).unwrap();
        assert_eq!(
            (e.kind, e.channel, e.data),
            (Kind::Targeted, "sc-abc", None)
        );
        let empty = encode(Kind::Publish, "node0001", "respond", Some(""));
        assert_eq!(decode(&empty).unwrap().data, Some(""));
    }

    #[test]
    fn foreign_bytes_are_refused() {
        assert_eq!(decode(b"hello"), Err(DecodeError::Short(5)));
        let mut bytes = encode(Kind::Publish, "ABCDEFGH", "log", Some("1"));
        bytes[0] = 9;
        assert_eq!(decode(&bytes), Err(DecodeError::Version(9)));
        bytes[0] = 1;
        bytes[1] = b'X';
        assert_eq!(decode(&bytes), Err(DecodeError::Kind(b'X')));
        let cut = encode(Kind::Publish, "ABCDEFGH", "log", None);
        assert!(decode(&cut[..cut.len() - 2]).is_err());
    }
}
