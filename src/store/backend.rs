//! The database behind a [`ReportStore`](super::ReportStore): embedded SQLite (the
//! default) or a PostgreSQL server. The store's thread owns one and runs every job on
//! it in order; both answer the same operations with the same rows.

use serde_json::{Map, Value};

use super::postgres::PgStore;
use super::report::NewReport;
use super::{sqlite, AddOutcome, ListQuery, StoreError, StoreLocation};

/// An open report database.
pub(crate) enum Backend {
    /// An SQLite file or in-memory database.
    Sqlite(rusqlite::Connection),
    /// A PostgreSQL database (boxed: it is much larger than a connection handle).
    Postgres(Box<PgStore>),
}

impl Backend {
    /// Opens the database at `location`, creating its schema if needed.
    pub(crate) fn open(location: &StoreLocation) -> Result<Backend, StoreError> {
        match location {
            StoreLocation::Postgres(target) => {
                Ok(Backend::Postgres(Box::new(PgStore::open(target)?)))
            }
            _ => Ok(Backend::Sqlite(sqlite::open(location)?)),
        }
    }

    /// Validates and stores an upload (relay spec §6.2) with a new id and the current
    /// time.
    pub(crate) fn add(&mut self, body: &Map<String, Value>) -> Result<AddOutcome, StoreError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let millis = super::iso_from_micros(now.as_micros() as i64, 3);
        let report = match NewReport::from_body(body, &super::new_id(), &millis) {
            Ok(r) => r,
            Err(message) => return Ok(AddOutcome::Rejected(message)),
        };
        match self {
            Backend::Sqlite(conn) => sqlite::insert(conn, &report)?,
            Backend::Postgres(pg) => {
                // Microseconds keep one relay's reports in insertion order in `list`;
                // readers see milliseconds, as in the add result.
                let mut precise = report.clone();
                for (column, value) in &mut precise.row {
                    if *column == "added" {
                        *value = Some(super::iso_from_micros(now.as_micros() as i64, 6));
                    }
                }
                if let Some(message) = pg.insert(&precise)? {
                    return Ok(AddOutcome::Rejected(message));
                }
            }
        }
        Ok(AddOutcome::Added(report.added))
    }

    /// The full row of one report.
    pub(crate) fn get(&mut self, id: &str) -> Result<Option<Map<String, Value>>, StoreError> {
        match self {
            Backend::Sqlite(conn) => sqlite::get(conn, id),
            Backend::Postgres(pg) => pg.get(id),
        }
    }

    /// Rows matching `query`, in insertion order.
    pub(crate) fn list(
        &mut self,
        query: &ListQuery,
    ) -> Result<Vec<Map<String, Value>>, StoreError> {
        match self {
            Backend::Sqlite(conn) => sqlite::list(conn, query),
            Backend::Postgres(pg) => pg.list(query),
        }
    }

    /// Whether the report table can be read now (readiness).
    pub(crate) fn ping(&mut self) -> Result<(), StoreError> {
        match self {
            Backend::Sqlite(conn) => {
                conn.prepare_cached("SELECT 1 FROM remotedev_reports LIMIT 1")?
                    .exists([])?;
                Ok(())
            }
            Backend::Postgres(pg) => pg.ping(),
        }
    }
}
