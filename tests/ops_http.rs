//! Operations endpoints (issue 15): `GET /healthz`, `GET /readyz` (with SQLite, and
//! with a real PostgreSQL that goes away and comes back) and `GET /metrics` after a
//! known amount of traffic; none of them is blocked by the Host policy or the auth key
//! for a request without `Origin`.

mod common;

use std::time::Duration;

use common::pg::PgServer;
use common::{options, relay, Got, Peer};
use remotedev::relay::AuthKey;
use remotedev::store::StoreLocation;
use remotedev::Relay;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn get(r: &Relay, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("http://{}{path}", r.local_addr()))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("GET")
}

async fn get_json(r: &Relay, path: &str) -> (StatusCode, Value) {
    let resp = get(r, path).await;
    let status = resp.status();
    (status, resp.json().await.expect("JSON"))
}

/// The value of `name{relay="<addr>"<more labels>}` in a `/metrics` text.
fn metric(text: &str, r: &Relay, name: &str, labels: &str) -> f64 {
    let prefix = format!("{name}{{relay=\"{}\"{labels}}} ", r.local_addr());
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

async fn metrics(r: &Relay) -> String {
    let resp = get(r, "/metrics").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    resp.text().await.unwrap()
}

#[tokio::test]
async fn healthz_and_readyz_with_sqlite() {
    let r = relay(options()).await;
    assert_eq!(
        get_json(&r, "/healthz").await,
        (StatusCode::OK, json!({"status":"ok"}))
    );
    assert_eq!(
        get_json(&r, "/readyz").await,
        (
            StatusCode::OK,
            json!({"status":"ready","checks":{"listening":"ok","store":"ok"}})
        )
    );
    // a file store too
    let dir = common::temp_dir("ops");
    let mut o = options();
    o.store = StoreLocation::File(dir.join("reports.sqlite3"));
    let f = relay(o).await;
    assert_eq!(get_json(&f, "/readyz").await.0, StatusCode::OK);
    f.shutdown().await;
    r.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Probes send no Origin and any Host; with an auth key the endpoints stay readable
/// without a token. A page of another origin is still refused.
#[tokio::test]
async fn probes_pass_the_host_policy_and_the_auth_key() {
    let mut o = options();
    o.auth_key = Some(AuthKey::new("ops-secret-key-of-some-length"));
    let r = relay(o).await;
    let client = reqwest::Client::new();
    for path in ["/healthz", "/readyz", "/metrics"] {
        let resp = client
            .get(format!("http://{}{path}", r.local_addr()))
            .header("host", "relay.internal:8000")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let refused = client
            .get(format!("http://{}{path}", r.local_addr()))
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // the same foreign Host on another path is still refused (DNS rebinding)
    let other = client
        .get(format!("http://{}/port.js", r.local_addr()))
        .header("host", "relay.internal:8000")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    // a report upload without a token counts as an auth failure
    let before = metric(&metrics(&r).await, &r, "remotedev_auth_failures_total", "");
    let denied = client
        .post(format!("http://{}/", r.local_addr()))
        .json(&json!({"op":"list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    let after = metric(&metrics(&r).await, &r, "remotedev_auth_failures_total", "");
    assert_eq!(after - before, 1.0);
    r.shutdown().await;
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_while_postgresql_is_down_and_recovers() {
    let pg = PgServer::start();
    let mut o = options();
    o.store = StoreLocation::from_db_arg(&pg.create_db("ready"));
    let r = relay(o).await;
    assert_eq!(get_json(&r, "/readyz").await.0, StatusCode::OK);

    tokio::task::block_in_place(|| pg.stop());
    let (status, body) = get_json(&r, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "not ready");
    assert_eq!(body["failed"], json!(["store"]));
    assert_eq!(body["checks"]["listening"], "ok");
    let reason = body["checks"]["store"].as_str().unwrap();
    assert!(
        reason.contains("unavailable") && reason.contains(&format!("127.0.0.1:{}", pg.port)),
        "{reason}"
    );
    // still alive
    assert_eq!(get_json(&r, "/healthz").await.0, StatusCode::OK);

    tokio::task::block_in_place(|| pg.start_again());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = get_json(&r, "/readyz").await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never ready: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    r.shutdown().await;
}

/// 10 `log` messages from one app to one monitor, one report, and on a second relay
/// one socket silent past pingTimeout: the counters and gauges of each relay say
/// exactly that.
#[tokio::test]
async fn metrics_count_known_traffic() {
    let r = relay(options()).await;
    let mut o = options();
    o.ping_interval = Duration::from_millis(200);
    o.ping_timeout = Duration::from_millis(1000);
    let quick = relay(o).await;
    let text = metrics(&r).await;
    for role in ["app", "monitor", "none"] {
        let labels = format!(",role=\"{role}\"");
        assert_eq!(metric(&text, &r, "remotedev_connections", &labels), 0.0);
    }
    assert_eq!(
        metric(&text, &r, "remotedev_messages_relayed_total", ""),
        0.0
    );

    let mut app = Peer::login(&r.url(), r#""master""#).await;
    let mut monitor = Peer::login(&r.url(), "{}").await;
    let idle = Peer::connect(&r.url()).await;
    let mut silent = Peer::connect(&quick.url()).await;
    let text = metrics(&r).await;
    assert_eq!(
        metric(&text, &r, "remotedev_connections", ",role=\"app\""),
        1.0
    );
    assert_eq!(
        metric(&text, &r, "remotedev_connections", ",role=\"monitor\""),
        1.0
    );
    assert_eq!(
        metric(&text, &r, "remotedev_connections", ",role=\"none\""),
        1.0
    );

    let mut delivered = 0;
    for i in 0..10 {
        app.transmit("log", &format!(r#"{{"type":"ACTION","n":{i}}}"#))
            .await;
    }
    while delivered < 10 {
        let m = monitor.json().await;
        assert_eq!(m["data"]["data"]["n"], delivered, "{m}");
        delivered += 1;
    }
    let resp = reqwest::Client::new()
        .post(format!("http://{}/", r.local_addr()))
        .json(&json!({"type":"STATE","payload":"{}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // the socket that never answers a ping is closed with 4001
    let closed = loop {
        match silent.next_within(Duration::from_secs(10)).await {
            Some(Got::Closed(code, _)) => break code,
            Some(Got::Text(_)) => continue,
            None => panic!("the silent socket was not closed"),
        }
    };
    assert_eq!(closed, Some(4001));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let quick_text = loop {
        let text = metrics(&quick).await;
        if metric(&text, &quick, "remotedev_connections", ",role=\"none\"") == 0.0 {
            break text;
        }
        assert!(tokio::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        metric(
            &quick_text,
            &quick,
            "remotedev_ping_timeout_closes_total",
            ""
        ),
        1.0
    );
    drop(idle);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = metrics(&r).await;
        if metric(&text, &r, "remotedev_connections", ",role=\"none\"") == 0.0 {
            break text;
        }
        assert!(tokio::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        metric(&text, &r, "remotedev_messages_relayed_total", ""),
        10.0
    );
    assert!(metric(&text, &r, "remotedev_relayed_bytes_total", "") > 10.0 * 30.0);
    assert_eq!(metric(&text, &r, "remotedev_reports_added_total", ""), 1.0);
    assert_eq!(
        metric(&text, &r, "remotedev_ping_timeout_closes_total", ""),
        0.0
    );
    assert_eq!(
        metric(&text, &r, "remotedev_slow_reader_closes_total", ""),
        0.0
    );
    assert_eq!(
        metric(&text, &r, "remotedev_connections", ",role=\"app\""),
        1.0
    );

    drop(app);
    drop(monitor);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = metrics(&r).await;
        let open: f64 = ["app", "monitor", "none"]
            .iter()
            .map(|role| {
                metric(
                    &text,
                    &r,
                    "remotedev_connections",
                    &format!(",role=\"{role}\""),
                )
            })
            .sum();
        if open == 0.0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    r.shutdown().await;
    quick.shutdown().await;
}

/// A monitor that stops reading is closed with 4100 and counted.
#[tokio::test]
async fn a_slow_reader_close_is_counted() {
    let mut o = options();
    o.outbound_limit = 256 * 1024;
    let r = relay(o).await;
    let _slow = Peer::login(&r.url(), "{}").await; // never reads from here on
    let mut app = Peer::login(&r.url(), r#""master""#).await;
    let payload = format!(r#"{{"pad":"{}"}}"#, "x".repeat(16 * 1024));
    // ~26 MiB: far more than the slow socket's kernel buffers plus its budget
    for _ in 0..1600 {
        app.transmit("log", &payload).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let text = metrics(&r).await;
        // the close is counted, then the socket leaves
        if metric(&text, &r, "remotedev_slow_reader_closes_total", "") == 1.0
            && metric(&text, &r, "remotedev_connections", ",role=\"monitor\"") == 0.0
            && metric(&text, &r, "remotedev_messages_relayed_total", "") == 1600.0
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    r.shutdown().await;
}
