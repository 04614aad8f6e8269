//! Cluster mode (issue 15): relays sharing one Redis behave as one relay to every
//! client.
//!
//! - Publishes (`log`, `log-noid`, `respond`, report `add`s, `DISCONNECTED`) go to the
//!   cluster's bus channel; every other relay publishes them to its own subscribers.
//!   A relay ignores its own echo, so each subscriber gets each message once.
//! - `sc-<id>` for a socket of another relay goes to that relay's node channel only: a
//!   socket id carries its relay's node id in its first 8 characters
//!   ([`super::socket_id`]), so the owner is known without any lookup.
//! - Liveness: each relay refreshes a heartbeat key with a TTL and keeps a hash of its
//!   logged-in sockets; the others publish `DISCONNECTED` for the sockets of a relay
//!   whose heartbeat expired ([`presence`]).
//!
//! Nothing local waits for Redis: sockets hand messages to the bus task through a
//! bounded queue ([`Cluster::send`]); when it is full, or Redis is away, messages are
//! dropped and counted (`remotedev_redis_dropped_total`).
//!
//! Files: [`envelope`] (the message format), [`bus`] (the Redis connection task),
//! [`presence`] (heartbeats and dead relays).

pub(crate) mod bus;
pub(crate) mod envelope;
pub(crate) mod presence;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::hub::Role;
use crate::options::InvalidOption;
use envelope::{Kind, NODE_LEN};

/// Messages that may wait for the bus task.
const QUEUE_MESSAGES: usize = 16 * 1024;
/// Bytes that may wait for the bus task (a few large states must not eat the memory
/// while Redis is slow).
const QUEUE_BYTES: usize = 256 * 1024 * 1024;

/// The Redis key and channel names of one cluster.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    prefix: String,
}

impl Names {
    /// `remotedev:` or `remotedev:<cluster>:`, then the database number: Redis pub/sub
    /// channels are shared by every database, keys are not.
    fn new(cluster: Option<&str>, db: i64) -> Names {
        let prefix = match cluster {
            Some(c) => format!("remotedev:{c}:{db}:"),
            None => format!("remotedev:{db}:"),
        };
        Names { prefix }
    }

    /// The channel every relay of the cluster listens on.
    pub(crate) fn bus(&self) -> String {
        format!("{}bus", self.prefix)
    }

    /// The channel for `sc-<id>` messages to sockets of `node`.
    pub(crate) fn node_channel(&self, node: &str) -> String {
        format!("{}node:{node}", self.prefix)
    }

    /// The heartbeat key of `node` (exists while it is alive).
    pub(crate) fn alive(&self, node: &str) -> String {
        format!("{}alive:{node}", self.prefix)
    }

    /// The hash of `node`'s logged-in sockets: socket id → `app` | `monitor`.
    pub(crate) fn sockets(&self, node: &str) -> String {
        format!("{}sockets:{node}", self.prefix)
    }

    /// The set of node ids that may have sockets.
    pub(crate) fn nodes(&self) -> String {
        format!("{}nodes", self.prefix)
    }
}

/// What the sockets hand to the bus task.
pub(crate) enum Out {
    /// An encoded message for the bus channel.
    Publish(Vec<u8>),
    /// An encoded `sc-<id>` message for one node's channel.
    Targeted { node: String, message: Vec<u8> },
    /// A socket logged in (or changed role).
    Login(Arc<str>, Role),
    /// A logged-in socket closed.
    Logout(Arc<str>),
    /// The relay stops: remove this node's keys, then answer.
    Goodbye(oneshot::Sender<()>),
}

impl Out {
    fn bytes(&self) -> usize {
        match self {
            Out::Publish(m) | Out::Targeted { message: m, .. } => m.len(),
            _ => 0,
        }
    }
}

/// This relay's membership in a cluster, held by the hub.
pub(crate) struct Cluster {
    node: String,
    node_bytes: [u8; 6],
    url: String,
    /// `url` without its password, for logs.
    shown: String,
    names: Names,
    tx: mpsc::Sender<Out>,
    queued_bytes: AtomicUsize,
    connected: AtomicBool,
    /// Set when a login/logout was dropped: the bus task rewrites the sockets hash.
    resync: AtomicBool,
    /// Set while messages are being dropped, so a burst is logged once.
    dropping: AtomicBool,
    stop: CancellationToken,
    rx: Mutex<Option<mpsc::Receiver<Out>>>,
}

impl Cluster {
    /// A new node (random id) for `url`; the bus task is started by [`Cluster::start`].
    ///
    /// # Errors
    /// [`InvalidOption`] for `redis` when the URL cannot be parsed.
    pub(crate) fn new(url: &str, cluster: Option<&str>) -> Result<Cluster, InvalidOption> {
        let client = redis_client(url)?;
        let db = client.get_connection_info().redis_settings().db();
        let mut node_bytes = [0u8; 6];
        rand::fill(&mut node_bytes);
        let node = URL_SAFE_NO_PAD.encode(node_bytes);
        debug_assert_eq!(node.len(), NODE_LEN);
        let (tx, rx) = mpsc::channel(QUEUE_MESSAGES);
        Ok(Cluster {
            node,
            node_bytes,
            url: url.to_owned(),
            shown: redacted(url),
            names: Names::new(cluster, db),
            tx,
            queued_bytes: AtomicUsize::new(0),
            connected: AtomicBool::new(false),
            resync: AtomicBool::new(true),
            dropping: AtomicBool::new(false),
            stop: CancellationToken::new(),
            rx: Mutex::new(Some(rx)),
        })
    }

    /// The node id bytes that start every socket id of this relay.
    pub(crate) fn node_bytes(&self) -> [u8; 6] {
        self.node_bytes
    }

    /// Whether the bus task is connected to Redis right now.
    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// Starts the bus task (once); it delivers what other relays send into `hub`.
    pub(crate) fn start(self: &Arc<Self>, hub: std::sync::Weak<super::hub::Hub>) {
        let rx = self.rx.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(rx) = rx {
            tokio::spawn(bus::run(self.clone(), hub, rx));
        }
    }

    /// Stops the bus task without goodbye (the relay was dropped).
    pub(crate) fn stop(&self) {
        self.stop.cancel();
    }

    /// Removes this node from Redis after what is queued was sent, then stops the bus
    /// task. Waits at most `within`.
    pub(crate) async fn goodbye(&self, within: std::time::Duration) {
        let (done, wait) = oneshot::channel();
        if self.tx.try_send(Out::Goodbye(done)).is_ok() {
            let _ = tokio::time::timeout(within, wait).await;
        }
        self.stop.cancel();
    }

    /// Sends a publish on `channel` to the other relays.
    pub(crate) fn publish(&self, channel: &str, data: Option<&str>) {
        let message = envelope::encode(Kind::Publish, &self.node, channel, data);
        self.send(Out::Publish(message));
    }

    /// Sends `sc-<target>` to the relay that owns socket `target`, when that is another
    /// relay of the cluster (its id starts with a node id that is not ours).
    pub(crate) fn send_targeted(&self, target: &str, channel: &str, data: Option<&str>) {
        let Some(node) = owner(target) else { return };
        if node == self.node {
            return;
        }
        let message = envelope::encode(Kind::Targeted, &self.node, channel, data);
        self.send(Out::Targeted {
            node: node.to_owned(),
            message,
        });
    }

    pub(crate) fn login(&self, id: &Arc<str>, role: Role) {
        self.send(Out::Login(id.clone(), role));
    }

    pub(crate) fn logout(&self, id: &Arc<str>) {
        self.send(Out::Logout(id.clone()));
    }

    /// Queues without waiting; over the budget the message is dropped and counted.
    fn send(&self, out: Out) {
        let bytes = out.bytes();
        let queued = self.queued_bytes.fetch_add(bytes, Ordering::Relaxed);
        let refused = if queued + bytes > QUEUE_BYTES && bytes > 0 {
            Some(out)
        } else {
            self.tx.try_send(out).err().map(|e| match e {
                mpsc::error::TrySendError::Full(o) | mpsc::error::TrySendError::Closed(o) => o,
            })
        };
        match refused {
            None => {
                self.dropping.store(false, Ordering::Relaxed);
            }
            Some(out) => {
                self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
                self.dropped(&out);
            }
        }
    }

    /// Accounts for a message that will not reach Redis.
    fn dropped(&self, out: &Out) {
        match out {
            Out::Login(..) | Out::Logout(..) => self.resync.store(true, Ordering::Relaxed),
            Out::Goodbye(_) => {}
            Out::Publish(_) | Out::Targeted { .. } => {
                metrics::counter!("remotedev_redis_dropped_total").increment(1);
                if !self.dropping.swap(true, Ordering::Relaxed) && self.is_connected() {
                    tracing::warn!(
                        "Redis cluster queue is full: dropping cross-relay messages until it drains"
                    );
                }
            }
        }
    }

    /// Called by the bus task for each message it took.
    fn taken(&self, out: &Out) {
        self.queued_bytes.fetch_sub(out.bytes(), Ordering::Relaxed);
    }
}

/// The node id inside a socket id of the reference format (20 characters), if any.
pub(crate) fn owner(socket_id: &str) -> Option<&str> {
    (socket_id.len() == 20 && socket_id.is_char_boundary(NODE_LEN)).then(|| &socket_id[..NODE_LEN])
}

/// The URL without its password, for logs and error texts.
pub(crate) fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{}", &rest[at + 1..])
        }
        None => url.to_owned(),
    }
}

/// Parses a Redis URL (`redis://[user:password@]host[:port][/db]`, `rediss://` is not
/// built in).
///
/// # Errors
/// [`InvalidOption`] for `redis` naming what is wrong.
pub(crate) fn redis_client(url: &str) -> Result<redis::Client, InvalidOption> {
    if !url.starts_with("redis://")
        && !url.starts_with("redis+unix://")
        && !url.starts_with("unix://")
    {
        return Err(InvalidOption::new(
            "redis",
            format!(
                "must be a redis://HOST:PORT[/DB] URL, got {:?}",
                redacted(url)
            ),
        ));
    }
    redis::Client::open(url).map_err(|e| {
        InvalidOption::new(
            "redis",
            format!("is not a usable Redis URL ({:?}): {e}", redacted(url)),
        )
    })
}

/// Checks a `--cluster` name: it becomes part of Redis key and channel names.
///
/// # Errors
/// [`InvalidOption`] for `cluster` when it is empty, longer than 64 characters, or has
/// characters other than letters, digits, `_`, `-` and `.`.
pub(crate) fn validate_cluster_name(name: &str) -> Result<(), InvalidOption> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(InvalidOption::new(
            "cluster",
            format!("must be 1-64 characters of A-Z a-z 0-9 _ - . (got {name:?})"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_cluster_and_db() {
        let n = Names::new(Some("prod"), 2);
        assert_eq!(n.bus(), "remotedev:prod:2:bus");
        assert_eq!(n.node_channel("AbCdEfGh"), "remotedev:prod:2:node:AbCdEfGh");
        assert_eq!(Names::new(None, 0).alive("x"), "remotedev:0:alive:x");
    }

    #[test]
    fn urls_and_names_are_checked() {
        assert!(redis_client("redis://127.0.0.1:6379/3").is_ok());
        let e = redis_client("http://x").unwrap_err().to_string();
        assert!(e.contains("redis"), "{e}");
        assert!(redis_client("redis://127.0.0.1:notaport").is_err());
        assert!(validate_cluster_name("prod-1.eu_west").is_ok());
        assert!(validate_cluster_name("").is_err());
        assert!(validate_cluster_name("a b").is_err());
        assert!(validate_cluster_name("a:b").is_err());
    }

    #[test]
    fn passwords_stay_out_of_texts() {
        assert_eq!(redacted("redis://:pw@h:1/2"), "redis://:***@h:1/2");
        assert_eq!(redacted("redis://u:pw@h"), "redis://u:***@h");
        assert_eq!(redacted("redis://h:1"), "redis://h:1");
        let e = redis_client("redis://u:secret@h:notaport")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn a_full_queue_drops_without_waiting() {
        // No bus task takes from the queue: it fills, then everything is dropped at once.
        let c = Cluster::new("redis://127.0.0.1:1", None).unwrap();
        let one = envelope::encode(Kind::Publish, &c.node, "log", Some("1")).len();
        for _ in 0..QUEUE_MESSAGES + 100 {
            c.publish("log", Some("1"));
        }
        assert!(c.dropping.load(Ordering::Relaxed));
        assert_eq!(c.queued_bytes.load(Ordering::Relaxed), QUEUE_MESSAGES * one);
        // a login that cannot be queued makes the bus rewrite the sockets hash
        c.resync.store(false, Ordering::Relaxed);
        c.login(&Arc::from("AbCdEfGhijklmnopqrst"), Role::App);
        assert!(c.resync.load(Ordering::Relaxed));

        // the byte budget holds too: a message larger than what is left is refused
        let c = Cluster::new("redis://127.0.0.1:1", None).unwrap();
        let big = "x".repeat(QUEUE_BYTES / 2);
        c.publish("log", Some(&big));
        c.publish("log", Some(&big));
        assert_eq!(c.tx.max_capacity() - c.tx.capacity(), 1);
        assert!(c.queued_bytes.load(Ordering::Relaxed) <= QUEUE_BYTES);
    }

    #[test]
    fn owner_is_the_id_prefix() {
        assert_eq!(owner("AbCdEfGhijklmnopqrst"), Some("AbCdEfGh"));
        assert_eq!(owner("short"), None);
    }
}
