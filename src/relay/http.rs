//! HTTP routes on the relay's one listener: the WebSocket upgrade at `/socketcluster/`
//! (and `/socketcluster`), the report API (`report_api`: `POST /`, `POST /graphql`,
//! `GET /graphiql`, `GET /port.js`, CORS preflights), the monitor UI (`ui`: `GET /`,
//! its assets, and pages a browser asks for), `GET /auth-token.js` (`access`), the
//! operations endpoints `GET /healthz`, `/readyz` and `/metrics` (`health`), 404
//! elsewhere. Every request passes `access::check` (Origin / Host policy) first.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::access;
use super::burst_read::BurstRead;
use super::health;
use super::hub::Hub;
use super::report_api;
use super::session;
use super::ui;
use crate::liveness::Alive;

/// What every request handler can reach.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) hub: Arc<Hub>,
    /// The port actually bound (`GET /port.js`).
    pub(crate) port: u16,
    pub(crate) graphql: super::graphql::ReportSchema,
    pub(crate) shutdown: CancellationToken,
    pub(crate) tasks: TaskTracker,
    /// Origin / Host policy, auth key and read-only mode (issue 12).
    pub(crate) access: Arc<super::access::Access>,
    /// `GET /readyz`'s checks.
    pub(crate) readiness: Arc<super::health::Readiness>,
}

pub(crate) fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/socketcluster/", any(upgrade))
        .route("/socketcluster", any(upgrade))
        .route(
            "/",
            post(report_api::post_root)
                .get(ui::root)
                .options(report_api::preflight)
                .fallback(report_api::not_allowed),
        )
        .route(
            "/graphql",
            post(report_api::post_graphql)
                .options(report_api::preflight)
                .fallback(report_api::not_allowed),
        )
        .route("/graphiql", get(report_api::graphiql))
        .route("/port.js", get(report_api::port_js))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route(ui::ASSET_ROUTE, get(ui::asset))
        .fallback(ui::fallback)
        .route("/auth-token.js", get(access::auth_token_js))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            access::check,
        ))
        .with_state(shared)
}

/// tungstenite's read buffer: what an idle socket keeps allocated, and also the most
/// tungstenite reads per call (from `BurstRead`'s memory once a socket is busy).
/// Measured (issue 14, 10 000 idle sockets; callgrind per 10 KiB delivery):
/// 2 KiB: 5.3 KiB RSS per socket, 27.6k instructions; 1 KiB: 4.2 KiB, 28.6k;
/// 512 B: 3.7 KiB, 30.8k (each read call costs ~150 instructions besides its bytes).
const READ_BUFFER: usize = 1024;
/// Frames are gathered up to this many bytes before a write; the session flushes after
/// each batch, so this only merges small frames into fewer syscalls.
const WRITE_BATCH: usize = 16 * 1024;

fn ws_config(shared: &Shared) -> WebSocketConfig {
    let max = shared.hub.options.max_payload;
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BATCH)
        .max_message_size(Some(max))
        .max_frame_size(Some(max))
}

fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

fn bad_request(message: &'static str) -> Response {
    (StatusCode::BAD_REQUEST, message).into_response()
}

/// RFC 6455 server handshake; the connection then belongs to a session task.
async fn upgrade(State(shared): State<Shared>, mut req: Request) -> Response {
    if req.method() != Method::GET {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            "Use a WebSocket upgrade (GET) on this path",
        )
            .into_response();
    }
    let headers = req.headers();
    if !has_token(headers, header::CONNECTION, "upgrade")
        || !has_token(headers, header::UPGRADE, "websocket")
    {
        return bad_request("This path serves SocketCluster over WebSocket only");
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        let mut resp = bad_request("Unsupported WebSocket version (13 is required)");
        resp.headers_mut().insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        return resp;
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return bad_request("Missing Sec-WebSocket-Key");
    };
    let accept = derive_accept_key(key.as_bytes());
    // `?token=<jwt>` authenticates the socket from the start (for clients that cannot
    // send a handshake token, e.g. React Native through @redux-devtools/remote).
    let url_auth = access::query_token(req.uri().query())
        .and_then(|t| shared.access.verify(&t))
        .and_then(Result::ok);
    let on_upgrade = hyper::upgrade::on(&mut req);
    let tasks = shared.tasks.clone();
    tasks.spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                // Made here, not captured: every idle socket's task would keep a copy.
                let config = ws_config(&shared);
                let ws = WebSocketStream::from_raw_socket(
                    BurstRead::new(Alive::new(TokioIo::new(upgraded))),
                    Role::Server,
                    Some(config),
                )
                .await;
                session::run(ws, shared.hub, shared.shutdown, shared.access, url_auth).await;
            }
            Err(e) => tracing::debug!("WebSocket upgrade failed: {e}"),
        }
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "Upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept)
        .body(Body::empty())
        .expect("static response parts are valid")
}
