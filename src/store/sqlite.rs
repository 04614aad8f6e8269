//! The embedded SQLite backend (the default): the reference schema (relay spec §6.3)
//! with the project's own migrations counted in `PRAGMA user_version`, and the
//! `insert` / `get` / `list` operations on one connection.

use std::time::Duration;

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{params_from_iter, Connection, OpenFlags, OptionalExtension};
use serde_json::{Map, Value};

use super::report::{column_list, quoted, NewReport};
use super::{ListQuery, StoreError, StoreLocation, BASE_FIELDS, COLUMNS};

/// Opens (creating it and its schema if needed) the SQLite database at `location`.
pub(crate) fn open(location: &StoreLocation) -> Result<Connection, StoreError> {
    let mut conn = match location.path()? {
        None => Connection::open_in_memory()?,
        Some(path) => {
            if matches!(location, StoreLocation::DataDir) {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Config(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
            }
            Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|e| {
                StoreError::Config(format!(
                    "cannot open the report database {}: {e}",
                    path.display()
                ))
            })?
        }
    };
    conn.busy_timeout(Duration::from_secs(5))?;
    // As in the reference (knex with node-sqlite3 leaves SQLite's default, off): a
    // report's `appId` need not name a row of `remotedev_apps`. The bundled SQLite
    // turns foreign keys on, which made an upload with an unknown `appId` a 500
    // (found by the report_api fuzz target).
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    if location.path()?.is_some() {
        // Durability (issue 13): WAL, and `synchronous = FULL`, so the WAL is synced on
        // every commit and a report whose POST got a 200 survives a kill -9 of the
        // relay and also an OS crash or power loss; `NORMAL` would survive a killed
        // process only. A commit is all or nothing in either mode.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!("report database: journal mode {mode}, not WAL");
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
    }
    migrate(&mut conn)?;
    Ok(conn)
}

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

/// Inserts a validated report.
pub(crate) fn insert(conn: &Connection, report: &NewReport) -> Result<(), StoreError> {
    let sql = report.insert_sql(|_, _| "?".to_owned());
    let values = report.row.iter().map(|(_, v)| v);
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(values))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{AddOutcome, DEFAULT_APP_ID};
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

    fn add(
        c: &Connection,
        body: &Map<String, Value>,
        id: &str,
        added: &str,
    ) -> Result<AddOutcome, StoreError> {
        match NewReport::from_body(body, id, added) {
            Ok(r) => {
                insert(c, &r)?;
                Ok(AddOutcome::Added(r.added))
            }
            Err(m) => Ok(AddOutcome::Rejected(m)),
        }
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
        for (upload, message) in super::super::report::rejected_uploads() {
            assert_eq!(bad(upload), message);
        }
        assert!(list(&c, &ListQuery::default()).unwrap().is_empty());
        assert!(ListQuery::from_json(Some(&json!({"1=1; DROP TABLE x":1})), None).is_err());
        assert!(ListQuery::from_json(None, Some(&json!(["id", "nope"]))).is_err());
        assert!(ListQuery::from_json(Some(&json!({"id":{"$ne":1}})), None).is_err());
    }
}
