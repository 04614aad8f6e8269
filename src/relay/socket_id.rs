//! Socket ids in the reference format (SC§4): 15 bytes, 12 random and a 32-bit
//! big-endian sequence number at offset 11, as URL-safe base64 = 20 characters from
//! `[A-Za-z0-9_-]`. Clients treat ids as opaque, but the relay puts them into channel
//! names (`sc-<id>`), so they must never contain `/`, `+` or `=`.
//!
//! In cluster mode the first 6 random bytes are the relay's node id instead, so the
//! first 8 characters of every id name the relay that holds the socket (`sc-<id>` is
//! routed by them, see `cluster`).

use std::sync::atomic::{AtomicU32, Ordering};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub(crate) struct SocketIds {
    seq: AtomicU32,
    node: Option<[u8; 6]>,
}

impl SocketIds {
    /// Ids that start with `node` (cluster mode).
    pub(crate) fn with_node(node: Option<[u8; 6]>) -> Self {
        SocketIds {
            seq: AtomicU32::new(0),
            node,
        }
    }

    pub(crate) fn next(&self) -> String {
        let mut bytes = [0u8; 15];
        rand::fill(&mut bytes[..12]);
        if let Some(node) = self.node {
            bytes[..6].copy_from_slice(&node);
        }
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
        let ids = SocketIds::with_node(None);
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

    #[test]
    fn node_ids_prefix_every_id() {
        let ids = SocketIds::with_node(Some([0xff, 0, 1, 2, 3, 4]));
        let a = ids.next();
        assert_eq!(a.len(), 20);
        assert!(
            a.starts_with(&URL_SAFE_NO_PAD.encode([0xff, 0, 1, 2, 3, 4])),
            "{a}"
        );
        assert_ne!(a, ids.next());
    }
}
