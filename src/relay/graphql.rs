//! `POST /graphql`: the reference schema (relay spec §6.4) over the report store,
//! executed by async-graphql.
//!
//! ```graphql
//! enum ReportType { STATE ACTION STATES ACTIONS }
//! type Report { id: ID!, type: ReportType, title: String, description: String,
//!   action: String, payload: String, preloadedState: String, screenshot: String,
//!   userAgent: String, version: String, userId: String, user: String, meta: String,
//!   exception: String, instanceId: String, added: String, appId: ID }
//! type Query { reports: [Report]  report(id: ID!): Report }
//! ```

use async_graphql::{Context, EmptyMutation, EmptySubscription, Enum, Object, SimpleObject, ID};
use serde_json::Value;

use crate::store::{ReportStore, Row};

pub(crate) type ReportSchema = async_graphql::Schema<Query, EmptyMutation, EmptySubscription>;

/// What one query may cost. `reports` reads every stored report (each may hold a
/// multi-MiB state), so it costs [`REPORTS_COST`]: a query can ask for it a few times,
/// not hundreds of times through aliases (which made one 2 KB query answer 200 MB).
const MAX_COMPLEXITY: usize = 300;
/// The cost of the `reports` field.
const REPORTS_COST: usize = 100;
/// The cost of the `report(id)` field.
const REPORT_COST: usize = 10;
/// Nesting deeper than the schema has is never needed.
const MAX_DEPTH: usize = 8;

pub(crate) fn schema(store: ReportStore) -> ReportSchema {
    async_graphql::Schema::build(Query, EmptyMutation, EmptySubscription)
        .data(store)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_depth(MAX_DEPTH)
        .finish()
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "UPPERCASE")]
pub(crate) enum ReportType {
    State,
    Action,
    States,
    Actions,
}

#[derive(SimpleObject)]
pub(crate) struct Report {
    id: ID,
    #[graphql(name = "type")]
    kind: Option<ReportType>,
    title: Option<String>,
    description: Option<String>,
    action: Option<String>,
    payload: Option<String>,
    preloaded_state: Option<String>,
    screenshot: Option<String>,
    user_agent: Option<String>,
    version: Option<String>,
    user_id: Option<String>,
    user: Option<String>,
    meta: Option<String>,
    exception: Option<String>,
    instance_id: Option<String>,
    added: Option<String>,
    app_id: Option<ID>,
}

fn text(row: &Row, key: &str) -> Option<String> {
    match row.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

impl From<Row> for Report {
    fn from(row: Row) -> Report {
        let t = |k| text(&row, k);
        Report {
            id: ID(t("id").unwrap_or_default()),
            kind: match t("type").as_deref() {
                Some("STATE") => Some(ReportType::State),
                Some("ACTION") => Some(ReportType::Action),
                Some("STATES") => Some(ReportType::States),
                Some("ACTIONS") => Some(ReportType::Actions),
                _ => None,
            },
            title: t("title"),
            description: t("description"),
            action: t("action"),
            payload: t("payload"),
            preloaded_state: t("preloadedState"),
            screenshot: t("screenshot"),
            user_agent: t("userAgent"),
            version: t("version"),
            user_id: t("userId"),
            user: t("user"),
            meta: t("meta"),
            exception: t("exception"),
            instance_id: t("instanceId"),
            added: t("added"),
            app_id: t("appId").map(ID),
        }
    }
}

pub(crate) struct Query;

#[Object]
impl Query {
    /// Every report, all columns, in insertion order.
    #[graphql(complexity = "REPORTS_COST + child_complexity")]
    async fn reports(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<Option<Report>>>> {
        let store = ctx.data::<ReportStore>()?;
        let rows = store.all().await?;
        Ok(Some(rows.into_iter().map(|r| Some(r.into())).collect()))
    }

    /// One report by id.
    #[graphql(complexity = "REPORT_COST + child_complexity")]
    async fn report(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Report>> {
        let store = ctx.data::<ReportStore>()?;
        Ok(store.get(&id).await?.map(Report::from))
    }
}
