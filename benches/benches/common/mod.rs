//! What the in-process benchmarks share: the five bundled scorers linked
//! statically, the other side of every dynamic-vs-static comparison.

use hql_qualifier::{Decision, Engine, LeadRecord, ScorerSource};

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

/// Asserts that the two engines (the same policy, one with the plugin
/// libraries and one with the scorers linked) give the same answers to
/// every lead: whole decisions and explanations, reasons, evidence, facts
/// and trail text included. Only what names the libraries differs: the
/// policy digest, and the decision id made from it. This is what lets a
/// benchmark compare the two at all, and it checks the host's copy of a
/// plugin's output (`hql_plugin_api::host::ScoreCopy`) against the SDK's own
/// `Score` on every lead benchmarked.
#[allow(dead_code)] // Not every benchmark that shares this module uses it.
pub(crate) fn assert_same_answers(dynamic: &Engine, linked: &Engine, leads: &[LeadRecord], as_of_ms: i64) {
    let plain = |mut d: Decision| {
        d.decision_id.clear();
        d.policy.digest.clear();
        d
    };
    for lead in leads {
        let (d, l) = (dynamic.qualify(lead, as_of_ms), linked.qualify(lead, as_of_ms));
        assert_eq!(plain(d), plain(l), "lead {}: the decisions differ", lead.lead_id);
        let (mut d, mut l) = (dynamic.explain(lead, as_of_ms), linked.explain(lead, as_of_ms));
        for e in [&mut d, &mut l] {
            let digest = std::mem::take(&mut e.decision.policy.digest);
            e.text = e.text.replace(&digest[..digest.len().min(12)], "");
            e.decision.decision_id.clear();
        }
        assert_eq!(d, l, "lead {}: the explanations differ", lead.lead_id);
    }
}
