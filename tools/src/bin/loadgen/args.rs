//! Command line of the load generator.

use clap::{Parser, ValueEnum};

use crate::payload::Kind;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// SocketCluster / RemoteDev protocol (our relay, @redux-devtools/cli).
    Sc,
    /// Raw frames to `<url>/app` and from `<url>/monitor` (bare forwarder).
    Bare,
}

impl Mode {
    /// The name reported in the JSON line (`"sc"` / `"bare"`).
    pub fn label(self) -> String {
        format!("{self:?}").to_lowercase()
    }
}

#[derive(Parser, Debug, Clone)]
#[command(about = "RemoteDev relay load generator (apps -> monitors)")]
pub struct Args {
    /// Relay URL. sc: the SocketCluster URL; bare: the forwarder base URL.
    #[arg(long, default_value = "ws://127.0.0.1:8000/socketcluster/")]
    pub url: String,
    #[arg(long, value_enum, default_value_t = Mode::Sc)]
    pub mode: Mode,
    /// sc: connect the monitors to this relay instead of --url (cluster mode: apps on
    /// one relay, monitors on another relay sharing its Redis).
    #[arg(long)]
    pub monitor_url: Option<String>,
    /// Number of app connections (senders).
    #[arg(long, default_value_t = 1)]
    pub apps: usize,
    /// Number of monitor connections (receivers of every app message).
    #[arg(long, default_value_t = 1)]
    pub monitors: usize,
    /// Size in bytes of each app payload (the JSON `data` value).
    #[arg(long, default_value_t = 100)]
    pub size: usize,
    /// What the payload looks like (see `payload.rs`): a JSON object, or an object
    /// carrying the state as one stringified JSON string (`string`: padding only,
    /// `state`: a realistic lifted state with nested keys, arrays and escapes).
    #[arg(long, value_enum, default_value_t = Kind::Object)]
    pub payload: Kind,
    /// Send exactly this many messages per app, then drain (0 = send for
    /// `--warmup` + `--duration` seconds). For instruction counts under callgrind,
    /// where only the number of deliveries matters.
    #[arg(long, default_value_t = 0)]
    pub messages: u64,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of traffic before measuring starts.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Total messages/s over all apps; 0 = as fast as possible (closed loop).
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Closed loop: max messages in flight per app (refilled a quarter at a time).
    #[arg(long, default_value_t = 256)]
    pub window: usize,
    /// Idle mode: open this many connections and report RSS per connection.
    #[arg(long)]
    pub idle: Option<usize>,
    /// Idle mode: seconds to hold the connections before measuring RSS.
    #[arg(long, default_value_t = 3.0)]
    pub idle_hold: f64,
    /// Idle mode: max connection attempts in progress at once.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// Pid of the relay process to measure (RSS from /proc/PID/status, CPU from /proc/PID/stat).
    #[arg(long)]
    pub relay_pid: Option<u32>,
    /// Label for the target (reported as-is).
    #[arg(long, default_value = "")]
    pub target: String,
    /// Label for the scenario (reported as-is).
    #[arg(long, default_value = "")]
    pub scenario: String,
    /// Which run of the scenario this is (benches/run.sh runs every target twice;
    /// reported as-is, and report mode compares rows of the same run).
    #[arg(long, default_value_t = 1)]
    pub run: u32,
    /// Tokio worker threads of the load generator (0 = number of CPUs).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Seconds to wait after the send phase for outstanding deliveries.
    #[arg(long, default_value_t = 3.0)]
    pub drain: f64,
    /// Report mode: read the JSON lines in this file (as printed by earlier
    /// runs) and print Markdown tables instead of generating load.
    #[arg(long)]
    pub report: Option<String>,
    /// CA certificate (PEM) to trust for a wss:// --url (TLS rows of the benchmark).
    #[arg(long)]
    pub ca: Option<String>,
    /// Report mode: target name of our relay (goal checks are made for it).
    #[arg(long, default_value = "libremotedev")]
    pub report_ours: String,
    /// Report mode: target name of the reference relay.
    #[arg(long, default_value = "reference")]
    pub report_ref: String,
    /// Report mode: target name of the bare forwarder.
    #[arg(long, default_value = "bare")]
    pub report_bare: String,
}
