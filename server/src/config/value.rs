//! How each kind of setting is written, and what values are accepted.
//!
//! One parser per kind, used by all three layers: a flag's value (through
//! clap), an `HQL_*` variable and a config file value are the same text and
//! go through the same function, so `--max-batch-size 0`,
//! `HQL_LIMITS_MAX_BATCH_SIZE=0` and `max_batch_size = 0` fail with the same
//! message; only the place named in front of it differs. Each parser checks
//! the whole rule (a range, a minimum), not just the syntax, so a value that
//! parses is a value `hqld` can run with.
//!
//! Durations are written `<integer><unit>` with unit `ms`, `s`, `m` or `h`
//! (`250ms`, `30s`, `5m`); a bare integer is seconds, which keeps
//! `--shutdown-grace 25` working. Settings that can be turned off take `off`.
//! Values print back in the same notation ([`Humane`], [`Toggle`]), so
//! `hqld --check-config` shows what a file would contain.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use clap::ValueEnum;

/// `metrics_listen`: an address, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsListen {
    /// No metrics: no listener, no recorder.
    Off,
    /// Serve `/metrics` on this address.
    On(SocketAddr),
}

impl MetricsListen {
    /// The address to serve on, if any.
    pub fn addr(self) -> Option<SocketAddr> {
        match self {
            MetricsListen::Off => None,
            MetricsListen::On(addr) => Some(addr),
        }
    }
}

impl FromStr for MetricsListen {
    type Err = String;

    /// `off` (any case) or an empty value is [`MetricsListen::Off`]; anything
    /// else must be an `IP:PORT` socket address.
    fn from_str(value: &str) -> Result<MetricsListen, String> {
        let value = value.trim();
        if value.is_empty() || value.eq_ignore_ascii_case("off") {
            return Ok(MetricsListen::Off);
        }
        value.parse().map(MetricsListen::On).map_err(|_| {
            format!(
                "`{value}` is not an IP:PORT address; use e.g. 0.0.0.0:9464, or `off` to serve no metrics"
            )
        })
    }
}

impl fmt::Display for MetricsListen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricsListen::Off => f.write_str("off"),
            MetricsListen::On(addr) => addr.fmt(f),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Text when stderr is a terminal, JSON otherwise.
    Auto,
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogFormat::Auto => "auto",
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        })
    }
}

/// `log_format`: `auto`, `text` or `json`, in any case.
pub(super) fn log_format(value: &str) -> Result<LogFormat, String> {
    LogFormat::from_str(value.trim(), true).map_err(|_| format!("`{value}` is not one of auto, text, json"))
}

/// `log_level`: a `tracing` filter, as `RUST_LOG` takes it (`info`,
/// `warn,hql_server=debug`). Checked here so a typo stops `hqld` at start
/// instead of silently logging at the wrong level; kept as text.
pub(super) fn log_level(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("is empty; use a level such as info, or directives such as warn,hql_server=debug".into());
    }
    tracing_subscriber::EnvFilter::builder()
        .parse(value)
        .map(|_| value.to_owned())
        .map_err(|error| format!("`{value}` is not a log filter: {error}"))
}

/// An `IP:PORT` socket address (`listen`).
pub(super) fn socket_addr(value: &str) -> Result<SocketAddr, String> {
    let value = value.trim();
    value.parse().map_err(|_| format!("`{value}` is not an IP:PORT address; use e.g. 0.0.0.0:50051"))
}

/// `metrics_listen`.
pub(super) fn metrics_listen(value: &str) -> Result<MetricsListen, String> {
    value.parse()
}

/// A file or directory path; only emptiness is refused here (whether it
/// exists is checked where it is used, against the resolved path).
pub(super) fn path(value: &str) -> Result<std::path::PathBuf, String> {
    if value.trim().is_empty() { Err("is empty".into()) } else { Ok(value.into()) }
}

/// A whole number in `min..=max`.
fn count_in(value: &str, min: u64, max: u64) -> Result<u64, String> {
    let value = value.trim();
    let n: u64 = value.parse().map_err(|_| format!("`{value}` is not a whole number"))?;
    if n < min {
        return Err(format!("must be at least {min}, got {n}"));
    }
    if n > max {
        return Err(format!("must be at most {max}, got {n}"));
    }
    Ok(n)
}

/// A positive count that indexes memory (`max_batch_size`, ...): 1 to
/// 2^32, which no request limit needs to exceed.
pub(super) fn positive_count(value: &str) -> Result<usize, String> {
    count_in(value, 1, 1 << 32).and_then(to_usize)
}

fn to_usize(n: u64) -> Result<usize, String> {
    usize::try_from(n).map_err(|_| format!("{n} is too large for this machine"))
}

/// Smallest `max_message_bytes` accepted: below this not even a small lead fits.
pub const MIN_MESSAGE_BYTES: usize = 1024;
/// Largest `max_message_bytes` accepted: gRPC frames carry a 32-bit length,
/// and a gigabyte message is a mistake, not a workload.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024 * 1024;

/// `max_message_bytes`: bytes, from [`MIN_MESSAGE_BYTES`] to [`MAX_MESSAGE_BYTES`].
pub(super) fn message_bytes(value: &str) -> Result<usize, String> {
    let n = value.trim();
    let parsed: u64 = n.parse().map_err(|_| format!("`{n}` is not a whole number of bytes"))?;
    usize::try_from(parsed)
        .ok()
        .filter(|bytes| (MIN_MESSAGE_BYTES..=MAX_MESSAGE_BYTES).contains(bytes))
        .ok_or_else(|| {
            format!("{parsed} is out of range: use {MIN_MESSAGE_BYTES} to {MAX_MESSAGE_BYTES} bytes")
        })
}

/// `max_concurrent_streams`: 1 to 2^31 - 1 (an HTTP/2 setting is 31 bits).
pub(super) fn stream_count(value: &str) -> Result<u32, String> {
    count_in(value, 1, (1 << 31) - 1).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

/// A duration as written: `<integer><unit>`, unit `ms`, `s`, `m` or `h`; a
/// bare integer is seconds.
pub(super) fn duration(value: &str) -> Result<Duration, String> {
    let text = value.trim();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let hint = "write it as a whole number with a unit: 250ms, 30s, 5m, 1h (a bare number is seconds)";
    let n: u64 = number.parse().map_err(|_| format!("`{text}` is not a duration; {hint}"))?;
    let millis_per = match unit.trim() {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        other => return Err(format!("`{other}` in `{text}` is not a unit; {hint}")),
    };
    n.checked_mul(millis_per)
        .filter(|ms| *ms <= MAX_DURATION_MS)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is too long: at most 24h"))
}

/// The longest duration any setting takes: a day.
const MAX_DURATION_MS: u64 = 24 * 3_600_000;

/// A duration of at least `min`, or `off` (any case). Zero is refused
/// rather than read as `off`, which is written out.
pub(super) fn toggle(value: &str, min: Duration) -> Result<Option<Duration>, String> {
    if value.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    at_least(value, min).map(Some).map_err(|message| format!("{message}, or `off`"))
}

/// A duration of at least `min`.
pub(super) fn at_least(value: &str, min: Duration) -> Result<Duration, String> {
    let parsed = duration(value)?;
    if parsed < min {
        return Err(format!("must be at least {}, got {}", Humane(min), Humane(parsed)));
    }
    Ok(parsed)
}

/// The shortest period any connection timer takes: the kernel's TCP
/// keepalive counts whole seconds, and HTTP/2 PINGs more often than this
/// are abuse, not liveness checks.
const MIN_TIMER: Duration = Duration::from_secs(1);

/// `policy_poll_interval`: at least 50ms, or `off` (SIGHUP still reloads).
pub(super) fn policy_poll_interval(value: &str) -> Result<Toggle, String> {
    toggle(value, Duration::from_millis(50)).map(Toggle)
}

/// `keepalive.interval`: at least 1s, or `off`.
pub(super) fn keepalive_interval(value: &str) -> Result<Toggle, String> {
    toggle(value, MIN_TIMER).map(Toggle)
}

/// `keepalive.timeout`: at least 1s.
pub(super) fn keepalive_timeout(value: &str) -> Result<Humane, String> {
    at_least(value, MIN_TIMER).map(Humane)
}

/// `keepalive.tcp`: at least 1s, or `off`.
pub(super) fn tcp_keepalive(value: &str) -> Result<Toggle, String> {
    toggle(value, MIN_TIMER).map(Toggle)
}

/// `connection.max_age`: at least 1s, or `off`.
pub(super) fn max_connection_age(value: &str) -> Result<Toggle, String> {
    toggle(value, MIN_TIMER).map(Toggle)
}

/// `connection.max_age_grace`: at least 1s, or `off`.
pub(super) fn max_connection_age_grace(value: &str) -> Result<Toggle, String> {
    toggle(value, MIN_TIMER).map(Toggle)
}

/// `shutdown_grace`: any duration up to a day; `0s` drops in-flight calls at once.
pub(super) fn shutdown_grace(value: &str) -> Result<Humane, String> {
    duration(value).map(Humane)
}

/// A duration printed as it would be written: the largest unit that
/// divides it (`30s`, `250ms`, `5m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Humane(pub Duration);

impl fmt::Display for Humane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        match ms {
            0 => f.write_str("0s"),
            _ if ms.is_multiple_of(3_600_000) => write!(f, "{}h", ms / 3_600_000),
            _ if ms.is_multiple_of(60_000) => write!(f, "{}m", ms / 60_000),
            _ if ms.is_multiple_of(1_000) => write!(f, "{}s", ms / 1_000),
            _ => write!(f, "{ms}ms"),
        }
    }
}

/// An optional duration printed as written: `off`, or a [`Humane`] duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Toggle(pub Option<Duration>);

impl fmt::Display for Toggle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("off"),
            Some(duration) => Humane(duration).fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit_and_a_bare_number_is_seconds() {
        let cases = [
            ("250ms", 250),
            ("30s", 30_000),
            ("30", 30_000),
            (" 5m ", 300_000),
            ("1h", 3_600_000),
            ("0s", 0),
            ("24h", 86_400_000),
        ];
        for (text, ms) in cases {
            assert_eq!(duration(text), Ok(Duration::from_millis(ms)), "{text}");
        }
        for bad in ["", "s", "1.5s", "-1s", "10 seconds", "1d", "5M", "25h", "99999999999999999999s"] {
            let err = duration(bad).expect_err(bad);
            assert!(!err.is_empty(), "{bad}");
        }
        assert!(duration("1d").expect_err("unit").contains("`d` in `1d` is not a unit"));
    }

    #[test]
    fn durations_print_back_as_they_are_written() {
        for text in ["250ms", "30s", "5m", "1h", "90s", "1500ms", "0s"] {
            assert_eq!(Humane(duration(text).expect("parses")).to_string(), text);
        }
        assert_eq!(Toggle(None).to_string(), "off");
        assert_eq!(Toggle(Some(Duration::from_secs(60))).to_string(), "1m");
    }

    #[test]
    fn toggles_take_off_but_not_zero() {
        assert_eq!(toggle("off", Duration::from_secs(1)), Ok(None));
        assert_eq!(toggle("OFF", Duration::from_secs(1)), Ok(None));
        assert_eq!(toggle("2m", Duration::from_secs(1)), Ok(Some(Duration::from_secs(120))));
        let err = toggle("0", Duration::from_secs(1)).expect_err("zero");
        assert_eq!(err, "must be at least 1s, got 0s, or `off`");
        assert!(toggle("500ms", Duration::from_secs(1)).is_err());
    }

    #[test]
    fn counts_are_whole_and_in_range() {
        assert_eq!(positive_count("7"), Ok(7));
        assert_eq!(positive_count("0"), Err("must be at least 1, got 0".into()));
        assert_eq!(positive_count("-1"), Err("`-1` is not a whole number".into()));
        assert_eq!(positive_count("lots"), Err("`lots` is not a whole number".into()));
        assert!(positive_count("99999999999").expect_err("huge").starts_with("must be at most"));
        assert_eq!(stream_count("200"), Ok(200));
        assert!(stream_count("0").is_err());
        assert!(stream_count("4294967295").is_err());
    }

    #[test]
    fn message_bytes_are_bounded() {
        assert_eq!(message_bytes("4096"), Ok(4096));
        for bad in ["10", "99999999999", "1GiB"] {
            assert!(message_bytes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn log_levels_are_checked_filters() {
        for good in ["info", "warn,hql_server=debug", "hql_server::rpc=debug", "DEBUG"] {
            assert_eq!(log_level(good).as_deref(), Ok(good), "{good}");
        }
        for bad in ["", "info,hql_server=loud", "[["] {
            assert!(log_level(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn log_formats_ignore_case() {
        assert_eq!(log_format("JSON"), Ok(LogFormat::Json));
        assert_eq!(log_format("bunyan"), Err("`bunyan` is not one of auto, text, json".into()));
    }

    #[test]
    fn metrics_listen_reads_back_as_typed() {
        for text in ["off", "127.0.0.1:9464", "[::1]:0"] {
            let parsed: MetricsListen = text.parse().expect("parses");
            assert_eq!(parsed.to_string(), text);
        }
        assert_eq!(metrics_listen(""), Ok(MetricsListen::Off));
        assert!(metrics_listen("9464").expect_err("bare port").contains("`off`"));
    }
}
