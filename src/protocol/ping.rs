//! The two keep-alive generations (SC§8) and the per-socket lock-in of SC§8.3.
//!
//! v1 (socketcluster ≤ 14) pings `#1` and pongs `#2`; v2 (≥ 15) pings and pongs with the
//! empty text frame. Nothing on the wire announces the version, so a server that serves
//! both starts every socket in [`PingMode::Unknown`], sends both forms, and locks to the
//! form of the first pong it receives.

/// The v1 ping text.
pub const PING_V1: &str = "#1";
/// The v1 pong text.
pub const PONG_V1: &str = "#2";
/// The v2 ping and pong: a text frame with no payload.
pub const EMPTY: &str = "";

/// Server-wide choice of the keep-alive form (`protocolVersion` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtocolVersion {
    /// Send both forms until the socket's first pong shows which one it speaks.
    #[default]
    Auto,
    /// SocketCluster v14 and older: `#1` pings, `#2` pongs.
    V1,
    /// SocketCluster v15 and newer: empty frames both ways.
    V2,
}

/// What one socket is known to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingMode {
    /// No pong yet: ping in both forms.
    Unknown,
    /// Answered a `#1`: ping with `#1` only.
    V1,
    /// Answered an empty ping: empty frames only.
    V2,
}

impl ProtocolVersion {
    /// The mode a new socket starts in.
    pub fn initial_mode(self) -> PingMode {
        match self {
            ProtocolVersion::Auto => PingMode::Unknown,
            ProtocolVersion::V1 => PingMode::V1,
            ProtocolVersion::V2 => PingMode::V2,
        }
    }
}

impl std::str::FromStr for ProtocolVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(ProtocolVersion::Auto),
            "1" => Ok(ProtocolVersion::V1),
            "2" => Ok(ProtocolVersion::V2),
            other => Err(format!(
                "protocol version must be auto, 1 or 2, not {other:?}"
            )),
        }
    }
}

impl PingMode {
    /// The ping frames to send at each interval, in order.
    pub fn pings(self) -> &'static [&'static str] {
        match self {
            PingMode::Unknown => &[PING_V1, EMPTY],
            PingMode::V1 => &[PING_V1],
            PingMode::V2 => &[EMPTY],
        }
    }

    /// The mode after receiving a pong of the given generation. Either pong is accepted
    /// in either mode; only an unknown socket changes.
    pub fn after_pong(self, v1: bool) -> PingMode {
        match self {
            PingMode::Unknown if v1 => PingMode::V1,
            PingMode::Unknown => PingMode::V2,
            locked => locked,
        }
    }

    /// Whether a server-initiated close should be preceded by a `#disconnect` frame
    /// (v1 clients expect it; v2 clients treat it as an ordinary event).
    pub fn wants_disconnect_frame(self) -> bool {
        self != PingMode::V2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dual_stack_until_first_pong_then_locked() {
        let m = ProtocolVersion::Auto.initial_mode();
        assert_eq!(m.pings(), &["#1", ""]);
        let v1 = m.after_pong(true);
        assert_eq!(v1.pings(), &["#1"]);
        assert_eq!(v1.after_pong(false), PingMode::V1);
        let v2 = m.after_pong(false);
        assert_eq!(v2.pings(), &[""]);
        assert_eq!(v2.after_pong(true), PingMode::V2);
    }

    #[test]
    fn parse_version() {
        assert_eq!("auto".parse(), Ok(ProtocolVersion::Auto));
        assert_eq!("2".parse(), Ok(ProtocolVersion::V2));
        assert!("3".parse::<ProtocolVersion>().is_err());
    }
}
