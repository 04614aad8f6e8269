//! Commands from a monitor to an app (relay spec §8.2): `START`, `STOP`, `DISPATCH`
//! (time travel), `ACTION`, `IMPORT`, `SYNC`, … as [`Command`], their one flattening
//! into named fields ([`CommandFields`]) and the `DISPATCH` builder.

use super::{as_string, decoded_json, Wire};

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
        /// The lifted action's JSON text.
        action: String,
        /// The state's JSON text, if sent.
        state: Option<String>,
    },
    /// The Dispatcher monitor asks to run an action. `raw` is the JSON value as sent:
    /// usually a string of JavaScript source. It is never evaluated here.
    Action {
        /// The value's JSON text as sent.
        raw: String,
    },
    /// Replace the app's (lifted) state with `state` (JSON).
    Import {
        /// The lifted state's JSON text.
        state: String,
    },
    /// Another instance's lifted state to mirror; `source` is its connection id.
    Sync {
        /// The lifted state's JSON text.
        state: String,
        /// The sending connection's id, if sent.
        source: Option<String>,
    },
    /// Asks for a fresh `STATE`.
    Update,
    /// Asks for an export of the instance.
    Export,
    /// The relay says a monitor (connection `id`) went away; treated like `Stop`.
    Disconnected {
        /// The monitor's connection id, if sent.
        id: Option<String>,
    },
    /// Any other type, with the message's JSON kept.
    Other {
        /// The message `type` ("" when it has none).
        kind: String,
        /// The message's JSON text.
        raw: String,
    },
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
}
