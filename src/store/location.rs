//! Where the report database lives: the default file in the user's data directory, a
//! file of your choice, memory, or a PostgreSQL database; and the reference's knex
//! `dbOptions` JSON for each.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{PgTarget, StoreError};

/// The report database's location (relay spec §6.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StoreLocation {
    /// `reports.sqlite3` in the `remotedev` folder of the user's data directory
    /// ([`StoreLocation::default_file`]), created on first use. The default.
    #[default]
    DataDir,
    /// An SQLite file at this path (created if missing; its folder must exist).
    File(PathBuf),
    /// In memory, lost when the relay stops (what the reference relays do).
    Memory,
    /// A PostgreSQL database (`--db postgres://…`, knex client `pg`), which several
    /// relays can share.
    Postgres(PgTarget),
}

/// knex sqlite client names that this relay reads as "an SQLite database".
const SQLITE_CLIENTS: &[&str] = &["sqlite3", "sqlite", "better-sqlite3"];
/// knex PostgreSQL client names.
const PG_CLIENTS: &[&str] = &["pg", "postgres", "postgresql"];

impl StoreLocation {
    /// The default database file: `<data dir>/remotedev/reports.sqlite3`, where the data
    /// dir is `$XDG_DATA_HOME` or `~/.local/share` on Linux, `~/Library/Application
    /// Support` on macOS and `%APPDATA%` on Windows.
    ///
    /// # Errors
    /// [`StoreError::Config`] when the system has no data directory (no home).
    pub fn default_file() -> Result<PathBuf, StoreError> {
        let dirs = directories::BaseDirs::new().ok_or_else(|| {
            StoreError::Config(
                "cannot find the user's data directory (no home directory); \
                 choose a database with --db PATH or --db :memory:"
                    .to_owned(),
            )
        })?;
        Ok(dirs.data_dir().join("remotedev").join("reports.sqlite3"))
    }

    /// `--db` shorthand: `:memory:`, a `postgres://` / `postgresql://` URL, or a file
    /// path.
    pub fn from_db_arg(arg: &str) -> StoreLocation {
        if arg == ":memory:" {
            StoreLocation::Memory
        } else if arg.starts_with("postgres://")
            || arg.starts_with("postgresql://")
            || is_libpq_key_value(arg)
        {
            StoreLocation::Postgres(PgTarget::new(arg))
        } else {
            StoreLocation::File(PathBuf::from(arg))
        }
    }

    /// Reads a knex configuration (the reference's `--dbOptions` JSON), for SQLite
    /// (`{"client":"sqlite3","connection":{"filename":":memory:"},"useNullAsDefault":true}`)
    /// or PostgreSQL (`{"client":"pg","connection":"postgres://user:pw@host:5432/db"}`,
    /// or `"connection":{"host","port","user","password","database"}` or
    /// `{"connectionString":URL}`). `migrate`, `debug`, `pool` and `useNullAsDefault`
    /// are ignored (this relay always brings its schema up to date).
    ///
    /// # Errors
    /// [`StoreError::Config`] for malformed JSON, another client, a configuration
    /// without a file name or connection, or one asking for TLS to PostgreSQL.
    pub fn from_knex_json(text: &str) -> Result<StoreLocation, StoreError> {
        let config: Value = serde_json::from_str(text)
            .map_err(|e| StoreError::Config(format!("dbOptions is not valid JSON: {e}")))?;
        let Some(config) = config.as_object() else {
            return Err(StoreError::Config(
                "dbOptions must be a JSON object like \
                 {\"client\":\"sqlite3\",\"connection\":{\"filename\":\"reports.sqlite3\"}}"
                    .to_owned(),
            ));
        };
        match config.get("client") {
            Some(Value::String(c)) if SQLITE_CLIENTS.contains(&c.as_str()) => {}
            Some(Value::String(c)) if PG_CLIENTS.contains(&c.as_str()) => {
                return pg_from_knex(config.get("connection"))
            }
            Some(Value::String(c)) => {
                return Err(StoreError::Config(format!(
                    "dbOptions client {c:?} is not supported: this relay stores reports in \
                     SQLite (\"client\":\"sqlite3\") or PostgreSQL (\"client\":\"pg\")"
                )))
            }
            _ => {
                return Err(StoreError::Config(
                    "dbOptions needs \"client\":\"sqlite3\" or \"client\":\"pg\"".to_owned(),
                ))
            }
        }
        let filename = match config.get("connection") {
            Some(Value::Object(c)) => c.get("filename").and_then(Value::as_str),
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        };
        match filename {
            Some(f) if !f.is_empty() => Ok(StoreLocation::from_db_arg(f)),
            _ => Err(StoreError::Config(
                "dbOptions needs \"connection\":{\"filename\":PATH} (a file path or \":memory:\")"
                    .to_owned(),
            )),
        }
    }

    /// Reads a knex configuration file (`--dbOptions PATH`).
    ///
    /// # Errors
    /// [`StoreError::Config`] naming the file when it cannot be read, else as
    /// [`StoreLocation::from_knex_json`].
    pub fn from_knex_file(path: &Path) -> Result<StoreLocation, StoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            StoreError::Config(format!(
                "cannot read dbOptions file {}: {e}",
                path.display()
            ))
        })?;
        StoreLocation::from_knex_json(&text)
            .map_err(|e| StoreError::Config(format!("{}: {e}", path.display())))
    }

    /// The file this location resolves to (`None` for memory).
    ///
    /// # Errors
    /// As [`StoreLocation::default_file`] for the data-dir location.
    pub fn path(&self) -> Result<Option<PathBuf>, StoreError> {
        match self {
            StoreLocation::DataDir => StoreLocation::default_file().map(Some),
            StoreLocation::File(p) => Ok(Some(p.clone())),
            StoreLocation::Memory | StoreLocation::Postgres(_) => Ok(None),
        }
    }
}

/// The `connection` of a knex `pg` configuration.
fn pg_from_knex(connection: Option<&Value>) -> Result<StoreLocation, StoreError> {
    let usage = "dbOptions for \"client\":\"pg\" needs \"connection\": a URL \
                 (\"postgres://user:password@host:5432/database\") or an object with host, \
                 port, user, password and database";
    let target = match connection {
        Some(Value::String(url)) if !url.is_empty() => PgTarget::new(url.as_str()),
        Some(Value::Object(c)) => {
            if c.get("ssl")
                .is_some_and(|v| !matches!(v, Value::Null | Value::Bool(false)))
            {
                return Err(StoreError::Config(
                    "dbOptions connection.ssl: TLS to PostgreSQL is not supported by this \
                     relay; connect over a private network or a local TLS tunnel"
                        .to_owned(),
                ));
            }
            if let Some(url) = c.get("connectionString").and_then(Value::as_str) {
                PgTarget::new(url)
            } else {
                let mut parts = Vec::new();
                for (key, libpq) in [
                    ("host", "host"),
                    ("port", "port"),
                    ("user", "user"),
                    ("password", "password"),
                    ("database", "dbname"),
                ] {
                    match c.get(key) {
                        None | Some(Value::Null) => {}
                        Some(Value::String(s)) => parts.push((libpq, s.clone())),
                        Some(Value::Number(n)) => parts.push((libpq, n.to_string())),
                        Some(other) => {
                            return Err(StoreError::Config(format!(
                                "dbOptions connection.{key} must be a string, got {other}"
                            )))
                        }
                    }
                }
                if parts.is_empty() {
                    return Err(StoreError::Config(usage.to_owned()));
                }
                PgTarget::from_parts(&parts)
            }
        }
        _ => return Err(StoreError::Config(usage.to_owned())),
    };
    target
        .config()
        .map_err(|e| StoreError::Config(format!("dbOptions connection: {e}")))?;
    Ok(StoreLocation::Postgres(target))
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let StoreLocation::Postgres(target) = self {
            return write!(f, "{target}");
        }
        match self.path() {
            Ok(Some(p)) => write!(f, "{}", p.display()),
            Ok(None) => f.write_str(":memory:"),
            Err(_) => f.write_str("(no data directory)"),
        }
    }
}

/// Whether `arg` is a libpq `key=value` connection string (`host=db port=5432 …`):
/// what comes before its first `=` is a libpq keyword (spaces around it allowed). Such
/// a string names a PostgreSQL database, never an SQLite file (where it would also leak
/// its password into a file name).
fn is_libpq_key_value(arg: &str) -> bool {
    const KEYS: [&str; 12] = [
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "connect_timeout",
        "sslmode",
        "application_name",
        "options",
        "keepalives",
        "target_session_attrs",
    ];
    arg.split_once('=')
        .is_some_and(|(key, _)| KEYS.contains(&key.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knex_configs() {
        assert_eq!(
            StoreLocation::from_knex_json(
                r#"{"client":"sqlite3","connection":{"filename":":memory:"},"useNullAsDefault":true,"debug":false,"migrate":true}"#
            )
            .unwrap(),
            StoreLocation::Memory
        );
        assert_eq!(
            StoreLocation::from_knex_json(
                r#"{"client":"sqlite3","connection":{"filename":"/tmp/x.db"}}"#
            )
            .unwrap(),
            StoreLocation::File("/tmp/x.db".into())
        );
        let pg = StoreLocation::from_knex_json(
            r#"{"client":"pg","connection":"postgres://me:pw@db:5433/reports"}"#,
        )
        .unwrap();
        assert_eq!(pg.to_string(), "postgres://me@db:5433/reports");
        let pg = StoreLocation::from_knex_json(
            r#"{"client":"pg","connection":{"host":"db","port":5433,"user":"me","password":"pw","database":"reports"}}"#,
        )
        .unwrap();
        assert_eq!(pg.to_string(), "postgres://me@db:5433/reports");
        assert_eq!(
            StoreLocation::from_db_arg("postgresql://h/d").to_string(),
            "postgres://h:5432/d"
        );
        for bad in [
            r#"{"client":"pg"}"#,
            r#"{"client":"pg","connection":{}}"#,
            r#"{"client":"pg","connection":{"host":"h","ssl":true}}"#,
            r#"{"client":"pg","connection":{"host":["h"]}}"#,
            r#"{"client":"pg","connection":"postgres://h:port/d"}"#,
            r#"{"client":"mysql","connection":"x"}"#,
        ] {
            assert!(StoreLocation::from_knex_json(bad).is_err(), "{bad}");
        }
        assert!(StoreLocation::from_knex_json("{").is_err());
        assert!(StoreLocation::from_knex_json(r#"{"client":"sqlite3"}"#).is_err());
    }

    #[test]
    fn libpq_key_value_strings_are_postgres_not_files() {
        for arg in [
            "host=127.0.0.1 port=1 password=SECRET3 user=u dbname=x",
            "dbname=reports",
            "user = me host=db",
        ] {
            match StoreLocation::from_db_arg(arg) {
                StoreLocation::Postgres(t) => assert!(!t.to_string().contains("SECRET3"), "{t}"),
                other => panic!("{arg}: {other:?}"),
            }
        }
        for arg in ["reports.sqlite3", "a=b.sqlite3", "/tmp/x y=z"] {
            assert!(
                matches!(StoreLocation::from_db_arg(arg), StoreLocation::File(_)),
                "{arg}"
            );
        }
    }

    #[test]
    fn default_file_is_in_a_remotedev_folder() {
        if let Ok(p) = StoreLocation::default_file() {
            assert!(p.ends_with("remotedev/reports.sqlite3"), "{}", p.display());
        }
    }
}
