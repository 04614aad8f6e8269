//! The report store over HTTP (relay spec §6.2, §6.4, §7) with a real HTTP client
//! against a running relay, the `report` channel over real sockets, and durability on
//! a file store (library and CLI).

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{options, relay, Peer};
use remotedev::store::StoreLocation;
use remotedev::Relay;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};

const MONITOR: &str = "{}";

fn base(r: &Relay) -> String {
    format!("http://{}", r.local_addr())
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    Answer {
        status,
        headers,
        body,
    }
}

async fn post(r: &Relay, body: Value) -> Answer {
    let resp = reqwest::Client::new()
        .post(format!("{}/", base(r)))
        .json(&body)
        .send()
        .await
        .expect("POST /");
    answer(resp).await
}

async fn post_raw(r: &Relay, content_type: &str, body: impl Into<reqwest::Body>) -> Answer {
    let resp = reqwest::Client::new()
        .post(format!("{}/", base(r)))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("POST /");
    answer(resp).await
}

async fn all_rows(r: &Relay) -> Value {
    let a = post(
        r,
        json!({"op":"list","fields":["id","type","title","payload"]}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    a.body
}

fn report(title: &str) -> Value {
    json!({"type":"STATE","id":"app-1","name":"Counter","payload":"{\"count\":3}","title":title})
}

#[tokio::test]
async fn add_get_and_list_over_http() {
    let r = relay(options()).await;
    let added = post(&r, report("first")).await;
    assert_eq!(added.status, StatusCode::OK);
    assert_eq!(
        added.headers["access-control-allow-origin"], "*",
        "CORS on POST /"
    );
    let id = added.body["id"].as_str().expect("id").to_owned();
    assert_eq!(added.body.as_object().unwrap().len(), 1, "{}", added.body);
    assert_ne!(id, "app-1", "the body's own id is not used");
    assert_eq!(id.len(), 36);

    let got = post(&r, json!({"op":"get","id":id})).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["title"], "first");
    assert_eq!(got.body["instanceId"], Value::Null);
    assert_eq!(got.body["appId"], "78626c31-e16b-4528-b8e5-f81301b627f4");
    let added_at = got.body["added"].as_str().unwrap();
    assert!(
        added_at.len() == 24 && added_at.ends_with('Z') && added_at.contains('T'),
        "{added_at}"
    );
    let missing = post(&r, json!({"op":"get","id":"nope"})).await;
    assert_eq!((missing.status, missing.body), (StatusCode::OK, json!({})));

    // urlencoded bodies, as the reference's express parser takes them
    let form = post_raw(
        &r,
        "application/x-www-form-urlencoded",
        "type=ACTIONS&payload=%5B%5D&action=INCREMENT",
    )
    .await;
    let id2 = form.body["id"].as_str().expect("id").to_owned();

    let list = post(&r, json!({"op":"list"})).await;
    assert_eq!(
        list.body,
        json!([
            {"id":id,"title":"first","added":added_at},
            {"id":id2,"title":"INCREMENT","added":list.body[1]["added"]}
        ])
    );
    let filtered = post(
        &r,
        json!({"op":"list","query":{"type":"ACTIONS"},"fields":["id","action"]}),
    )
    .await;
    assert_eq!(filtered.body, json!([{"id":id2,"action":"INCREMENT"}]));
    let by_form = post_raw(
        &r,
        "application/x-www-form-urlencoded",
        "op=list&query%5Btitle%5D=first&fields%5B%5D=title",
    )
    .await;
    assert_eq!(by_form.body, json!([{"title":"first"}]));
}

#[tokio::test]
async fn validation_answers_like_the_reference_and_publishes_nothing() {
    let r = relay(options()).await;
    let mut m = Peer::login(&r.url(), MONITOR).await;
    m.subscribe("report").await;
    m.json().await; // the (empty) list
    let a = post(&r, json!({"type":"STATE"})).await;
    assert_eq!(
        (a.status, a.body),
        (
            StatusCode::OK,
            json!({"error":"Required parameters aren't specified."})
        )
    );
    let a = post(&r, json!({"type":"FOO","payload":"x"})).await;
    assert_eq!(
        (a.status, a.body),
        (
            StatusCode::OK,
            json!({"error":"Type FOO is not supported yet."})
        )
    );
    m.silent_for(Duration::from_millis(200)).await;
    assert_eq!(all_rows(&r).await, json!([]));
}

/// The bodies `redux-remotedev` posts: `every` (ACTION), `withState` (STATES), the
/// default (ACTIONS), and `@redux-devtools/remote`'s STATE. All four are stored and
/// published; a refused add is never published.
#[tokio::test]
async fn every_report_type_the_producers_send_is_accepted() {
    let r = relay(options()).await;
    let mut m = Peer::login(&r.url(), MONITOR).await;
    m.subscribe("report").await;
    m.json().await; // the (empty) list
    let ua = "Mozilla/5.0";
    let bodies = [
        json!({"type":"ACTION","payload":"{\"type\":\"INCREMENT\"}","userAgent":ua}),
        json!({"type":"STATES","action":"ERROR","payload":"[{\"state\":{\"count\":1},\"action\":{\"type\":\"INCREMENT\"}}]","preloadedState":"{\"count\":0}","userAgent":ua}),
        json!({"type":"ACTIONS","action":"ERROR","payload":"[{\"type\":\"INCREMENT\"}]","preloadedState":"{\"count\":0}","userAgent":ua}),
        json!({"type":"STATE","payload":"{\"actionsById\":{},\"computedStates\":[]}","title":"state"}),
    ];
    let mut ids = Vec::new();
    for body in &bodies {
        let a = post(&r, body.clone()).await;
        assert_eq!(a.status, StatusCode::OK, "{body}");
        let id = a.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}: {}", a.body))
            .to_owned();
        let add = m.json().await;
        assert_eq!(add["data"]["data"]["type"], "add");
        assert_eq!(add["data"]["data"]["data"]["id"], id.as_str());
        let row = post(&r, json!({"op":"get","id":id})).await.body;
        assert_eq!(row["type"], body["type"]);
        assert_eq!(row["payload"], body["payload"]);
        assert_eq!(
            row["preloadedState"],
            body.get("preloadedState").cloned().unwrap_or(Value::Null)
        );
        ids.push(id);
    }
    // urlencoded works for the new types too
    let a = post_raw(
        &r,
        "application/x-www-form-urlencoded",
        "type=STATES&payload=%5B%5D",
    )
    .await;
    assert!(a.body["id"].is_string(), "{}", a.body);
    assert_eq!(m.json().await["data"]["data"]["type"], "add");
    // still refused: other types, lower case, missing payload; none is published
    for (body, error) in [
        (
            json!({"type":"FOO","payload":"x"}),
            "Type FOO is not supported yet.",
        ),
        (
            json!({"type":"action","payload":"x"}),
            "Type action is not supported yet.",
        ),
        (
            json!({"type":"ACTION"}),
            "Required parameters aren't specified.",
        ),
        (
            json!({"payload":"x"}),
            "Required parameters aren't specified.",
        ),
    ] {
        let a = post(&r, body).await;
        assert_eq!(a.body, json!({ "error": error }));
    }
    m.silent_for(Duration::from_millis(200)).await;
    assert_eq!(all_rows(&r).await.as_array().unwrap().len(), 5);
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
    let mut o = options();
    o.max_request_body = 4096;
    let r = relay(o).await;
    let kept = post(&r, report("kept")).await.body["id"].clone();
    let before = all_rows(&r).await;
    assert_eq!(before.as_array().unwrap().len(), 1);

    let cases: Vec<(Answer, StatusCode, &str)> = vec![
        (
            post_raw(&r, "application/json", r#"{"type":"STATE","payload":"#).await,
            StatusCode::BAD_REQUEST,
            "Malformed JSON body",
        ),
        (
            post_raw(&r, "application/json", r#"["type","STATE"]"#).await,
            StatusCode::BAD_REQUEST,
            "must be a JSON object",
        ),
        (
            post_raw(&r, "application/json", "").await,
            StatusCode::BAD_REQUEST,
            "Empty request body",
        ),
        (
            post_raw(&r, "text/plain", "type=STATE").await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Content-Type",
        ),
        (
            post_raw(
                &r,
                "application/json",
                format!(r#"{{"type":"STATE","payload":"{}"}}"#, "x".repeat(5000)),
            )
            .await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "the limit is 4096 bytes",
        ),
        (
            post(&r, json!({"op":"delete","id":kept})).await,
            StatusCode::BAD_REQUEST,
            "Unknown op \"delete\"",
        ),
        (
            post(
                &r,
                json!({"op":"list","query":{"1=1; DROP TABLE remotedev_reports; --":1}}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "Unknown column",
        ),
        (
            post(&r, json!({"op":"list","query":{"id":{"$ne":""}}})).await,
            StatusCode::BAD_REQUEST,
            "only equality filters",
        ),
        (
            post(&r, json!({"op":"list","fields":["id","sqlite_version()"]})).await,
            StatusCode::BAD_REQUEST,
            "Unknown field",
        ),
        (
            post(&r, json!({"op":"list","fields":"*"})).await,
            StatusCode::BAD_REQUEST,
            "Unknown field",
        ),
        (
            post(&r, json!({"op":"get"})).await,
            StatusCode::BAD_REQUEST,
            "No id specified.",
        ),
    ];
    for (i, (a, status, text)) in cases.into_iter().enumerate() {
        assert_eq!(a.status, status, "case {i}: {}", a.body);
        let message = a.body["error"].as_str().unwrap_or_default();
        assert!(message.contains(text), "case {i}: {message}");
        assert_eq!(a.headers["access-control-allow-origin"], "*");
    }
    assert_eq!(all_rows(&r).await, before);
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
    let r = relay(options()).await;
    let id = post(&r, report("gql")).await.body["id"].clone();
    let client = reqwest::Client::new();
    let query = |q: Value| {
        let client = client.clone();
        let url = format!("{}/graphql", base(&r));
        async move { answer(client.post(url).json(&q).send().await.unwrap()).await }
    };
    let all =
        query(json!({"query":"{ reports { id type title payload preloadedState appId } }"})).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(
        all.body,
        json!({"data":{"reports":[{"id":id,"type":"STATE","title":"gql","payload":"{\"count\":3}","preloadedState":null,"appId":"78626c31-e16b-4528-b8e5-f81301b627f4"}]}})
    );
    let one = query(json!({
        "query":"query One($id: ID!) { report(id: $id) { id title exception added } }",
        "variables":{"id":id}
    }))
    .await;
    assert_eq!(one.body["data"]["report"]["title"], "gql");
    assert_eq!(one.body["data"]["report"]["exception"], "");
    let none = query(json!({"query":"{ report(id: \"nope\") { id } }"})).await;
    assert_eq!(none.body, json!({"data":{"report":null}}));
    let bad = query(json!({"query":"{ reports { nope } }"})).await;
    assert!(bad.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("nope"));
    // Aliases cannot multiply the whole store into one answer (new-user finding: 40
    // aliased `reports { payload }` answered 200 MB).
    let aliases: String = (0..40)
        .map(|i| format!("a{i}: reports {{ payload }} "))
        .collect();
    let greedy = query(json!({ "query": format!("{{ {aliases} }}") })).await;
    assert!(greedy.body["data"].is_null(), "{}", greedy.body);
    assert!(greedy.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("complex"));
    let two = query(json!({"query":"{ a: reports { id } b: reports { title } }"})).await;
    assert_eq!(two.body["data"]["a"][0]["id"], id);
}

#[tokio::test]
async fn report_channel_add_to_all_subscribers_and_get_report() {
    let r = relay(options()).await;
    let mut m1 = Peer::login(&r.url(), MONITOR).await;
    let mut m2 = Peer::login(&r.url(), MONITOR).await;
    let mut app = Peer::login(&r.url(), r#""master""#).await;
    for m in [&mut m1, &mut m2] {
        m.subscribe("report").await;
        assert_eq!(
            m.json().await["data"]["data"],
            json!({"type":"list","data":[]})
        );
    }
    // No title: the key vanishes from the add notification, as in the reference.
    let id = post(&r, json!({"type":"STATE","payload":"{}"})).await.body["id"].clone();
    for m in [&mut m1, &mut m2] {
        let add = m.json().await;
        assert_eq!(add["event"], "#publish");
        assert_eq!(add["data"]["channel"], "report");
        let data = &add["data"]["data"];
        assert_eq!(data["type"], "add");
        assert_eq!(data["data"]["id"], id);
        assert_eq!(
            data["data"].as_object().unwrap().keys().collect::<Vec<_>>(),
            ["id", "added"]
        );
    }
    app.silent_for(Duration::from_millis(100)).await;
    let cid = m1
        .invoke("getReport", &serde_json::to_string(&id).unwrap())
        .await;
    let reply = m1.json().await;
    assert_eq!(reply["rid"], cid);
    assert_eq!(reply["data"]["id"], id);
    assert_eq!(reply["data"]["payload"], "{}");
    m2.silent_for(Duration::from_millis(100)).await;
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
    std::fs::write(&knex, r#"{"client":"pg","connection":"postgres://x/y"}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_remotedev"))
        .args(["--port", "0", "--dbOptions", knex.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("\"pg\" is not supported"), "{err}");
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
    use remotedev::client::{AppClient, AppOptions, MonitorClient, MonitorEvent, MonitorOptions};
    let r = relay(options()).await;
    let monitor = MonitorClient::start(MonitorOptions::new(r.url())).unwrap();
    monitor.connect(common::WAIT).await.unwrap();
    let first = tokio::time::timeout(common::WAIT, monitor.recv())
        .await
        .unwrap();
    assert_eq!(
        first,
        Some(MonitorEvent::Report(r#"{"type":"list","data":[]}"#.into()))
    );

    let mut o = AppOptions::new(r.url());
    o.name = "Counter".into();
    let app = AppClient::start(o).unwrap();
    let lifted = r#"{"actionsById":{},"computedStates":[{"state":{"count":1}}]}"#;
    let id = app.upload_report(lifted).await.unwrap();
    let refused = app
        .upload_report_body(r#"{"type":"NOPE","payload":"x"}"#)
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("Type NOPE is not supported yet."),
        "{refused}"
    );

    // the monitor hears about the add (apps' own messages may arrive too)
    let add = loop {
        match tokio::time::timeout(common::WAIT, monitor.recv())
            .await
            .unwrap()
        {
            Some(MonitorEvent::Report(r)) => break serde_json::from_str::<Value>(&r).unwrap(),
            Some(_) => continue,
            None => panic!("monitor closed"),
        }
    };
    assert_eq!(add["type"], "add");
    assert_eq!(add["data"]["id"], id.as_str());

    let row: Value =
        serde_json::from_str(&monitor.get_report(&id).await.unwrap().unwrap()).unwrap();
    assert_eq!(row["payload"], lifted);
    assert_eq!(row["type"], "STATE");
    assert_eq!(monitor.get_report("unknown-id").await.unwrap(), None);

    let list: Value =
        serde_json::from_str(&monitor.list_reports(None, &[]).await.unwrap()).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    let only: Value = serde_json::from_str(
        &monitor
            .list_reports(Some(r#"{"type":"ACTIONS"}"#), &["id"])
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(only, json!([]));
    let bad = monitor.list_reports(None, &["nope"]).await.unwrap_err();
    assert!(bad.to_string().contains("Unknown field"), "{bad}");
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
