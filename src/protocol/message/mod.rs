//! The RemoteDev message vocabulary (relay spec §8): commands a monitor sends to apps
//! ([`command`]) and the messages apps send to monitors ([`app`]), as typed values.
//!
//! `state`, `payload` and `action` usually travel as strings that contain JSON (jsan);
//! plain objects are accepted too. Either way the typed values carry the JSON text of
//! the value itself, ready to parse. Nothing here evaluates code.

pub mod app;
pub mod command;

pub use app::{lift_action, AppLog, AppMessage};
pub use command::{dispatch_command, Command, CommandFields, CommandMessage};

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// The keys any remotedev message may have.
#[derive(Deserialize)]
pub(crate) struct Wire<'a> {
    #[serde(rename = "type", borrow, default)]
    pub(crate) kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) action: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) payload: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) state: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) id: Option<&'a RawValue>,
    #[serde(rename = "instanceId", borrow, default)]
    pub(crate) instance_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) data: Option<&'a RawValue>,
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

pub(crate) fn as_string(raw: Option<&RawValue>) -> Option<String> {
    raw.and_then(crate::protocol::frame::json_str)
        .map(Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_keeps_non_json_strings_as_strings() {
        let raw = RawValue::from_string(r#""just text""#.into()).unwrap();
        assert_eq!(decoded_json(&raw).as_deref(), Some(r#""just text""#));
    }
}
