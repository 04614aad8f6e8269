//! The remotedev semantics on top of SocketCluster (relay spec §2–§5): `login` roles,
//! `log`, `log-noid`, `respond`, targeted `sc-<id>` delivery with its pending queue and
//! grace period, and `DISCONNECTED`.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;

use super::hub::{Hub, Peer, Role};
use crate::protocol::error::{names, ErrorObject};
use crate::protocol::{encode, frame};
use crate::store::ListQuery;

/// What the socket that sent a relay event should be answered (if it sent a cid).
#[derive(Debug)]
pub(crate) enum Reply {
    Ack,
    /// `{"rid":N,"data":D}` with D raw JSON.
    Data(String),
    Error(ErrorObject),
    /// The answer is sent later by whoever took the request (the report store).
    Deferred,
}

/// Whether an event was a (re-)login, which starts the subscribe grace period.
pub(crate) struct Handled {
    pub(crate) reply: Reply,
    pub(crate) logged_in: bool,
}

/// Applies one non-private event from `peer` (relay spec §2).
pub(crate) fn on_event(
    hub: &Hub,
    peer: &Arc<Peer>,
    name: &str,
    data: Option<&str>,
    cid: Option<&str>,
    source: Option<&Bytes>,
) -> Handled {
    let raw = data;
    let reply = match name {
        "login" => {
            let role = if is_master(data) {
                Role::App
            } else {
                Role::Monitor
            };
            let mut route = peer.route();
            if route.role != Some(role) {
                hub.metrics.connections(route.role).decrement(1.0);
                hub.metrics.connections(Some(role)).increment(1.0);
            }
            route.role = Some(role);
            route.grace_expired = false;
            drop(route);
            if let Some(cluster) = &hub.cluster {
                cluster.login(&peer.id, role);
            }
            return Handled {
                reply: Reply::Data(encode::json_str(role.watch())),
                logged_in: true,
            };
        }
        "log" | "respond" => {
            hub.metrics.messages.increment(1);
            hub.publish_shared(name, raw, source);
            Reply::Ack
        }
        "log-noid" => {
            hub.metrics.messages.increment(1);
            hub.publish("log", Some(&wrap_noid(&peer.id, raw)));
            Reply::Ack
        }
        "getReport" => get_report(hub, peer, data, cid),
        _ => match name.strip_prefix("sc-") {
            Some(target) => {
                hub.metrics.messages.increment(1);
                deliver_targeted(hub, name, target, raw);
                Reply::Ack
            }
            None => Reply::Error(ErrorObject::new(
                names::INVALID_ACTION,
                format!("No handler for event {name}"),
            )),
        },
    };
    Handled {
        reply,
        logged_in: false,
    }
}

fn is_master(data: Option<&str>) -> bool {
    data.and_then(frame::json_text_str).as_deref() == Some("master")
}

/// `{"id":<sender>,"data":D}`, the `log-noid` wrapper (key order as the references).
fn wrap_noid(id: &str, data: Option<&str>) -> String {
    match data {
        Some(d) => format!(r#"{{"id":{},"data":{d}}}"#, encode::json_str(id)),
        None => format!(r#"{{"id":{}}}"#, encode::json_str(id)),
    }
}

/// Relay spec §6.4: the full row of a report, looked up on the store's thread and sent
/// from there (`{"rid":N}` without data for an unknown id, as the reference).
fn get_report(hub: &Hub, peer: &Arc<Peer>, data: Option<&str>, cid: Option<&str>) -> Reply {
    let id: Option<Cow<'_, str>> = data.and_then(frame::json_text_str);
    let id = match id {
        Some(id) if !id.is_empty() => id.into_owned(),
        _ => return Reply::Data(r#"{"error":"No id specified."}"#.to_owned()),
    };
    // Without a cid nobody waits for the row.
    let Some(cid) = cid else { return Reply::Ack };
    let rid = cid.to_owned();
    let target = peer.clone();
    let queued = hub.store.submit(move |conn| {
        let frame = match conn.get(&id) {
            Ok(Some(row)) => encode::ack_data(&rid, &serde_json::Value::Object(row).to_string()),
            Ok(None) => encode::ack(&rid),
            Err(e) => {
                tracing::warn!("getReport {id}: {e}");
                encode::ack_error(&rid, &ErrorObject::new("StoreError", e.to_string()), None)
            }
        };
        target.send(frame);
    });
    if queued {
        Reply::Deferred
    } else {
        Reply::Error(ErrorObject::new("StoreError", "the report store is closed"))
    }
}

/// Relay spec §6.1: the report list, sent to this socket alone as a `#publish` once the
/// store has read it. Queued behind earlier store jobs, so an `add` committed before the
/// list was read is in it, and one committed after arrives after it.
fn send_report_list(hub: &Hub, peer: &Arc<Peer>) {
    let target = peer.clone();
    hub.store.submit(move |conn| {
        let rows = match conn.list(&ListQuery::default()) {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!("report list: {e}");
                Vec::new()
            }
        };
        let data = serde_json::json!({"type": "list", "data": rows}).to_string();
        target.send(encode::publish("report", Some(&data)));
    });
}

/// Relay spec §4: publish on `sc-<X>`, then make sure socket X itself gets the message
/// exactly once on the channel it watches. In cluster mode a socket of another relay
/// gets it through that relay (the `sc-<X>` copy reaches subscribers on this relay
/// and on X's).
fn deliver_targeted(hub: &Hub, channel: &str, target_id: &str, data: Option<&str>) {
    let Some(target) = hub.peer(target_id) else {
        hub.publish_local(channel, data);
        if let Some(cluster) = &hub.cluster {
            cluster.send_targeted(target_id, channel, data);
        }
        return;
    };
    deliver_to(hub, &target, channel, data);
}

/// `sc-<X>` from another relay of the cluster, for a socket X of this one.
pub(crate) fn deliver_remote_targeted(hub: &Hub, channel: &str, data: Option<&str>) {
    match channel.strip_prefix("sc-").and_then(|id| hub.peer(id)) {
        Some(target) => deliver_to(hub, &target, channel, data),
        None => hub.publish_local(channel, data),
    }
}

fn deliver_to(hub: &Hub, target: &Peer, channel: &str, data: Option<&str>) {
    // Hold the target's route lock across the publish so that a concurrent subscribe
    // by the target cannot make it miss the message or get it twice.
    let mut route = target.route();
    hub.publish_local(channel, data);
    let Some(role) = route.role else { return };
    if route.is_subscribed(channel) {
        return;
    }
    let data = data.unwrap_or("null");
    if route.is_subscribed(role.watch()) {
        target.send(encode::publish(role.watch(), Some(data)));
    } else if route.grace_expired {
        target.send(encode::transmit(role.watch(), Some(data)));
    } else {
        let o = &hub.options;
        let dropped = route
            .pending
            .push(data.into(), o.pending_limit, o.outbound_limit);
        if dropped > 0 {
            tracing::warn!(socket = %target.id, dropped, "dropped the oldest messages waiting for the socket to subscribe");
        }
    }
}

/// Called with the socket's route locked, right after its subscribe ack was queued:
/// flushes the messages that waited for the watched channel.
pub(crate) fn after_subscribe(
    hub: &Hub,
    peer: &Arc<Peer>,
    route: &mut super::hub::Route,
    channel: &str,
) {
    if channel == "report" {
        // Relay spec §6.1: the report list goes to the subscriber alone, as a publish
        // (the DevTools app ignores event frames).
        send_report_list(hub, peer);
    }
    let Some(role) = route.role else { return };
    if channel != role.watch() {
        return;
    }
    for data in route.pending.take() {
        peer.send(encode::publish(channel, Some(&data)));
    }
}

/// The grace period after login ended. If the socket still has not subscribed to its
/// channel, what waits (and what comes later) is sent as R03-style event frames.
pub(crate) fn on_grace_expired(peer: &Peer) {
    let mut route = peer.route();
    let Some(role) = route.role else { return };
    if route.is_subscribed(role.watch()) {
        return;
    }
    route.grace_expired = true;
    let pending = route.pending.take();
    for data in pending {
        peer.send(encode::transmit(role.watch(), Some(&data)));
    }
}

/// Relay spec §5: forget the socket, then tell the other side it is gone.
pub(crate) fn on_disconnect(hub: &Hub, peer: &Peer) {
    let role = {
        let mut route = peer.route();
        hub.unregister(peer, &mut route);
        route.role
    };
    if let Some(role) = role {
        if let Some(cluster) = &hub.cluster {
            cluster.logout(&peer.id);
        }
        hub.publish(role.emit(), Some(&disconnected_data(&peer.id)));
    }
}

/// `{"id":<socket>,"type":"DISCONNECTED"}` (relay spec §5).
pub(crate) fn disconnected_data(id: &str) -> String {
    format!(r#"{{"id":{},"type":"DISCONNECTED"}}"#, encode::json_str(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> &str {
        s
    }

    #[test]
    fn master_only_by_exact_string() {
        assert!(is_master(Some(raw(r#""master""#))));
        assert!(is_master(Some(raw(r#""m\u0061ster""#))));
        assert!(!is_master(Some(raw("{}"))));
        assert!(!is_master(Some(raw(r#""Master""#))));
        assert!(!is_master(None));
    }

    #[test]
    fn noid_wrapper_shape() {
        assert_eq!(
            wrap_noid("abc", Some(r#"{"type":"ACTION"}"#)),
            r#"{"id":"abc","data":{"type":"ACTION"}}"#
        );
    }
}
