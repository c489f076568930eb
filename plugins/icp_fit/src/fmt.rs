//! Number formatting for reason messages, and the rounding every emitted
//! number goes through.
//!
//! Reasons are read by people (sales, revenue operations), so amounts read as
//! `$40,000` and ratios as `1.6×`, never as `40000.000000001`. Points are
//! rounded to two decimals before they are emitted *and* before they are
//! summed, so the score is exactly the sum of the reasons a reader sees.

/// Rounds to two decimals (points, ratios, facts); never returns `-0`.
pub(crate) fn round2(x: f64) -> f64 {
    let r = (x * 100.0).round() / 100.0;
    if r == 0.0 { 0.0 } else { r }
}

/// A number with at most two decimals and no trailing zeros: `1.6`, `12.5`, `3`.
pub(crate) fn num(x: f64) -> String {
    let s = format!("{:.2}", round2(x));
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

/// Whole US dollars with thousands separators: `$40,000`.
pub(crate) fn usd(amount: f64) -> String {
    let whole = amount.round();
    let sign = if whole < 0.0 { "-" } else { "" };
    let digits = format!("{:.0}", whole.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}${out}")
}

/// A whole count with thousands separators: `5,000`.
pub(crate) fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A USD amount in compact form for revenue: `$5M`, `$1.2B`, `$750K`.
pub(crate) fn usd_compact(amount: f64) -> String {
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
    format!("${}{unit}", num((value * 10.0).round() / 10.0))
}

/// A share (0–1) as a percentage: `70%`.
pub(crate) fn pct(share: f64) -> String {
    format!("{}%", num(share * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(num(1.6), "1.6");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(0.456), "0.46");
        assert_eq!(num(-0.001), "0");
        assert_eq!(usd(40_000.0), "$40,000");
        assert_eq!(usd(1_234_567.4), "$1,234,567");
        assert_eq!(usd(999.0), "$999");
        assert_eq!(usd(0.0), "$0");
        assert_eq!(pct(0.7), "70%");
        assert_eq!(round2(21.254_9), 21.25);
        assert!(round2(-0.001).is_sign_positive());
        assert_eq!(count(5_000), "5,000");
        assert_eq!(count(42), "42");
        assert_eq!(usd_compact(5_000_000.0), "$5M");
        assert_eq!(usd_compact(1_250_000_000.0), "$1.3B");
        assert_eq!(usd_compact(750_000.0), "$750K");
        assert_eq!(usd_compact(500.0), "$500");
    }
}
