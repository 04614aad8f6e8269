//! One log-level scale for the CLI and every binding, and the process-wide stderr
//! logger they install. The numbers follow the reference CLI's `--logLevel` (0 silent,
//! 1 errors, 2 warnings, 3 info) and extend it with 4 debug and 5 trace.

use std::sync::OnceLock;

use tracing_subscriber::filter::LevelFilter;

use crate::options::InvalidOption;

/// How much the library logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// 0: nothing.
    Off = 0,
    /// 1: errors.
    Error = 1,
    /// 2: warnings and errors.
    Warn = 2,
    /// 3: information (the CLI's default).
    Info = 3,
    /// 4: debugging detail.
    Debug = 4,
    /// 5: everything.
    Trace = 5,
}

impl LogLevel {
    /// The level for a number of the scale above.
    ///
    /// # Errors
    /// [`InvalidOption`] (field `log_level`) outside `0..=5`.
    pub fn from_number(n: i64) -> Result<LogLevel, InvalidOption> {
        Ok(match n {
            0 => LogLevel::Off,
            1 => LogLevel::Error,
            2 => LogLevel::Warn,
            3 => LogLevel::Info,
            4 => LogLevel::Debug,
            5 => LogLevel::Trace,
            _ => {
                return Err(InvalidOption::new(
                    "log_level",
                    format!("must be 0 (silent) to 5 (trace), got {n}"),
                ))
            }
        })
    }

    fn filter(self) -> LevelFilter {
        match self {
            LogLevel::Off => LevelFilter::OFF,
            LogLevel::Error => LevelFilter::ERROR,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Trace => LevelFilter::TRACE,
        }
    }
}

type LevelHandle = tracing_subscriber::reload::Handle<LevelFilter, tracing_subscriber::Registry>;

static LOGGER: OnceLock<Option<LevelHandle>> = OnceLock::new();

/// Sets the process-wide level. The first call above `Off` installs a stderr logger,
/// unless the process already has a global `tracing` subscriber (then this has no
/// effect and the host's subscriber decides). Later calls change the level.
pub fn set_log_level(level: LogLevel) {
    use tracing_subscriber::prelude::*;
    if level == LogLevel::Off && LOGGER.get().is_none() {
        return;
    }
    let handle = LOGGER.get_or_init(|| {
        let (layer, handle) = tracing_subscriber::reload::Layer::new(LevelFilter::OFF);
        let subscriber = tracing_subscriber::registry().with(layer).with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                // colours only on a terminal, not in files, docker or journald
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())),
        );
        tracing::subscriber::set_global_default(subscriber)
            .ok()
            .map(|()| handle)
    });
    if let Some(handle) = handle {
        let _ = handle.modify(|f| *f = level.filter());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_the_reference_clis_plus_debug_and_trace() {
        assert_eq!(LogLevel::from_number(0).unwrap(), LogLevel::Off);
        assert_eq!(LogLevel::from_number(3).unwrap(), LogLevel::Info);
        assert_eq!(LogLevel::from_number(5).unwrap(), LogLevel::Trace);
        let e = LogLevel::from_number(9).unwrap_err();
        assert_eq!(e.field, "log_level");
    }
}
