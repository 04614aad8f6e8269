//! Cluster mode (issue 15): relays sharing one real `redis-server` behave as one relay.
//! Needs `redis-server` on the PATH (or `REDIS_SERVER`); tests/lib/setup.sh installs it.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::redis::{all_connected, Redis};
use common::{options, relay, Got, Peer};
use remotedev::{Relay, RelayOptions};
use serde_json::json;

const APP: &str = r#""master""#;
const MONITOR: &str = "{}";
/// README "Cluster mode": a relay that dies is noticed within 10 s; the machine is
/// loaded, so the test allows more.
const DEAD_BOUND: Duration = Duration::from_secs(20);

fn clustered(redis: &Redis) -> RelayOptions {
    let mut o = options();
    o.redis = Some(redis.url());
    o.cluster = Some("test".into());
    o
}

/// `N` relays of one cluster on `redis`, each connected to it.
async fn cluster_of<const N: usize>(redis: &Redis) -> [Relay; N] {
    let mut relays = Vec::with_capacity(N);
    for _ in 0..N {
        relays.push(relay(clustered(redis)).await);
    }
    all_connected(&relays.iter().collect::<Vec<_>>()).await;
    match relays.try_into() {
        Ok(relays) => relays,
        Err(_) => unreachable!("N relays were started"),
    }
}

fn published(channel: &str, data: &str) -> String {
    format!(r##"{{"event":"#publish","data":{{"channel":"{channel}","data":{data}}}}}"##)
}

/// The `DISCONNECTED` of socket `id` as published on `channel`.
fn disconnected(channel: &str, id: &str) -> String {
    published(
        channel,
        &format!(r#"{{"id":"{id}","type":"DISCONNECTED"}}"#),
    )
}

/// The next frame that is not a keep-alive (the raw text), or None after `wait`.
async fn next_text(p: &mut Peer, wait: Duration) -> Option<String> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match p
            .next_within(deadline - tokio::time::Instant::now())
            .await?
        {
            Got::Text(t) if t.is_empty() || t == "#1" => continue,
            Got::Text(t) => return Some(t),
            closed => panic!("socket closed: {closed:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_reach_every_relay_once_byte_exact() {
    let redis = Redis::start();
    let [a, b, c] = cluster_of(&redis).await;
    let mut ma = Peer::login(&a.url(), MONITOR).await;
    let mut mb = Peer::login(&b.url(), MONITOR).await;
    let mut mc = Peer::login(&c.url(), MONITOR).await;
    let mut app_a = Peer::login(&a.url(), APP).await;
    let mut app_b = Peer::login(&b.url(), APP).await;

    let payload = r#"{ "type" : "ACTION", "payload":"{\"t\":\"héllo 🌍 \\u00e9\"}", "n": 1.50 }"#;
    app_a.transmit("log", payload).await;
    for m in [&mut ma, &mut mb, &mut mc] {
        assert_eq!(m.text().await, published("log", payload));
    }
    // a 3 MiB state, byte for byte
    let big = format!(
        r#"{{"type":"STATE","payload":"{}"}}"#,
        "0123456789abcdef".repeat(3 * 1024 * 1024 / 16)
    );
    app_a.transmit("log", &big).await;
    let expected = published("log", &big);
    for m in [&mut ma, &mut mb, &mut mc] {
        assert!(m.text().await == expected, "3 MiB state changed on its way");
    }
    // log-noid is wrapped with the sender's id once, on its relay
    app_a.transmit("log-noid", r#"{"type":"INIT"}"#).await;
    let wrapped = format!(r#"{{"id":"{}","data":{{"type":"INIT"}}}}"#, app_a.id);
    for m in [&mut ma, &mut mb, &mut mc] {
        assert_eq!(m.text().await, published("log", &wrapped));
    }
    // respond from a monitor on C reaches the apps on A and B once
    mc.transmit("respond", r#"{"type":"DISPATCH","action":"x"}"#)
        .await;
    for app in [&mut app_a, &mut app_b] {
        assert_eq!(
            app.text().await,
            published("respond", r#"{"type":"DISPATCH","action":"x"}"#)
        );
    }
    // nothing twice (no echo back to the publishing relay)
    for m in [&mut ma, &mut mb, &mut mc, &mut app_a, &mut app_b] {
        m.silent_for(Duration::from_millis(700)).await;
    }

    // a report added on A reaches a `report` subscriber on B
    let mut rb = Peer::connect(&b.url()).await;
    rb.subscribe("report").await;
    let list = rb.json().await;
    assert_eq!(list["data"]["data"]["type"], "list");
    let res = reqwest::Client::new()
        .post(format!("http://{}/", a.local_addr()))
        .json(&json!({"type":"STATE","id":"app-1","name":"Counter","payload":"{}","title":"t1"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let add = rb.json().await;
    assert_eq!(add["data"]["channel"], "report");
    assert_eq!(add["data"]["data"]["type"], "add");
    assert_eq!(add["data"]["data"]["data"]["title"], "t1");
    rb.silent_for(Duration::from_millis(500)).await;

    // a socket closing on B: DISCONNECTED on every relay once
    let gone = app_b.id.clone();
    drop(app_b);
    let expected = disconnected("log", &gone);
    for m in [&mut ma, &mut mb, &mut mc] {
        assert_eq!(m.text().await, expected);
        m.silent_for(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targeted_messages_go_to_the_owner_once() {
    let redis = Redis::start();
    let [a, b] = cluster_of(&redis).await;
    let mut app = Peer::login(&a.url(), APP).await;
    let mut other_app = Peer::login(&a.url(), APP).await;
    let mut monitor = Peer::login(&b.url(), MONITOR).await;
    let cmd = r#"{"type":"DISPATCH","action":{"type":"JUMP_TO_ACTION","index":1}}"#;
    monitor.transmit(&format!("sc-{}", app.id), cmd).await;
    assert_eq!(app.text().await, published("respond", cmd));
    app.silent_for(Duration::from_millis(700)).await;
    other_app.silent_for(Duration::from_millis(10)).await;

    // queue-before-subscribe: sent while the app is logged in but not yet subscribed
    let mut late = Peer::connect(&a.url()).await;
    late.invoke("login", APP).await;
    assert_eq!(late.json().await["data"], "respond");
    monitor.transmit(&format!("sc-{}", late.id), cmd).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    late.subscribe("respond").await;
    assert_eq!(late.text().await, published("respond", cmd));
    late.silent_for(Duration::from_millis(700)).await;

    // an id of a relay nobody runs: only the sender's sc- subscribers (none) get it
    monitor.transmit("sc-AAAAAAAAAAAAAAAAAAAA", cmd).await;
    app.silent_for(Duration::from_millis(300)).await;
    monitor.silent_for(Duration::from_millis(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_relay_is_announced_disconnected() {
    let redis = Redis::start();
    let [b] = cluster_of(&redis).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_remotedev"))
        .args(["--port", "0", "--db", ":memory:", "--logLevel", "1"])
        .args(["--redis", &redis.url(), "--cluster", "test"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let a_url = common::spawned_relay_url(&mut child);
    let mut monitor = Peer::login(&b.url(), MONITOR).await;
    let mut app = Peer::login(&a_url, APP).await;
    let monitor_a = Peer::login(&a_url, MONITOR).await;
    // wait until A is connected to Redis: its app's log shows up on B
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        app.transmit("log", r#"{"type":"PING"}"#).await;
        if next_text(&mut monitor, Duration::from_millis(300))
            .await
            .is_some()
        {
            break;
        }
        assert!(Instant::now() < deadline, "relay A never reached B");
    }
    // let the sockets hash be written (next heartbeat) and drain the probes
    tokio::time::sleep(Duration::from_millis(1500)).await;
    while next_text(&mut monitor, Duration::from_millis(200))
        .await
        .is_some()
    {}

    child.kill().unwrap(); // SIGKILL: no goodbye
    child.wait().unwrap();
    let killed = Instant::now();
    let got = next_text(&mut monitor, DEAD_BOUND)
        .await
        .unwrap_or_else(|| panic!("no DISCONNECTED within {DEAD_BOUND:?}"));
    eprintln!("dead relay noticed after {:?}", killed.elapsed());
    // the app on A: DISCONNECTED on `log` (A's monitor's goes to `respond`: nobody here)
    assert_eq!(got, disconnected("log", &app.id));
    drop(monitor_a);
    monitor.silent_for(Duration::from_millis(2500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_stops_cleanly_says_goodbye_once() {
    let redis = Redis::start();
    let [a, b] = cluster_of(&redis).await;
    let mut monitor = Peer::login(&b.url(), MONITOR).await;
    let app = Peer::login(&a.url(), APP).await;
    // the app is in A's sockets hash (next heartbeat) before A stops
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a.shutdown().await;
    assert_eq!(monitor.text().await, disconnected("log", &app.id));
    // no second DISCONNECTED from the dead-relay check: A removed its keys
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_secs(8) {
        assert!(
            next_text(&mut monitor, Duration::from_millis(500))
                .await
                .is_none(),
            "a second message after a clean stop"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_resumes_after_redis_restarts() {
    let mut redis = Redis::start();
    let [a, b] = cluster_of(&redis).await;
    let mut ma = Peer::login(&a.url(), MONITOR).await;
    let mut mb = Peer::login(&b.url(), MONITOR).await;
    let mut app = Peer::login(&a.url(), APP).await;
    app.transmit("log", r#"{"n":1}"#).await;
    assert_eq!(ma.text().await, published("log", r#"{"n":1}"#));
    assert_eq!(mb.text().await, published("log", r#"{"n":1}"#));

    redis.kill();
    let deadline = Instant::now() + Duration::from_secs(20);
    while a.redis_connected() != Some(false) || b.redis_connected() != Some(false) {
        assert!(Instant::now() < deadline, "the outage went unnoticed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // local delivery goes on
    app.transmit("log", r#"{"n":2}"#).await;
    assert_eq!(ma.text().await, published("log", r#"{"n":2}"#));
    // not ready for a load balancer meanwhile (issue 15): /readyz names the check
    let (status, body) = readyz(&a).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["failed"], serde_json::json!(["redis"]), "{body}");

    redis.spawn();
    all_connected(&[&a, &b]).await;
    let (status, body) = readyz(&a).await;
    assert_eq!(status, 200, "{body}");
    mb.silent_for(Duration::from_millis(200)).await; // n:2 was lost (at-most-once)
    app.transmit("log", r#"{"n":3}"#).await;
    assert_eq!(ma.text().await, published("log", r#"{"n":3}"#));
    assert_eq!(mb.text().await, published("log", r#"{"n":3}"#));
    mb.silent_for(Duration::from_millis(500)).await;
    ma.silent_for(Duration::from_millis(10)).await;
}

/// `GET /readyz` of a relay: status and JSON body.
async fn readyz(r: &Relay) -> (u16, serde_json::Value) {
    let res = reqwest::get(format!("http://{}/readyz", r.local_addr()))
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// Makes the redis-server answer nothing for `secs` (a slow or stuck Redis).
fn stall_redis(port: u16, secs: u32) -> std::thread::JoinHandle<(String, Duration)> {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let arg = secs.to_string();
    let cmd = format!(
        "*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n${}\r\n{arg}\r\n",
        arg.len()
    );
    conn.write_all(cmd.as_bytes()).unwrap();
    let sent = Instant::now();
    std::thread::spawn(move || {
        let mut reply = [0u8; 5];
        let n = conn.read(&mut reply).unwrap_or(0);
        (
            String::from_utf8_lossy(&reply[..n]).into_owned(),
            sent.elapsed(),
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_redis_never_holds_up_local_delivery() {
    let redis = Redis::start();
    let [a, b] = cluster_of(&redis).await;
    let mut ma = Peer::login(&a.url(), MONITOR).await;
    let mut mb = Peer::login(&b.url(), MONITOR).await;
    let mut app = Peer::login(&a.url(), APP).await;
    app.transmit("log", "0").await;
    assert_eq!(mb.text().await, published("log", "0"));
    assert_eq!(ma.text().await, published("log", "0"));

    let sleeper = stall_redis(redis.port, 3);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let big = format!(r#""{}""#, "s".repeat(2 * 1024 * 1024));
    for i in 1..=100 {
        let data = if i == 50 { big.clone() } else { i.to_string() };
        app.transmit("log", &data).await;
        assert_eq!(ma.text().await, published("log", &data), "message {i}");
    }
    let local = started.elapsed();
    assert!(
        local < Duration::from_millis(2500),
        "local delivery waited for Redis: {local:?}"
    );
    let (reply, stalled) = sleeper.join().unwrap();
    assert!(
        reply.starts_with("+OK") && stalled >= Duration::from_secs(3),
        "{reply:?} after {stalled:?}"
    );
    // Redis answers again within the response timeout: what waited goes out, in order
    for i in 1..=100 {
        let data = if i == 50 { big.clone() } else { i.to_string() };
        assert!(
            mb.text().await == published("log", &data),
            "message {i} on B"
        );
    }
}

#[tokio::test]
async fn options_are_checked_and_single_relays_are_unaffected() {
    let single = relay(options()).await;
    assert_eq!(single.redis_connected(), None);
    let mut bad = options();
    bad.redis = Some("127.0.0.1:6379".into());
    let e = Relay::start(bad).await.err().expect("refused").to_string();
    assert!(e.contains("redis"), "{e}");
    let mut no_redis = options();
    no_redis.cluster = Some("x".into());
    let e = Relay::start(no_redis)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("cluster"), "{e}");

    // Redis down from the start: the relay serves its own sockets
    let port = common::free_port();
    let mut o = options();
    o.redis = Some(format!("redis://127.0.0.1:{port}"));
    let r = relay(o).await;
    let mut m = Peer::login(&r.url(), MONITOR).await;
    let mut app = Peer::login(&r.url(), APP).await;
    app.transmit("log", "1").await;
    assert_eq!(m.text().await, published("log", "1"));
    assert_eq!(r.redis_connected(), Some(false));
}

/// A Redis that answers and refuses (a wrong password, a database it does not have)
/// stops the start with Redis's answer, not a relay retrying forever behind a 503.
#[tokio::test]
async fn a_redis_that_refuses_the_relay_stops_the_start() {
    use std::io::{Read, Write};
    let redis = Redis::start();
    let refused = |url: String| async move {
        let mut o = options();
        o.redis = Some(url);
        match Relay::start(o).await {
            Ok(_) => panic!("the relay started"),
            Err(e) => e.to_string(),
        }
    };
    let e = refused(format!("redis://127.0.0.1:{}/99999", redis.port)).await;
    assert!(e.contains("refused") && e.contains("DB index"), "{e}");
    // require a password
    let mut c = std::net::TcpStream::connect(("127.0.0.1", redis.port)).unwrap();
    c.write_all(b"*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$11\r\nrequirepass\r\n$6\r\ns3cret\r\n")
        .unwrap();
    let mut ok = [0u8; 5];
    c.read_exact(&mut ok).unwrap();
    assert_eq!(&ok, b"+OK\r\n");
    let e = refused(format!("redis://:wrong@127.0.0.1:{}", redis.port)).await;
    assert!(e.contains("refused") && !e.contains("wrong"), "{e}");
    let e = refused(format!("redis://127.0.0.1:{}", redis.port)).await;
    assert!(e.contains("refused"), "{e}");
    // the right password starts
    let mut o = options();
    o.redis = Some(format!("redis://:s3cret@127.0.0.1:{}", redis.port));
    let r = relay(o).await;
    all_connected(&[&r]).await;
}
