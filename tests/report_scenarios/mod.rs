//! The report-store scenarios that every backend must pass (relay spec §6.2, §6.4, §7),
//! shared by tests/report_store.rs (SQLite) and tests/report_store_pg.rs (PostgreSQL):
//! each takes the relay options with the store to use, which must start empty.
#![allow(dead_code)]

use std::time::Duration;

use crate::common::{self, relay, Peer};
use remotedev::{Relay, RelayOptions};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const MONITOR: &str = "{}";

pub fn base(r: &Relay) -> String {
    format!("http://{}", r.local_addr())
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

pub async fn answer(resp: reqwest::Response) -> Answer {
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

pub async fn post(r: &Relay, body: Value) -> Answer {
    let resp = reqwest::Client::new()
        .post(format!("{}/", base(r)))
        .json(&body)
        .send()
        .await
        .expect("POST /");
    answer(resp).await
}

pub async fn post_raw(r: &Relay, content_type: &str, body: impl Into<reqwest::Body>) -> Answer {
    let resp = reqwest::Client::new()
        .post(format!("{}/", base(r)))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("POST /");
    answer(resp).await
}

pub async fn all_rows(r: &Relay) -> Value {
    let a = post(
        r,
        json!({"op":"list","fields":["id","type","title","payload"]}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    a.body
}

pub fn report(title: &str) -> Value {
    json!({"type":"STATE","id":"app-1","name":"Counter","payload":"{\"count\":3}","title":title})
}

pub async fn add_get_and_list_over_http(o: RelayOptions) {
    let r = relay(o).await;
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

pub async fn validation_answers_like_the_reference_and_publishes_nothing(o: RelayOptions) {
    let r = relay(o).await;
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
pub async fn every_report_type_the_producers_send_is_accepted(o: RelayOptions) {
    let r = relay(o).await;
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

pub async fn bad_requests_get_clear_errors_and_change_nothing(mut o: RelayOptions) {
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

pub async fn graphql_reports_and_report(o: RelayOptions) {
    let r = relay(o).await;
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

pub async fn report_channel_add_to_all_subscribers_and_get_report(o: RelayOptions) {
    let r = relay(o).await;
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

pub async fn client_uploads_and_monitor_lists_and_gets(o: RelayOptions) {
    use remotedev::client::{AppClient, AppOptions, MonitorClient, MonitorEvent, MonitorOptions};
    let r = relay(o).await;
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
