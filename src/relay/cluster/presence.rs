//! Which relays of the cluster are alive, and what their sockets were.
//!
//! Every [`HEARTBEAT`] a relay sets its `alive:<node>` key with a TTL of [`ALIVE_TTL`],
//! adds itself to the `nodes` set and refreshes the TTL ([`SOCKETS_TTL`]) of its
//! `sockets:<node>` hash (socket id → `app` | `monitor`, kept by logins and closes).
//! It then looks at the other nodes: one whose `alive` key is gone stopped without
//! goodbye, so this relay publishes `DISCONNECTED` for that node's sockets to its own
//! subscribers, once. A dead relay is thus noticed within `ALIVE_TTL + HEARTBEAT`
//! (6 s) after its last heartbeat, plus Redis and scheduling delays: documented as
//! "within 10 s". A relay that stops cleanly deletes its keys itself ([`Presence::goodbye`]).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Weak;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;

use super::bus::role_name;
use super::Cluster;
use crate::relay::hub::Hub;
use crate::relay::router;

/// How often a relay says it is alive and looks at the others.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(1);
/// How long the heartbeat key outlives a relay's last heartbeat.
pub(crate) const ALIVE_TTL: Duration = Duration::from_secs(5);
/// How long a dead relay's sockets hash stays for the other relays to read.
const SOCKETS_TTL: Duration = Duration::from_secs(60);

/// The dead nodes this relay already announced.
#[derive(Default)]
pub(crate) struct Presence {
    announced: HashSet<String>,
}

impl Presence {
    /// One heartbeat: refresh our keys (rewriting our sockets hash when it may be out
    /// of date), then announce nodes whose heartbeat expired.
    pub(crate) async fn beat(
        &mut self,
        cluster: &Cluster,
        hub: &Weak<Hub>,
        conn: &mut MultiplexedConnection,
    ) -> redis::RedisResult<()> {
        let names = &cluster.names;
        let me = &cluster.node;
        let sockets_key = names.sockets(me);
        let mut pipe = redis::pipe();
        pipe.atomic();
        pipe.cmd("SET")
            .arg(names.alive(me))
            .arg(super::envelope::now_micros())
            .arg("PX")
            .arg(ALIVE_TTL.as_millis() as u64)
            .ignore();
        pipe.sadd(names.nodes(), me).ignore();
        if cluster.resync.swap(false, Ordering::Relaxed) {
            let sockets: Vec<(String, &str)> = hub
                .upgrade()
                .map(|h| {
                    h.logged_in()
                        .into_iter()
                        .map(|(id, role)| (id.to_string(), role_name(role)))
                        .collect()
                })
                .unwrap_or_default();
            pipe.del(&sockets_key).ignore();
            if !sockets.is_empty() {
                pipe.hset_multiple(&sockets_key, &sockets).ignore();
            }
        }
        pipe.pexpire(&sockets_key, SOCKETS_TTL.as_millis() as i64)
            .ignore();
        pipe.smembers(names.nodes());
        let (members,): (Vec<String>,) = pipe.query_async(conn).await?;
        tracing::trace!("heartbeat: nodes {members:?}");
        let others: Vec<String> = members.into_iter().filter(|n| n != me).collect();
        if others.is_empty() {
            self.announced.clear();
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for n in &others {
            pipe.exists(names.alive(n)).exists(names.sockets(n));
        }
        let flags: Vec<bool> = pipe.query_async(conn).await?;
        for (n, f) in others.iter().zip(flags.chunks(2)) {
            let (alive, has_sockets) = (f[0], f.get(1).copied().unwrap_or(false));
            if alive {
                self.announced.remove(n);
                continue;
            }
            if !self.announced.contains(n) {
                let sockets: HashMap<String, String> = conn.hgetall(names.sockets(n)).await?;
                self.announced.insert(n.clone());
                if let Some(hub) = hub.upgrade() {
                    for (id, role) in &sockets {
                        let channel = if role == "app" { "log" } else { "respond" };
                        hub.publish_local(channel, Some(&router::disconnected_data(id)));
                    }
                }
                tracing::warn!(
                    "cluster relay {n} stopped without goodbye (no heartbeat for {ALIVE_TTL:?}): \
                     published DISCONNECTED for its {} sockets",
                    sockets.len()
                );
            }
            if !has_sockets {
                // Everyone had SOCKETS_TTL to read it: forget the node.
                let _: () = conn.srem(names.nodes(), n).await?;
                self.announced.remove(n);
            }
        }
        Ok(())
    }

    /// A clean stop: the other relays learnt of our sockets' ends from their
    /// `DISCONNECTED`, so the keys simply go.
    pub(crate) async fn goodbye(
        &mut self,
        cluster: &Cluster,
        conn: &mut MultiplexedConnection,
    ) -> redis::RedisResult<()> {
        let names = &cluster.names;
        let me = &cluster.node;
        redis::pipe()
            .atomic()
            .del(names.alive(me))
            .ignore()
            .del(names.sockets(me))
            .ignore()
            .srem(names.nodes(), me)
            .ignore()
            .query_async::<()>(conn)
            .await
    }
}
