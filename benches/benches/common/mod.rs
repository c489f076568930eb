//! What the in-process benchmarks share: the five bundled scorers linked
//! statically, the other side of every dynamic-vs-static comparison.

use hql_qualifier::ScorerSource;

/// The bundled scorers as direct trait calls, under the library names the
/// default policy loads them by.
pub(crate) fn static_scorers() -> ScorerSource {
    ScorerSource::Static(vec![
        ("hql_bant".to_string(), hql_bant::hql_native_scorer()),
        ("hql_icp_fit".to_string(), hql_icp_fit::hql_native_scorer()),
        ("hql_intent".to_string(), hql_intent::hql_native_scorer()),
        ("hql_product_usage".to_string(), hql_product_usage::hql_native_scorer()),
        ("hql_trust_nurture".to_string(), hql_trust_nurture::hql_native_scorer()),
    ])
}
