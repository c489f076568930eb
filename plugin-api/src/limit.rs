//! Which reasons a limited call keeps (ABI 1.1 `reason_limit`).
//!
//! Qualify answers with a policy's top reasons (five by default) and no
//! other; Explain answers with all of them. So a Qualify call asks each
//! scorer for at most that many reasons, and everything else a scorer wrote
//! would only be copied across the boundary, checked and thrown away.
//!
//! The rule: among reasons whose points are finite and non-zero, keep the
//! `limit` with the largest |points|; between equal |points|, the one added
//! first. It is written once, here, and used by a score built for a limited
//! call (`Score::for_call`) as reasons are added, so the messages of the
//! others are never written (`Score::reason_with`); by the SDK before it
//! copies anything across (`export`), for scorers that build an unlimited
//! score; and by the host on whatever a plugin sends (`host`, so a plugin
//! that ignores the limit is still held to it).
//!
//! Why this loses nothing a decision shows: the host ranks reasons by
//! |points| × the scorer's weight, then by policy order, then by |points|,
//! then by the order added. Inside one scorer the weight is the same for
//! every reason, so that ranking orders a scorer's reasons exactly as this
//! rule does; a reason this rule drops has `limit` reasons of its own
//! scorer ahead of it and can never be among the decision's top `limit`.

/// Whether a reason with `points` can be kept by a limited call at all:
/// zero points never move a total (the decision's top reasons skip them),
/// and non-finite points are dropped by the host in every call.
pub(crate) fn counts(points: f64) -> bool {
    points != 0.0 && points.is_finite()
}

/// What a limited call does with the next reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Offer {
    /// Keep it (after those kept so far).
    Keep,
    /// Keep it, and drop the kept reason at this position.
    Replace(usize),
    /// Do not keep it.
    Skip,
}

/// The next reason, with `points`, offered to a call limited to `limit`
/// (0: no limit) that has kept `kept` reasons so far, in the order they
/// came; `abs_at(i)` is the |points| of the `i`-th kept one.
pub(crate) fn offer(limit: usize, kept: usize, abs_at: impl Fn(usize) -> f64, points: f64) -> Offer {
    if limit == 0 {
        return Offer::Keep;
    }
    if !counts(points) {
        return Offer::Skip;
    }
    if kept < limit {
        return Offer::Keep;
    }
    // The weakest kept reason: the smallest |points|, the latest among
    // equals. The newcomer came last, so it must be strictly larger.
    let mut weakest = 0;
    for i in 1..kept {
        if abs_at(i) <= abs_at(weakest) {
            weakest = i;
        }
    }
    if points.abs() > abs_at(weakest) { Offer::Replace(weakest) } else { Offer::Skip }
}

/// Positions (ascending) of the reasons with `points` a call limited to
/// `limit` keeps; every position when `limit` is 0.
pub(crate) fn kept(limit: usize, points: impl ExactSizeIterator<Item = f64>) -> Vec<usize> {
    if limit == 0 {
        return (0..points.len()).collect();
    }
    let mut kept: Vec<(usize, f64)> = Vec::with_capacity(limit.min(points.len()));
    for (i, p) in points.enumerate() {
        match offer(limit, kept.len(), |k| kept[k].1, p) {
            Offer::Keep => kept.push((i, p.abs())),
            Offer::Replace(k) => {
                kept.remove(k);
                kept.push((i, p.abs()));
            }
            Offer::Skip => {}
        }
    }
    kept.into_iter().map(|(i, _)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rule as a sort: what `kept` must agree with.
    fn by_sorting(limit: usize, points: &[f64]) -> Vec<usize> {
        let mut ranked: Vec<usize> = (0..points.len()).filter(|i| counts(points[*i])).collect();
        ranked.sort_by(|a, b| points[*b].abs().total_cmp(&points[*a].abs()).then(a.cmp(b)));
        ranked.truncate(limit);
        ranked.sort_unstable();
        ranked
    }

    #[test]
    fn no_limit_keeps_everything_even_zero_and_nan() {
        assert_eq!(kept(0, [0.0, f64::NAN, 3.0].into_iter()), vec![0, 1, 2]);
    }

    #[test]
    fn a_limit_keeps_the_largest_magnitudes_in_their_order() {
        // -9 and 7 are the two largest |points|; 0 and NaN never count.
        assert_eq!(kept(2, [1.0, -9.0, 0.0, f64::NAN, 7.0, 2.0].into_iter()), vec![1, 4]);
    }

    #[test]
    fn between_equal_magnitudes_the_earlier_is_kept() {
        assert_eq!(kept(2, [5.0, -5.0, 5.0, 1.0].into_iter()), vec![0, 1]);
        assert_eq!(kept(1, [1.0, 5.0, -5.0].into_iter()), vec![1]);
    }

    proptest! {
        #[test]
        fn streaming_agrees_with_sorting(
            limit in 1usize..8,
            points in prop::collection::vec(prop_oneof![
                Just(0.0), Just(1.0), Just(-1.0), Just(f64::NAN), Just(f64::INFINITY), -20.0f64..20.0
            ], 0..40),
        ) {
            prop_assert_eq!(kept(limit, points.iter().copied()), by_sorting(limit, &points));
        }
    }
}
