//! The report store's HTTP API from the client side (relay spec §6.2): one `POST /` to
//! the relay's host and port, over the same [`Connector`] as the WebSocket (so a TLS
//! TLS settings serve `wss://` relays here too, as `https://`).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use http_body_util::{BodyExt, Limited};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use super::connector::{Connector, Endpoint};
use super::error::ClientError;
use super::socket::SocketOptions;
use crate::protocol::ErrorObject;

/// Largest answer read (a list of every report with all fields can be large).
const MAX_ANSWER: usize = 256 * 1024 * 1024;

fn http_error(message: impl Into<String>) -> ClientError {
    ClientError::Remote(ErrorObject::new("HttpError", message))
}

fn lost(e: impl std::fmt::Display) -> ClientError {
    ClientError::Disconnected {
        code: 1006,
        reason: e.to_string(),
    }
}

/// Posts `body` (JSON text) to `/` of the relay at `url` (`ws://host:port/…`) over the
/// socket's connector, within its ack timeout, and returns the answer as JSON. An
/// `{"error":…}` answer (the reference's validation failures, sent with 200) is
/// [`ClientError::Remote`] with the relay's message.
pub(crate) async fn request(
    url: &str,
    options: &SocketOptions,
    body: String,
) -> Result<Value, ClientError> {
    let endpoint = Endpoint::parse(url)?;
    let connector = options.connector_for(url, &endpoint)?;
    let answer = post(url, endpoint, &connector, body, options.ack_timeout).await?;
    match refused(&answer) {
        Some(e) => Err(e),
        None => Ok(answer),
    }
}

async fn post(
    url: &str,
    endpoint: Endpoint,
    connector: &Arc<dyn Connector>,
    body: String,
    within: Duration,
) -> Result<Value, ClientError> {
    let work = async {
        let transport = connector
            .connect(&endpoint)
            .await
            .map_err(|e| ClientError::connect(url, e))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(transport))
            .await
            .map_err(lost)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let host = if endpoint.host.contains(':') {
            format!("[{}]:{}", endpoint.host, endpoint.port)
        } else {
            format!("{}:{}", endpoint.host, endpoint.port)
        };
        let request = http::Request::post("/")
            .header(http::header::HOST, host)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
        let response = sender.send_request(request).await.map_err(lost)?;
        let status = response.status();
        let bytes = Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(lost)?
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        let json: Option<Value> = serde_json::from_str(&text).ok();
        if !status.is_success() {
            let message = json
                .as_ref()
                .and_then(|j| j.get("error"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| text.trim().to_owned());
            return Err(http_error(format!("HTTP {status}: {message}")));
        }
        json.ok_or_else(|| http_error(format!("the relay's answer is not JSON: {text}")))
    };
    tokio::time::timeout(within, work)
        .await
        .map_err(|_| ClientError::Timeout(within.as_millis() as u64))?
}

fn refused(answer: &Value) -> Option<ClientError> {
    let message = answer.get("error")?.as_str()?;
    Some(ClientError::Remote(ErrorObject::new(
        "ReportError",
        message,
    )))
}
