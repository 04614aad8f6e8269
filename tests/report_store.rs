//! The report store over HTTP (relay spec §6.2, §6.4, §7) with a real HTTP client
//! against a running relay, the `report` channel over real sockets, and durability on
//! a file store (library and CLI).

mod common;
mod report_scenarios;

use std::process::{Command, Stdio};

use common::{options, relay, Peer};
use remotedev::store::StoreLocation;
use reqwest::StatusCode;
use serde_json::{json, Value};

use report_scenarios::{answer, base, post, report, MONITOR};

#[tokio::test]
async fn add_get_and_list_over_http() {
    report_scenarios::add_get_and_list_over_http(options()).await;
}

#[tokio::test]
async fn validation_answers_like_the_reference_and_publishes_nothing() {
    report_scenarios::validation_answers_like_the_reference_and_publishes_nothing(options()).await;
}

#[tokio::test]
async fn every_report_type_the_producers_send_is_accepted() {
    report_scenarios::every_report_type_the_producers_send_is_accepted(options()).await;
}

/// Regression (fuzzing, issue 13): an `appId` that names no app was a 500 (SQLite's
/// foreign key); the reference stores it.
#[tokio::test]
async fn an_unknown_app_id_is_stored_as_given() {
    let r = relay(options()).await;
    let a = post(&r, json!({"type":"ACTIONS","payload":"[]","appId":"a"})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let row = post(&r, json!({"op":"get","id":a.body["id"]})).await.body;
    assert_eq!(row["appId"], "a");
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    report_scenarios::bad_requests_get_clear_errors_and_change_nothing(options()).await;
}

#[tokio::test]
async fn preflight_port_js_graphiql_and_unknown_paths() {
    let r = relay(options()).await;
    let client = reqwest::Client::new();
    let pre = client
        .request(reqwest::Method::OPTIONS, format!("{}/", base(&r)))
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,x-custom")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), StatusCode::NO_CONTENT);
    let h = pre.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert_eq!(h["access-control-allow-methods"], "POST");
    assert_eq!(h["access-control-allow-headers"], "content-type,x-custom");

    let port = client
        .get(format!("{}/port.js", base(&r)))
        .send()
        .await
        .unwrap();
    assert_eq!(port.status(), StatusCode::OK);
    assert_eq!(
        port.text().await.unwrap(),
        format!("reduxDevToolsPort = {}", r.local_addr().port())
    );

    let page = client
        .get(format!("{}/graphiql", base(&r)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("/graphql") && html.to_lowercase().contains("graphiql"));

    let other = client
        .get(format!("{}/nothing-here", base(&r)))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn graphql_reports_and_report() {
    report_scenarios::graphql_reports_and_report(options()).await;
}

#[tokio::test]
async fn report_channel_add_to_all_subscribers_and_get_report() {
    report_scenarios::report_channel_add_to_all_subscribers_and_get_report(options()).await;
}

#[tokio::test]
async fn reports_survive_a_restart_on_a_file_store() {
    let dir = common::temp_dir("file");
    let mut o = options();
    o.store = StoreLocation::File(dir.join("reports.sqlite3"));
    let r = relay(o.clone()).await;
    let id = post(&r, report("durable")).await.body["id"].clone();
    r.shutdown().await;

    let r = relay(o).await;
    let got = post(&r, json!({"op":"get","id":id})).await;
    assert_eq!(got.body["title"], "durable");
    let mut m = Peer::login(&r.url(), MONITOR).await;
    m.subscribe("report").await;
    let list = m.json().await;
    assert_eq!(list["data"]["data"]["data"][0]["id"], id);
    r.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Starts the CLI with the default store under a private XDG_DATA_HOME and returns it
/// with its HTTP base URL.
fn cli(data_home: &std::path::Path, args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_remotedev"))
        .args(["--port", "0", "--logLevel", "0"])
        .args(args)
        .env("XDG_DATA_HOME", data_home)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let url = common::spawned_relay_url(&mut child);
    (child, format!("http://{}", common::host_port(&url)))
}

fn stop(mut child: std::process::Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn cli_default_store_is_a_file_in_the_data_dir_that_survives_restarts() {
    let home = common::temp_dir("xdg");
    let client = reqwest::Client::new();
    let (child, url) = cli(&home, &[]);
    let id = answer(
        client
            .post(format!("{url}/"))
            .json(&report("cli"))
            .send()
            .await
            .unwrap(),
    )
    .await
    .body["id"]
        .clone();
    stop(child);
    assert!(home.join("remotedev/reports.sqlite3").is_file());

    let (child, url) = cli(&home, &[]);
    let got = answer(
        client
            .post(format!("{url}/"))
            .json(&json!({"op":"get","id":id}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got.body["title"], "cli");
    stop(child);

    // --dbOptions with the reference's knex config, and its refusal of other clients
    let knex = home.join("db.json");
    std::fs::write(
        &knex,
        r#"{"client":"sqlite3","connection":{"filename":":memory:"},"useNullAsDefault":true,"debug":false,"migrate":true}"#,
    )
    .unwrap();
    let (child, url) = cli(&home, &["--dbOptions", knex.to_str().unwrap()]);
    let list = answer(
        client
            .post(format!("{url}/"))
            .json(&json!({"op":"list"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list.body, json!([]), "in memory: empty");
    stop(child);
    // other knex clients are refused; a PostgreSQL server that is not there stops the
    // relay with the cause, never its password
    for (config, expected) in [
        (
            r#"{"client":"mysql","connection":"mysql://x/y"}"#,
            "\"mysql\" is not supported",
        ),
        (
            r#"{"client":"pg","connection":"postgres://me:secret@127.0.0.1:1/y"}"#,
            "postgres://me@127.0.0.1:1/y: error connecting to server",
        ),
    ] {
        std::fs::write(&knex, config).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_remotedev"))
            .args(["--port", "0", "--dbOptions", knex.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(expected), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn default_limits() {
    let o = remotedev::RelayOptions::default();
    assert_eq!(o.max_request_body, 16 * 1024 * 1024);
    assert_eq!(o.store, StoreLocation::DataDir);
}

#[tokio::test]
async fn client_uploads_and_monitor_lists_and_gets() {
    report_scenarios::client_uploads_and_monitor_lists_and_gets(options()).await;
}

#[test]
fn blocking_clients_upload_and_get_reports() {
    use remotedev::client::{AppOptions, BlockingApp, BlockingMonitor, MonitorOptions};
    let mut o = options();
    o.worker_threads = Some(1);
    let r = remotedev::BlockingRelay::start(o).unwrap();
    let app = BlockingApp::start(AppOptions::new(r.url())).unwrap();
    let id = app.upload_report(r#"{"computedStates":[]}"#).unwrap();
    let monitor = BlockingMonitor::start(MonitorOptions::new(r.url())).unwrap();
    let row: Value = serde_json::from_str(&monitor.get_report(&id).unwrap().unwrap()).unwrap();
    assert_eq!(row["id"], id.as_str());
    let list: Value = serde_json::from_str(&monitor.list_reports(None, &["id"]).unwrap()).unwrap();
    assert_eq!(list, json!([{ "id": id }]));
}
