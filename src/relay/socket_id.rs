//! Socket ids in the reference format (SC§4): 15 bytes, 12 random and a 32-bit
//! big-endian sequence number at offset 11, as URL-safe base64 = 20 characters from
//! `[A-Za-z0-9_-]`. Clients treat ids as opaque, but the relay puts them into channel
//! names (`sc-<id>`), so they must never contain `/`, `+` or `=`.

use std::sync::atomic::{AtomicU32, Ordering};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub(crate) struct SocketIds {
    seq: AtomicU32,
}

impl SocketIds {
    pub(crate) fn new() -> Self {
        SocketIds {
            seq: AtomicU32::new(0),
        }
    }

    pub(crate) fn next(&self) -> String {
        let mut bytes = [0u8; 15];
        rand::fill(&mut bytes[..12]);
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        bytes[11..].copy_from_slice(&seq.to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_20_url_safe_chars_and_distinct() {
        let ids = SocketIds::new();
        let a = ids.next();
        let b = ids.next();
        assert_eq!(a.len(), 20);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-'));
        assert!(a.ends_with("AAAA"), "{a}");
        assert!(b.ends_with("AAAB"), "{b}");
        assert_ne!(a, b);
    }
}
