//! WebSocket close codes used by SocketCluster (SC§7) and what each means for a client's
//! reconnect decision.

/// Normal closure: the peer is done; clients do not reconnect.
pub const NORMAL: u16 = 1000;
/// Going away: the server is shutting down or restarting.
pub const GOING_AWAY: u16 = 1001;
/// A WebSocket protocol violation.
pub const PROTOCOL_ERROR: u16 = 1002;
/// A close frame without a code.
pub const NO_STATUS: u16 = 1005;
/// The connection ended without a close frame (the transport failed).
pub const ABNORMAL: u16 = 1006;
/// A frame that is not valid for its type (e.g. bad UTF-8 text).
pub const INVALID_PAYLOAD: u16 = 1007;
/// A message over the receiver's size limit.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// The server hit an unexpected condition.
pub const INTERNAL_ERROR: u16 = 1011;
/// SocketCluster: the client heard no ping within the ping timeout.
pub const PING_TIMEOUT: u16 = 4000;
/// SocketCluster: the server heard nothing from the client within the ping timeout.
pub const PONG_TIMEOUT: u16 = 4001;
/// SocketCluster: the handshake failed (also a client's failed or timed-out handshake).
pub const HANDSHAKE_FAILED: u16 = 4003;
/// SocketCluster: no `#handshake` within the server's handshake timeout.
pub const HANDSHAKE_TIMEOUT: u16 = 4005;
/// SocketCluster: the client could not connect within its connect timeout.
pub const CONNECT_TIMEOUT: u16 = 4007;
/// SocketCluster: a `#handshake` without a `cid`.
pub const HANDSHAKE_REJECTED: u16 = 4008;
/// SocketCluster: a message other than `#handshake` came first.
pub const MESSAGE_BEFORE_HANDSHAKE: u16 = 4009;
/// libremotedev's own: the socket's outbound queue passed its byte budget because the
/// client reads more slowly than messages arrive for it. In the 4xxx range below 4500,
/// so reference clients reconnect with backoff.
pub const SLOW_CONSUMER: u16 = 4100;
/// Codes from here on are permanent: clients do not reconnect.
pub const PERMANENT_FROM: u16 = 4500;

/// The reference text for a close code (sc-errors `socketProtocolErrorStatuses`).
pub fn description(code: u16) -> &'static str {
    match code {
        1000 => "Socket closed normally",
        1001 => "Socket was disconnected",
        1002 => "A WebSocket protocol error was encountered",
        1003 => "Server terminated socket because it received invalid data",
        1005 => "Socket closed without status code",
        1006 => "Socket hung up",
        1007 => "Message format was incorrect",
        1008 => "Encountered a policy violation",
        1009 => "Message was too big to process",
        1010 => "Client ended the connection because the server did not comply with extension requirements",
        1011 => "Server encountered an unexpected fatal condition",
        4000 => "Server ping timed out",
        4001 => "Client pong timed out",
        4002 => "Server failed to sign auth token",
        4003 => "Failed to complete handshake",
        4004 => "Client failed to save auth token",
        4005 => "Did not receive #handshake from client before timeout",
        4006 => "Failed to bind socket to message broker",
        4007 => "Client connection establishment timed out",
        4008 => "Server rejected handshake from client",
        4009 => "Server received a message before the client handshake",
        4100 => "Client read too slowly: outbound queue limit exceeded",
        _ => "Unknown close code",
    }
}

/// Whether a peer may ask us to close with this code (`#disconnect`, SC§7).
pub fn is_valid_disconnect_code(code: u16) -> bool {
    matches!(code, 1000 | 1001 | 3000..=4999)
}

/// 1000 and 1001 are ordinary ends; every other code is reported as an error.
pub fn is_ignored(code: u16) -> bool {
    matches!(code, NORMAL | GOING_AWAY)
}

/// What a SocketCluster client does after the connection closed with a code (SC§11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconnect {
    /// Reconnect at once (the first attempt has no delay).
    Immediate,
    /// Reconnect after the backoff delay.
    Backoff,
    /// Stay disconnected.
    Never,
}

/// What a client does after a close with `code` (SC§10): never after 1000 or codes
/// from 4500 on, at once after a ping timeout, else after the backoff delay.
pub fn reconnect_policy(code: u16) -> Reconnect {
    match code {
        NORMAL => Reconnect::Never,
        c if c >= PERMANENT_FROM => Reconnect::Never,
        PING_TIMEOUT | PONG_TIMEOUT | NO_STATUS => Reconnect::Immediate,
        _ => Reconnect::Backoff,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_rules() {
        assert_eq!(reconnect_policy(1000), Reconnect::Never);
        assert_eq!(reconnect_policy(4500), Reconnect::Never);
        assert_eq!(reconnect_policy(4001), Reconnect::Immediate);
        assert_eq!(reconnect_policy(1005), Reconnect::Immediate);
        assert_eq!(reconnect_policy(1006), Reconnect::Backoff);
        assert_eq!(reconnect_policy(SLOW_CONSUMER), Reconnect::Backoff);
    }

    #[test]
    fn disconnect_codes() {
        assert!(is_valid_disconnect_code(1000));
        assert!(is_valid_disconnect_code(4321));
        assert!(!is_valid_disconnect_code(1006));
        assert!(!is_valid_disconnect_code(5000));
    }
}
