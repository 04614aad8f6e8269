//! `remotedev._remotedev`: the native half of the Python package, a thin layer over the
//! crate's blocking facades (and, for asyncio, its async clients). The core decides
//! defaults, validation, messages, log levels, the callback thread and the command
//! line; this crate converts arguments, releases the GIL and maps errors. The typed
//! Python objects are built in `python/remotedev/`.
//!
//! Modules: `errors` (exceptions), `convert` (numbers, text, GIL-free waits), `client`
//! (what the app and monitor share), `relay`, `app`, `monitor`, `socket`.

use std::process::ExitCode;

use pyo3::prelude::*;

use remotedev::logging::{set_log_level as set_core_log_level, LogLevel};

mod app;
mod client;
mod convert;
mod errors;
mod monitor;
mod relay;
mod socket;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sets the core's log level (0 silent, 1 errors, 2 warnings, 3 info, 4 debug,
/// 5 trace), logging to stderr.
#[pyfunction]
fn set_log_level(level: i64) -> PyResult<()> {
    set_core_log_level(LogLevel::from_number(level).map_err(errors::option_err)?);
    Ok(())
}

/// Runs the `remotedev` command line of the core (`argv[0]` is the program name shown
/// in `--help`) without the GIL until the relay stops; returns the exit status.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> u8 {
    let code = py.detach(|| remotedev::cli::main(argv));
    // `ExitCode` does not tell its number; it compares equal to the one it came from.
    (0..=u8::MAX)
        .find(|n| ExitCode::from(*n) == code)
        .unwrap_or(1)
}

#[pymodule]
fn _remotedev(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // One small shared runtime drives asyncio futures and callback forwarding.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(1)
        .thread_name("remotedev-python")
        .enable_all();
    pyo3_async_runtimes::tokio::init(builder);
    m.add_class::<relay::NativeRelay>()?;
    m.add_class::<app::NativeApp>()?;
    m.add_class::<app::CommandFields>()?;
    m.add_class::<monitor::NativeMonitor>()?;
    m.add_class::<monitor::AppMessageFields>()?;
    m.add_class::<socket::NativeSocket>()?;
    m.add_class::<socket::NativeStream>()?;
    m.add_function(wrap_pyfunction!(monitor::dispatch_json, m)?)?;
    m.add_function(wrap_pyfunction!(relay::issue_token, m)?)?;
    m.add_function(wrap_pyfunction!(set_log_level, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
