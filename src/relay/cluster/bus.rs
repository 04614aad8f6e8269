//! The bus task: one per clustered relay. It owns the Redis connections (a multiplexed
//! one for commands and publishes, a pub/sub one for the bus and this node's channel),
//! sends what the sockets queued in batches (one pipeline, so order per relay is
//! kept), delivers what other relays sent, and runs the [`presence`] heartbeat. When
//! Redis goes away it reconnects with backoff (100 ms doubling to 5 s), logs the outage
//! once, and drops what is queued meanwhile: cross-relay delivery is at-most-once, as
//! Redis pub/sub itself.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use redis::AsyncConnectionConfig;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant, MissedTickBehavior};

use super::envelope::{self, Kind};
use super::presence::{Presence, HEARTBEAT};
use super::{Cluster, Out};
use crate::relay::hub::{Hub, Role};
use crate::relay::router;

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A Redis that answers nothing for this long counts as lost (then we reconnect).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// One pipeline holds at most this many queued messages …
const BATCH_MESSAGES: usize = 256;
/// … or about this many bytes.
const BATCH_BYTES: usize = 4 * 1024 * 1024;

/// Why [`serve`] returned.
enum End {
    /// The relay stops.
    Stopped,
    /// Redis failed; the text says how.
    Lost(String),
}

/// Runs until the relay stops ([`Cluster::stop`] or a goodbye).
pub(crate) async fn run(cluster: Arc<Cluster>, hub: Weak<Hub>, mut rx: mpsc::Receiver<Out>) {
    let client = match super::redis_client(&cluster.url) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("cluster mode off: {e}");
            return;
        }
    };
    let url = &cluster.shown;
    let mut backoff = MIN_BACKOFF;
    let mut outage = false;
    let mut presence = Presence::default();
    loop {
        let attempt = tokio::select! {
            _ = cluster.stop.cancelled() => return,
            r = connect(&client, &cluster) => r,
        };
        match attempt {
            Ok((conn, sink, stream)) => {
                backoff = MIN_BACKOFF;
                cluster.resync.store(true, Ordering::Relaxed);
                cluster.dropping.store(false, Ordering::Relaxed);
                cluster.connected.store(true, Ordering::Relaxed);
                if outage {
                    tracing::warn!("Redis at {url} is back: cross-relay delivery resumed");
                } else {
                    tracing::info!(node = %cluster.node, "cluster mode: connected to Redis at {url}");
                }
                let end = serve(&cluster, &hub, &mut rx, conn, stream, &mut presence).await;
                drop(sink);
                cluster.connected.store(false, Ordering::Relaxed);
                match end {
                    End::Stopped => return,
                    End::Lost(e) => {
                        tracing::warn!(
                            "lost Redis at {url}: {e}; local delivery continues, cross-relay \
                             messages are dropped until it is back"
                        );
                        outage = true;
                    }
                }
            }
            Err(e) if !outage => {
                tracing::warn!(
                    "cannot reach Redis at {url}: {e}; local delivery continues, retrying in \
                     the background"
                );
                outage = true;
            }
            Err(e) => tracing::debug!("Redis at {url} still unreachable: {e}"),
        }
        // While Redis is away, what the sockets queue is dropped (at-most-once), so the
        // queue never holds stale messages to replay later.
        let until = Instant::now() + backoff;
        loop {
            tokio::select! {
                _ = cluster.stop.cancelled() => return,
                _ = sleep_until(until) => break,
                out = rx.recv() => match out {
                    None => return,
                    Some(Out::Goodbye(done)) => {
                        let _ = done.send(());
                        return;
                    }
                    Some(out) => {
                        cluster.taken(&out);
                        cluster.dropped(&out);
                    }
                },
            }
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Tries Redis once at start. `Err` only when Redis answered and refused: a wrong
/// password, a database index it does not have, a command it forbids: configuration
/// errors that retrying cannot mend. A Redis that cannot be reached (not up yet, down)
/// is `Ok`: the relay starts and the bus task keeps trying.
pub(crate) async fn refused_at_start(cluster: &Cluster) -> Result<(), String> {
    let client = super::redis_client(&cluster.url).map_err(|e| e.to_string())?;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT));
    let probe = async {
        let mut conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match probe.await {
        Ok(_) => Ok(()),
        Err(e)
            if e.is_io_error()
                || e.is_timeout()
                || e.is_connection_refusal()
                || e.is_connection_dropped() =>
        {
            Ok(())
        }
        Err(e) => Err(format!("Redis at {} refused the relay: {e}", cluster.shown)),
    }
}

async fn connect(
    client: &redis::Client,
    cluster: &Cluster,
) -> Result<(MultiplexedConnection, PubSubSink, PubSubStream), String> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT));
    let conn = client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| e.to_string())?;
    let subscribe = async {
        let pubsub = client.get_async_pubsub().await?;
        let (mut sink, stream) = pubsub.split();
        sink.subscribe(&[
            cluster.names.bus(),
            cluster.names.node_channel(&cluster.node),
        ])
        .await?;
        Ok::<_, redis::RedisError>((sink, stream))
    };
    let (sink, stream) = tokio::time::timeout(CONNECT_TIMEOUT, subscribe)
        .await
        .map_err(|_| format!("no answer to SUBSCRIBE within {CONNECT_TIMEOUT:?}"))?
        .map_err(|e| e.to_string())?;
    Ok((conn, sink, stream))
}

async fn serve(
    cluster: &Cluster,
    hub: &Weak<Hub>,
    rx: &mut mpsc::Receiver<Out>,
    mut conn: MultiplexedConnection,
    mut stream: PubSubStream,
    presence: &mut Presence,
) -> End {
    let mut tick = tokio::time::interval(HEARTBEAT);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut batch = Vec::new();
    loop {
        tokio::select! {
            biased;
            _ = cluster.stop.cancelled() => return End::Stopped,
            msg = stream.next() => match msg {
                None => return End::Lost("the subscription connection closed".into()),
                Some(msg) => deliver(cluster, hub, msg.get_payload_bytes()),
            },
            _ = tick.tick() => {
                if let Err(e) = presence.beat(cluster, hub, &mut conn).await {
                    return End::Lost(e.to_string());
                }
            }
            out = rx.recv() => {
                let Some(out) = out else { return End::Stopped };
                cluster.taken(&out);
                let mut bytes = out.bytes();
                batch.push(out);
                while batch.len() < BATCH_MESSAGES && bytes < BATCH_BYTES {
                    match rx.try_recv() {
                        Ok(out) => {
                            cluster.taken(&out);
                            bytes += out.bytes();
                            batch.push(out);
                        }
                        Err(_) => break,
                    }
                }
                match flush(cluster, &mut conn, &mut batch).await {
                    Ok(None) => {}
                    Ok(Some(done)) => {
                        if let Err(e) = presence.goodbye(cluster, &mut conn).await {
                            tracing::debug!("cluster goodbye: {e}");
                        }
                        let _ = done.send(());
                        return End::Stopped;
                    }
                    Err(e) => return End::Lost(e.to_string()),
                }
            }
        }
    }
}

/// Sends a batch as one pipeline; returns a goodbye's answer channel when the batch
/// ended with one (what follows it is dropped: the relay is stopping).
async fn flush(
    cluster: &Cluster,
    conn: &mut MultiplexedConnection,
    batch: &mut Vec<Out>,
) -> redis::RedisResult<Option<tokio::sync::oneshot::Sender<()>>> {
    let names = &cluster.names;
    let sockets = names.sockets(&cluster.node);
    let bus = names.bus();
    let mut pipe = redis::pipe();
    let mut published = 0;
    let mut goodbye = None;
    for out in batch.drain(..) {
        match out {
            Out::Publish(m) => {
                pipe.publish(&bus, m).ignore();
                published += 1;
            }
            Out::Targeted { node, message } => {
                pipe.publish(names.node_channel(&node), message).ignore();
                published += 1;
            }
            Out::Login(id, role) => {
                pipe.hset(&sockets, &*id, role_name(role)).ignore();
            }
            Out::Logout(id) => {
                pipe.hdel(&sockets, &*id).ignore();
            }
            Out::Goodbye(done) => {
                goodbye = Some(done);
                break;
            }
        }
    }
    batch.clear();
    if !pipe.is_empty() {
        if let Err(e) = pipe.query_async::<()>(conn).await {
            metrics::counter!("remotedev_redis_dropped_total").increment(published);
            return Err(e);
        }
        metrics::counter!("remotedev_redis_published_total").increment(published);
        tracing::trace!("sent {published} messages to Redis");
    }
    Ok(goodbye)
}

/// Delivers one message from another relay to this relay's sockets.
fn deliver(cluster: &Cluster, hub: &Weak<Hub>, payload: &[u8]) {
    let e = match envelope::decode(payload) {
        Ok(e) => e,
        Err(err) => {
            tracing::debug!("ignored a message on the cluster's Redis channel: {err}");
            return;
        }
    };
    if e.origin == cluster.node {
        return;
    }
    tracing::trace!(
        from = e.origin,
        channel = e.channel,
        "message from another relay"
    );
    metrics::counter!("remotedev_redis_received_total").increment(1);
    let lag = envelope::now_micros().saturating_sub(e.sent_micros);
    metrics::histogram!("remotedev_redis_lag_seconds").record(lag as f64 / 1e6);
    let Some(hub) = hub.upgrade() else { return };
    match e.kind {
        Kind::Publish => hub.publish_local(e.channel, e.data),
        Kind::Targeted => router::deliver_remote_targeted(&hub, e.channel, e.data),
    }
}

pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::App => "app",
        Role::Monitor => "monitor",
    }
}
