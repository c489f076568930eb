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
//!
//! [`Line`] builds a whole reason message in one buffer: one allocation per
//! message, no `format!` and no intermediate strings. `format!` costs a few
//! hundred nanoseconds per message and each nested `String` one more
//! allocation; with a few dozen reasons per lead that was most of a
//! scorer's time.
//!
//! And one helper for text arriving as bytes: [`utf8`], the check the host
//! applies to every string a plugin sends and `hqld` to every string of a
//! request.
//!
//! Rounding goes through [`round`], not `f64::round`: on x86-64's baseline
//! (no SSE4.1) the standard one is a call into the C library, about 25
//! instructions, and the bundled scorers round some sixty times a lead.

use std::fmt::Write;

/// `bytes` as text if they are UTF-8.
///
/// Nearly all of a lead's and a reason's text is ASCII, and most of it
/// short: a word-at-a-time ASCII scan confirms that several times faster
/// than the general validation, which starts byte by byte (it was 7 % of a
/// decision through the ABI, 10 % of reading a request). Anything else goes
/// through the full check (a validation of its own that scans ASCII runs a
/// word at a time and checks each wider character alone was measured: more
/// instructions than the standard one on the bundled scorers' messages).
#[inline]
pub fn utf8(bytes: &[u8]) -> Option<&str> {
    if bytes.is_ascii() {
        // SAFETY: ASCII is UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

/// Appends `bytes` to `out` as text: as they are when they are UTF-8 (see
/// [`utf8`]), else with each invalid sequence replaced by U+FFFD. How the
/// host takes a plugin's strings, which the ABI cannot vouch for.
#[inline]
pub(crate) fn push_lossy(out: &mut String, bytes: &[u8]) {
    match utf8(bytes) {
        Some(text) => out.push_str(text),
        None => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// Largest magnitude written through the integer fast path; beyond it (and
/// for NaN and infinities) the standard formatter is used.
const FAST_LIMIT: f64 = 1e15;

/// `x.round()`: to the nearest integer, halves away from zero, the same as
/// the standard method for every input (NaN, infinities and `-0` included),
/// in a few instructions and no call (see the module's docs).
#[inline]
pub fn round(x: f64) -> f64 {
    // From 2^52 on every f64 is an integer.
    if x.is_nan() || x.abs() >= 4_503_599_627_370_496.0 {
        return x;
    }
    // Toward zero, exactly (the magnitude fits an i64), with x's sign so
    // that -0.3 gives -0 as the standard method does.
    let whole = (x as i64 as f64).copysign(x);
    // Exact: x and whole are less than one apart.
    let fraction = x - whole;
    if fraction >= 0.5 {
        whole + 1.0
    } else if fraction <= -0.5 {
        whole - 1.0
    } else {
        whole
    }
}

/// Rounds to two decimals (points, ratios, facts); never returns `-0`.
pub fn round2(x: f64) -> f64 {
    let r = round(x * 100.0) / 100.0;
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
    let cents = round(x * 100.0);
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
    push_uint(out, cents / 100);
    match cents % 100 {
        0 => {}
        f if f % 10 == 0 => {
            out.push('.');
            out.push(char::from(b'0' + (f / 10) as u8));
        }
        f => {
            out.push('.');
            out.push(char::from(b'0' + (f / 10) as u8));
            out.push(char::from(b'0' + (f % 10) as u8));
        }
    }
}

/// Appends a whole number (no separators).
pub fn push_int(out: &mut String, n: i64) {
    out.push_str(itoa::Buffer::new().format(n));
}

fn push_uint(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// A share (0–1) as a percentage: `70%`, `12.5%`.
pub fn pct(share: f64) -> String {
    let mut out = num(share * 100.0);
    out.push('%');
    out
}

/// A whole count with thousands separators: `5,000`, `-12,345`.
pub fn count(n: i64) -> String {
    let mut out = String::with_capacity(16);
    push_count(&mut out, n);
    out
}

/// Appends [`count`]`(n)` to `out`.
pub fn push_count(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    group_thousands(out, itoa::Buffer::new().format(n.unsigned_abs()));
}

/// Whole US dollars with thousands separators: `$40,000`, `-$1,200`.
pub fn usd(amount: f64) -> String {
    let mut out = String::with_capacity(16);
    push_usd(&mut out, amount);
    out
}

/// Appends [`usd`]`(amount)` to `out`.
pub fn push_usd(out: &mut String, amount: f64) {
    let whole = round(amount);
    if whole < 0.0 {
        out.push('-');
    }
    out.push('$');
    if whole.abs() < FAST_LIMIT {
        // In range, so the conversion is exact.
        group_thousands(out, itoa::Buffer::new().format(whole.abs() as u64));
    } else {
        group_thousands(out, &format!("{:.0}", whole.abs()));
    }
}

/// A USD amount in compact form, for revenues: `$5M`, `$1.3B`, `$750K`,
/// and plain [`usd`] below a thousand.
pub fn usd_compact(amount: f64) -> String {
    let mut out = String::with_capacity(16);
    push_usd_compact(&mut out, amount);
    out
}

/// Appends [`usd_compact`]`(amount)` to `out`.
pub fn push_usd_compact(out: &mut String, amount: f64) {
    let abs = amount.abs();
    let (value, unit) = if abs >= 1e9 {
        (amount / 1e9, "B")
    } else if abs >= 1e6 {
        (amount / 1e6, "M")
    } else if abs >= 1e3 {
        (amount / 1e3, "K")
    } else {
        return push_usd(out, amount);
    };
    out.push('$');
    push_num(out, round(value * 10.0) / 10.0);
    out.push_str(unit);
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

/// A reason message written into one buffer, piece by piece:
///
/// ```
/// use hql_plugin_api::text::Line;
/// let message = Line::new().count_of(3, "event", "events").s(" in the last ").num(30.0).s(" days");
/// assert_eq!(message.as_str(), "3 events in the last 30 days");
/// ```
///
/// `Score::reason` takes a `Line` wherever it takes a message; nothing is
/// formatted twice and the buffer becomes the message without a copy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Line(String);

impl Line {
    /// An empty line with room for a typical message (a buffer reused from
    /// an earlier score on this thread when there is one).
    #[inline]
    pub fn new() -> Line {
        Line(crate::pool::string())
    }

    /// Appends text.
    #[inline]
    pub fn s(mut self, text: &str) -> Line {
        self.0.push_str(text);
        self
    }

    /// Appends one character.
    #[inline]
    pub fn c(mut self, c: char) -> Line {
        self.0.push(c);
        self
    }

    /// Appends [`num`]`(x)`: at most two decimals, no trailing zeros.
    #[inline]
    pub fn num(mut self, x: f64) -> Line {
        push_num(&mut self.0, x);
        self
    }

    /// Appends a whole number, no separators: `1234`.
    #[inline]
    pub fn int(mut self, n: i64) -> Line {
        push_int(&mut self.0, n);
        self
    }

    /// Appends a whole count with thousands separators: `5,000`.
    #[inline]
    pub fn count(mut self, n: i64) -> Line {
        push_count(&mut self.0, n);
        self
    }

    /// Appends `n`, with thousands separators like [`Line::count`], and the
    /// noun agreeing with it: `1 event`, `3 events`, `1,500 events`. For
    /// `1500 events` write `.int(n).s(" events")`.
    #[inline]
    pub fn count_of(mut self, n: usize, one: &str, many: &str) -> Line {
        push_count(&mut self.0, i64::try_from(n).unwrap_or(i64::MAX));
        self.0.push(' ');
        self.0.push_str(if n == 1 { one } else { many });
        self
    }

    /// Appends [`pct`]`(share)`: `70%`.
    #[inline]
    pub fn pct(mut self, share: f64) -> Line {
        push_num(&mut self.0, share * 100.0);
        self.0.push('%');
        self
    }

    /// Appends [`usd`]`(amount)`: `$40,000`.
    #[inline]
    pub fn usd(mut self, amount: f64) -> Line {
        push_usd(&mut self.0, amount);
        self
    }

    /// Appends [`usd_compact`]`(amount)`: `$5M`, `$1.3B`.
    #[inline]
    pub fn usd_compact(mut self, amount: f64) -> Line {
        push_usd_compact(&mut self.0, amount);
        self
    }

    /// Appends what `more` writes when `condition` holds.
    #[inline]
    pub fn when(self, condition: bool, more: impl FnOnce(Line) -> Line) -> Line {
        if condition { more(self) } else { self }
    }

    /// The message so far.
    #[inline]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The message.
    #[inline]
    pub fn into_string(self) -> String {
        self.0
    }
}

impl From<Line> for String {
    fn from(line: Line) -> String {
        line.0
    }
}

impl From<Line> for std::borrow::Cow<'static, str> {
    fn from(line: Line) -> Self {
        std::borrow::Cow::Owned(line.0)
    }
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_takes_ascii_and_other_utf8_and_refuses_the_rest() {
        assert_eq!(utf8(b"demo_request"), Some("demo_request"));
        assert_eq!(utf8(b""), Some(""));
        assert_eq!(utf8("Zürich — 東京".as_bytes()), Some("Zürich — 東京"));
        assert_eq!(utf8(b"caf\xc3"), None, "cut inside a character");
        assert_eq!(utf8(b"\xff ascii after"), None);
        // What the standard check refuses inside otherwise ASCII text:
        // overlong forms, surrogates, past U+10FFFF, a stray continuation.
        for bad in [
            &b"overlong \xc0\x80 nul"[..],
            b"a \xe0\x80\x80",
            b"surrogate \xed\xa0\x80!",
            b"big \xf4\x90\x80\x80",
        ] {
            assert_eq!(utf8(bad), None, "{bad:?}");
        }
        assert_eq!(utf8(b"lone \x80 continuation, long enough for a word"), None);
        assert_eq!(utf8("3× demo_request (bottom funnel) · 12 days ago".as_bytes()).map(str::len), Some(47));
    }

    #[test]
    fn round_agrees_with_the_standard_method_at_the_edges() {
        let edges = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            -4_503_599_627_370_497.0,
            9.223372036854776e18,
            1e300,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in edges {
            assert_eq!(round(x).to_bits(), x.round().to_bits(), "{x:e}");
        }
        assert!(round(f64::NAN).is_nan());
    }

    proptest::proptest! {
        #[test]
        fn round_agrees_with_the_standard_method(bits in proptest::prelude::any::<u64>(), cents in -1e7f64..1e7) {
            let x = f64::from_bits(bits);
            if !x.is_nan() {
                proptest::prop_assert_eq!(round(x).to_bits(), x.round().to_bits());
            }
            let y = cents * 100.0;
            proptest::prop_assert_eq!(round(y).to_bits(), y.round().to_bits());
            let halves = (cents * 2.0).trunc() / 2.0;
            proptest::prop_assert_eq!(round(halves).to_bits(), halves.round().to_bits());
        }

        #[test]
        fn utf8_agrees_with_the_standard_check(
            text in "[a-z ×é東😀]{0,40}",
            cut in 0usize..64,
            flip in proptest::option::of((0usize..64, proptest::num::u8::ANY)),
        ) {
            let mut bytes = text.into_bytes();
            bytes.truncate(cut.max(bytes.len().saturating_sub(3)));
            if let Some((at, value)) = flip && !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] = value;
            }
            proptest::prop_assert_eq!(utf8(&bytes), std::str::from_utf8(&bytes).ok());
        }

        #[test]
        fn utf8_agrees_with_the_standard_check_on_any_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..48)) {
            proptest::prop_assert_eq!(utf8(&bytes), std::str::from_utf8(&bytes).ok());
        }
    }

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
        assert_eq!(usd(1e300).len(), 1 + 301 + 100, "huge amounts are written whole");
    }

    /// What `usd` replaces: the general formatter, grouped.
    fn slow_usd(amount: f64) -> String {
        let whole = amount.round();
        let digits = format!("{:.0}", whole.abs());
        let mut out = String::new();
        if whole < 0.0 {
            out.push('-');
        }
        out.push('$');
        group_thousands(&mut out, &digits);
        out
    }

    #[test]
    fn amounts_written_in_place_read_as_the_general_formatter_would() {
        let mut values =
            vec![0.0, 1.0, 999.0, 999.5, 1e3, 5e6, 1.25e9, 1e300, f64::MAX, -1.0, -5e6, -7.77e11];
        let mut x = 1.0;
        while x < 1e17 {
            values.extend([x, x * 0.999_9, x * 1.049_9, x * 1.05, -x]);
            x *= 1.7;
        }
        for v in values {
            assert_eq!(usd(v), slow_usd(v), "{v}");
            assert_eq!(Line::new().usd(v).as_str(), usd(v), "{v}");
            assert_eq!(Line::new().usd_compact(v).as_str(), usd_compact(v), "{v}");
        }
    }

    #[test]
    fn a_line_writes_what_format_would() {
        let line = Line::new()
            .int(-42)
            .s("× ")
            .count(12_345)
            .c(' ')
            .num(17.499_999)
            .s(", ")
            .pct(0.125)
            .s(", ")
            .usd(40_000.0)
            .s(", ")
            .count_of(1, "event", "events")
            .s(", ")
            .count_of(0, "event", "events")
            .when(true, |l| l.s("; yes"))
            .when(false, |l| l.s("; no"));
        assert_eq!(line.as_str(), "-42× 12,345 17.5, 12.5%, $40,000, 1 event, 0 events; yes");
        assert_eq!(String::from(line.clone()), line.to_string());
        let mut out = String::new();
        push_int(&mut out, i64::MIN);
        assert_eq!(out, i64::MIN.to_string());
    }
}
