//! The data of SocketCluster's private `#` events and of the handshake answer, as a
//! client reads them (SC§5–§7). Pure decoding: malformed data is `None`, which the
//! client treats as the event not having happened (as the reference clients do).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// The handshake answer's data: `{"id":…,"pingTimeout":…,"isAuthenticated":…}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandshakeStatus {
    /// The socket id the server gave this connection.
    pub id: String,
    /// The server's ping timeout in ms, if it said (SC§8.4).
    pub ping_timeout: Option<u64>,
    /// Whether the server accepted the handshake's auth token.
    #[serde(default)]
    pub is_authenticated: bool,
    /// Why the server rejected the handshake's token (SC§9 error object), if it did.
    #[serde(default)]
    pub auth_error: Option<Box<RawValue>>,
}

impl HandshakeStatus {
    /// Reads the data of a handshake answer.
    pub fn parse(data: &RawValue) -> Option<HandshakeStatus> {
        serde_json::from_str(data.get()).ok()
    }
}

/// `#publish` data: `{"channel":…,"data":…}`.
#[derive(Debug, Deserialize)]
pub struct Publish<'a> {
    /// The channel name.
    #[serde(borrow)]
    pub channel: Cow<'a, str>,
    /// The published data (raw JSON), absent when the publisher sent none.
    #[serde(borrow, default)]
    pub data: Option<&'a RawValue>,
}

impl<'a> Publish<'a> {
    /// Reads `#publish` data; `None` without a string `channel`.
    pub fn parse(data: &'a RawValue) -> Option<Publish<'a>> {
        serde_json::from_str(data.get()).ok()
    }
}

/// `#kickOut` data: `{"channel":…,"message":…}`.
#[derive(Debug, Deserialize)]
pub struct KickOut {
    /// The channel the socket was removed from ("" if absent).
    #[serde(default)]
    pub channel: String,
    /// The server's reason ("" if absent).
    #[serde(default)]
    pub message: String,
}

impl KickOut {
    /// Reads `#kickOut` data.
    pub fn parse(data: &RawValue) -> Option<KickOut> {
        serde_json::from_str(data.get()).ok()
    }
}

/// `#setAuthToken` data: `{"token":…}`.
#[derive(Debug, Deserialize)]
pub struct SetAuthToken {
    /// The signed token to send in later handshakes.
    pub token: String,
}

impl SetAuthToken {
    /// Reads `#setAuthToken` data; `None` without a string `token`.
    pub fn parse(data: &RawValue) -> Option<SetAuthToken> {
        serde_json::from_str(data.get()).ok()
    }
}

/// `#disconnect` data: `{"code":…,"data":…}`; the reason is `data` when it is a string.
#[derive(Debug, Default)]
pub struct Disconnect {
    /// The close code (`None` if absent).
    pub code: Option<u16>,
    /// The reason text ("" unless `data` is a string).
    pub reason: String,
}

impl Disconnect {
    /// Reads `#disconnect` data; anything unreadable is an empty value.
    pub fn parse(data: Option<&RawValue>) -> Disconnect {
        #[derive(Deserialize)]
        struct Wire {
            code: Option<u16>,
            data: Option<serde_json::Value>,
        }
        let Some(w) = data.and_then(|d| serde_json::from_str::<Wire>(d.get()).ok()) else {
            return Disconnect::default();
        };
        Disconnect {
            code: w.code,
            reason: match w.data {
                Some(serde_json::Value::String(s)) => s,
                _ => String::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> &RawValue {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn reads_each_private_event() {
        let h = HandshakeStatus::parse(raw(
            r#"{"id":"a","pingTimeout":5000,"isAuthenticated":false}"#,
        ))
        .unwrap();
        assert_eq!((h.id.as_str(), h.ping_timeout), ("a", Some(5000)));
        let p = Publish::parse(raw(r#"{"channel":"log","data":{"x":1}}"#)).unwrap();
        assert_eq!((&*p.channel, p.data.unwrap().get()), ("log", r#"{"x":1}"#));
        assert!(Publish::parse(raw(r#"{"data":1}"#)).is_none());
        assert_eq!(KickOut::parse(raw("{}")).unwrap().channel, "");
        assert!(SetAuthToken::parse(raw("{}")).is_none());
        let d = Disconnect::parse(Some(raw(r#"{"code":4000,"data":"bye"}"#)));
        assert_eq!((d.code, d.reason.as_str()), (Some(4000), "bye"));
        assert_eq!(Disconnect::parse(None).code, None);
    }
}
