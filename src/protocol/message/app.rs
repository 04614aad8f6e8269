//! Messages from an app to the monitors (relay spec §8.1): reading them as a monitor
//! ([`AppMessage`]) and writing them as an app ([`AppLog`]).

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{as_string, decoded_json, Wire};
use crate::protocol::encode;

/// A message from an app, as a monitor receives it on `log` (relay spec §8.1), with a
/// `log-noid` wrapper already unwrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppMessage {
    /// `INIT`, `ACTION`, `STATE`, `START`, `STOP`, `ERROR`, `DISCONNECTED`…
    pub kind: String,
    /// The sending app's connection (socket) id: where targeted commands go.
    pub connection_id: Option<String>,
    /// The app's `instanceId` (stable across reconnects).
    pub instance_id: Option<String>,
    /// The app's display name.
    pub name: Option<String>,
    /// `payload` as JSON (decoded from its string form).
    pub payload: Option<String>,
    /// `action` as JSON (decoded from its string form).
    pub action: Option<String>,
    /// The message JSON as the app sent it (the inner message for `log-noid`).
    pub raw: String,
}

impl AppMessage {
    /// Reads a message published on `log`. `None` if it is not a JSON object.
    pub fn parse(json: &str) -> Option<AppMessage> {
        let outer = serde_json::from_str::<Wire<'_>>(json).ok()?;
        // A truthy top-level `data` marks the log-noid wrapper {id, data} (relay §8.1).
        let wrapped = outer
            .data
            .filter(|d| !matches!(d.get(), "null" | "false" | "0" | "\"\""));
        let (w, raw, connection_id) = match wrapped {
            Some(inner) => {
                let w = serde_json::from_str::<Wire<'_>>(inner.get()).ok()?;
                (w, inner.get(), as_string(outer.id))
            }
            None => (outer, json, None),
        };
        let connection_id = connection_id.or_else(|| as_string(w.id));
        Some(AppMessage {
            kind: w.kind.map(Cow::into_owned).unwrap_or_default(),
            connection_id,
            instance_id: as_string(w.instance_id),
            name: as_string(w.name),
            payload: w.payload.and_then(decoded_json),
            action: w.action.and_then(decoded_json),
            raw: raw.to_owned(),
        })
    }
}

/// A message an app sends on `log` / `log-noid`, before it is written out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppLog {
    /// `INIT`: the initial state (JSON).
    Init {
        /// The state's JSON text.
        state: String,
    },
    /// `ACTION`: a lifted action and the state after it.
    Action {
        /// The lifted action's JSON text (see [`lift_action`]).
        action: String,
        /// The state's JSON text.
        state: String,
        /// The id the monitor gives the next action.
        next_action_id: u64,
    },
    /// `STATE`: a whole lifted state (redux-devtools-instrument shape).
    State {
        /// The lifted state's JSON text.
        lifted: String,
    },
    /// `START`: the app announces itself.
    Start,
}

impl AppLog {
    /// The `log` data (relay spec §8.1): `{"type":…,["id":…,]"instanceId":…,["name":…,]…}`
    /// with `payload` and `action` as JSON strings (jsan), as the reference apps send.
    pub fn to_json(&self, id: Option<&str>, instance_id: &str, name: &str) -> String {
        let mut out = String::with_capacity(self.json_len_hint());
        self.write_json(&mut out, id, instance_id, name);
        out
    }

    /// Bytes [`AppLog::write_json`] will about need (escapes aside).
    pub fn json_len_hint(&self) -> usize {
        let body = match self {
            AppLog::Init { state } => state.len(),
            AppLog::Action { action, state, .. } => action.len() + state.len(),
            AppLog::State { lifted } => lifted.len(),
            AppLog::Start => 0,
        };
        // Keys, ids and names, and room for the escapes of a stringified state.
        body + body / 8 + 256
    }

    /// Appends [`AppLog::to_json`]'s text to `out`: the state is escaped straight into
    /// the frame being built, with no copy of its own.
    pub fn write_json(&self, out: &mut String, id: Option<&str>, instance_id: &str, name: &str) {
        // Key order as the reference apps: type, id, instanceId, name, then the
        // type's own fields.
        let (kind, action, payload) = match self {
            AppLog::Init { state } => ("INIT", None, Some(state)),
            AppLog::Action { action, state, .. } => ("ACTION", Some(action), Some(state)),
            AppLog::State { lifted } => ("STATE", None, Some(lifted)),
            AppLog::Start => ("START", None, None),
        };
        out.push_str(r#"{"type":"#);
        encode::push_json_str(out, kind);
        if let Some(id) = id {
            out.push_str(r#","id":"#);
            encode::push_json_str(out, id);
        }
        out.push_str(r#","instanceId":"#);
        encode::push_json_str(out, instance_id);
        if !name.is_empty() {
            out.push_str(r#","name":"#);
            encode::push_json_str(out, name);
        }
        if let Some(action) = action {
            out.push_str(r#","action":"#);
            encode::push_json_str(out, action);
        }
        if let Some(payload) = payload {
            out.push_str(r#","payload":"#);
            encode::push_json_str(out, payload);
        }
        if let AppLog::Action { next_action_id, .. } = self {
            out.push_str(r#","nextActionId":"#);
            out.push_str(&next_action_id.to_string());
        }
        out.push('}');
    }
}

/// The lifted form of a plain action (JSON text):
/// `{"type":"PERFORM_ACTION","action":<action>,"timestamp":<ms since 1970>}`.
pub fn lift_action(action: &str) -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!(r#"{{"type":"PERFORM_ACTION","action":{action},"timestamp":{ms}}}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_messages_and_the_noid_wrapper() {
        let m = AppMessage::parse(r#"{"type":"ACTION","id":"2nzkDp4Ae7F-srU5AAAB","name":"CounterApp","instanceId":"8l4du8vtgpk","payload":"{\"count\":1}","action":"{\"type\":\"PERFORM_ACTION\",\"action\":{\"type\":\"INCREMENT\"},\"timestamp\":1795658276718}","nextActionId":2}"#).unwrap();
        assert_eq!(m.kind, "ACTION");
        assert_eq!(m.connection_id.as_deref(), Some("2nzkDp4Ae7F-srU5AAAB"));
        assert_eq!(m.payload.as_deref(), Some(r#"{"count":1}"#));
        assert!(m.action.unwrap().starts_with(r#"{"type":"PERFORM_ACTION""#));

        let w = AppMessage::parse(
            r#"{"id":"sockA","data":{"type":"INIT","id":null,"payload":"{\"count\":0}"}}"#,
        )
        .unwrap();
        assert_eq!(w.kind, "INIT");
        assert_eq!(w.connection_id.as_deref(), Some("sockA"));
        assert_eq!(
            w.raw,
            r#"{"type":"INIT","id":null,"payload":"{\"count\":0}"}"#
        );

        let d = AppMessage::parse(r#"{"id":"x","type":"DISCONNECTED"}"#).unwrap();
        assert_eq!(
            (d.kind.as_str(), d.connection_id.as_deref()),
            ("DISCONNECTED", Some("x"))
        );
        assert!(AppMessage::parse("5").is_none());
    }

    #[test]
    fn messages_in_the_vocabulary_shape() {
        let m = AppLog::Action {
            action: lift_action(r#"{"type":"INCREMENT"}"#),
            state: r#"{"count":1}"#.into(),
            next_action_id: 2,
        }
        .to_json(Some("sock"), "inst", "CounterApp");
        let v: serde_json::Value = serde_json::from_str(&m).unwrap();
        assert_eq!(v["type"], "ACTION");
        assert_eq!(v["id"], "sock");
        assert_eq!(v["instanceId"], "inst");
        assert_eq!(v["name"], "CounterApp");
        assert_eq!(v["payload"], r#"{"count":1}"#);
        assert_eq!(v["nextActionId"], 2);
        let action: serde_json::Value =
            serde_json::from_str(v["action"].as_str().unwrap()).unwrap();
        assert_eq!(action["type"], "PERFORM_ACTION");
        assert_eq!(action["action"]["type"], "INCREMENT");
        assert!(action["timestamp"].as_u64().unwrap() > 1_700_000_000_000);
        let init = AppLog::Init { state: "{}".into() }.to_json(None, "i", "");
        assert_eq!(init, r#"{"type":"INIT","instanceId":"i","payload":"{}"}"#);
    }
}
