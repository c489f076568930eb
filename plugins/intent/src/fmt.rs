//! Number formatting for reason messages, and the rounding every emitted
//! number goes through.
//!
//! Reasons are read by people (sales, revenue operations), so decayed points
//! read as `17.5`, never as `17.499999999`. Points are rounded to two
//! decimals before they are emitted *and* before they are summed, so the
//! score is exactly the sum of the reasons a reader sees (before clamping).

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

/// A multiplier or share as a percentage: `50%`.
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
        assert_eq!(pct(0.7), "70%");
        assert_eq!(round2(21.254_9), 21.25);
        assert!(round2(-0.001).is_sign_positive());
    }
}
