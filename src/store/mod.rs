//! The report store (relay spec §6): reports an app uploads (a state or action log, e.g.
//! on an error) kept with the reference's `remotedev_reports` schema, so the DevTools
//! can list and import them: in an embedded SQLite database (the default,
//! `sqlite.rs`) or in PostgreSQL (`postgres.rs`), which several relays can share.
//!
//! One dedicated thread owns the connection and runs the jobs it is sent in order, so
//! database work never runs on (or blocks) the relay's socket tasks. Jobs may also send
//! frames to sockets when they finish (sending never waits), which keeps a `report`
//! list and the `add` notifications that follow it in database order.

mod backend;
mod location;
mod postgres;
mod report;
mod sqlite;

use std::sync::mpsc;

use serde_json::{Map, Value};
use tokio::sync::oneshot;

pub(crate) use backend::Backend;
pub use location::StoreLocation;
pub use postgres::PgTarget;
pub use report::{AddOutcome, Invalid, ListQuery, BASE_FIELDS, COLUMNS, DEFAULT_APP_ID};

/// A report row as JSON (column name → value; missing values are `null`).
pub type Row = Map<String, Value>;

/// Why the store could not do something.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The configuration cannot be used (bad `dbOptions`, no data directory…).
    #[error("{0}")]
    Config(String),
    /// SQLite failed.
    #[error("report database error: {0}")]
    Sqlite(String),
    /// PostgreSQL answered with an error (names the server and the SQLSTATE).
    #[error("report database error: {0}")]
    Postgres(String),
    /// The PostgreSQL server cannot be reached (refused, timed out, connection lost);
    /// names the server and the OS error. Requests are retried on a new connection.
    #[error("report database unavailable: {0}")]
    Unavailable(String),
    /// The store's thread is gone (the relay is stopping).
    #[error("the report store is closed")]
    Closed,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e.to_string())
    }
}

type Job = Box<dyn FnOnce(&mut Backend) + Send>;

/// A handle to an open report database (cheap to clone). The database closes when the
/// last handle is dropped and the queued jobs have run.
#[derive(Clone)]
pub struct ReportStore {
    jobs: mpsc::Sender<Job>,
    location: StoreLocation,
}

impl std::fmt::Debug for ReportStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportStore")
            .field("location", &self.location)
            .finish()
    }
}

impl ReportStore {
    /// Opens (creating it and its schema if needed) the database at `location` on a
    /// thread of its own.
    ///
    /// # Errors
    /// [`StoreError::Config`] for an unusable location, [`StoreError::Sqlite`] when the
    /// file cannot be opened or is not a report database; for PostgreSQL
    /// [`StoreError::Unavailable`] when the server cannot be reached and
    /// [`StoreError::Postgres`] when it refuses (password, database, permissions).
    pub async fn open(location: StoreLocation) -> Result<ReportStore, StoreError> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = oneshot::channel();
        let loc = location.clone();
        std::thread::Builder::new()
            .name("remotedev-store".into())
            .spawn(move || {
                let mut conn = match Backend::open(&loc) {
                    Ok(c) => {
                        let _ = ready_tx.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| StoreError::Config(format!("cannot start the store thread: {e}")))?;
        ready_rx.await.map_err(|_| StoreError::Closed)??;
        Ok(ReportStore { jobs, location })
    }

    /// Where this store's database is.
    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// Queues `job` on the store's thread without waiting for it.
    pub(crate) fn submit(&self, job: impl FnOnce(&mut Backend) + Send + 'static) -> bool {
        self.jobs.send(Box::new(job)).is_ok()
    }

    /// Runs `job` on the store's thread and waits (asynchronously) for its result.
    pub(crate) async fn run<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Backend) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let (tx, rx) = oneshot::channel();
        if !self.submit(move |c| {
            let _ = tx.send(job(c));
        }) {
            return Err(StoreError::Closed);
        }
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Stores a report from an HTTP `POST /` body (relay spec §6.2).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] when the database fails, [`StoreError::Closed`] once the
    /// store stopped. A body without `type` / `payload` is an [`AddOutcome`], not an error.
    pub async fn add(&self, body: Row) -> Result<AddOutcome, StoreError> {
        self.run(move |c| c.add(&body)).await
    }

    /// The full row of one report.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], [`StoreError::Closed`].
    pub async fn get(&self, id: &str) -> Result<Option<Row>, StoreError> {
        let id = id.to_owned();
        self.run(move |c| c.get(&id)).await
    }

    /// Rows matching a query, in insertion order.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], [`StoreError::Closed`].
    pub async fn list(&self, query: ListQuery) -> Result<Vec<Row>, StoreError> {
        self.run(move |c| c.list(&query)).await
    }

    /// Every column of every row (GraphQL `reports`).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], [`StoreError::Closed`].
    pub async fn all(&self) -> Result<Vec<Row>, StoreError> {
        let query = ListQuery {
            filter: Vec::new(),
            fields: COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        };
        self.list(query).await
    }

    /// Whether the database answers now (relay readiness): reads the report table,
    /// waiting behind the queued jobs.
    ///
    /// # Errors
    /// As the other operations.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.run(|c| c.ping()).await
    }
}

/// A random (version 4) UUID, as the reference's `uuid.v4()`.
pub(crate) fn new_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
fn iso_from_millis(ms: i64) -> String {
    iso_from_micros(ms * 1000, 3)
}

/// A time as JavaScript's `new Date().toISOString()` (`digits` = 3):
/// `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC; 6 digits for microseconds.
pub(crate) fn iso_from_micros(us: i64, digits: usize) -> String {
    let days = us.div_euclid(86_400_000_000);
    let rem = us.rem_euclid(86_400_000_000);
    let (h, m, s, micro) = (
        rem / 3_600_000_000,
        rem / 60_000_000 % 60,
        rem / 1_000_000 % 60,
        rem % 1_000_000,
    );
    let fraction = format!("{micro:06}");
    let fraction = &fraction[..digits.min(6)];
    // Civil date from days since 1970-01-01 (proleptic Gregorian, 400-year eras).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{fraction}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso_from_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_from_millis(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(
            iso_from_millis(1_798_761_599_999),
            "2026-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn uuids_are_v4() {
        let id = new_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(id, new_id());
    }

    #[tokio::test]
    async fn store_roundtrip_in_memory() {
        let store = ReportStore::open(StoreLocation::Memory).await.unwrap();
        let body = serde_json::json!({"type":"STATE","payload":"{}","title":"t"});
        let AddOutcome::Added(added) = store.add(body.as_object().unwrap().clone()).await.unwrap()
        else {
            panic!()
        };
        let id = added["id"].as_str().unwrap();
        assert_eq!(store.get(id).await.unwrap().unwrap()["title"], "t");
        assert_eq!(store.all().await.unwrap().len(), 1);
    }
}
