//! Opening a load generator connection in either protocol.

use remotedev_tools::ws::{connect, open_sc, Role, Ws};

use crate::args::{Args, Mode};

/// Open one connection and bring it to the state its role needs.
pub async fn open(args: &Args, role: Role) -> Result<Ws, String> {
    match args.mode {
        Mode::Bare => {
            // The forwarder tells roles apart by path only and has no idle role.
            let base = args.url.trim_end_matches('/');
            let path = if role == Role::App { "app" } else { "monitor" };
            connect(&format!("{base}/{path}")).await
        }
        Mode::Sc => match (&args.monitor_url, role) {
            (Some(url), Role::Monitor) => open_sc(url, role).await,
            _ => open_sc(&args.url, role).await,
        },
    }
}
