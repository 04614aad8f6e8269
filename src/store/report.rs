//! What a report is, independent of the database: the reference's columns, the
//! validation and row building of an upload (relay spec §6.2), and the `list` query.
//! The SQLite and PostgreSQL backends store and read what this module decides.

use serde_json::{Map, Value};

/// The `remotedev_reports` columns, in the order rows are returned.
pub const COLUMNS: &[&str] = &[
    "id",
    "type",
    "title",
    "description",
    "action",
    "payload",
    "preloadedState",
    "screenshot",
    "userAgent",
    "version",
    "user",
    "userId",
    "instanceId",
    "meta",
    "exception",
    "added",
    "appId",
];

/// What `list` returns without `fields` (the reference's base fields).
pub const BASE_FIELDS: &[&str] = &["id", "title", "added"];

/// The app id a report gets when the upload names none (the reference relays').
pub const DEFAULT_APP_ID: &str = "78626c31-e16b-4528-b8e5-f81301b627f4";

/// Why a request to the store was refused before touching the database. The message is
/// what the client gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

/// The outcome of an `add` (relay spec §6.2).
#[derive(Debug, Clone, PartialEq)]
pub enum AddOutcome {
    /// Stored: `{id,title,added}` (title absent when there is none), what `report`
    /// subscribers get as `{"type":"add","data":…}`.
    Added(Map<String, Value>),
    /// The reference's validation failure (answered with HTTP 200 `{"error":…}`).
    Rejected(String),
}

/// A `list` request: equality filters and the columns to return, both checked against
/// [`COLUMNS`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListQuery {
    /// `(column, value)` pairs that must all be equal (`null` matches missing values).
    pub filter: Vec<(String, Value)>,
    /// The columns to return.
    pub fields: Vec<String>,
}

impl ListQuery {
    /// From the `query` and `fields` members of a `POST /` body.
    ///
    /// # Errors
    /// [`Invalid`] naming a `query` key or `fields` entry that is not a column, or a
    /// `query` value that is an object or array.
    pub fn from_json(query: Option<&Value>, fields: Option<&Value>) -> Result<ListQuery, Invalid> {
        let mut out = ListQuery::default();
        match query {
            None | Some(Value::Null) => {}
            Some(Value::Object(q)) => {
                for (k, v) in q {
                    if !COLUMNS.contains(&k.as_str()) {
                        return Err(Invalid(format!(
                            "Unknown column {k:?} in query; the columns are {}.",
                            COLUMNS.join(", ")
                        )));
                    }
                    if v.is_object() || v.is_array() {
                        return Err(Invalid(format!(
                            "The query value for {k:?} must be a string, number, boolean or null \
                             (only equality filters are supported)."
                        )));
                    }
                    out.filter.push((k.clone(), v.clone()));
                }
            }
            Some(_) => {
                return Err(Invalid(
                    "query must be an object of column: value equality filters.".to_owned(),
                ))
            }
        }
        let names: Vec<&Value> = match fields {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v @ Value::String(_)) => vec![v],
            Some(_) => {
                return Err(Invalid(
                    "fields must be an array of column names.".to_owned(),
                ))
            }
        };
        for name in names {
            match name.as_str() {
                Some(n) if COLUMNS.contains(&n) => out.fields.push(n.to_owned()),
                _ => {
                    return Err(Invalid(format!(
                        "Unknown field {name}; the columns are {}.",
                        COLUMNS.join(", ")
                    )))
                }
            }
        }
        if out.fields.is_empty() {
            out.fields = BASE_FIELDS.iter().map(|s| (*s).to_owned()).collect();
        }
        Ok(out)
    }
}

/// A column name quoted for SQL (both SQLite and PostgreSQL keep the reference's
/// camelCase names only when quoted).
pub(crate) fn quoted(column: &str) -> String {
    // Only names from COLUMNS get here.
    format!("\"{column}\"")
}

/// `"a", "b", …`: quoted column names for a `SELECT`.
pub(crate) fn column_list<S: AsRef<str>>(columns: &[S]) -> String {
    columns
        .iter()
        .map(|c| quoted(c.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// JavaScript truthiness, as the reference's `!data.type || !data.payload`.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// How JavaScript would print a value in a template string.
fn js_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(_) => "[object Object]".to_owned(),
        Value::Array(a) => a.iter().map(js_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// A stored text column: strings as they are, other JSON as JSON text.
fn text(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

/// A validated upload, ready to insert: each column with its text (or NULL), and what
/// the add answers and publishes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewReport {
    /// Column and value side by side, so the two can never drift apart. `appId` is
    /// present only when the upload names one (else the column default applies).
    pub row: Vec<(&'static str, Option<String>)>,
    /// `{id,title,added}` (title absent when there is none).
    pub added: Map<String, Value>,
}

impl NewReport {
    /// `INSERT INTO remotedev_reports ("col", …) VALUES (` + each column's value
    /// placeholder from `value` (its position from 1, its column) + `)`: the statement
    /// both backends run, with their own placeholders.
    pub fn insert_sql(&self, value: impl Fn(usize, &str) -> String) -> String {
        let columns: Vec<String> = self.row.iter().map(|(c, _)| quoted(c)).collect();
        let values: Vec<String> = self
            .row
            .iter()
            .enumerate()
            .map(|(i, (c, _))| value(i + 1, c))
            .collect();
        format!(
            "INSERT INTO remotedev_reports ({}) VALUES ({})",
            columns.join(", "),
            values.join(", ")
        )
    }

    /// Validates an HTTP body and builds the row (relay spec §6.2). `id` and `added`
    /// come from the caller, never from the body.
    ///
    /// # Errors
    /// The reference's validation message (answered with HTTP 200 `{"error":…}`).
    pub fn from_body(
        body: &Map<String, Value>,
        id: &str,
        added: &str,
    ) -> Result<NewReport, String> {
        let get = |k: &str| body.get(k);
        if !truthy(get("type")) || !truthy(get("payload")) {
            return Err("Required parameters aren't specified.".to_owned());
        }
        let ty = get("type").expect("checked");
        // The four types of the reference's GraphQL schema, all of which `redux-remotedev`
        // sends (`remotedev-server` refused all but two).
        if !matches!(ty.as_str(), Some("STATE" | "ACTION" | "STATES" | "ACTIONS")) {
            return Err(format!("Type {} is not supported yet.", js_text(ty)));
        }
        let exception = get("exception").filter(|e| truthy(Some(e)));
        let exception_message = exception.and_then(|e| e.get("message"));
        let title = [get("title"), exception_message, get("action")]
            .into_iter()
            .find(|v| truthy(*v))
            .flatten();
        let user = get("user");
        let user_id = match user {
            Some(Value::Object(u)) => u.get("id"),
            other => other,
        };
        let exception_text = match exception {
            Some(e) => {
                let mut s = format!(
                    "Exception thrown: {}",
                    e.get("message")
                        .map(js_text)
                        .unwrap_or_else(|| "undefined".into())
                );
                if let Some(stack) = e.get("stack").filter(|s| truthy(Some(s))) {
                    s.push('\n');
                    s.push_str(&js_text(stack));
                }
                s
            }
            None => String::new(),
        };
        let mut row: Vec<(&'static str, Option<String>)> = vec![
            ("id", Some(id.to_owned())),
            ("type", text(Some(ty))),
            ("title", text(title)),
            ("description", text(get("description"))),
            ("action", text(get("action"))),
            ("payload", text(get("payload"))),
            ("preloadedState", text(get("preloadedState"))),
            ("screenshot", text(get("screenshot"))),
            ("version", text(get("version"))),
            ("userAgent", text(get("userAgent"))),
            ("user", text(user)),
            ("userId", text(user_id)),
            ("instanceId", text(get("instanceId"))),
            ("meta", text(get("meta"))),
            ("exception", Some(exception_text)),
            ("added", Some(added.to_owned())),
        ];
        if truthy(get("appId")) {
            row.push(("appId", text(get("appId"))));
        }
        let mut out = Map::new();
        out.insert("id".into(), Value::String(id.to_owned()));
        if let Some(t) = text(title) {
            out.insert("title".into(), Value::String(t));
        }
        out.insert("added".into(), Value::String(added.to_owned()));
        Ok(NewReport { row, added: out })
    }

    /// The value of one column of the row.
    pub fn value(&self, column: &str) -> Option<&str> {
        self.row
            .iter()
            .find(|(c, _)| *c == column)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Uploads the reference refuses, with its messages: checked by the validation and
/// by each backend's `add`.
#[cfg(test)]
pub(crate) fn rejected_uploads() -> Vec<(Value, &'static str)> {
    use serde_json::json;
    vec![
        (
            json!({"type":"STATE"}),
            "Required parameters aren't specified.",
        ),
        (
            json!({"type":"","payload":"x"}),
            "Required parameters aren't specified.",
        ),
        (
            json!({"type":"FOO","payload":"x"}),
            "Type FOO is not supported yet.",
        ),
        (
            json!({"type":"state","payload":"x"}),
            "Type state is not supported yet.",
        ),
        (
            json!({"type":["ACTION"],"payload":"x"}),
            "Type ACTION is not supported yet.",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn rows_and_results() {
        let r = NewReport::from_body(
            &obj(json!({"type":"STATE","payload":"{}","exception":{"message":"boom","stack":"at x"},"user":{"id":7},"id":"ignored"})),
            "u1",
            "2026-01-01T00:00:00.000Z",
        )
        .unwrap();
        assert_eq!(
            Value::Object(r.added.clone()),
            json!({"id":"u1","title":"boom","added":"2026-01-01T00:00:00.000Z"})
        );
        assert_eq!(r.value("exception"), Some("Exception thrown: boom\nat x"));
        assert_eq!(r.value("userId"), Some("7"));
        assert_eq!(r.value("user"), Some(r#"{"id":7}"#));
        assert_eq!(r.value("appId"), None);
        let r = NewReport::from_body(&obj(json!({"type":"ACTIONS","payload":"[]"})), "u2", "t")
            .unwrap();
        assert_eq!(Value::Object(r.added), json!({"id":"u2","added":"t"}));
    }

    #[test]
    fn validation() {
        let bad = |v: Value| NewReport::from_body(&obj(v), "x", "t").unwrap_err();
        for (upload, message) in rejected_uploads() {
            assert_eq!(bad(upload), message);
        }
        assert!(ListQuery::from_json(Some(&json!({"1=1; DROP TABLE x":1})), None).is_err());
        assert!(ListQuery::from_json(None, Some(&json!(["id", "nope"]))).is_err());
        assert!(ListQuery::from_json(Some(&json!({"id":{"$ne":1}})), None).is_err());
    }
}
