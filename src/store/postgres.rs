//! The PostgreSQL backend (`--db postgres://…` or a knex `pg` `dbOptions`): the same
//! `remotedev_reports` schema as the reference's knex migration, on one connection that
//! the store's thread owns, so several relays can share one database.
//!
//! The connection is made at start (a wrong address, password or database stops the
//! relay with the cause) and again after an outage: a request that finds the
//! connection gone tries once to reconnect and otherwise fails with
//! [`StoreError::Unavailable`] naming the server, so the relay answers 503 and keeps
//! relaying. Failed attempts are spaced [`RETRY_PAUSE`] apart, so queued requests fail
//! fast instead of each waiting for a connect timeout.

use std::str::FromStr;
use std::time::{Duration, Instant};

use postgres::config::Host;
use postgres::error::SqlState;
use postgres::{Client, Config, NoTls};
use serde_json::{Map, Value};

use super::report::{quoted, NewReport};
use super::{ListQuery, StoreError, BASE_FIELDS, COLUMNS};

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// After a failed connection attempt, requests fail with its error for this long.
pub(crate) const RETRY_PAUSE: Duration = Duration::from_millis(500);
/// Key of the advisory lock that serialises migrations of relays starting together.
const MIGRATION_LOCK: i64 = 0x7265_6d6f_7465_6465; // "remotede"

/// A PostgreSQL server and database to keep reports in: a `postgres://` URL or a
/// libpq `key=value` connection string. Shown without its password.
#[derive(Clone, PartialEq, Eq)]
pub struct PgTarget {
    conninfo: String,
}

impl PgTarget {
    /// A URL (`postgres://user:password@host:port/database?…`) or `key=value` string,
    /// checked when the store opens.
    pub fn new(conninfo: impl Into<String>) -> PgTarget {
        PgTarget {
            conninfo: conninfo.into(),
        }
    }

    /// From the parts of a knex `connection` object (`host`, `port`, `user`,
    /// `password`, `database`); missing parts take libpq's defaults.
    pub fn from_parts(parts: &[(&str, String)]) -> PgTarget {
        let quote = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
        let conninfo = parts
            .iter()
            .map(|(k, v)| format!("{k}={}", quote(v)))
            .collect::<Vec<_>>()
            .join(" ");
        PgTarget { conninfo }
    }

    /// The parsed connection settings.
    ///
    /// # Errors
    /// [`StoreError::Config`] when the string is not a PostgreSQL URL or connection
    /// string.
    pub fn config(&self) -> Result<Config, StoreError> {
        let mut config = Config::from_str(&self.conninfo).map_err(|e| {
            StoreError::Config(format!(
                "not a PostgreSQL URL (postgres://user:password@host:port/database): {e}"
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // A server that vanishes without closing the connection is noticed (Linux).
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        config.tcp_user_timeout(Duration::from_secs(30));
        config.application_name("remotedev");
        Ok(config)
    }
}

/// `postgres://user@host:port/database`, never the password.
impl std::fmt::Display for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match Config::from_str(&self.conninfo) {
            Ok(c) => f.write_str(&describe(&c)),
            Err(_) => f.write_str("postgres://(unparsable connection string)"),
        }
    }
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgTarget({self})")
    }
}

fn describe(c: &Config) -> String {
    let ports = c.get_ports();
    let hosts: Vec<String> = if c.get_hosts().is_empty() {
        vec!["localhost".to_owned()]
    } else {
        c.get_hosts()
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
                match h {
                    Host::Tcp(name) => format!("{name}:{port}"),
                    #[cfg(unix)]
                    Host::Unix(dir) => format!("{}:{port}", dir.display()),
                }
            })
            .collect()
    };
    let user = c.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    let db = c.get_dbname().or(c.get_user()).unwrap_or_default();
    format!("postgres://{user}{}/{db}", hosts.join(","))
}

/// Migrations in order; the table `remotedev_schema_version` counts the ones applied.
/// Version 1 is the reference's knex migration and seed as knex writes them for
/// PostgreSQL (`uuid`, `timestamptz`, `varchar(255)`, the foreign keys), except that
/// the report's short text columns are `text`: an exception with its stack trace does
/// not fit in the reference's 255 characters. `IF NOT EXISTS` / `ON CONFLICT` keep a
/// database the reference created as it is.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE IF NOT EXISTS remotedev_apps (
  "id" uuid PRIMARY KEY,
  "title" varchar(255),
  "description" varchar(255),
  "url" varchar(255),
  "created_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS remotedev_reports (
  "id" uuid PRIMARY KEY,
  "type" text,
  "title" text,
  "description" text,
  "action" text,
  "payload" text,
  "preloadedState" text,
  "screenshot" text,
  "userAgent" text,
  "version" text,
  "user" text,
  "userId" text,
  "instanceId" text,
  "meta" text,
  "exception" text,
  "added" timestamptz DEFAULT CURRENT_TIMESTAMP,
  "appId" uuid DEFAULT '78626c31-e16b-4528-b8e5-f81301b627f4'
    REFERENCES remotedev_apps("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX IF NOT EXISTS remotedev_reports_added_index ON remotedev_reports ("added");
CREATE TABLE IF NOT EXISTS remotedev_payloads (
  "id" uuid PRIMARY KEY,
  "state" text,
  "action" text,
  "added" timestamptz DEFAULT CURRENT_TIMESTAMP,
  "reportId" uuid REFERENCES remotedev_reports("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE IF NOT EXISTS remotedev_users (
  "id" uuid PRIMARY KEY,
  "name" varchar(255),
  "login" varchar(255),
  "email" varchar(255),
  "avatarUrl" varchar(255),
  "profileUrl" varchar(255),
  "oauthId" varchar(255),
  "oauthType" varchar(255),
  "token" varchar(255),
  "created_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS remotedev_users_apps (
  "readOnly" boolean DEFAULT false,
  "userId" uuid REFERENCES remotedev_users("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "appId" uuid REFERENCES remotedev_apps("id") ON DELETE CASCADE ON UPDATE CASCADE,
  PRIMARY KEY ("userId", "appId")
);
INSERT INTO remotedev_apps ("id", "title")
  VALUES ('78626c31-e16b-4528-b8e5-f81301b627f4', 'Default')
  ON CONFLICT ("id") DO NOTHING;
"#];

/// Brings the schema up to date in one transaction, holding an advisory lock so that
/// relays starting together on an empty database do not race.
fn migrate(client: &mut Client) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS remotedev_schema_version (version integer NOT NULL)",
    )?;
    let version: i32 = tx
        .query_opt("SELECT max(version) FROM remotedev_schema_version", &[])?
        .and_then(|r| r.get::<_, Option<i32>>(0))
        .unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO remotedev_schema_version (version) VALUES ($1)",
            &[&((i + 1) as i32)],
        )?;
    }
    tx.commit()
}

/// What a column reads as: its text, `added` as JavaScript's `toISOString()`.
fn read_expr(column: &str) -> String {
    if column == "added" {
        r#"to_char("added", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#.to_owned()
    } else {
        format!("{}::text", quoted(column))
    }
}

/// The SELECT list reading `columns` (see [`read_expr`]).
fn select_list(columns: &[impl AsRef<str>]) -> String {
    columns
        .iter()
        .map(|c| read_expr(c.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a parameter is cast to for writing a column of the reference schema.
fn write_cast(column: &str) -> &'static str {
    match column {
        "id" | "appId" => "uuid",
        "added" => "timestamptz",
        _ => "text",
    }
}

/// A filter value as the text it is compared with.
fn filter_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `8-4-4-4-12` hex digits: anything else is no report id (and would be a cast error).
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The connection (made on demand) to one PostgreSQL database.
pub(crate) struct PgStore {
    target: PgTarget,
    config: Config,
    client: Option<Client>,
    /// Until when requests fail with the last connection error without retrying.
    paused: Option<(Instant, StoreError)>,
    /// A connection attempt still under way after [`CONNECT_TIMEOUT`] (a peer that
    /// accepts TCP but never answers the PostgreSQL start-up): no second one is started
    /// while it lasts, and its result is used if it ever comes.
    pending: Option<std::sync::mpsc::Receiver<Result<Client, postgres::Error>>>,
}

impl PgStore {
    /// Connects and brings the schema up to date.
    pub(crate) fn open(target: &PgTarget) -> Result<PgStore, StoreError> {
        let config = target.config()?;
        let mut store = PgStore {
            target: target.clone(),
            config,
            client: None,
            paused: None,
            pending: None,
        };
        store.client()?;
        Ok(store)
    }

    /// Connects within [`CONNECT_TIMEOUT`] (plus a second): the driver's own timeout
    /// covers only the TCP connect, not a peer that accepts and then never answers, so
    /// the attempt runs on a thread of its own and is waited for with a deadline.
    fn connect_within(&mut self) -> Result<Client, StoreError> {
        let rx = match self.pending.take() {
            Some(rx) => rx,
            None => {
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let config = self.config.clone();
                let spawned = std::thread::Builder::new()
                    .name("remotedev-pg-connect".into())
                    .spawn(move || {
                        let _ = tx.send(config.connect(NoTls));
                    });
                if let Err(e) = spawned {
                    return Err(StoreError::Unavailable(format!(
                        "PostgreSQL {}: cannot start a connection thread: {e}",
                        self.target
                    )));
                }
                rx
            }
        };
        match rx.recv_timeout(CONNECT_TIMEOUT + Duration::from_secs(1)) {
            Ok(result) => result.map_err(|e| self.error(&e)),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                self.pending = Some(rx);
                Err(StoreError::Unavailable(format!(
                    "PostgreSQL {}: no answer to the connection start-up within {} s \
                     (is a PostgreSQL server listening there?)",
                    self.target,
                    CONNECT_TIMEOUT.as_secs() + 1
                )))
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                Err(StoreError::Unavailable(format!(
                    "PostgreSQL {}: the connection attempt ended without a result",
                    self.target
                )))
            }
        }
    }

    fn connect(&mut self) -> Result<Client, StoreError> {
        let mut client = self.connect_within()?;
        client
            .batch_execute("SET TIME ZONE 'UTC'")
            .map_err(|e| self.error(&e))?;
        migrate(&mut client).map_err(|e| {
            StoreError::Postgres(format!(
                "PostgreSQL {}: cannot create or update the report tables: {}",
                self.target,
                full(&e)
            ))
        })?;
        Ok(client)
    }

    /// The open connection, reconnecting if it was lost.
    fn client(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.as_ref().is_some_and(Client::is_closed) {
            tracing::warn!("report database: lost the connection to {}", self.target);
            self.client = None;
        }
        if self.client.is_none() {
            if let Some((until, e)) = &self.paused {
                if Instant::now() < *until {
                    return Err(e.clone());
                }
            }
            match self.connect() {
                Ok(c) => {
                    if self.paused.take().is_some() {
                        tracing::info!("report database: connected again to {}", self.target);
                    }
                    self.client = Some(c);
                }
                Err(e) => {
                    self.paused = Some((Instant::now() + RETRY_PAUSE, e.clone()));
                    return Err(e);
                }
            }
        }
        self.client
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable(format!("PostgreSQL {}", self.target)))
    }

    /// A database error as a [`StoreError`] that names the server.
    fn error(&self, e: &postgres::Error) -> StoreError {
        if e.as_db_error().is_some() && !is_outage(e) {
            StoreError::Postgres(format!("PostgreSQL {}: {}", self.target, full(e)))
        } else {
            StoreError::Unavailable(format!("PostgreSQL {}: {}", self.target, full(e)))
        }
    }

    /// Runs `f` on the connection (connecting first if needed). The outer error is a
    /// failed connection; a connection that broke during `f` is dropped, so the next
    /// request reconnects.
    fn attempt<R>(
        &mut self,
        f: impl FnOnce(&mut Client) -> Result<R, postgres::Error>,
    ) -> Result<Result<R, postgres::Error>, StoreError> {
        let out = f(self.client()?);
        if let Err(e) = &out {
            if is_outage(e) || self.client.as_ref().is_some_and(Client::is_closed) {
                tracing::warn!("report database: lost the connection to {}", self.target);
                self.client = None;
            }
        }
        Ok(out)
    }

    fn run<R>(
        &mut self,
        f: impl FnOnce(&mut Client) -> Result<R, postgres::Error>,
    ) -> Result<R, StoreError> {
        self.attempt(f)?.map_err(|e| self.error(&e))
    }

    /// Inserts a validated report. An `appId` that is not the id of an app (the
    /// reference schema's foreign key) is the uploader's mistake, answered like the
    /// reference's validation errors.
    pub(crate) fn insert(&mut self, report: &NewReport) -> Result<Option<String>, StoreError> {
        let sql = report.insert_sql(|i, c| format!("CAST(${i}::text AS {})", write_cast(c)));
        let values: Vec<Option<&str>> = report.row.iter().map(|(_, v)| v.as_deref()).collect();
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = values
            .iter()
            .map(|v| v as &(dyn postgres::types::ToSql + Sync))
            .collect();
        if let Some(app) = report.value("appId") {
            if !is_uuid(app) {
                return Ok(Some(format!(
                    "appId {app:?} is not an app id (the id of a row of remotedev_apps, a UUID)."
                )));
            }
        }
        let result = self.attempt(|c| c.execute(sql.as_str(), &params))?;
        match result {
            Ok(_) => Ok(None),
            Err(e) if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => Ok(Some(format!(
                "appId {:?} names no app of remotedev_apps.",
                report.value("appId").unwrap_or_default()
            ))),
            Err(e) => Err(self.error(&e)),
        }
    }

    /// The full row of one report.
    pub(crate) fn get(&mut self, id: &str) -> Result<Option<Map<String, Value>>, StoreError> {
        if !is_uuid(id) {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {} FROM remotedev_reports WHERE \"id\" = CAST($1::text AS uuid)",
            select_list(COLUMNS)
        );
        let row = self.run(|c| c.query_opt(sql.as_str(), &[&id]))?;
        Ok(row.map(|row| to_map(&row, COLUMNS)))
    }

    /// Rows matching `query`, oldest first.
    pub(crate) fn list(
        &mut self,
        query: &ListQuery,
    ) -> Result<Vec<Map<String, Value>>, StoreError> {
        let fields: Vec<String> = if query.fields.is_empty() {
            BASE_FIELDS.iter().map(|s| (*s).to_owned()).collect()
        } else {
            query.fields.clone()
        };
        let mut sql = format!("SELECT {} FROM remotedev_reports", select_list(&fields));
        let mut binds: Vec<String> = Vec::new();
        for (i, (column, value)) in query.filter.iter().enumerate() {
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            if value.is_null() {
                sql.push_str(&format!("{} IS NULL", quoted(column)));
            } else {
                binds.push(filter_text(value));
                sql.push_str(&format!("{} = ${}::text", read_expr(column), binds.len()));
            }
        }
        // Insertion order: `added` has microseconds and one relay inserts one report
        // at a time; the id breaks ties between relays.
        sql.push_str(" ORDER BY \"added\", \"id\"");
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = binds
            .iter()
            .map(|v| v as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let rows = self.run(|c| c.query(sql.as_str(), &params))?;
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        Ok(rows.iter().map(|r| to_map(r, &names)).collect())
    }

    /// Whether the server answers and the report table is readable.
    pub(crate) fn ping(&mut self) -> Result<(), StoreError> {
        self.run(|c| c.batch_execute("SELECT 1 FROM remotedev_reports LIMIT 1"))
    }
}

/// Whether an error means the connection is gone or unusable: closed, an I/O error, a
/// connection exception (class 08), or the server shutting down or not accepting
/// connections yet (a shutdown terminates sessions with 57P01).
fn is_outage(e: &postgres::Error) -> bool {
    match e.code() {
        Some(c) => c.code().starts_with("08") || matches!(c.code(), "57P01" | "57P02" | "57P03"),
        None => e.as_db_error().is_none(),
    }
}

fn to_map(row: &postgres::Row, names: &[&str]) -> Map<String, Value> {
    let mut m = Map::new();
    for (i, name) in names.iter().enumerate() {
        let v: Option<String> = row.get(i);
        m.insert((*name).to_owned(), v.map_or(Value::Null, Value::String));
    }
    m
}

/// The error with its causes (`error connecting to server: Connection refused…`); a
/// server's error as its message and SQLSTATE.
fn full(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut text = format!("{} ({})", db.message(), db.code().code());
        if let Some(detail) = db.detail() {
            text.push_str(&format!(": {detail}"));
        }
        return text;
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(&format!(": {cause_text}"));
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_hide_passwords() {
        let t = PgTarget::new("postgres://me:secret@db.example:5433/reports");
        assert_eq!(t.to_string(), "postgres://me@db.example:5433/reports");
        assert!(!format!("{t:?}").contains("secret"));
        let t = PgTarget::from_parts(&[
            ("host", "127.0.0.1".into()),
            ("port", "6000".into()),
            ("user", "o'neil".into()),
            ("password", "p w'\\".into()),
            ("dbname", "r".into()),
        ]);
        let c = t.config().unwrap();
        assert_eq!(c.get_user(), Some("o'neil"));
        assert_eq!(c.get_password(), Some(&b"p w'\\"[..]));
        assert_eq!(t.to_string(), "postgres://o'neil@127.0.0.1:6000/r");
        assert!(PgTarget::new("postgres://x:y@h:notaport/d")
            .config()
            .is_err());
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("78626c31-e16b-4528-b8e5-f81301b627f4"));
        assert!(!is_uuid("nope"));
        assert!(!is_uuid("78626c31-e16b-4528-b8e5-f81301b627fg"));
    }
}
