//! The remotedev semantics of the relay (relay spec §2–§5) over real sockets.

mod common;

use std::time::Duration;

use common::{options, relay, Peer};
use serde_json::json;

const APP: &str = r#""master""#;
const MONITOR: &str = "{}";

#[tokio::test]
async fn login_roles_and_idempotent_relogin() {
    let r = relay(options()).await;
    let mut p = Peer::connect(&r.url()).await;
    for (data, channel) in [
        (APP, "respond"),
        ("{}", "log"),
        (r#""monitor""#, "log"),
        ("null", "log"),
        (APP, "respond"),
    ] {
        let cid = p.invoke("login", data).await;
        assert_eq!(
            p.json().await,
            json!({"rid":cid,"data":channel}),
            "login {data}"
        );
    }
    // a transmit login sets the role too (no answer)
    let mut monitor = Peer::login(&r.url(), MONITOR).await;
    let mut q = Peer::connect(&r.url()).await;
    q.transmit("login", APP).await;
    q.transmit("login", APP).await;
    drop(q);
    // logged in as app (twice): one DISCONNECTED on log, not two
    let v = monitor.json().await;
    assert_eq!(v["data"]["data"]["type"], "DISCONNECTED");
    monitor.silent_for(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn log_and_log_noid_reach_every_monitor_byte_for_byte() {
    let r = relay(options()).await;
    let mut m1 = Peer::login(&r.url(), MONITOR).await;
    let mut m2 = Peer::login(&r.url(), MONITOR).await;
    let mut app = Peer::login(&r.url(), APP).await;
    // unusual spacing, key order, escapes and non-ASCII survive unchanged
    let payload = r#"{ "type" : "ACTION", "payload":"{\"t\":\"héllo 🌍 \\u00e9 日本\"}", "n": 1.50, "z":[1e3] }"#;
    let cid = app.invoke("log", payload).await;
    assert_eq!(app.json().await, json!({"rid":cid}));
    let expected =
        format!(r##"{{"event":"#publish","data":{{"channel":"log","data":{payload}}}}}"##);
    assert_eq!(m1.text().await, expected);
    assert_eq!(m2.text().await, expected);

    app.transmit("log-noid", r#"{"type":"INIT","id":null}"#)
        .await;
    let wrapped = format!(
        r##"{{"event":"#publish","data":{{"channel":"log","data":{{"id":"{}","data":{{"type":"INIT","id":null}}}}}}}}"##,
        app.id
    );
    assert_eq!(m1.text().await, wrapped);
    assert_eq!(m2.text().await, wrapped);
    app.silent_for(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn respond_is_broadcast_to_all_apps() {
    let r = relay(options()).await;
    let mut a1 = Peer::login(&r.url(), APP).await;
    let mut a2 = Peer::login(&r.url(), APP).await;
    let mut m = Peer::login(&r.url(), MONITOR).await;
    let cid = m.invoke("respond", r#"{"type":"START"}"#).await;
    assert_eq!(m.json().await, json!({"rid":cid}));
    let expected = r##"{"event":"#publish","data":{"channel":"respond","data":{"type":"START"}}}"##;
    assert_eq!(a1.text().await, expected);
    assert_eq!(a2.text().await, expected);
}

#[tokio::test]
async fn targeted_message_reaches_exactly_the_target_once() {
    let r = relay(options()).await;
    let mut target = Peer::login(&r.url(), APP).await;
    let mut other = Peer::login(&r.url(), APP).await;
    let mut m = Peer::login(&r.url(), MONITOR).await;
    let cmd =
        r#"{"type":"DISPATCH","action":{"type":"JUMP_TO_ACTION","actionId":1},"instanceId":"i1"}"#;
    let cid = m.invoke(&format!("sc-{}", target.id), cmd).await;
    assert_eq!(m.json().await, json!({"rid":cid}));
    assert_eq!(
        target.text().await,
        format!(r##"{{"event":"#publish","data":{{"channel":"respond","data":{cmd}}}}}"##)
    );
    target.silent_for(Duration::from_millis(200)).await;
    other.silent_for(Duration::from_millis(10)).await;
    m.silent_for(Duration::from_millis(10)).await;
}

#[tokio::test]
async fn targeted_to_a_monitor_uses_its_log_channel() {
    let r = relay(options()).await;
    let mut m = Peer::login(&r.url(), MONITOR).await;
    let mut app = Peer::login(&r.url(), APP).await;
    app.transmit(&format!("sc-{}", m.id), r#"{"type":"X"}"#)
        .await;
    assert_eq!(
        m.text().await,
        r##"{"event":"#publish","data":{"channel":"log","data":{"type":"X"}}}"##
    );
    m.silent_for(Duration::from_millis(150)).await;
}

#[tokio::test]
async fn targeted_before_subscribe_is_queued_then_flushed_after_the_ack() {
    let r = relay(options()).await;
    let mut app = Peer::connect(&r.url()).await;
    let cid = app.invoke("login", APP).await;
    assert_eq!(app.json().await, json!({"rid":cid,"data":"respond"}));
    let mut m = Peer::login(&r.url(), MONITOR).await;
    m.transmit(&format!("sc-{}", app.id), r#"{"type":"START"}"#)
        .await;
    m.transmit(&format!("sc-{}", app.id), r#"{"type":"DISPATCH","n":2}"#)
        .await;
    // nothing before the subscription
    app.silent_for(Duration::from_millis(200)).await;
    let cid = app.invoke("#subscribe", r#"{"channel":"respond"}"#).await;
    assert_eq!(app.json().await, json!({"rid":cid}));
    assert_eq!(
        app.text().await,
        r##"{"event":"#publish","data":{"channel":"respond","data":{"type":"START"}}}"##
    );
    assert_eq!(
        app.text().await,
        r##"{"event":"#publish","data":{"channel":"respond","data":{"type":"DISPATCH","n":2}}}"##
    );
    app.silent_for(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn targeted_falls_back_to_event_frames_after_the_grace_period() {
    let mut o = options();
    o.subscribe_grace = Duration::from_millis(300);
    let r = relay(o).await;
    let mut app = Peer::connect(&r.url()).await;
    app.invoke("login", APP).await;
    app.json().await;
    let mut m = Peer::login(&r.url(), MONITOR).await;
    m.transmit(&format!("sc-{}", app.id), r#"{"type":"START"}"#)
        .await;
    assert_eq!(
        app.text().await,
        r#"{"event":"respond","data":{"type":"START"}}"#
    );
    m.transmit(&format!("sc-{}", app.id), r#"{"type":"STOP"}"#)
        .await;
    assert_eq!(
        app.text().await,
        r#"{"event":"respond","data":{"type":"STOP"}}"#
    );
    // once subscribed, the regular unicast publish again, still exactly once
    app.subscribe("respond").await;
    m.transmit(&format!("sc-{}", app.id), r#"{"type":"START"}"#)
        .await;
    assert_eq!(
        app.text().await,
        r##"{"event":"#publish","data":{"channel":"respond","data":{"type":"START"}}}"##
    );
    app.silent_for(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn target_subscribed_to_its_own_sc_channel_gets_one_copy() {
    let r = relay(options()).await;
    let mut app = Peer::login(&r.url(), APP).await;
    let own = format!("sc-{}", app.id);
    app.subscribe(&own).await;
    let mut spy = Peer::connect(&r.url()).await;
    spy.subscribe(&own).await;
    let mut m = Peer::login(&r.url(), MONITOR).await;
    m.transmit(&own, r#"{"type":"START"}"#).await;
    let expected = format!(
        r##"{{"event":"#publish","data":{{"channel":"{own}","data":{{"type":"START"}}}}}}"##
    );
    assert_eq!(app.text().await, expected);
    assert_eq!(spy.text().await, expected);
    app.silent_for(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn targeted_to_unknown_or_anonymous_sockets_is_acked_and_dropped() {
    let r = relay(options()).await;
    let mut anon = Peer::connect(&r.url()).await;
    let mut m = Peer::login(&r.url(), MONITOR).await;
    for target in ["sc-", "sc-nobody", &format!("sc-{}", anon.id)] {
        let cid = m.invoke(target, "{}").await;
        assert_eq!(m.json().await, json!({"rid":cid}));
    }
    anon.silent_for(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn disconnected_on_clean_close_and_on_dropped_tcp() {
    let r = relay(options()).await;
    let mut m = Peer::login(&r.url(), MONITOR).await;

    let mut clean = Peer::login(&r.url(), APP).await;
    clean.ws.close(None).await.unwrap();
    assert_eq!(
        m.text().await,
        format!(
            r##"{{"event":"#publish","data":{{"channel":"log","data":{{"id":"{}","type":"DISCONNECTED"}}}}}}"##,
            clean.id
        )
    );

    let dropped = Peer::login(&r.url(), APP).await;
    let id = dropped.id.clone();
    drop(dropped); // TCP goes away without a close frame
    assert_eq!(
        m.json().await["data"]["data"],
        json!({"id":id,"type":"DISCONNECTED"})
    );

    // sockets that never logged in leave silently
    drop(Peer::connect(&r.url()).await);
    m.silent_for(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_monitor_leaving_tells_every_app() {
    let r = relay(options()).await;
    let mut a1 = Peer::login(&r.url(), APP).await;
    let mut a2 = Peer::login(&r.url(), APP).await;
    let m = Peer::login(&r.url(), MONITOR).await;
    let id = m.id.clone();
    drop(m);
    let expected = json!({"event":"#publish","data":{"channel":"respond","data":{"id":id,"type":"DISCONNECTED"}}});
    assert_eq!(a1.json().await, expected);
    assert_eq!(a2.json().await, expected);
}

#[tokio::test]
async fn large_state_passes_intact() {
    let r = relay(options()).await;
    let mut m = Peer::login(&r.url(), MONITOR).await;
    let mut app = Peer::login(&r.url(), APP).await;
    let state = "é🌍".repeat(5 * 1024 * 1024 / 6 + 1);
    let payload = format!(r#"{{"type":"STATE","payload":"{state}"}}"#);
    assert!(payload.len() > 5 * 1024 * 1024);
    app.transmit("log", &payload).await;
    let got = m.text().await;
    assert_eq!(
        got.len(),
        payload.len() + r##"{"event":"#publish","data":{"channel":"log","data":}}"##.len()
    );
    assert!(got.contains(&payload));
}

/// From 64 KiB on, a published payload is forwarded as a fragmented message whose
/// middle frame shares the received bytes; either way the monitor reads exactly the
/// `#publish` frame, around the threshold and with multi-byte text.
#[tokio::test]
async fn payloads_around_the_no_copy_threshold_arrive_byte_for_byte() {
    let r = relay(options()).await;
    let mut m = Peer::login(&r.url(), MONITOR).await;
    let mut app = Peer::login(&r.url(), APP).await;
    let envelope = r#"{"type":"STATE","payload":""}"#.len();
    for size in [64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 200 * 1024 + 3] {
        let pad = "é".repeat((size - envelope) / 2) + &"x".repeat((size - envelope) % 2);
        let payload = format!(r#"{{"type":"STATE","payload":"{pad}"}}"#);
        assert_eq!(payload.len(), size);
        app.transmit("log", &payload).await;
        let got = m.text().await;
        assert_eq!(
            got,
            format!(r##"{{"event":"#publish","data":{{"channel":"log","data":{payload}}}}}"##),
            "{size} bytes"
        );
    }
}

async fn post_report(r: &remotedev::Relay, body: serde_json::Value) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("http://{}/", r.local_addr()))
        .json(&body)
        .send()
        .await
        .expect("POST /")
        .json()
        .await
        .expect("JSON answer")
}

#[tokio::test]
async fn get_report_answers_the_row_or_like_the_reference() {
    let r = relay(options()).await;
    let mut m = Peer::login(&r.url(), MONITOR).await;
    let cid = m
        .invoke("getReport", r#""5b4f3b8e-0000-4000-8000-000000000000""#)
        .await;
    assert_eq!(m.json().await, json!({"rid":cid}));
    let cid = m.invoke("getReport", "null").await;
    assert_eq!(
        m.json().await,
        json!({"rid":cid,"data":{"error":"No id specified."}})
    );
    let added = post_report(
        &r,
        json!({"type":"STATE","payload":"{\"count\":1}","title":"t1","user":"u"}),
    )
    .await;
    let id = added["id"].as_str().expect("an id").to_owned();
    let cid = m.invoke("getReport", &format!("{id:?}")).await;
    let reply = m.json().await;
    assert_eq!(reply["rid"], cid);
    let row = &reply["data"];
    assert_eq!(row["id"], id.as_str());
    assert_eq!(row["type"], "STATE");
    assert_eq!(row["title"], "t1");
    assert_eq!(row["payload"], r#"{"count":1}"#);
    assert_eq!(row["userId"], "u");
    assert_eq!(row["exception"], "");
    assert_eq!(row["description"], serde_json::Value::Null);
    assert_eq!(row.as_object().unwrap().len(), 17, "{row}");
}

#[tokio::test]
async fn report_subscription_gets_the_list_alone_after_its_ack() {
    let r = relay(options()).await;
    let mut first = Peer::login(&r.url(), MONITOR).await;
    first.subscribe("report").await; // asserts the ack comes first
    assert_eq!(
        first.text().await,
        r##"{"event":"#publish","data":{"channel":"report","data":{"type":"list","data":[]}}}"##
    );
    let added = post_report(&r, json!({"type":"ACTIONS","payload":"[]","title":"one"})).await;
    let add = first.json().await;
    assert_eq!(add["data"]["channel"], "report");
    assert_eq!(add["data"]["data"]["type"], "add");
    assert_eq!(add["data"]["data"]["data"]["id"], added["id"]);
    assert_eq!(add["data"]["data"]["data"]["title"], "one");
    let mut second = Peer::login(&r.url(), MONITOR).await;
    second.subscribe("report").await;
    let list = second.json().await;
    assert_eq!(list["data"]["data"]["type"], "list");
    let rows = list["data"]["data"]["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], added["id"]);
    assert_eq!(rows[0]["title"], "one");
    assert_eq!(
        rows[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "title", "added"]
    );
    first.silent_for(Duration::from_millis(200)).await;
}
