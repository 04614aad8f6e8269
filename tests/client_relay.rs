//! The client against our relay, in-process: socket basics, app ↔ monitor, targeted
//! commands exactly once, keep-alive, reconnect with the queue delivered in order.

mod common;

use std::time::Duration;

use common::{options, quick_reconnect, relay, Peer};
use remotedev::client::{
    dispatch_command, AppClient, AppOptions, ClientError, Command, ConnectionState, MonitorClient,
    MonitorEvent, MonitorOptions, Socket, SocketOptions,
};

const WAIT: Duration = Duration::from_secs(5);

fn app_options(url: &str) -> AppOptions {
    let mut o = AppOptions::new(url);
    o.name = "CounterApp".into();
    o.socket = quick_reconnect(50);
    o
}

async fn next_app_message(m: &MonitorClient, kind: &str) -> remotedev::client::AppMessage {
    tokio::time::timeout(WAIT, async {
        loop {
            match m.recv().await {
                Some(MonitorEvent::App(msg)) if msg.kind == kind => return msg,
                Some(_) => continue,
                None => panic!("monitor closed"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {kind} message"))
}

async fn next_command(app: &AppClient) -> Command {
    tokio::time::timeout(WAIT, app.recv())
        .await
        .expect("a command in time")
        .expect("open")
}

#[tokio::test]
async fn socket_invoke_subscribe_and_errors() {
    let r = relay(options()).await;
    let s = Socket::create(&r.url(), SocketOptions::default()).unwrap();
    let id = s.connect(WAIT).await.unwrap();
    assert_eq!(id.len(), 20);
    assert_eq!(
        s.invoke("login", Some(r#""master""#)).await.unwrap().get(),
        r#""respond""#
    );
    let mut sub = s.subscribe("respond").unwrap();
    s.wait_subscribed("respond", WAIT).await.unwrap();
    let mut m = Peer::login(&r.url(), "{}").await;
    m.transmit("respond", r#"{"type":"START"}"#).await;
    assert_eq!(sub.next().await.unwrap().get(), r#"{"type":"START"}"#);
    match s.invoke("noSuchProc", Some("1")).await {
        Err(ClientError::Remote(e)) => assert_eq!(e.name.as_deref(), Some("InvalidActionError")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.transmit("log", Some("{bad")),
        Err(ClientError::InvalidJson(_))
    ));
    assert!(matches!(
        s.transmit("", None),
        Err(ClientError::InvalidArgument(_))
    ));
    s.close().await;
    assert_eq!(s.state(), ConnectionState::Closed);
    assert!(matches!(
        s.transmit("log", Some("1")),
        Err(ClientError::Closed)
    ));
}

#[tokio::test]
async fn idle_socket_survives_more_than_two_ping_timeouts() {
    let mut o = options();
    o.ping_interval = Duration::from_millis(100);
    o.ping_timeout = Duration::from_millis(300);
    let r = relay(o).await;
    let s = Socket::create(&r.url(), SocketOptions::default()).unwrap();
    s.connect(WAIT).await.unwrap();
    let before = s.state();
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(s.state(), before, "no reconnect happened");
}

#[tokio::test]
async fn app_messages_reach_the_monitor_and_a_targeted_jump_arrives_once() {
    let r = relay(options()).await;
    let monitor = MonitorClient::start(MonitorOptions::new(r.url())).unwrap();
    monitor.connect(WAIT).await.unwrap();
    let app = AppClient::start(app_options(&r.url())).unwrap();
    let other = AppClient::start(app_options(&r.url())).unwrap();
    let app_id = app.connect(WAIT).await.unwrap();
    other.connect(WAIT).await.unwrap();

    app.init(r#"{"count":0}"#).unwrap();
    app.send(r#"{"type":"INCREMENT"}"#, r#"{"count":1}"#)
        .unwrap();
    app.send(r#"{"type":"INCREMENT"}"#, r#"{"count":2}"#)
        .unwrap();
    let init = next_app_message(&monitor, "INIT").await;
    assert_eq!(init.payload.as_deref(), Some(r#"{"count":0}"#));
    assert_eq!(init.instance_id.as_deref(), Some(app.instance_id()));
    let a1 = next_app_message(&monitor, "ACTION").await;
    assert_eq!(a1.payload.as_deref(), Some(r#"{"count":1}"#));
    assert_eq!(a1.connection_id.as_deref(), Some(app_id.as_str()));

    let cmd = dispatch_command(
        r#"{"type":"JUMP_TO_ACTION","actionId":1}"#,
        Some(r#"{"count":1}"#),
        Some(app.instance_id()),
    );
    monitor.send_to(&app_id, &cmd).unwrap();
    let got = loop {
        match next_command(&app).await {
            Command::Start => continue,
            c => break c,
        }
    };
    assert_eq!(
        got,
        Command::Dispatch {
            action: r#"{"type":"JUMP_TO_ACTION","actionId":1}"#.into(),
            state: Some(r#"{"count":1}"#.into()),
        }
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Some(c) = app.try_recv() {
        assert_eq!(c, Command::Start, "the jump arrived twice");
    }
    while let Some(c) = other.try_recv() {
        assert!(
            !matches!(c, Command::Dispatch { .. }),
            "the other app got the jump"
        );
    }
}

#[tokio::test]
async fn start_replays_init_and_history_and_stop_pauses() {
    let r = relay(options()).await;
    let app = AppClient::start(app_options(&r.url())).unwrap();
    let app_id = app.connect(WAIT).await.unwrap();
    app.init(r#"{"count":0}"#).unwrap();
    app.send(r#"{"type":"INCREMENT"}"#, r#"{"count":1}"#)
        .unwrap();
    // a monitor arrives later and asks
    let monitor = MonitorClient::start(MonitorOptions::new(r.url())).unwrap();
    monitor.connect(WAIT).await.unwrap();
    let init = next_app_message(&monitor, "INIT").await;
    assert_eq!(init.payload.as_deref(), Some(r#"{"count":0}"#));
    let a = next_app_message(&monitor, "ACTION").await;
    assert_eq!(a.payload.as_deref(), Some(r#"{"count":1}"#));
    // STOP pauses streaming
    monitor.send_to(&app_id, r#"{"type":"STOP"}"#).unwrap();
    while next_command(&app).await != Command::Stop {}
    assert!(!app.is_streaming());
    app.send(r#"{"type":"INCREMENT"}"#, r#"{"count":2}"#)
        .unwrap();
    monitor.send_to(&app_id, r#"{"type":"START"}"#).unwrap();
    while next_command(&app).await != Command::Start {}
    // the replay includes the action made while paused
    next_app_message(&monitor, "INIT").await;
    next_app_message(&monitor, "ACTION").await;
    let a2 = next_app_message(&monitor, "ACTION").await;
    assert_eq!(a2.payload.as_deref(), Some(r#"{"count":2}"#));
}

#[tokio::test]
async fn the_disconnected_queue_is_bounded_and_counts_drops() {
    let r = relay(options()).await;
    let port = r.local_addr().port();
    r.shutdown().await;
    let mut o = app_options(&format!("ws://127.0.0.1:{port}/socketcluster/"));
    o.queue_limit = 3;
    let app = AppClient::start(o).unwrap();
    app.init("{}").unwrap();
    for n in 0..5 {
        app.send(&n.to_string(), "{}").unwrap();
    }
    assert_eq!(app.dropped(), 3);
}

#[tokio::test]
async fn recv_ends_and_sends_fail_after_close() {
    let r = relay(options()).await;
    let app = AppClient::start(app_options(&r.url())).unwrap();
    app.connect(WAIT).await.unwrap();
    app.close().await;
    let end = tokio::time::timeout(WAIT, async { while app.recv().await.is_some() {} }).await;
    assert!(end.is_ok(), "recv kept waiting after close");
    assert!(matches!(
        app.socket().transmit("log", Some("1")),
        Err(ClientError::Closed)
    ));
    // The app's own sends say so too, instead of queueing for a socket that is gone.
    assert!(matches!(app.init("{}"), Err(ClientError::Closed)));
    assert!(matches!(
        app.send(r#"{"type":"A"}"#, "{}"),
        Err(ClientError::Closed)
    ));
    assert!(matches!(app.send_state("{}"), Err(ClientError::Closed)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_handles_can_be_dropped_inside_async_code() {
    let r = relay(options()).await;
    let url = r.url();
    let (app, monitor, socket, blocking_relay) = tokio::task::spawn_blocking(move || {
        let app = remotedev::client::BlockingApp::start(app_options(&url)).unwrap();
        app.connect(WAIT).unwrap();
        let monitor =
            remotedev::client::BlockingMonitor::start(MonitorOptions::new(url.clone())).unwrap();
        let socket =
            remotedev::client::BlockingSocket::create(&url, SocketOptions::default()).unwrap();
        let mut o = options();
        o.worker_threads = Some(1);
        let blocking_relay = remotedev::BlockingRelay::start(o).unwrap();
        (app, monitor, socket, blocking_relay)
    })
    .await
    .unwrap();
    // dropped on a runtime thread: must neither block nor panic
    drop(app);
    drop(monitor);
    drop(socket);
    drop(blocking_relay);
}
