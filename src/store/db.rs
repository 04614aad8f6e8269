//! The SQL side: the reference schema (relay spec §6.3) with the project's own
//! migrations, and the `add` / `get` / `list` operations on one connection.

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde_json::{Map, Value};

use super::StoreError;

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

/// Migrations in order; `PRAGMA user_version` counts the ones applied. Version 1 is the
/// reference's knex migration and seed; `IF NOT EXISTS` / `OR IGNORE` keep a database
/// the reference created readable as it is.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE IF NOT EXISTS remotedev_apps (
  id char(36) PRIMARY KEY,
  title varchar(255),
  description varchar(255),
  url varchar(255),
  created_at datetime,
  updated_at datetime
);
CREATE TABLE IF NOT EXISTS remotedev_reports (
  id char(36) PRIMARY KEY,
  type varchar(255),
  title varchar(255),
  description varchar(255),
  action varchar(255),
  payload text,
  preloadedState text,
  screenshot text,
  userAgent varchar(255),
  version varchar(255),
  userId varchar(255),
  user varchar(255),
  meta varchar(255),
  exception varchar(255),
  instanceId varchar(255),
  added datetime DEFAULT CURRENT_TIMESTAMP,
  appId char(36) DEFAULT '78626c31-e16b-4528-b8e5-f81301b627f4'
    REFERENCES remotedev_apps(id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE IF NOT EXISTS remotedev_payloads (
  id char(36) PRIMARY KEY,
  state text,
  action text,
  added datetime DEFAULT CURRENT_TIMESTAMP,
  reportId char(36) REFERENCES remotedev_reports(id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE IF NOT EXISTS remotedev_users (
  id char(36) PRIMARY KEY,
  name varchar(255),
  login varchar(255),
  email varchar(255),
  avatarUrl varchar(255),
  profileUrl varchar(255),
  oauthId varchar(255),
  oauthType varchar(255),
  token varchar(255),
  created_at datetime,
  updated_at datetime
);
CREATE TABLE IF NOT EXISTS remotedev_users_apps (
  readOnly boolean DEFAULT 0,
  userId char(36) REFERENCES remotedev_users(id) ON DELETE CASCADE ON UPDATE CASCADE,
  appId char(36) REFERENCES remotedev_apps(id) ON DELETE CASCADE ON UPDATE CASCADE,
  PRIMARY KEY (userId, appId)
);
INSERT OR IGNORE INTO remotedev_apps (id, title, created_at, updated_at)
  VALUES ('78626c31-e16b-4528-b8e5-f81301b627f4', 'Default', datetime('now'), datetime('now'));
"#];

/// Brings the schema up to date (each migration in its own transaction).
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version as usize > MIGRATIONS.len() {
        return Err(StoreError::Config(format!(
            "the database was written by a newer remotedev (schema version {version}, \
             this one knows {})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

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

fn quoted(column: &str) -> String {
    // Only names from COLUMNS get here.
    format!("\"{column}\"")
}

fn to_json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) | ValueRef::Blob(t) => Value::String(String::from_utf8_lossy(t).into()),
    }
}

fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// `"a", "b", …`: quoted column names for a `SELECT`.
fn column_list<S: AsRef<str>>(columns: &[S]) -> String {
    columns
        .iter()
        .map(|c| quoted(c.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows matching `query`, in insertion order, with `query.fields` in that order.
pub fn list(conn: &Connection, query: &ListQuery) -> Result<Vec<Map<String, Value>>, StoreError> {
    let fields = if query.fields.is_empty() {
        BASE_FIELDS.iter().map(|s| (*s).to_owned()).collect()
    } else {
        query.fields.clone()
    };
    let mut sql = format!("SELECT {} FROM remotedev_reports", column_list(&fields));
    let mut binds = Vec::new();
    for (i, (column, value)) in query.filter.iter().enumerate() {
        sql.push_str(if i == 0 { " WHERE " } else { " AND " });
        if value.is_null() {
            sql.push_str(&format!("{} IS NULL", quoted(column)));
        } else {
            sql.push_str(&format!("{} = ?", quoted(column)));
            binds.push(to_sql(value));
        }
    }
    sql.push_str(" ORDER BY rowid");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(binds), |row| {
        let mut m = Map::new();
        for (i, f) in fields.iter().enumerate() {
            m.insert(f.clone(), to_json(row.get_ref(i)?));
        }
        Ok(m)
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The full row of one report.
pub fn get(conn: &Connection, id: &str) -> Result<Option<Map<String, Value>>, StoreError> {
    let sql = format!(
        "SELECT {} FROM remotedev_reports WHERE id = ?1",
        column_list(COLUMNS)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    Ok(stmt
        .query_row([id], |row| {
            let mut m = Map::new();
            for (i, c) in COLUMNS.iter().enumerate() {
                m.insert((*c).to_owned(), to_json(row.get_ref(i)?));
            }
            Ok(m)
        })
        .optional()?)
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

/// Stores a report from an HTTP body (relay spec §6.2). `id` and `added` come from here,
/// never from the body.
pub fn add(
    conn: &Connection,
    body: &Map<String, Value>,
    id: &str,
    added: &str,
) -> Result<AddOutcome, StoreError> {
    let get = |k: &str| body.get(k);
    if !truthy(get("type")) || !truthy(get("payload")) {
        return Ok(AddOutcome::Rejected(
            "Required parameters aren't specified.".to_owned(),
        ));
    }
    let ty = get("type").expect("checked");
    // The four types of the reference's GraphQL schema, all of which `redux-remotedev`
    // sends (`remotedev-server` refused all but two).
    if !matches!(ty.as_str(), Some("STATE" | "ACTION" | "STATES" | "ACTIONS")) {
        return Ok(AddOutcome::Rejected(format!(
            "Type {} is not supported yet.",
            js_text(ty)
        )));
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
    // Column and value side by side, so the two can never drift apart.
    let mut row: Vec<(&str, Option<String>)> = vec![
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
    let sql = format!(
        "INSERT INTO remotedev_reports ({}) VALUES ({})",
        row.iter()
            .map(|(c, _)| quoted(c))
            .collect::<Vec<_>>()
            .join(", "),
        vec!["?"; row.len()].join(", ")
    );
    let values = row.iter().map(|(_, v)| v);
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(values))?;
    let mut out = Map::new();
    out.insert("id".into(), Value::String(id.to_owned()));
    if let Some(t) = text(title) {
        out.insert("title".into(), Value::String(t));
    }
    out.insert("added".into(), Value::String(added.to_owned()));
    Ok(AddOutcome::Added(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        migrate(&mut c).unwrap(); // idempotent
        c
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn add_get_list() {
        let c = db();
        let r = add(
            &c,
            &obj(json!({"type":"STATE","payload":"{}","exception":{"message":"boom","stack":"at x"},"user":{"id":7},"id":"ignored"})),
            "u1",
            "2026-01-01T00:00:00.000Z",
        )
        .unwrap();
        assert_eq!(
            r,
            AddOutcome::Added(obj(
                json!({"id":"u1","title":"boom","added":"2026-01-01T00:00:00.000Z"})
            ))
        );
        let row = get(&c, "u1").unwrap().unwrap();
        assert_eq!(row["exception"], "Exception thrown: boom\nat x");
        assert_eq!(row["userId"], "7");
        assert_eq!(row["user"], r#"{"id":7}"#);
        assert_eq!(row["appId"], DEFAULT_APP_ID);
        assert_eq!(row["description"], Value::Null);
        assert_eq!(row.keys().cloned().collect::<Vec<_>>(), COLUMNS);
        assert!(get(&c, "nope").unwrap().is_none());
        let r = add(
            &c,
            &obj(json!({"type":"ACTIONS","payload":"[]"})),
            "u2",
            "t",
        )
        .unwrap();
        assert_eq!(r, AddOutcome::Added(obj(json!({"id":"u2","added":"t"}))));
        let all = list(&c, &ListQuery::from_json(None, None).unwrap()).unwrap();
        assert_eq!(
            Value::from(all.into_iter().map(Value::Object).collect::<Vec<_>>()),
            json!([{"id":"u1","title":"boom","added":"2026-01-01T00:00:00.000Z"},{"id":"u2","title":null,"added":"t"}])
        );
        let q = ListQuery::from_json(
            Some(&json!({"type":"ACTIONS"})),
            Some(&json!(["id", "type"])),
        )
        .unwrap();
        assert_eq!(
            list(&c, &q).unwrap(),
            vec![obj(json!({"id":"u2","type":"ACTIONS"}))]
        );
    }

    #[test]
    fn every_type_of_the_schema_is_stored() {
        let c = db();
        for ty in ["STATE", "ACTION", "STATES", "ACTIONS"] {
            let added = add(&c, &obj(json!({"type":ty,"payload":"[]"})), ty, "t").unwrap();
            assert!(matches!(added, AddOutcome::Added(_)), "{ty}: {added:?}");
            let row = get(&c, ty).unwrap().expect("stored");
            assert_eq!(row["type"], ty);
        }
    }

    #[test]
    fn validation() {
        let c = db();
        let bad = |v: Value| match add(&c, &obj(v), "x", "t").unwrap() {
            AddOutcome::Rejected(e) => e,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            bad(json!({"type":"STATE"})),
            "Required parameters aren't specified."
        );
        assert_eq!(
            bad(json!({"type":"","payload":"x"})),
            "Required parameters aren't specified."
        );
        assert_eq!(
            bad(json!({"type":"FOO","payload":"x"})),
            "Type FOO is not supported yet."
        );
        assert_eq!(
            bad(json!({"type":"state","payload":"x"})),
            "Type state is not supported yet."
        );
        assert_eq!(
            bad(json!({"type":["ACTION"],"payload":"x"})),
            "Type ACTION is not supported yet."
        );
        assert!(list(&c, &ListQuery::default()).unwrap().is_empty());
        assert!(ListQuery::from_json(Some(&json!({"1=1; DROP TABLE x":1})), None).is_err());
        assert!(ListQuery::from_json(None, Some(&json!(["id", "nope"]))).is_err());
        assert!(ListQuery::from_json(Some(&json!({"id":{"$ne":1}})), None).is_err());
    }
}
