//! Issue 12: the Origin / Host policy on raw upgrades and HTTP requests, token
//! authentication (handshake authToken, `?token=`, `#authenticate`, expired and foreign
//! tokens), the report API's bearer token, `/auth-token.js`, read-only mode, and our
//! clients' `auth_token` option with `ClientError::Auth`.

mod common;

use std::time::Duration;

use common::{options, quick_reconnect, relay, Peer};
use remotedev::client::{
    AppClient, AppOptions, ClientError, MonitorClient, MonitorEvent, MonitorOptions,
};
use remotedev::relay::AuthKey;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(5);
const KEY: &str = "test-key-0123456789";

/// Sends a raw HTTP/1.1 request and returns the status code and the whole response.
async fn raw_request(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    // Read until the header block is complete (101 keeps the connection open).
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(WAIT, s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    // A short wait for a body (403 reasons).
    if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(100), s.read(&mut buf)).await {
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn upgrade(host: &str, origin: Option<&str>) -> String {
    let origin = origin.map_or(String::new(), |o| format!("Origin: {o}\r\n"));
    format!(
        "GET /socketcluster/ HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{origin}\r\n"
    )
}

#[tokio::test]
async fn raw_upgrades_follow_the_origin_and_host_policy() {
    let r = relay(options()).await;
    let addr = r.local_addr();
    let host = addr.to_string();
    let (status, text) = raw_request(addr, &upgrade(&host, Some("https://evil.example"))).await;
    assert_eq!(status, 403, "{text}");
    assert!(
        text.contains("Origin https://evil.example refused"),
        "{text}"
    );
    let (status, _) = raw_request(addr, &upgrade(&host, Some("chrome-extension://abc"))).await;
    assert_eq!(status, 101);
    let (status, _) = raw_request(addr, &upgrade(&host, None)).await;
    assert_eq!(status, 101);
    let (status, _) = raw_request(addr, &upgrade(&host, Some("http://localhost:3000"))).await;
    assert_eq!(status, 101);
    let own = format!("http://{host}");
    let (status, _) = raw_request(addr, &upgrade(&host, Some(&own))).await;
    assert_eq!(status, 101);
    let (status, text) = raw_request(addr, &upgrade("evil.example:8000", None)).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("DNS rebinding"), "{text}");
    let (status, _) = raw_request(addr, &upgrade(&host, Some("null"))).await;
    assert_eq!(status, 403);
    // The report API's CORS requests follow the same policy.
    let post = |origin: &str| {
        format!(
            "POST / HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nContent-Type: application/json\r\n\
             Content-Length: 13\r\nConnection: close\r\n\r\n{{\"op\":\"list\"}}"
        )
    };
    assert_eq!(
        raw_request(addr, &post("https://evil.example")).await.0,
        403
    );
    assert_eq!(
        raw_request(addr, &post("http://localhost:3000")).await.0,
        200
    );
    r.shutdown().await;

    // --allowOrigin: listed origins, null, and * (the Host rule stays).
    let mut o = options();
    o.allow_origins = vec!["https://app.example".into(), "null".into()];
    let r = relay(o).await;
    let (addr, host) = (r.local_addr(), r.local_addr().to_string());
    assert_eq!(
        raw_request(addr, &upgrade(&host, Some("https://app.example")))
            .await
            .0,
        101
    );
    assert_eq!(
        raw_request(addr, &upgrade(&host, Some("null"))).await.0,
        101
    );
    assert_eq!(
        raw_request(addr, &upgrade(&host, Some("https://evil.example")))
            .await
            .0,
        403
    );
    r.shutdown().await;
    let mut o = options();
    o.allow_origins = vec!["*".into()];
    let r = relay(o).await;
    let (addr, host) = (r.local_addr(), r.local_addr().to_string());
    assert_eq!(
        raw_request(addr, &upgrade(&host, Some("https://evil.example")))
            .await
            .0,
        101
    );
    assert_eq!(
        raw_request(addr, &upgrade("evil.example", None)).await.0,
        403
    );
    r.shutdown().await;
}

fn auth_options() -> remotedev::RelayOptions {
    let mut o = options();
    o.auth_key = Some(AuthKey::new(KEY));
    o
}

/// Handshakes with `token` (JSON: `null` or a string) and returns the answer's data.
async fn handshake(url: &str, token: &str) -> (Peer, Value) {
    let mut p = Peer::raw(url).await;
    let rid = p
        .invoke("#handshake", &format!(r#"{{"authToken":{token}}}"#))
        .await;
    let reply = p.json().await;
    assert_eq!(reply["rid"], rid);
    p.id = reply["data"]["id"].as_str().unwrap().to_owned();
    (p, reply["data"].clone())
}

/// A token of the right key that expired an hour ago.
fn expired_token() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"exp": now - 3600}),
        &jsonwebtoken::EncodingKey::from_secret(KEY.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn tokens_authenticate_and_everything_else_is_refused() {
    let r = relay(auth_options()).await;
    let url = r.url();
    let key = AuthKey::new(KEY);
    let good = serde_json::to_string(&key.issue_token(Some(Duration::from_secs(60)))).unwrap();

    // An authenticated monitor and app.
    let (mut monitor, data) = handshake(&url, &good).await;
    assert_eq!(data["isAuthenticated"], true);
    assert!(data.get("authError").is_none());
    monitor.invoke("login", "{}").await;
    assert_eq!(monitor.json().await["data"], "log");
    monitor.subscribe("log").await;

    // No token: the handshake completes, login / subscribe / log are refused.
    let (mut anon, data) = handshake(&url, "null").await;
    assert_eq!(data["isAuthenticated"], false);
    for (event, payload) in [
        ("login", r#""master""#),
        ("#subscribe", r#"{"channel":"log"}"#),
        ("log", r#"{"type":"ACTION"}"#),
        ("sc-abc", r#"{"type":"DISPATCH"}"#),
        ("getReport", r#""x""#),
    ] {
        let rid = anon.invoke(event, payload).await;
        let reply = anon.json().await;
        assert_eq!(reply["rid"], rid);
        assert_eq!(reply["error"]["name"], "AuthError", "{event}: {reply}");
    }
    anon.transmit("log-noid", r#"{"type":"ACTION"}"#).await;
    monitor.silent_for(Duration::from_millis(300)).await;
    anon.silent_for(Duration::from_millis(100)).await;

    // #authenticate with a valid token, then the same socket may log.
    let rid = anon.invoke("#authenticate", &good).await;
    assert_eq!(
        anon.json().await,
        json!({"rid": rid, "data": {"isAuthenticated": true, "authError": null}})
    );
    anon.transmit("log", r#"{"type":"ACTION","id":"x"}"#).await;
    let got = monitor.json().await;
    assert_eq!(got["data"]["channel"], "log");

    // A token of another key, and an expired one: authError + #removeAuthToken.
    let foreign = serde_json::to_string(&AuthKey::new("other").issue_token(None)).unwrap();
    let (mut bad, data) = handshake(&url, &foreign).await;
    assert_eq!(data["isAuthenticated"], false);
    assert_eq!(data["authError"]["name"], "AuthTokenInvalidError");
    assert_eq!(bad.json().await["event"], "#removeAuthToken");
    let rid = bad.invoke("login", "{}").await;
    assert_eq!(
        bad.json().await,
        json!({"rid": rid, "error": {"message": bad_message("login"), "name": "AuthError"}})
    );
    let expired = serde_json::to_string(&expired_token()).unwrap();
    let (mut old, data) = handshake(&url, &expired).await;
    assert_eq!(data["authError"]["name"], "AuthTokenExpiredError", "{data}");
    assert_eq!(old.json().await["event"], "#removeAuthToken");
    let rid = old.invoke("#subscribe", r#"{"channel":"log"}"#).await;
    assert_eq!(old.json().await["rid"], rid);

    // ?token= in the URL authenticates too; a bad one does not.
    let raw_token = key.issue_token(None);
    let (_, data) = handshake(&format!("{url}?token={raw_token}"), "null").await;
    assert_eq!(data["isAuthenticated"], true);
    let (_, data) = handshake(&format!("{url}?token=nope"), "null").await;
    assert_eq!(data["isAuthenticated"], false);
    r.shutdown().await;
}

fn bad_message(event: &str) -> String {
    format!(
        "{event} refused: this relay requires an auth token (send a JWT signed with its key \
         as the handshake authToken or ?token=; `remotedev token` prints one)"
    )
}

#[tokio::test]
async fn report_api_needs_a_bearer_token_and_the_ui_script_gives_one_only_same_origin() {
    let r = relay(auth_options()).await;
    let base = format!("http://{}", r.local_addr());
    let http = reqwest::Client::new();
    let list = json!({"op": "list"}).to_string();
    let resp = http
        .post(format!("{base}/"))
        .header("content-type", "application/json")
        .body(list.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let token = AuthKey::new(KEY).issue_token(None);
    let resp = http
        .post(format!("{base}/"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(list.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = http
        .post(format!("{base}/graphql"))
        .header("content-type", "application/json")
        .body(r#"{"query":"{reports{id}}"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // Preflights never carry credentials: they pass.
    let resp = http
        .request(reqwest::Method::OPTIONS, format!("{base}/"))
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());

    // /auth-token.js: a token for same-origin scripts of this machine only.
    let script = |site: Option<&'static str>| {
        let mut req = http.get(format!("{base}/auth-token.js"));
        if let Some(site) = site {
            req = req.header("sec-fetch-site", site);
        }
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let same = script(Some("same-origin")).await;
    assert!(same.contains("var token = \"ey"), "{same}");
    assert!(same.contains("socketcluster.authToken."), "{same}");
    assert!(script(Some("cross-site"))
        .await
        .contains("var token = null"));
    assert!(script(None).await.contains("var token = null"));
    r.shutdown().await;
}

#[tokio::test]
async fn read_only_refuses_commands_but_logs_flow() {
    let mut o = options();
    o.read_only = true;
    let r = relay(o).await;
    let url = r.url();
    let mut app = Peer::login(&url, r#""master""#).await;
    let mut monitor = Peer::login(&url, "{}").await;
    let target = format!("sc-{}", app.id);
    let rid = monitor
        .invoke(
            &target,
            r#"{"type":"DISPATCH","action":{"type":"JUMP_TO_STATE","index":0}}"#,
        )
        .await;
    let reply = monitor.json().await;
    assert_eq!(reply["rid"], rid);
    assert_eq!(reply["error"]["name"], "InvalidActionError");
    let rid = monitor
        .invoke("respond", r#"{"type":"ACTION","action":"{}"}"#)
        .await;
    assert_eq!(monitor.json().await["rid"], rid);
    app.silent_for(Duration::from_millis(300)).await;
    // START still reaches the app, and its logs reach the monitor.
    monitor.transmit(&target, r#"{"type":"START"}"#).await;
    assert_eq!(app.json().await["data"]["data"]["type"], "START");
    app.transmit("log", r#"{"type":"STATE","id":"a"}"#).await;
    assert_eq!(monitor.json().await["data"]["data"]["type"], "STATE");
    r.shutdown().await;
}

#[tokio::test]
async fn our_clients_send_auth_token_and_fail_with_auth_error_without() {
    let r = relay(auth_options()).await;
    let url = r.url();
    let token = AuthKey::new(KEY).issue_token(Some(Duration::from_secs(600)));

    // Without a token: a clear Auth error, at once, not a timeout.
    let mut o = AppOptions::new(&url);
    o.socket = quick_reconnect(50);
    let app = AppClient::start(o).unwrap();
    let started = std::time::Instant::now();
    match app.connect(WAIT).await {
        Err(e @ ClientError::Auth { .. }) => assert!(e.to_string().contains("AuthError"), "{e}"),
        other => panic!("expected Auth, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(app.socket().last_error().is_some_and(|e| e.is_auth()));
    let monitor = MonitorClient::start(MonitorOptions::new(url.clone())).unwrap();
    assert!(matches!(
        monitor.connect(WAIT).await,
        Err(ClientError::Auth { .. })
    ));

    // A token of another key: the handshake's authError, then the same error.
    let mut o = MonitorOptions::new(url.clone());
    o.socket.auth_token = Some(AuthKey::new("other").issue_token(None));
    let wrong = MonitorClient::start(o).unwrap();
    assert!(matches!(
        wrong.connect(WAIT).await,
        Err(ClientError::Auth { .. })
    ));

    // With the token: login, log and a targeted command work end to end.
    let mut o = MonitorOptions::new(url.clone());
    o.socket.auth_token = Some(token.clone());
    let monitor = MonitorClient::start(o).unwrap();
    monitor.connect(WAIT).await.unwrap();
    let mut o = AppOptions::new(&url);
    o.socket.auth_token = Some(token.clone());
    let app = AppClient::start(o).unwrap();
    let app_id = app.connect(WAIT).await.unwrap();
    app.send(r#"{"type":"INCREMENT"}"#, r#"{"count":1}"#)
        .unwrap();
    let got = tokio::time::timeout(WAIT, async {
        loop {
            match monitor.recv().await {
                Some(MonitorEvent::App(m)) if m.kind == "ACTION" => return m,
                Some(_) => continue,
                None => panic!("closed"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(got.connection_id.as_deref(), Some(app_id.as_str()));
    monitor
        .send_to(
            &app_id,
            r#"{"type":"DISPATCH","action":{"type":"JUMP_TO_STATE","index":0}}"#,
        )
        .unwrap();
    // The monitor's START came first; then the targeted jump.
    tokio::time::timeout(WAIT, async {
        loop {
            let cmd = app.recv().await.expect("open");
            if format!("{cmd:?}").contains("JUMP_TO_STATE") {
                return;
            }
        }
    })
    .await
    .expect("the targeted DISPATCH reaches the app");
    r.shutdown().await;
}
