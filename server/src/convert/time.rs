//! `google.protobuf.Timestamp` ↔ milliseconds since the Unix epoch, the
//! domain's time.
//!
//! Accepted timestamps are those `Timestamp` itself allows (nanos in
//! `0..1e9`) between 1970-01-01 and 9999-12-31: the domain's times are
//! non-negative, and the upper bound is what RFC 3339 can write. Sub-millisecond
//! precision is dropped (floor), which is all the engine can use.

use std::time::{SystemTime, UNIX_EPOCH};

use prost_types::Timestamp;

use crate::validate::{Path, Violations};

/// 9999-12-31T23:59:59Z, the last second RFC 3339 can write.
const MAX_SECONDS: i64 = 253_402_300_799;
const NANOS_PER_SECOND: i32 = 1_000_000_000;
const NANOS_PER_MILLI: i32 = 1_000_000;

/// Why a timestamp is refused, if it is.
pub(crate) fn problem(ts: &Timestamp) -> Option<String> {
    if !(0..NANOS_PER_SECOND).contains(&ts.nanos) {
        return Some(format!("nanos must be between 0 and 999999999, got {}", ts.nanos));
    }
    if ts.seconds < 0 {
        return Some(format!("must not be before 1970-01-01T00:00:00Z, got {}s", ts.seconds));
    }
    if ts.seconds > MAX_SECONDS {
        return Some(format!("must not be after 9999-12-31T23:59:59Z, got {}s", ts.seconds));
    }
    None
}

/// Milliseconds since the epoch of a valid timestamp (see [`problem`]).
fn to_ms(ts: &Timestamp) -> i64 {
    ts.seconds * 1000 + i64::from(ts.nanos / NANOS_PER_MILLI)
}

/// A timestamp field as ms: `None` when absent, or when invalid (recorded in `v`).
pub(crate) fn optional_ms(v: &mut Violations, at: Path<'_>, ts: Option<Timestamp>) -> Option<i64> {
    let ts = ts?;
    match problem(&ts) {
        Some(description) => {
            v.push(at, description);
            None
        }
        None => Some(to_ms(&ts)),
    }
}

/// A required timestamp field as ms; absent or invalid is recorded in `v`.
pub(crate) fn required_ms(v: &mut Violations, at: Path<'_>, ts: Option<Timestamp>) -> Option<i64> {
    if ts.is_none() {
        v.push(at, "is required");
        return None;
    }
    optional_ms(v, at, ts)
}

/// A request's `as_of` as ms: the given time, or the server's clock when absent.
pub(crate) fn as_of_ms(v: &mut Violations, at: Path<'_>, ts: Option<Timestamp>) -> i64 {
    match ts {
        Some(ts) => optional_ms(v, at, Some(ts)).unwrap_or_default(),
        None => now_ms(),
    }
}

/// The server's clock, in ms since the epoch (0 if the clock is before 1970).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The timestamp of `ms` since the epoch (any `i64`, negative included).
pub(crate) fn timestamp(ms: i64) -> Timestamp {
    let millis = i32::try_from(ms.rem_euclid(1000)).unwrap_or_default();
    Timestamp { seconds: ms.div_euclid(1000), nanos: millis * NANOS_PER_MILLI }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(seconds: i64, nanos: i32) -> Timestamp {
        Timestamp { seconds, nanos }
    }

    #[test]
    fn round_trips_through_ms() {
        for ms in [0, 1, 999, 1000, 1_764_000_000_123, MAX_SECONDS * 1000 + 999] {
            let t = timestamp(ms);
            assert_eq!(problem(&t), None);
            assert_eq!(to_ms(&t), ms);
        }
    }

    #[test]
    fn negative_ms_give_normalised_timestamps() {
        assert_eq!(timestamp(-1), ts(-1, 999_000_000));
        assert_eq!(timestamp(-1000), ts(-1, 0));
    }

    #[test]
    fn sub_millisecond_precision_is_floored() {
        assert_eq!(to_ms(&ts(1, 999_999_999)), 1999);
    }

    #[test]
    fn range_and_nanos_are_checked() {
        assert!(problem(&ts(0, 0)).is_none());
        assert!(problem(&ts(MAX_SECONDS, 999_999_999)).is_none());
        assert!(problem(&ts(-1, 0)).expect("refused").contains("1970"));
        assert!(problem(&ts(MAX_SECONDS + 1, 0)).expect("refused").contains("9999"));
        assert!(problem(&ts(0, -1)).expect("refused").contains("nanos"));
        assert!(problem(&ts(0, NANOS_PER_SECOND)).expect("refused").contains("nanos"));
    }

    #[test]
    fn required_and_optional_fields_record_their_path() {
        let mut v = Violations::default();
        assert_eq!(required_ms(&mut v, Path::Root("when"), None), None);
        assert_eq!(optional_ms(&mut v, Path::Root("maybe"), None), None);
        assert_eq!(optional_ms(&mut v, Path::Root("bad"), Some(ts(-5, 0))), None);
        let fields: Vec<_> = v.kept().iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, ["when", "bad"]);
        assert_eq!(v.kept()[0].description, "is required");
    }

    #[test]
    fn absent_as_of_is_the_server_clock() {
        let mut v = Violations::default();
        let before = now_ms();
        let as_of = as_of_ms(&mut v, Path::Root("as_of"), None);
        assert!(v.is_empty());
        assert!(as_of >= before && as_of <= now_ms());
        assert_eq!(as_of_ms(&mut v, Path::Root("as_of"), Some(ts(5, 7_000_000))), 5007);
    }
}
