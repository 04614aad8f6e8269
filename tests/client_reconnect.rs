//! The client's reconnect policy (README "Reconnect"): back within two seconds after a
//! relay restart, a falling attempt rate while the relay stays down, and the reference
//! schedule on request. Clients use the default `Backoff` unless a test says otherwise.

mod common;

use std::time::{Duration, Instant};

use remotedev::client::{
    AppClient, AppMessage, AppOptions, Backoff, Schedule, Socket, SocketEvent, SocketOptions,
    Subscription,
};
use remotedev::Relay;

use common::free_port;

async fn relay_on(port: u16) -> Relay {
    let mut o = common::options();
    o.port = port;
    // The previous relay on this port may still be closing its sockets.
    for _ in 0..50 {
        if let Ok(r) = Relay::start(o.clone()).await {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("port {port} stays busy");
}

/// The counter `n` of an app's `ACTION` whose state is `{"n":…}`; checks that the
/// app keeps its instance id across reconnects (so the UI shows one instance).
fn counter(data: &serde_json::value::RawValue) -> Option<u64> {
    let m = AppMessage::parse(data.get())?;
    if m.kind != "ACTION" {
        return None;
    }
    static INSTANCE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    assert_eq!(
        INSTANCE.get_or_init(|| m.instance_id.clone()),
        &m.instance_id
    );
    let state: serde_json::Value = serde_json::from_str(m.payload.as_deref()?).ok()?;
    state["n"].as_u64()
}

/// A monitor that only listens: logged in and subscribed to `log`, but sending no
/// `START`, so the app streams without replaying its history.
async fn listening_monitor(url: &str) -> (Socket, Subscription) {
    // It reconnects (and resubscribes) faster than the app, so it is listening when
    // the app comes back.
    let socket = Socket::create(url, common::quick_reconnect(50)).unwrap();
    socket.connect(common::WAIT).await.unwrap();
    socket.invoke("login", Some("{}")).await.unwrap();
    let log = socket.subscribe("log").unwrap();
    socket.wait_subscribed("log", common::WAIT).await.unwrap();
    (socket, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_within_two_seconds_after_each_of_ten_restarts_with_the_queue_in_order() {
    let port = free_port();
    let mut relay = relay_on(port).await;
    let url = relay.url();
    let (monitor, mut log) = listening_monitor(&url).await;
    let app = std::sync::Arc::new(AppClient::start(AppOptions::new(&url)).unwrap());
    app.connect(common::WAIT).await.unwrap();
    app.init(r#"{"n":0}"#).unwrap();

    // The app sends {"n":k} every 20 ms for the whole test, also while the relay is
    // down (those wait in its queue).
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sender = {
        let (sent, app) = (sent.clone(), app.clone());
        tokio::spawn(async move {
            for n in 1.. {
                app.send(r#"{"type":"TICK"}"#, &format!(r#"{{"n":{n}}}"#))
                    .unwrap();
                sent.store(n, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    let mut last = 0;
    for round in 0..10 {
        // Read up to now: everything so far arrives once, in order.
        let until = Instant::now() + Duration::from_millis(300);
        while let Ok(Some(data)) = tokio::time::timeout_at(until.into(), log.next()).await {
            if let Some(n) = counter(&data) {
                assert_eq!(n, last + 1, "round {round}: after {last} came {n}");
                last = n;
            }
        }
        relay.shutdown().await;
        let down = Instant::now();
        while app.socket().id().is_some() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // From here on the app knows the relay is gone: what it makes is queued. A
        // message written just before (still in flight when the relay stopped) may be
        // lost: transmits have no acknowledgement.
        let queued_from = sent.load(std::sync::atomic::Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(500).saturating_sub(down.elapsed())).await;
        relay = relay_on(port).await;
        let up = Instant::now();
        let made_while_down = sent.load(std::sync::atomic::Ordering::SeqCst);
        // The app is back when its first message made after the restart arrives.
        tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                let data = log.next().await.expect("the monitor's stream goes on");
                if let Some(n) = counter(&data) {
                    assert!(
                        n == last + 1 || (n > last && n <= queued_from),
                        "round {round}: after {last} came {n} (queued from {queued_from})"
                    );
                    last = n;
                    if n > made_while_down {
                        return;
                    }
                }
            }
        })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "round {round}: the app is not back within 2 s (app {:?}, last error {:?}; \
                 monitor {:?}; last message {last})",
                app.socket().state(),
                app.socket().last_error(),
                monitor.state(),
            )
        });
        eprintln!(
            "round {round}: back after {:?}, up to message {last}",
            up.elapsed()
        );
    }
    sender.abort();
    monitor.close().await;
    relay.shutdown().await;
}

/// Counts connection attempts (`Connecting` events) of a socket.
fn count_attempts(socket: &Socket) -> std::sync::Arc<std::sync::Mutex<Vec<Instant>>> {
    let attempts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut events = socket.listener();
    let seen = attempts.clone();
    tokio::spawn(async move {
        while let Ok(e) = events.recv().await {
            if e == SocketEvent::Connecting {
                seen.lock().unwrap().push(Instant::now());
            }
        }
    });
    attempts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_down_for_30_s_gets_few_attempts_and_is_found_within_one_cap() {
    let port = free_port();
    let url = format!("ws://127.0.0.1:{port}/socketcluster/");
    let socket = Socket::create(&url, SocketOptions::default()).unwrap();
    let attempts = count_attempts(&socket);
    tokio::time::sleep(Duration::from_secs(30)).await;
    let during = attempts.lock().unwrap().len();
    // The README's bound: at most 8 attempts in the first 30 s.
    assert!((3..=8).contains(&during), "{during} attempts in 30 s");
    let relay = relay_on(port).await;
    let up = Instant::now();
    socket.connect(Duration::from_secs(31)).await.unwrap();
    assert!(
        up.elapsed() <= Duration::from_secs(30),
        "{:?}",
        up.elapsed()
    );
    eprintln!(
        "{during} attempts in 30 s; found {:?} after the relay came up",
        up.elapsed()
    );
    socket.close().await;
    relay.shutdown().await;
}

#[tokio::test]
async fn the_reference_schedule_keeps_its_timings() {
    let port = free_port();
    let url = format!("ws://127.0.0.1:{port}/socketcluster/");
    let mut options = SocketOptions::default();
    options.backoff = Backoff {
        initial_delay: Duration::from_millis(200),
        randomness: Duration::ZERO,
        multiplier: 1.5,
        max_delay: Duration::from_secs(60),
        schedule: Schedule::Reference,
    };
    let socket = Socket::create(&url, options).unwrap();
    let attempts = count_attempts(&socket);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let times = attempts.lock().unwrap().clone();
    assert!(times.len() >= 4, "{times:?}");
    let gaps: Vec<u128> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis())
        .collect();
    for (gap, want) in gaps.iter().zip([200u128, 300, 450]) {
        assert!(
            gap.abs_diff(want) <= 60,
            "gaps {gaps:?}, want 200, 300, 450 ms"
        );
    }
    socket.close().await;
}
