//! Relay settings and their defaults (reference values from SC§11 and relay spec §7).

use std::time::Duration;

use super::auth::AuthKey;
use crate::options::{nonzero, positive, InvalidOption};
use crate::protocol::ProtocolVersion;
use crate::store::StoreLocation;
use crate::tls::PemSource;

/// Everything a relay can be configured with. Start from [`RelayOptions::default`] and
/// change the fields you need.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RelayOptions {
    /// Interface to listen on. Default `127.0.0.1`: reachable only from this machine
    /// unless you choose `0.0.0.0` or `::` (then set `auth_key`).
    pub host: String,
    /// TCP port; `0` picks a free one (read it back with `local_addr`). Default 8000.
    pub port: u16,
    /// How often each socket is pinged. Default 8 s.
    pub ping_interval: Duration,
    /// How long a socket may stay silent before it is closed with 4001; also sent to
    /// clients in the handshake as their own ping timeout. Default 20 s.
    pub ping_timeout: Duration,
    /// How long a new socket has to send `#handshake` before it is closed with 4005.
    /// Default 10 s.
    pub handshake_timeout: Duration,
    /// Largest inbound message in bytes; a larger one closes the socket with 1009.
    /// Default 100 MiB, as the reference `ws` server; at most 1 GiB
    /// ([`MAX_PAYLOAD_LIMIT`](crate::options::MAX_PAYLOAD_LIMIT)).
    pub max_payload: usize,
    /// Bytes that may wait in one socket's outbound queue. A socket that reads so
    /// slowly that more would wait is closed with 4100 so it never holds back the
    /// others. Default 64 MiB. One message larger than this is still delivered when
    /// the queue is otherwise empty.
    pub outbound_limit: usize,
    /// Which keep-alive form to speak (SC§8.3). Default `Auto`: both until the first pong.
    pub protocol_version: ProtocolVersion,
    /// How long a logged-in socket may take to subscribe to its channel before messages
    /// addressed to it (`sc-<id>`) are sent as plain events instead (relay spec §4).
    /// Default 2 s.
    pub subscribe_grace: Duration,
    /// Messages addressed to a socket that are held until it subscribes. Default 100;
    /// the oldest is dropped beyond it, and beyond `outbound_limit` bytes held.
    pub pending_limit: usize,
    /// Channels one socket may subscribe to. Default 1000 (the reference relay's).
    pub channel_limit: usize,
    /// Worker threads of the runtime a [`super::BlockingRelay`] owns. Default: the
    /// number of CPUs.
    pub worker_threads: Option<usize>,
    /// Where reports are stored (relay spec §6). Default [`StoreLocation::DataDir`]:
    /// `reports.sqlite3` in the `remotedev` folder of the user's data directory, so
    /// reports survive restarts. Tests and throwaway relays use
    /// [`StoreLocation::Memory`].
    pub store: StoreLocation,
    /// Largest HTTP request body (`POST /`, `POST /graphql`) in bytes; larger ones get
    /// 413. Default 16 MiB, as the reference's `16mb`.
    pub max_request_body: usize,
    /// Serve the Redux DevTools monitor app at `/` (and for other unknown pages a
    /// browser asks for). Default `true`; without it `GET /` answers 405 as before.
    /// Has no effect in a build without the cargo feature `ui`.
    pub serve_ui: bool,
    /// The certificate chain (PEM: the server certificate first, then any
    /// intermediates) for `https`: with [`tls_key`](Self::tls_key) the same port serves
    /// `wss://…/socketcluster/` and every HTTP route over TLS (1.2 and 1.3). Default
    /// `None`: plain `ws://` / `http://`.
    pub tls_cert: Option<PemSource>,
    /// The private key of [`tls_cert`](Self::tls_cert) (PEM: PKCS#8, PKCS#1 RSA, SEC1
    /// EC, or an encrypted PKCS#8 key with [`tls_passphrase`](Self::tls_passphrase)).
    pub tls_key: Option<PemSource>,
    /// Decrypts an encrypted PKCS#8 `tls_key` (the reference's `--passphrase`).
    pub tls_passphrase: Option<String>,
    /// Origins allowed besides the default ones (issue 12, README "Access control"):
    /// `scheme://host[:port]` entries, `null` / `file://` for pages opened from files,
    /// `*` to turn the Origin check off. Default empty: the relay's own pages, loopback
    /// web origins (`localhost`, `127.0.0.1`, `[::1]`, any port) and browser-extension
    /// origins only; requests without `Origin` are never affected.
    pub allow_origins: Vec<String>,
    /// The HS256 key tokens must be signed with. Default `None`: no authentication.
    /// With a key, a socket must present a valid token (handshake `authToken`,
    /// `#authenticate` or `?token=`) before any relay event or `#subscribe`, and the
    /// report API needs `Authorization: Bearer <token>`.
    pub auth_key: Option<AuthKey>,
    /// Monitors may watch but not command apps: `respond` and `sc-<id>` messages other
    /// than `START`, `STOP` and `UPDATE` are refused. Default off.
    pub read_only: bool,
    /// Cluster mode (issue 15, README "Cluster mode"): `redis://HOST:PORT[/DB]` of a
    /// Redis shared by relays that then behave as one relay to every client. Default
    /// `None`: a single relay, no Redis.
    pub redis: Option<String>,
    /// Names the cluster inside a shared Redis: relays with the same `redis` and
    /// `cluster` form one cluster (1-64 characters of `A-Z a-z 0-9 _ - .`, part of the
    /// Redis key and channel names). Default `None` (the default cluster). Only used
    /// with `redis`.
    pub cluster: Option<String>,
}

/// The default interface: this machine only (the relay has no authentication).
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// The default port, the reference relays'.
pub const DEFAULT_PORT: u16 = 8000;

impl RelayOptions {
    /// Whether the relay serves TLS (`wss://`, `https://`): a certificate is set.
    pub fn is_secure(&self) -> bool {
        self.tls_cert.is_some()
    }
}

impl RelayOptions {
    /// Checks every field and their combinations; [`super::Relay::start`] and
    /// [`super::BlockingRelay::start`] call it before binding.
    ///
    /// # Errors
    /// [`InvalidOption`] naming the first bad field: an empty `host`; a zero
    /// `ping_interval`, `ping_timeout`, `handshake_timeout`, `max_payload`,
    /// `outbound_limit`, `pending_limit`, `channel_limit`, `max_request_body` or
    /// `worker_threads`; a `max_payload` above 1 GiB; a `ping_interval` not below `ping_timeout` (the socket would
    /// be closed before its first ping); `tls_cert` without `tls_key` or the other way
    /// round, or `tls_passphrase` without `tls_key`. (The files themselves are read by
    /// `start`, which fails with [`super::RelayError::Tls`] naming the file.); an
    /// `allow_origins` entry that is not an origin, `null`, `file://` or `*`; an empty
    /// `auth_key`; a `redis` that is not a `redis://` URL; a `cluster` name with other
    /// characters than `A-Z a-z 0-9 _ - .` (or without `redis`).
    pub fn validate(&self) -> Result<(), InvalidOption> {
        if self.host.trim().is_empty() {
            return Err(InvalidOption::new(
                "host",
                "must name an interface, e.g. 127.0.0.1 or 0.0.0.0",
            ));
        }
        positive("ping_interval", self.ping_interval)?;
        positive("ping_timeout", self.ping_timeout)?;
        if self.ping_interval >= self.ping_timeout {
            return Err(InvalidOption::new(
                "ping_interval",
                format!(
                    "must be less than ping_timeout ({} ms), got {} ms",
                    self.ping_timeout.as_millis(),
                    self.ping_interval.as_millis()
                ),
            ));
        }
        positive("handshake_timeout", self.handshake_timeout)?;
        crate::options::max_payload(self.max_payload)?;
        nonzero("outbound_limit", self.outbound_limit)?;
        nonzero("pending_limit", self.pending_limit)?;
        nonzero("channel_limit", self.channel_limit)?;
        nonzero("max_request_body", self.max_request_body)?;
        if let Some(n) = self.worker_threads {
            nonzero("worker_threads", n)?;
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => {
                return Err(InvalidOption::new(
                    "tls_key",
                    "is required with tls_cert (https needs a certificate and its key)",
                ))
            }
            (None, Some(_)) => {
                return Err(InvalidOption::new(
                    "tls_cert",
                    "is required with tls_key (https needs a certificate and its key)",
                ))
            }
            (None, None) if self.tls_passphrase.is_some() => {
                return Err(InvalidOption::new(
                    "tls_passphrase",
                    "is only used with an encrypted tls_key",
                ))
            }
            _ => {}
        }
        super::access::validate_origins(&self.allow_origins)?;
        if let Some(key) = &self.auth_key {
            key.validate()?;
        }
        if let Some(url) = &self.redis {
            super::cluster::redis_client(url)?;
        }
        if let Some(name) = &self.cluster {
            super::cluster::validate_cluster_name(name)?;
            if self.redis.is_none() {
                return Err(InvalidOption::new(
                    "cluster",
                    "names a cluster of relays sharing a Redis: set redis too",
                ));
            }
        }
        Ok(())
    }
}

impl Default for RelayOptions {
    fn default() -> Self {
        RelayOptions {
            host: DEFAULT_HOST.to_owned(),
            port: DEFAULT_PORT,
            ping_interval: Duration::from_millis(8000),
            ping_timeout: Duration::from_millis(20000),
            handshake_timeout: Duration::from_millis(10000),
            max_payload: 100 * 1024 * 1024,
            outbound_limit: 64 * 1024 * 1024,
            protocol_version: ProtocolVersion::Auto,
            subscribe_grace: Duration::from_millis(2000),
            pending_limit: 100,
            channel_limit: 1000,
            worker_threads: None,
            store: StoreLocation::DataDir,
            max_request_body: 16 * 1024 * 1024,
            serve_ui: true,
            tls_cert: None,
            tls_key: None,
            tls_passphrase: None,
            allow_origins: Vec::new(),
            auth_key: None,
            read_only: false,
            redis: None,
            cluster: None,
        }
    }
}
