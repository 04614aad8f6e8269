//! The report store in PostgreSQL (issue 15), against a real server started by the test
//! (tests/common/pg.rs): the same scenarios as the SQLite store (tests/report_scenarios),
//! the reference schema, a database the reference created, two relays sharing one
//! database, and an outage (503 JSON, relaying goes on, uploads work again after).
#![cfg(target_os = "linux")]

mod common;
mod report_scenarios;

use std::time::Duration;

use common::pg::PgServer;
use common::{options, relay, Peer};
use remotedev::store::StoreLocation;
use remotedev::{Relay, RelayOptions};
use reqwest::StatusCode;
use serde_json::{json, Value};

use report_scenarios::{answer, base, post, report, MONITOR};

/// Relay options with the store in a new database `name` of `pg`.
fn pg_options(pg: &PgServer, name: &str) -> RelayOptions {
    let mut o = options();
    o.store = StoreLocation::from_db_arg(&pg.create_db(name));
    o
}

macro_rules! scenario {
    ($name:ident) => {
        #[tokio::test]
        async fn $name() {
            let pg = PgServer::start();
            report_scenarios::$name(pg_options(&pg, "reports")).await;
        }
    };
}

scenario!(add_get_and_list_over_http);
scenario!(validation_answers_like_the_reference_and_publishes_nothing);
scenario!(every_report_type_the_producers_send_is_accepted);
scenario!(bad_requests_get_clear_errors_and_change_nothing);
scenario!(graphql_reports_and_report);
scenario!(report_channel_add_to_all_subscribers_and_get_report);
scenario!(client_uploads_and_monitor_lists_and_gets);

/// The tables are the reference's knex migration as knex writes it for PostgreSQL, the
/// default app is seeded, and the knex object form of `dbOptions` connects.
#[tokio::test]
async fn knex_object_form_creates_the_reference_schema() {
    let pg = PgServer::start();
    pg.create_db("knex");
    let knex = format!(
        r#"{{"client":"pg","connection":{{"host":"127.0.0.1","port":{},"user":"postgres","password":"unused","database":"knex"}},"migrate":true}}"#,
        pg.port
    );
    let mut o = options();
    o.store = StoreLocation::from_knex_json(&knex).unwrap();
    let r = relay(o.clone()).await;
    let id = post(&r, report("schema")).await.body["id"].clone();
    let types = pg.psql(
        "knex",
        "SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY ordinal_position) \
         FROM information_schema.columns WHERE table_name = 'remotedev_reports'",
    );
    assert_eq!(
        types,
        "id:uuid,type:text,title:text,description:text,action:text,payload:text,\
         preloadedState:text,screenshot:text,userAgent:text,version:text,user:text,\
         userId:text,instanceId:text,meta:text,exception:text,\
         added:timestamp with time zone,appId:uuid"
    );
    let tables = pg.psql(
        "knex",
        "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables \
         WHERE table_schema = 'public'",
    );
    assert_eq!(
        tables,
        "remotedev_apps,remotedev_payloads,remotedev_reports,remotedev_schema_version,\
         remotedev_users,remotedev_users_apps"
    );
    assert_eq!(
        pg.psql("knex", "SELECT id || ' ' || title FROM remotedev_apps"),
        "78626c31-e16b-4528-b8e5-f81301b627f4 Default"
    );
    assert_eq!(
        pg.psql(
            "knex",
            &format!(
                "SELECT title FROM remotedev_reports WHERE id = '{}'",
                id.as_str().unwrap()
            )
        ),
        "schema"
    );
    r.shutdown().await;
    // A second start finds everything in place and changes nothing.
    let r = relay(o).await;
    assert_eq!(
        post(&r, json!({"op":"list","fields":["title"]})).await.body,
        json!([{"title":"schema"}])
    );
    assert_eq!(
        pg.psql("knex", "SELECT count(*) FROM remotedev_schema_version"),
        "1"
    );
    r.shutdown().await;
}

/// A database the reference (knex, `migrate: true`) created, with its `varchar(255)`
/// columns, its own migration table and a report in it, is used as it is.
#[tokio::test]
async fn a_database_the_reference_created_is_used_as_it_is() {
    let pg = PgServer::start();
    let url = pg.create_db("reference");
    pg.psql(
        "reference",
        r#"
        create table "knex_migrations" ("id" serial primary key, "name" varchar(255), "batch" integer, "migration_time" timestamptz);
        insert into "knex_migrations" ("name", "batch", "migration_time") values ('index.js', 1, now());
        create table "remotedev_apps" ("id" uuid, "title" varchar(255), "description" varchar(255), "url" varchar(255), "created_at" timestamptz not null default CURRENT_TIMESTAMP, "updated_at" timestamptz not null default CURRENT_TIMESTAMP);
        alter table "remotedev_apps" add constraint "remotedev_apps_pkey" primary key ("id");
        create table "remotedev_reports" ("id" uuid, "type" varchar(255), "title" varchar(255), "description" varchar(255), "action" varchar(255), "payload" text, "preloadedState" text, "screenshot" text, "userAgent" varchar(255), "version" varchar(255), "user" varchar(255), "userId" varchar(255), "instanceId" varchar(255), "meta" varchar(255), "exception" varchar(255), "added" timestamptz default CURRENT_TIMESTAMP, "appId" uuid default '78626c31-e16b-4528-b8e5-f81301b627f4');
        alter table "remotedev_reports" add constraint "remotedev_reports_pkey" primary key ("id");
        alter table "remotedev_reports" add constraint "remotedev_reports_appid_foreign" foreign key ("appId") references "remotedev_apps" ("id") on delete CASCADE on update CASCADE;
        insert into "remotedev_apps" ("id", "title") values ('78626c31-e16b-4528-b8e5-f81301b627f4', 'Default');
        insert into "remotedev_reports" ("id", "type", "title", "payload", "exception", "added") values ('0b7a3b6e-1d2c-4f5e-8a9b-0c1d2e3f4a5b', 'STATE', 'from the reference', '{}', '', '2025-05-06T07:08:09.123Z');
        "#,
    );
    let mut o = options();
    o.store = StoreLocation::from_db_arg(&url);
    let r = relay(o).await;
    let id = post(&r, report("ours")).await.body["id"].clone();
    let list = post(&r, json!({"op":"list"})).await.body;
    assert_eq!(
        list[0],
        json!({"id":"0b7a3b6e-1d2c-4f5e-8a9b-0c1d2e3f4a5b","title":"from the reference","added":"2025-05-06T07:08:09.123Z"})
    );
    assert_eq!(list[1]["id"], id);
    let old = post(
        &r,
        json!({"op":"get","id":"0b7a3b6e-1d2c-4f5e-8a9b-0c1d2e3f4a5b"}),
    )
    .await
    .body;
    assert_eq!(old["payload"], "{}");
    assert_eq!(old["appId"], "78626c31-e16b-4528-b8e5-f81301b627f4");
    // its column types are kept: a title over 255 characters is the database's error,
    // with its cause, and nothing is stored
    let long = post(&r, report(&"x".repeat(300))).await;
    assert_eq!(long.status, StatusCode::INTERNAL_SERVER_ERROR);
    let message = long.body["error"].as_str().unwrap();
    assert!(
        message.contains("value too long for type character varying(255)")
            && message.contains(&format!("127.0.0.1:{}/reference", pg.port)),
        "{message}"
    );
    assert_eq!(
        pg.psql(
            "reference",
            "SELECT data_type FROM information_schema.columns \
             WHERE table_name = 'remotedev_reports' AND column_name = 'title'"
        ),
        "character varying"
    );
    assert_eq!(
        pg.psql("reference", "SELECT count(*) FROM remotedev_reports"),
        "2"
    );
    r.shutdown().await;
}

/// PostgreSQL enforces the reference schema's foreign key on `appId` (SQLite's is off):
/// an upload naming no app is refused like the reference's validation errors.
#[tokio::test]
async fn an_app_id_that_names_no_app_is_refused_clearly() {
    let pg = PgServer::start();
    let r = relay(pg_options(&pg, "apps")).await;
    let a = post(&r, json!({"type":"ACTIONS","payload":"[]","appId":"a"})).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.body["error"]
            .as_str()
            .unwrap()
            .contains("appId \"a\" is not an app id"),
        "{}",
        a.body
    );
    let a = post(
        &r,
        json!({"type":"ACTIONS","payload":"[]","appId":"00000000-0000-4000-8000-000000000000"}),
    )
    .await;
    assert!(
        a.body["error"]
            .as_str()
            .unwrap()
            .contains("names no app of remotedev_apps"),
        "{}",
        a.body
    );
    let a = post(
        &r,
        json!({"type":"ACTIONS","payload":"[]","appId":"78626c31-e16b-4528-b8e5-f81301b627f4"}),
    )
    .await;
    assert!(a.body["id"].is_string(), "{}", a.body);
    assert_eq!(
        post(&r, json!({"op":"list"}))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    r.shutdown().await;
}

/// A server that is not there, or a database that does not exist, stops the relay at
/// start with the cause and the server's address.
#[tokio::test]
async fn start_errors_name_the_server_and_the_cause() {
    let pg = PgServer::start();
    let mut o = options();
    o.store = StoreLocation::from_db_arg(&pg.url("missing"));
    let e = match Relay::start(o).await {
        Ok(_) => panic!("the relay started"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains(&format!(
            "postgres://postgres@127.0.0.1:{}/missing",
            pg.port
        )) && e.contains("database \"missing\" does not exist"),
        "{e}"
    );
    let port = pg.port;
    drop(pg);
    let mut o = options();
    o.store = StoreLocation::from_db_arg(&format!("postgres://postgres:secret@127.0.0.1:{port}/x"));
    let e = match Relay::start(o).await {
        Ok(_) => panic!("the relay started"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains(&format!("127.0.0.1:{port}")) && e.contains("Connection refused"),
        "{e}"
    );
    assert!(!e.contains("secret"), "{e}");
}

/// A peer that accepts TCP but never answers the PostgreSQL start-up (another service
/// on that port) stops the start within seconds, naming the server, instead of hanging.
#[tokio::test]
async fn a_silent_peer_is_given_up_at_start() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    // accept and hold the connections, never answer
    let held = std::thread::spawn(move || {
        let mut kept = Vec::new();
        for c in silent.incoming().take(2) {
            kept.push(c);
            std::thread::sleep(Duration::from_secs(10));
        }
    });
    let mut o = options();
    o.store = StoreLocation::from_db_arg(&format!(
        "postgres://u:hunter2@127.0.0.1:{port}/x?connect_timeout=2"
    ));
    let started = std::time::Instant::now();
    let e = match tokio::time::timeout(Duration::from_secs(30), Relay::start(o)).await {
        Ok(Ok(_)) => panic!("the relay started"),
        Ok(Err(e)) => e.to_string(),
        Err(_) => panic!("the start hangs on a silent peer"),
    };
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(
        e.contains(&format!("127.0.0.1:{port}")) && e.contains("no answer"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
    drop(held);
}

/// A wrong password is the server's refusal, with the user named and SQLSTATE 28P01;
/// the right one connects (URL and knex object form).
#[tokio::test]
async fn a_wrong_password_is_refused_with_the_cause() {
    let pg = PgServer::start();
    pg.create_db("auth");
    pg.add_password_user("reporter", "right-one");
    let mut o = options();
    o.store = StoreLocation::from_db_arg(&format!(
        "postgres://reporter:wrong-one@127.0.0.1:{}/auth",
        pg.port
    ));
    let e = match Relay::start(o).await {
        Ok(_) => panic!("the relay started"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains("password authentication failed for user \"reporter\" (28P01)")
            && e.contains(&format!("postgres://reporter@127.0.0.1:{}/auth", pg.port)),
        "{e}"
    );
    assert!(!e.contains("wrong-one"), "{e}");
    let mut o = options();
    o.store = StoreLocation::from_knex_json(&format!(
        r#"{{"client":"pg","connection":{{"host":"127.0.0.1","port":{},"user":"reporter","password":"right-one","database":"auth"}}}}"#,
        pg.port
    ))
    .unwrap();
    let r = relay(o).await;
    assert!(post(&r, report("authenticated")).await.body["id"].is_string());
    r.shutdown().await;
}

async fn graphql_ids(r: &Relay) -> Vec<Value> {
    let a = answer(
        reqwest::Client::new()
            .post(format!("{}/graphql", base(r)))
            .json(&json!({"query":"{ reports { id title } }"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    a.body["data"]["reports"].as_array().unwrap().clone()
}

/// Two relays on one database see each other's reports: `op: list`, `op: get`,
/// GraphQL, `getReport` and the `report` list a monitor gets on subscribing.
#[tokio::test]
async fn two_relays_on_one_database_see_each_others_reports() {
    let pg = PgServer::start();
    let o = pg_options(&pg, "shared");
    let (a, b) = (relay(o.clone()).await, relay(o).await);
    let from_a = post(&a, report("from a")).await.body["id"].clone();
    let from_b = post(&b, report("from b")).await.body["id"].clone();
    for r in [&a, &b] {
        let list = post(r, json!({"op":"list","fields":["id","title"]}))
            .await
            .body;
        assert_eq!(
            list,
            json!([{"id":from_a,"title":"from a"},{"id":from_b,"title":"from b"}])
        );
        assert_eq!(graphql_ids(r).await.len(), 2);
    }
    assert_eq!(
        post(&b, json!({"op":"get","id":from_a})).await.body["title"],
        "from a"
    );
    let mut m = Peer::login(&b.url(), MONITOR).await;
    m.subscribe("report").await;
    let listed = m.json().await;
    assert_eq!(listed["data"]["data"]["type"], "list");
    assert_eq!(listed["data"]["data"]["data"][0]["id"], from_a);
    let cid = m
        .invoke("getReport", &serde_json::to_string(&from_a).unwrap())
        .await;
    let reply = m.json().await;
    assert_eq!(reply["rid"], cid);
    assert_eq!(reply["data"]["title"], "from a");
    a.shutdown().await;
    b.shutdown().await;
}

/// PostgreSQL stops: uploads and reads get a 503 JSON error naming the server, a
/// `getReport` gets an error reply, apps and monitors keep talking; it comes back:
/// uploads work again without restarting the relay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_a_503_relaying_goes_on_and_uploads_recover() {
    let pg = PgServer::start();
    let r = relay(pg_options(&pg, "outage")).await;
    let before = post(&r, report("before")).await.body["id"].clone();
    let mut app = Peer::login(&r.url(), r#""master""#).await;
    let mut monitor = Peer::login(&r.url(), MONITOR).await;

    tokio::task::block_in_place(|| pg.stop());
    let down = post(&r, report("lost")).await;
    assert_eq!(
        down.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        down.body
    );
    let message = down.body["error"].as_str().unwrap();
    assert!(
        message.contains("report database unavailable")
            && message.contains(&format!("127.0.0.1:{}/outage", pg.port)),
        "{message}"
    );
    let list = post(&r, json!({"op":"list"})).await;
    assert!(list.status.is_server_error(), "{}", list.body);
    assert!(list.body["error"].is_string());
    let cid = monitor
        .invoke("getReport", &serde_json::to_string(&before).unwrap())
        .await;
    let reply = monitor.json().await;
    assert_eq!(reply["rid"], cid);
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unavailable"),
        "{reply}"
    );
    // relaying goes on
    for i in 0..3 {
        app.transmit("log", &format!(r#"{{"type":"ACTION","n":{i}}}"#))
            .await;
        let got = monitor.json().await;
        assert_eq!(got["data"]["data"]["n"], i, "{got}");
    }

    tokio::task::block_in_place(|| pg.start_again());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let after = loop {
        let a = post(&r, report("after")).await;
        if a.status == StatusCode::OK {
            break a.body["id"].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "uploads did not recover: {} {}",
            a.status,
            a.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let titles = post(&r, json!({"op":"list","fields":["title"]})).await.body;
    assert_eq!(titles, json!([{"title":"before"},{"title":"after"}]));
    assert_eq!(
        post(&r, json!({"op":"get","id":after})).await.body["title"],
        "after"
    );
    r.shutdown().await;
}

/// The `remotedev` command with `REMOTEDEV_DB=postgres://…` and with a knex `pg`
/// `--dbOptions` file: both store in the same database, and `/readyz` says so.
#[tokio::test]
async fn the_command_stores_in_postgresql_from_the_environment_and_dboptions() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let pg = PgServer::start();
    let url = pg.create_db("cli");
    let spawn = |cmd: &mut Command| {
        let mut child = cmd
            .args(["--port", "0", "--logLevel", "1"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("remotedev relay listening on ws://")
            .and_then(|l| l.strip_suffix("/socketcluster/"))
            .unwrap_or_else(|| panic!("{line}"))
            .to_owned();
        (child, format!("http://{addr}"))
    };
    let stop = |mut child: std::process::Child| {
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(child.wait().unwrap().success());
    };
    let client = reqwest::Client::new();
    let (by_env, env_url) =
        spawn(Command::new(env!("CARGO_BIN_EXE_remotedev")).env("REMOTEDEV_DB", &url));
    let knex = pg.dir().join("knex.json");
    std::fs::write(
        &knex,
        format!(r#"{{"client":"pg","connection":"{url}","migrate":true}}"#),
    )
    .unwrap();
    let (by_file, file_url) = spawn(
        Command::new(env!("CARGO_BIN_EXE_remotedev"))
            .arg("--dbOptions")
            .arg(&knex),
    );
    let added = answer(
        client
            .post(format!("{env_url}/"))
            .json(&report("cli"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let got = answer(
        client
            .post(format!("{file_url}/"))
            .json(&json!({"op":"get","id":added.body["id"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got.body["title"], "cli");
    let ready = client
        .get(format!("{file_url}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    stop(by_env);
    stop(by_file);
}

/// Issue 15: a cluster of three relays on one Redis and one PostgreSQL. A report posted
/// to A reaches a `report` subscriber on B as an `add` (through Redis), is listed
/// through B (`op: list`, GraphQL) and fetched through C (`getReport`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_shares_reports_through_redis_and_postgresql() {
    let pg = PgServer::start();
    let redis = common::redis::Redis::start();
    let mut o = pg_options(&pg, "cluster");
    o.redis = Some(redis.url());
    let (a, b, c) = (
        relay(o.clone()).await,
        relay(o.clone()).await,
        relay(o).await,
    );
    common::redis::all_connected(&[&a, &b, &c]).await;
    let mut watcher = Peer::login(&b.url(), MONITOR).await;
    watcher.subscribe("report").await;
    let listed = watcher.json().await;
    assert_eq!(listed["data"]["data"]["type"], "list");
    // subscriptions cross Redis asynchronously: give B's bus a moment
    tokio::time::sleep(Duration::from_millis(300)).await;

    let id = post(&a, report("posted to A")).await.body["id"].clone();
    assert!(id.is_string(), "{id}");
    let add = watcher.json().await;
    assert_eq!(add["data"]["channel"], "report");
    assert_eq!(add["data"]["data"]["type"], "add");
    assert_eq!(add["data"]["data"]["data"]["id"], id);
    assert_eq!(add["data"]["data"]["data"]["title"], "posted to A");

    let list = post(&b, json!({"op":"list","fields":["id","title"]}))
        .await
        .body;
    assert_eq!(list, json!([{"id":id,"title":"posted to A"}]));
    assert_eq!(
        graphql_ids(&b).await,
        vec![json!({"id":id,"title":"posted to A"})]
    );

    let mut m = Peer::login(&c.url(), MONITOR).await;
    let cid = m
        .invoke("getReport", &serde_json::to_string(&id).unwrap())
        .await;
    let reply = m.json().await;
    assert_eq!(reply["rid"], cid);
    assert_eq!(reply["data"]["title"], "posted to A");
    // exactly one add on B
    watcher.silent_for(Duration::from_millis(500)).await;
    for r in [a, b, c] {
        r.shutdown().await;
    }
}
