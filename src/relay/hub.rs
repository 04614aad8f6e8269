//! The shared state of one relay: connected sockets by id and channel subscriptions.
//!
//! Publishing is the hot path: it takes the channel table's read lock, builds the
//! `#publish` frame once and hands each subscriber a reference-counted copy of the same
//! bytes. Nothing here waits on a socket.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use bytes::Bytes;
use foldhash::HashMap;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::cluster::Cluster;
use super::metrics::RelayMetrics;
use super::options::RelayOptions;
use super::outbox::{Outbox, Outgoing};
use super::socket_id::SocketIds;
use crate::protocol::encode;
use crate::store::ReportStore;

/// A socket's remotedev role, set by `login` (relay spec §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    App,
    Monitor,
}

impl Role {
    /// The channel this role receives on (the `login` reply).
    pub(crate) fn watch(self) -> &'static str {
        match self {
            Role::App => "respond",
            Role::Monitor => "log",
        }
    }

    /// The channel this role's messages (and its `DISCONNECTED`) go to.
    pub(crate) fn emit(self) -> &'static str {
        match self {
            Role::App => "log",
            Role::Monitor => "respond",
        }
    }
}

/// Routing state of one socket, guarded by its own lock so that a targeted delivery and
/// the socket's subscribe are ordered (relay spec §4).
#[derive(Default)]
pub(crate) struct Route {
    pub(crate) role: Option<Role>,
    pub(crate) channels: Vec<Box<str>>,
    /// Data of `sc-<id>` messages that arrived before the socket subscribed.
    pub(crate) pending: Pending,
    /// The subscribe grace period passed without a subscription.
    pub(crate) grace_expired: bool,
}

/// Messages held for a socket until it subscribes (relay spec §4), bounded in count
/// (`pending_limit`) and in bytes (`outbound_limit`, the budget the socket's outbox
/// gives them once they are sent): without the byte bound a monitor could park 100
/// messages of `max_payload` each (10 GiB at the defaults) on a socket that never
/// subscribes. The oldest go first; the newest always stays, as a single message larger
/// than the outbox budget is still delivered to an empty outbox.
#[derive(Default)]
pub(crate) struct Pending {
    queue: VecDeque<Box<str>>,
    bytes: usize,
}

impl Pending {
    /// Holds `data`; returns how many older messages were dropped to make room.
    pub(crate) fn push(&mut self, data: Box<str>, max_count: usize, max_bytes: usize) -> usize {
        self.bytes += data.len();
        self.queue.push_back(data);
        let mut dropped = 0;
        while self.queue.len() > 1 && (self.queue.len() > max_count || self.bytes > max_bytes) {
            if let Some(old) = self.queue.pop_front() {
                self.bytes -= old.len();
                dropped += 1;
            }
        }
        dropped
    }

    /// Everything held, oldest first, leaving nothing.
    pub(crate) fn take(&mut self) -> VecDeque<Box<str>> {
        self.bytes = 0;
        std::mem::take(&mut self.queue)
    }
}

impl Route {
    pub(crate) fn is_subscribed(&self, channel: &str) -> bool {
        self.channels.iter().any(|c| &**c == channel)
    }
}

pub(crate) struct Peer {
    key: u64,
    pub(crate) id: Arc<str>,
    pub(crate) outbox: Outbox,
    route: Mutex<Route>,
}

impl Peer {
    pub(crate) fn route(&self) -> MutexGuard<'_, Route> {
        self.route.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn send(&self, frame: impl Into<Utf8Bytes>) -> bool {
        self.outbox.push(Outgoing::Whole(frame.into()))
    }
}

/// foldhash, not SipHash: every publish looks a channel up, and foldhash's per-process
/// random seed still keeps chosen channel names from colliding on purpose.
type Subscribers = HashMap<u64, Arc<Peer>>;

/// Payloads from this size on are forwarded without a copy, as a fragmented message
/// (head, shared payload, tail); below it one contiguous frame costs less than the
/// two extra frame headers.
pub(crate) const SHARE_MIN: usize = 64 * 1024;

pub(crate) struct Hub {
    pub(crate) options: RelayOptions,
    pub(crate) store: ReportStore,
    /// This relay's Prometheus series.
    pub(crate) metrics: RelayMetrics,
    ids: SocketIds,
    next_key: AtomicU64,
    peers: RwLock<HashMap<Arc<str>, Arc<Peer>>>,
    channels: RwLock<HashMap<Box<str>, Subscribers>>,
    /// Cluster mode (`--redis`): the other relays' publishes arrive through it.
    pub(crate) cluster: Option<Arc<Cluster>>,
}

impl Hub {
    pub(crate) fn new(
        options: RelayOptions,
        store: ReportStore,
        cluster: Option<Arc<Cluster>>,
        metrics: RelayMetrics,
    ) -> Self {
        Hub {
            options,
            store,
            metrics,
            ids: SocketIds::with_node(cluster.as_ref().map(|c| c.node_bytes())),
            cluster,
            next_key: AtomicU64::new(0),
            peers: RwLock::new(HashMap::default()),
            channels: RwLock::new(HashMap::default()),
        }
    }

    /// Creates and registers a new socket with a fresh id.
    pub(crate) fn register(&self) -> Arc<Peer> {
        let peer = Arc::new(Peer {
            key: self.next_key.fetch_add(1, Ordering::Relaxed),
            id: self.ids.next().into(),
            outbox: Outbox::new(self.options.outbound_limit),
            route: Mutex::new(Route::default()),
        });
        write(&self.peers).insert(peer.id.clone(), peer.clone());
        self.metrics.connections(None).increment(1.0);
        peer
    }

    /// Forgets a socket and its subscriptions (`route` is the socket's locked state).
    pub(crate) fn unregister(&self, peer: &Peer, route: &mut Route) {
        if write(&self.peers).remove(&peer.id).is_some() {
            self.metrics.connections(route.role).decrement(1.0);
        }
        let mut channels = write(&self.channels);
        for name in route.channels.drain(..) {
            remove_subscriber(&mut channels, &name, peer.key);
        }
        route.pending.take();
    }

    pub(crate) fn peer(&self, id: &str) -> Option<Arc<Peer>> {
        read(&self.peers).get(id).cloned()
    }

    pub(crate) fn connections(&self) -> usize {
        read(&self.peers).len()
    }

    /// Channels with at least one subscriber.
    #[cfg_attr(not(feature = "fuzzing"), allow(dead_code))]
    pub(crate) fn channel_count(&self) -> usize {
        read(&self.channels).len()
    }

    /// Adds a subscription; the caller holds the socket's route lock.
    pub(crate) fn subscribe(&self, peer: &Arc<Peer>, route: &mut Route, channel: &str) {
        if route.is_subscribed(channel) {
            return;
        }
        route.channels.push(channel.into());
        write(&self.channels)
            .entry(channel.into())
            .or_default()
            .insert(peer.key, peer.clone());
    }

    /// Removes a subscription; false when the socket was not subscribed.
    pub(crate) fn unsubscribe(&self, peer: &Peer, route: &mut Route, channel: &str) -> bool {
        let Some(pos) = route.channels.iter().position(|c| &**c == channel) else {
            return false;
        };
        route.channels.swap_remove(pos);
        remove_subscriber(&mut write(&self.channels), channel, peer.key);
        true
    }

    /// Publishes `data` (raw JSON; `None` = no data key) on a channel, to this relay's
    /// subscribers and, in cluster mode, to the other relays'.
    pub(crate) fn publish(&self, channel: &str, data: Option<&str>) {
        self.publish_local(channel, data);
        if let Some(cluster) = &self.cluster {
            cluster.publish(channel, data);
        }
    }

    /// [`publish`](Self::publish) of `data` that lies in `source`, the bytes of the
    /// message it arrived in: a large payload then goes to local subscribers without
    /// being copied (see [`Outgoing::Fragmented`]).
    pub(crate) fn publish_shared(&self, channel: &str, data: Option<&str>, source: Option<&Bytes>) {
        let body = match (data, source) {
            (Some(d), Some(src)) if d.len() >= SHARE_MIN => shared_span(src, d),
            _ => None,
        };
        let Some(body) = body else {
            return self.publish(channel, data);
        };
        self.deliver_local(channel, || Outgoing::Fragmented {
            head: Bytes::from(encode::publish_head(channel)),
            body,
            tail: Bytes::from_static(encode::PUBLISH_TAIL.as_bytes()),
        });
        if let Some(cluster) = &self.cluster {
            cluster.publish(channel, data);
        }
    }

    /// `None` without cluster mode, else whether Redis is connected right now (for a
    /// readiness check).
    pub(crate) fn redis_connected(&self) -> Option<bool> {
        self.cluster.as_ref().map(|c| c.is_connected())
    }

    /// Logged-in sockets and their roles (cluster mode rewrites its Redis record of them).
    pub(crate) fn logged_in(&self) -> Vec<(Arc<str>, Role)> {
        // Route locks are taken after the peer table's lock is released: a closing
        // socket holds its route lock while it removes itself from the table.
        let peers: Vec<Arc<Peer>> = read(&self.peers).values().cloned().collect();
        peers
            .iter()
            .filter_map(|p| p.route().role.map(|r| (p.id.clone(), r)))
            .collect()
    }

    /// Publishes to this relay's subscribers only.
    pub(crate) fn publish_local(&self, channel: &str, data: Option<&str>) {
        self.deliver_local(channel, || {
            Outgoing::Whole(Utf8Bytes::from(encode::publish(channel, data)))
        });
    }

    /// Queues the frame `make` builds to every local subscriber of `channel`. It is
    /// built only if someone listens, and once for all of them.
    fn deliver_local(&self, channel: &str, make: impl FnOnce() -> Outgoing) {
        let channels = read(&self.channels);
        let Some(subscribers) = channels.get(channel) else {
            return;
        };
        let frame = make();
        self.metrics
            .bytes
            .increment((frame.len() * subscribers.len()) as u64);
        for peer in subscribers.values() {
            // A socket over its budget is closing; its session reports that once.
            peer.outbox.push(frame.clone());
        }
    }
}

/// `data` as a slice of `source` (no copy), when it lies inside it.
fn shared_span(source: &Bytes, data: &str) -> Option<Bytes> {
    let (base, at) = (source.as_ptr() as usize, data.as_ptr() as usize);
    let inside = at >= base && at + data.len() <= base + source.len();
    inside.then(|| source.slice_ref(data.as_bytes()))
}

fn remove_subscriber(channels: &mut HashMap<Box<str>, Subscribers>, channel: &str, key: u64) {
    if let Some(subs) = channels.get_mut(channel) {
        subs.remove(&key);
        if subs.is_empty() {
            channels.remove(channel);
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::Pending;

    #[test]
    fn pending_messages_are_bounded_in_count_and_bytes_keeping_the_newest() {
        let mut p = Pending::default();
        for i in 0..5 {
            assert_eq!(p.push(format!("{i}").into(), 3, 100), usize::from(i >= 3));
        }
        assert_eq!(p.take(), ["2", "3", "4"].map(Box::from));
        assert_eq!(p.push("x".repeat(60).into(), 100, 100), 0);
        assert_eq!(p.push("y".repeat(60).into(), 100, 100), 1);
        assert_eq!(p.push("z".repeat(500).into(), 100, 100), 1);
        let held = p.take();
        assert_eq!((held.len(), held[0].len()), (1, 500));
        assert!(p.take().is_empty());
    }
}
