//! Numbers for people: the formatting and rounding reason messages use.
//!
//! Reasons are read by salespeople and revenue operations, so points read as
//! `17.5`, amounts as `$40,000` and shares as `70%`, never as
//! `17.499999999`. Points should go through [`round2`] before they are
//! emitted *and* before they are summed, so a score is exactly the sum of the
//! reasons a reader sees.
//!
//! Every scorer formats several of these per lead, so they avoid the
//! general float formatter (`{:.2}` goes through an exact, slow algorithm):
//! a value is rounded to whole cents once and written as integers.

use std::fmt::Write;

/// Largest magnitude written through the integer fast path; beyond it (and
/// for NaN and infinities) the standard formatter is used.
const FAST_LIMIT: f64 = 1e15;

/// Rounds to two decimals (points, ratios, facts); never returns `-0`.
pub fn round2(x: f64) -> f64 {
    let r = (x * 100.0).round() / 100.0;
    if r == 0.0 { 0.0 } else { r }
}

/// A number with at most two decimals and no trailing zeros: `1.6`, `12.5`,
/// `3`, `-0.25`; values that round to zero read `0`.
pub fn num(x: f64) -> String {
    let mut out = String::with_capacity(12);
    push_num(&mut out, x);
    out
}

/// Appends [`num`]`(x)` to `out`.
pub fn push_num(out: &mut String, x: f64) {
    let cents = (x * 100.0).round();
    if !cents.is_finite() || cents.abs() >= FAST_LIMIT {
        if cents.is_finite() {
            let s = format!("{:.2}", round2(x));
            out.push_str(s.trim_end_matches('0').trim_end_matches('.'));
        } else if x.is_finite() {
            // `x * 100` overflowed for a finite `x` (amounts near f64::MAX,
            // which a request may carry): write it whole, never as "inf".
            let _ = write!(out, "{x:.0}");
        } else {
            let _ = write!(out, "{x}");
        }
        return;
    }
    // In range, so the conversion is exact.
    let cents = cents as i64;
    if cents < 0 {
        out.push('-');
    }
    let cents = cents.unsigned_abs();
    let _ = write!(out, "{}", cents / 100);
    match cents % 100 {
        0 => {}
        f if f % 10 == 0 => {
            let _ = write!(out, ".{}", f / 10);
        }
        f => {
            let _ = write!(out, ".{f:02}");
        }
    }
}

/// A share (0–1) as a percentage: `70%`, `12.5%`.
pub fn pct(share: f64) -> String {
    let mut out = num(share * 100.0);
    out.push('%');
    out
}

/// A whole count with thousands separators: `5,000`, `-12,345`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    group_thousands(&mut out, &digits);
    out
}

/// Whole US dollars with thousands separators: `$40,000`, `-$1,200`.
pub fn usd(amount: f64) -> String {
    let whole = amount.round();
    let digits = format!("{:.0}", whole.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 2);
    if whole < 0.0 {
        out.push('-');
    }
    out.push('$');
    group_thousands(&mut out, &digits);
    out
}

/// A USD amount in compact form, for revenues: `$5M`, `$1.3B`, `$750K`,
/// and plain [`usd`] below a thousand.
pub fn usd_compact(amount: f64) -> String {
    let abs = amount.abs();
    let (value, unit) = if abs >= 1e9 {
        (amount / 1e9, "B")
    } else if abs >= 1e6 {
        (amount / 1e6, "M")
    } else if abs >= 1e3 {
        (amount / 1e3, "K")
    } else {
        return usd(amount);
    };
    let mut out = String::from("$");
    push_num(&mut out, (value * 10.0).round() / 10.0);
    out.push_str(unit);
    out
}

/// Appends `digits` (ASCII digits only) with a comma every three from the right.
fn group_thousands(out: &mut String, digits: &str) {
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `num` replaces: the general formatter, trimmed.
    fn slow_num(x: f64) -> String {
        let s = format!("{:.2}", round2(x));
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".to_string() } else { s.to_string() }
    }

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(num(1.6), "1.6");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(0.456), "0.46");
        assert_eq!(num(0.05), "0.05");
        assert_eq!(num(-0.25), "-0.25");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(33.49), "33.49");
        assert_eq!(pct(0.7), "70%");
        assert_eq!(pct(0.125), "12.5%");
        assert_eq!(round2(21.254_9), 21.25);
        assert!(round2(-0.001).is_sign_positive());
    }

    #[test]
    fn the_fast_path_writes_what_the_general_formatter_would() {
        let mut x = -1234.0;
        while x < 1234.0 {
            assert_eq!(num(x), slow_num(x), "x = {x}");
            x += 0.0137;
        }
        for x in [1e14 + 0.25, -7.125, 0.005, 0.015, 2.675, 1e16] {
            assert_eq!(num(x), slow_num(x), "x = {x}");
        }
    }

    #[test]
    fn huge_finite_values_stay_finite_in_words() {
        assert_eq!(num(1e16), "10000000000000000");
        assert!(!num(f64::MAX).contains("inf"), "{}", num(f64::MAX));
        assert!(num(f64::MAX).starts_with("1797693134862315"));
        assert_eq!(num(f64::INFINITY), "inf");
        assert_eq!(num(f64::NAN), "NaN");
    }

    #[test]
    fn amounts_and_counts_group_thousands() {
        assert_eq!(usd(40_000.0), "$40,000");
        assert_eq!(usd(1_234_567.4), "$1,234,567");
        assert_eq!(usd(999.0), "$999");
        assert_eq!(usd(0.0), "$0");
        assert_eq!(usd(-1_200.0), "-$1,200");
        assert_eq!(count(5_000), "5,000");
        assert_eq!(count(42), "42");
        assert_eq!(count(-12_345), "-12,345");
        assert_eq!(usd_compact(5_000_000.0), "$5M");
        assert_eq!(usd_compact(1_250_000_000.0), "$1.3B");
        assert_eq!(usd_compact(750_000.0), "$750K");
        assert_eq!(usd_compact(500.0), "$500");
    }
}
