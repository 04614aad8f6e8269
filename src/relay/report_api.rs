//! The report store's HTTP side on the relay's listener (relay spec §6.2, §7):
//! `POST /` (`op` get / list / add), `OPTIONS` preflights, `POST /graphql`,
//! `GET /graphiql` and `GET /port.js`.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{json, Map, Value};

use super::http::Shared;
use crate::protocol::encode;
use crate::store::{self, AddOutcome, ListQuery, StoreError};

const ALLOW_ORIGIN: HeaderValue = HeaderValue::from_static("*");

fn with_cors(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, ALLOW_ORIGIN);
    resp
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    with_cors(
        (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body.to_string(),
        )
            .into_response(),
    )
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    json_response(status, &json!({ "error": message.into() }))
}

/// A refused request: its status and the `{"error":…}` message.
struct Problem(StatusCode, String);

impl Problem {
    fn new(status: StatusCode, message: impl Into<String>) -> Problem {
        Problem(status, message.into())
    }

    fn response(self) -> Response {
        error(self.0, self.1)
    }
}

/// `OPTIONS` on `/` and `/graphql`: the CORS preflight of `cors({methods:'POST'})`.
pub(crate) async fn preflight(headers: HeaderMap) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, ALLOW_ORIGIN);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST"),
    );
    if let Some(requested) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
        h.insert(
            header::VARY,
            HeaderValue::from_static("Access-Control-Request-Headers"),
        );
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    resp
}

/// `GET /port.js`, which the reference's UI page loads.
pub(crate) async fn port_js(State(shared): State<Shared>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/javascript; charset=utf-8",
        )],
        format!("reduxDevToolsPort = {}", shared.port),
    )
        .into_response()
}

/// `GET /graphiql`: async-graphql's GraphiQL page pointed at `/graphql`.
pub(crate) async fn graphiql() -> Response {
    let page = async_graphql::http::GraphiQLSource::build()
        .endpoint("/graphql")
        .title("remotedev reports")
        .finish();
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

fn too_large(limit: usize) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "Request body too large: the limit is {limit} bytes (relay option max_request_body, \
             --maxRequestBody)."
        ),
    )
}

/// The whole body, or the response to send instead (413 above the limit).
async fn read_body(shared: &Shared, req: Request) -> Result<(HeaderMap, Bytes), Problem> {
    let limit = shared.hub.options.max_request_body;
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok((parts.headers, collected.to_bytes())),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large(limit)),
        Err(e) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            format!("Could not read the request body: {e}"),
        )),
    }
}

#[derive(PartialEq)]
enum Kind {
    Json,
    Form,
}

fn body_kind(headers: &HeaderMap) -> Result<Kind, Problem> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Ok(Kind::Json);
    };
    let essence = ct
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" | "text/json" => Ok(Kind::Json),
        e if e.ends_with("+json") => Ok(Kind::Json),
        "application/x-www-form-urlencoded" => Ok(Kind::Form),
        _ => Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Unsupported Content-Type {essence:?}: send application/json or \
                 application/x-www-form-urlencoded."
            ),
        )),
    }
}

/// An urlencoded body as the reference's `qs` parser sees the common shapes:
/// `k=v`, repeated `k` or `k[]` (an array), `k[sub]=v` (an object).
fn parse_form(bytes: &[u8]) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in form_urlencoded::parse(bytes) {
        let value = Value::String(value.into_owned());
        if let Some((base, rest)) = key.split_once('[') {
            let sub = rest.strip_suffix(']').unwrap_or(rest);
            let entry = out.entry(base.to_owned());
            if sub.is_empty() {
                let slot = entry.or_insert_with(|| Value::Array(Vec::new()));
                match slot {
                    Value::Array(a) => a.push(value),
                    other => *other = Value::Array(vec![other.take(), value]),
                }
            } else {
                let slot = entry.or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(m) = slot {
                    m.insert(sub.to_owned(), value);
                }
            }
        } else {
            match out.get_mut(key.as_ref()) {
                Some(Value::Array(a)) => a.push(value),
                Some(other) => *other = Value::Array(vec![other.take(), value]),
                None => {
                    out.insert(key.into_owned(), value);
                }
            }
        }
    }
    out
}

fn parse_body(headers: &HeaderMap, bytes: &[u8]) -> Result<Map<String, Value>, Problem> {
    if body_kind(headers)? == Kind::Form {
        return Ok(parse_form(bytes));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "Empty request body: send a JSON object with \"op\" (get, list) or a report to add.",
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            format!("Malformed JSON body: {e}"),
        )),
    }
}

/// A database failure (read-only file, full disk, …): a 5xx with the cause, and the
/// relay goes on (issue 13). A full disk is `507 Insufficient Storage`, anything else
/// `500`.
fn store_failed(e: &StoreError) -> Response {
    tracing::error!("report store: {e}");
    let text = e.to_string();
    let status = if text.contains("disk is full") {
        StatusCode::INSUFFICIENT_STORAGE
    } else if matches!(e, StoreError::Unavailable(_)) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    error(status, format!("The report database failed: {text}"))
}

/// `POST /` (relay spec §6.2).
pub(crate) async fn post_root(State(shared): State<Shared>, req: Request) -> Response {
    let (headers, bytes) = match read_body(&shared, req).await {
        Ok(b) => b,
        Err(problem) => return problem.response(),
    };
    let body = match parse_body(&headers, &bytes) {
        Ok(b) => b,
        Err(problem) => return problem.response(),
    };
    let op = match body.get("op") {
        None | Some(Value::Null) => "add".to_owned(),
        Some(Value::String(op)) => op.clone(),
        Some(other) => other.to_string(),
    };
    let store = &shared.hub.store;
    match op.as_str() {
        "get" => {
            let id = match body.get("id") {
                Some(Value::String(id)) if !id.is_empty() => id.clone(),
                _ => return error(StatusCode::BAD_REQUEST, "No id specified."),
            };
            match store.get(&id).await {
                Ok(row) => json_response(StatusCode::OK, &Value::Object(row.unwrap_or_default())),
                Err(e) => store_failed(&e),
            }
        }
        "list" => {
            let query = match ListQuery::from_json(body.get("query"), body.get("fields")) {
                Ok(q) => q,
                Err(store::Invalid(message)) => return error(StatusCode::BAD_REQUEST, message),
            };
            match store.list(query).await {
                Ok(rows) => json_response(
                    StatusCode::OK,
                    &Value::Array(rows.into_iter().map(Value::Object).collect()),
                ),
                Err(e) => store_failed(&e),
            }
        }
        "add" => {
            let hub = shared.hub.clone();
            // Published from the store's thread right after the insert, so a `report`
            // list read later contains the row and one read earlier precedes this.
            let outcome = store
                .run(move |conn| {
                    let outcome = conn.add(&body)?;
                    if let AddOutcome::Added(added) = &outcome {
                        hub.metrics.reports_added.increment(1);
                        let data = json!({"type": "add", "data": added}).to_string();
                        hub.publish("report", Some(&data));
                    }
                    Ok(outcome)
                })
                .await;
            match outcome {
                Ok(AddOutcome::Added(added)) => {
                    json_response(StatusCode::OK, &json!({ "id": added["id"] }))
                }
                // The reference answers validation failures with 200 (compat).
                Ok(AddOutcome::Rejected(message)) => {
                    json_response(StatusCode::OK, &json!({ "error": message }))
                }
                Err(e) => store_failed(&e),
            }
        }
        other => error(
            StatusCode::BAD_REQUEST,
            format!(
                "Unknown op {}: use \"get\", \"list\" or \"add\" (a body without op adds a report).",
                encode::json_str(other)
            ),
        ),
    }
}

/// `POST /graphql` with `{query, variables, operationName}`.
pub(crate) async fn post_graphql(State(shared): State<Shared>, req: Request) -> Response {
    let (headers, bytes) = match read_body(&shared, req).await {
        Ok(b) => b,
        Err(problem) => return problem.response(),
    };
    let request: async_graphql::Request = match body_kind(&headers) {
        Err(problem) => return problem.response(),
        Ok(Kind::Form) => {
            let form = parse_form(&bytes);
            match serde_json::from_value(Value::Object(form)) {
                Ok(r) => r,
                Err(e) => {
                    return error(StatusCode::BAD_REQUEST, format!("Bad GraphQL request: {e}"))
                }
            }
        }
        Ok(Kind::Json) => match serde_json::from_slice(&bytes) {
            Ok(r) => r,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("Bad GraphQL request (expected JSON {{\"query\":…}}): {e}"),
                )
            }
        },
    };
    let response = shared.graphql.execute(request).await;
    match serde_json::to_value(&response) {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Anything but the methods a report route serves.
pub(crate) async fn not_allowed() -> Response {
    with_cors(
        (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST, OPTIONS")],
            Body::from("Use POST on this path"),
        )
            .into_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let m = parse_form(b"op=list&fields[]=id&fields[]=title&query[type]=STATE&a=1&a=2");
        assert_eq!(
            Value::Object(m),
            json!({"op":"list","fields":["id","title"],"query":{"type":"STATE"},"a":["1","2"]})
        );
    }
}
