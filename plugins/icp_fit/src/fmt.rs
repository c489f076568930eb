//! Message pieces the SDK's [`Line`] does not write itself.

use hql_plugin_api::text::Line;

/// [`Line`] extensions used by this scorer's messages.
pub(crate) trait LineExt {
    /// Appends [`hql_plugin_api::text::usd_compact`]`(amount)` (`$5M`,
    /// `$1.3B`) without building it as a separate string first.
    fn usd_compact(self, amount: f64) -> Line;
}

impl LineExt for Line {
    fn usd_compact(self, amount: f64) -> Line {
        // The same thresholds and rounding as the SDK's `usd_compact`; the
        // test below holds them together.
        let abs = amount.abs();
        let (value, unit) = if abs >= 1e9 {
            (amount / 1e9, "B")
        } else if abs >= 1e6 {
            (amount / 1e6, "M")
        } else if abs >= 1e3 {
            (amount / 1e3, "K")
        } else {
            return self.usd(amount);
        };
        self.c('$').num((value * 10.0).round() / 10.0).s(unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hql_plugin_api::text::usd_compact;

    #[test]
    fn usd_compact_writes_what_the_sdk_would() {
        let mut values =
            vec![0.0, 1.0, 999.0, 999.5, 1e3, 5e6, 1.25e9, 1e300, f64::MAX, -1.0, -5e6, -7.77e11];
        let mut x = 1.0;
        while x < 1e13 {
            values.extend([x, x * 0.999_9, x * 1.049_9, x * 1.05, -x]);
            x *= 1.7;
        }
        for v in values {
            assert_eq!(Line::new().usd_compact(v).as_str(), usd_compact(v), "{v}");
        }
    }
}
