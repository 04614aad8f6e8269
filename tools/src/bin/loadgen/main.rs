//! Load generator for RemoteDev relays (used by `benches/run.sh`).
//!
//! Traffic mode: K apps -> M monitors. Every app message carries the time it
//! was sent (ns since an `Instant` shared by every task of this process); each
//! monitor computes `receipt - send` per delivery. Reports deliveries/s (one
//! delivery = one message arriving at one monitor), p50/p99/p999 latency and the
//! relay's peak RSS (`--relay-pid`).
//!
//! * `--rate 0` (default): closed loop. Each app keeps at most `--window`
//!   messages in flight (a message is in flight until every monitor got it),
//!   so no queue inside the relay can grow without bound.
//! * `--rate R`: open loop at R messages/s in total, split evenly over apps.
//!
//! Idle mode (`--idle N`): opens N connections (SocketCluster handshake done
//! in `sc` mode), holds them, and reports the relay's RSS growth per connection.
//!
//! Protocols (`--mode`):
//! * `sc`: SocketCluster as spoken by RemoteDev clients. Handshake
//!   `{"event":"#handshake","data":{"authToken":null},"cid":1}`; apps invoke
//!   `login` "master"; monitors invoke `login` {} and `#subscribe` {"channel":"log"};
//!   apps transmit `{"event":"log","data":<payload>}`; monitors receive
//!   `{"event":"#publish","data":{"channel":"log","data":<payload>}}`.
//!   Pings are answered in both generations (`#1` -> `#2`, empty -> empty).
//! * `bare`: raw payloads; apps connect to `<url>/app`, monitors to
//!   `<url>/monitor` (see `tools/src/bin/bare_forwarder.rs`).
//!
//! Output: one JSON line per run (machine readable) and one line starting
//! with `# ` for humans.
//!
//! Files: `args` (command line), `connect` (opening sockets in either mode),
//! `payload` (the timed message), `traffic` with `app` and `monitor` (traffic mode),
//! `idle`, `procfs` (what is measured of the relay), `report` (Markdown tables).

mod app;
mod args;
mod connect;
mod idle;
mod monitor;
mod payload;
mod procfs;
mod report;
mod traffic;

use std::time::Duration;

use clap::Parser;
use serde_json::json;

use crate::args::Args;

fn main() {
    let args = Args::parse();
    if let Some(ca) = &args.ca {
        if let Err(e) = remotedev_tools::ws::set_tls_ca(ca) {
            eprintln!("--ca: {e}");
            std::process::exit(2);
        }
    }
    if let Some(path) = &args.report {
        match report::report(&args, path) {
            Ok(md) => print!("{md}"),
            Err(e) => {
                eprintln!("report: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if args.threads > 0 {
        rt.worker_threads(args.threads);
    }
    let rt = rt.enable_all().build().expect("tokio runtime");
    let result = rt.block_on(async {
        if let Some(n) = args.idle {
            idle::run_idle(&args, n).await
        } else {
            traffic::run_traffic(&args).await
        }
    });
    let (line, human) = match result {
        Ok(v) => v,
        Err(e) => {
            let v = json!({
                "target": args.target, "scenario": args.scenario, "run": args.run, "error": e,
            });
            (
                v,
                format!("# {} {}: ERROR {}", args.target, args.scenario, e),
            )
        }
    };
    println!("{}", line);
    println!("{}", human);
    // Do not wait for thousands of socket tasks to wind down.
    rt.shutdown_timeout(Duration::from_millis(200));
}

/// The tail of a human summary line: `, errors: a; b`, or nothing.
fn errors_suffix(errors: &[String]) -> String {
    if errors.is_empty() {
        String::new()
    } else {
        format!(", errors: {}", errors.join("; "))
    }
}
