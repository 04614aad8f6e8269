//! The RemoteDev message vocabulary (relay spec §8): commands a monitor sends to apps,
//! and the messages apps send to monitors, as typed values.
//!
//! `state`, `payload` and `action` usually travel as strings that contain JSON (jsan);
//! plain objects are accepted too. Either way the typed values carry the JSON text of
//! the value itself, ready to parse. Nothing here evaluates code.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// A command from a monitor to an app (relay spec §8.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A monitor opened: send the current state and history, then stream.
    Start,
    /// Stop streaming until the next `Start`.
    Stop,
    /// Time travel and other instrumentation actions. `action` is the lifted action as
    /// JSON (e.g. `{"type":"JUMP_TO_ACTION","actionId":1}`); `state` is the JSON of the
    /// state to show, sent for generic (INIT-first) instances.
    Dispatch {
        action: String,
        state: Option<String>,
    },
    /// The Dispatcher monitor asks to run an action. `raw` is the JSON value as sent:
    /// usually a string of JavaScript source. It is never evaluated here.
    Action { raw: String },
    /// Replace the app's (lifted) state with `state` (JSON).
    Import { state: String },
    /// Another instance's lifted state to mirror; `source` is its connection id.
    Sync {
        state: String,
        source: Option<String>,
    },
    /// Asks for a fresh `STATE`.
    Update,
    /// Asks for an export of the instance.
    Export,
    /// The relay says a monitor (connection `id`) went away; treated like `Stop`.
    Disconnected { id: Option<String> },
    /// Any other type, with the message's JSON kept.
    Other { kind: String, raw: String },
}

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    action: Option<&'a RawValue>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
    #[serde(borrow, default)]
    state: Option<&'a RawValue>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(rename = "instanceId", borrow, default)]
    instance_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

/// The JSON text a value stands for: a string's content when it holds JSON (jsan), the
/// value itself otherwise. `null` counts as absent.
pub(crate) fn decoded_json(raw: &RawValue) -> Option<String> {
    let text = raw.get();
    if text == "null" {
        return None;
    }
    if let Some(inner) = crate::protocol::frame::json_str(raw) {
        if serde_json::from_str::<&RawValue>(&inner).is_ok() {
            return Some(inner.into_owned());
        }
    }
    Some(text.to_owned())
}

fn as_string(raw: Option<&RawValue>) -> Option<String> {
    raw.and_then(crate::protocol::frame::json_str)
        .map(Cow::into_owned)
}

impl Command {
    /// Reads a monitor command from its JSON text. Text that is not a JSON object with
    /// a string `type` becomes `Other` with an empty kind.
    pub fn parse(json: &str) -> Command {
        let Ok(w) = serde_json::from_str::<Wire<'_>>(json) else {
            return Command::Other {
                kind: String::new(),
                raw: json.to_owned(),
            };
        };
        let kind = w.kind.as_deref().unwrap_or("");
        match kind {
            "START" => Command::Start,
            "STOP" => Command::Stop,
            "DISPATCH" => match w.action.or(w.payload).and_then(decoded_json) {
                Some(action) => Command::Dispatch {
                    action,
                    state: w.state.and_then(decoded_json),
                },
                None => other(kind, json),
            },
            "ACTION" => match w.action {
                Some(a) => Command::Action {
                    raw: a.get().to_owned(),
                },
                None => other(kind, json),
            },
            "IMPORT" => match w.state.and_then(decoded_json) {
                Some(state) => Command::Import { state },
                None => other(kind, json),
            },
            "SYNC" => match w.state.and_then(decoded_json) {
                Some(state) => Command::Sync {
                    state,
                    source: as_string(w.id),
                },
                None => other(kind, json),
            },
            "UPDATE" => Command::Update,
            "EXPORT" => Command::Export,
            "DISCONNECTED" => Command::Disconnected {
                id: as_string(w.id),
            },
            _ => other(kind, json),
        }
    }

    /// The message `type` this command came as.
    pub fn kind(&self) -> &str {
        match self {
            Command::Start => "START",
            Command::Stop => "STOP",
            Command::Dispatch { .. } => "DISPATCH",
            Command::Action { .. } => "ACTION",
            Command::Import { .. } => "IMPORT",
            Command::Sync { .. } => "SYNC",
            Command::Update => "UPDATE",
            Command::Export => "EXPORT",
            Command::Disconnected { .. } => "DISCONNECTED",
            Command::Other { kind, .. } => kind,
        }
    }
}

/// A command's content as named fields: the one flattening of [`Command`] that the C
/// message getters and the Python command classes are built from.
///
/// | command | `action` | `state` | `connection_id` | `raw` |
/// |---|---|---|---|---|
/// | `DISPATCH` | lifted action JSON | state JSON, if sent | – | – |
/// | `ACTION` | the value as sent (JSON; usually a string of JS source) | – | – | – |
/// | `IMPORT` | – | lifted state JSON | – | – |
/// | `SYNC` | – | lifted state JSON | the source connection, if sent | – |
/// | `DISCONNECTED` | – | – | the monitor's connection, if sent | – |
/// | other types | – | – | – | the message JSON |
///
/// `START`, `STOP`, `UPDATE` and `EXPORT` carry nothing but `kind`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CommandFields<'a> {
    /// The message `type` (`START`, `DISPATCH`, …; "" for a message without one).
    pub kind: &'a str,
    /// See the table.
    pub action: Option<&'a str>,
    /// See the table.
    pub state: Option<&'a str>,
    /// See the table.
    pub connection_id: Option<&'a str>,
    /// See the table.
    pub raw: Option<&'a str>,
}

impl Command {
    /// The command as named fields (see [`CommandFields`]).
    pub fn fields(&self) -> CommandFields<'_> {
        let kind = self.kind();
        let base = CommandFields {
            kind,
            ..CommandFields::default()
        };
        match self {
            Command::Dispatch { action, state } => CommandFields {
                action: Some(action),
                state: state.as_deref(),
                ..base
            },
            Command::Action { raw } => CommandFields {
                action: Some(raw),
                ..base
            },
            Command::Import { state } => CommandFields {
                state: Some(state),
                ..base
            },
            Command::Sync { state, source } => CommandFields {
                state: Some(state),
                connection_id: source.as_deref(),
                ..base
            },
            Command::Disconnected { id } => CommandFields {
                connection_id: id.as_deref(),
                ..base
            },
            Command::Other { raw, .. } => CommandFields {
                raw: Some(raw),
                ..base
            },
            Command::Start | Command::Stop | Command::Update | Command::Export => base,
        }
    }
}

/// Builds a targeted `DISPATCH` the way the DevTools app does (relay spec §8.2):
/// `{"type":"DISPATCH","action":<action JSON>[,"state":"<state JSON>"][,"instanceId":"…"]}`.
/// `action` and `state` must be JSON text (the caller checks).
pub fn dispatch_command(action: &str, state: Option<&str>, instance_id: Option<&str>) -> String {
    let mut out = format!(r#"{{"type":"DISPATCH","action":{action}"#);
    if let Some(state) = state {
        out.push_str(r#","state":"#);
        out.push_str(&crate::protocol::encode::json_str(state));
    }
    if let Some(id) = instance_id {
        out.push_str(r#","instanceId":"#);
        out.push_str(&crate::protocol::encode::json_str(id));
    }
    out.push('}');
    out
}

/// A monitor command as it arrived: the typed value, the instance it is addressed to
/// (`instanceId`, if any) and the message's JSON text as the monitor sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandMessage {
    /// The typed command.
    pub command: Command,
    /// The `instanceId` it is addressed to, if any.
    pub instance_id: Option<String>,
    /// The message's JSON text as the monitor sent it.
    pub raw: String,
}

impl CommandMessage {
    /// Reads a monitor command message from its JSON text (never fails: see
    /// [`Command::parse`]).
    pub fn parse(json: &str) -> CommandMessage {
        let instance_id = serde_json::from_str::<Wire<'_>>(json)
            .ok()
            .and_then(|w| as_string(w.instance_id));
        CommandMessage {
            command: Command::parse(json),
            instance_id,
            raw: json.to_owned(),
        }
    }
}

fn other(kind: &str, json: &str) -> Command {
    Command::Other {
        kind: kind.to_owned(),
        raw: json.to_owned(),
    }
}

/// A message from an app, as a monitor receives it on `log` (relay spec §8.1), with a
/// `log-noid` wrapper already unwrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppMessage {
    /// `INIT`, `ACTION`, `STATE`, `START`, `STOP`, `ERROR`, `DISCONNECTED`…
    pub kind: String,
    /// The sending app's connection (socket) id: where targeted commands go.
    pub connection_id: Option<String>,
    pub instance_id: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_from_the_spec() {
        assert_eq!(Command::parse(r#"{"type":"START"}"#), Command::Start);
        assert_eq!(
            Command::parse(
                r#"{"type":"DISPATCH","action":{"type":"JUMP_TO_STATE","index":1},"state":"{\"count\":1}","instanceId":"k3j5x9q2"}"#
            ),
            Command::Dispatch {
                action: r#"{"type":"JUMP_TO_STATE","index":1}"#.into(),
                state: Some(r#"{"count":1}"#.into()),
            }
        );
        // the seed doc's spelling: payload instead of action; redux instances: no state
        assert_eq!(
            Command::parse(r#"{"type":"DISPATCH","payload":{"type":"JUMP_TO_STATE","index":2}}"#),
            Command::Dispatch {
                action: r#"{"type":"JUMP_TO_STATE","index":2}"#.into(),
                state: None,
            }
        );
        assert_eq!(
            Command::parse(r#"{"type":"ACTION","action":"{ type: 'INCREMENT_COUNTER' }"}"#),
            Command::Action {
                raw: r#""{ type: 'INCREMENT_COUNTER' }""#.into()
            }
        );
        assert_eq!(
            Command::parse(r#"{"type":"IMPORT","state":"{\"a\":1}","instanceId":"x"}"#),
            Command::Import {
                state: r#"{"a":1}"#.into()
            }
        );
        assert_eq!(
            Command::parse(r#"{"type":"SYNC","state":{"b":2},"id":"abc"}"#),
            Command::Sync {
                state: r#"{"b":2}"#.into(),
                source: Some("abc".into())
            }
        );
        assert_eq!(
            Command::parse(r#"{"id":"2nzkDp4Ae7F-srU5AAAB","type":"DISCONNECTED"}"#),
            Command::Disconnected {
                id: Some("2nzkDp4Ae7F-srU5AAAB".into())
            }
        );
        assert_eq!(Command::parse(r#"{"type":"STOP"}"#).kind(), "STOP");
        assert!(
            matches!(Command::parse(r#"{"type":"LOCK"}"#), Command::Other { kind, .. } if kind == "LOCK")
        );
        assert!(matches!(Command::parse("[1]"), Command::Other { kind, .. } if kind.is_empty()));
    }

    #[test]
    fn command_messages_keep_the_instance_and_the_text() {
        let text = r#"{"type":"DISPATCH","action":{"type":"JUMP_TO_ACTION","actionId":1},"instanceId":"k3j5x9q2"}"#;
        let m = CommandMessage::parse(text);
        assert_eq!(m.instance_id.as_deref(), Some("k3j5x9q2"));
        assert_eq!(m.raw, text);
        assert_eq!(m.command.kind(), "DISPATCH");
        assert_eq!(
            CommandMessage::parse(r#"{"type":"START"}"#).instance_id,
            None
        );
    }

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
    fn fields_flatten_each_command_once() {
        let d =
            Command::parse(r#"{"type":"DISPATCH","action":{"type":"JUMP_TO_STATE"},"state":"{}"}"#);
        let f = d.fields();
        assert_eq!(
            (f.kind, f.action, f.state),
            ("DISPATCH", Some(r#"{"type":"JUMP_TO_STATE"}"#), Some("{}"))
        );
        let s = Command::parse(r#"{"type":"SYNC","state":{},"id":"c"}"#);
        assert_eq!(s.fields().connection_id, Some("c"));
        assert_eq!(
            Command::Start.fields(),
            CommandFields {
                kind: "START",
                ..CommandFields::default()
            }
        );
        let o = Command::parse(r#"{"type":"LOCK_CHANGES","status":true}"#);
        assert_eq!(
            o.fields().raw,
            Some(r#"{"type":"LOCK_CHANGES","status":true}"#)
        );
        assert_eq!(
            dispatch_command(r#"{"type":"JUMP_TO_STATE"}"#, Some("{}"), Some("i")),
            r#"{"type":"DISPATCH","action":{"type":"JUMP_TO_STATE"},"state":"{}","instanceId":"i"}"#
        );
    }

    #[test]
    fn decoding_keeps_non_json_strings_as_strings() {
        let raw = RawValue::from_string(r#""just text""#.into()).unwrap();
        assert_eq!(decoded_json(&raw).as_deref(), Some(r#""just text""#));
    }
}
