//! The Rust plugin template (`plugins/template-rust`, the `partner_referral`
//! scorer) loaded by the real `hqld` next to bundled scorers: what a team
//! that copies the template gets. Its facts open a stage gate, its reasons
//! and evidence appear in Explain like the bundled ones, its disqualifier
//! applies once the policy lists it, and ListScorers names it.

use hql_tests::{
    AS_OF_MS, Hqld, LeadBuilder, PluginDir, custom_event, days_before, mql_lead, pb, plugin_path,
    write_policy,
};
use pb::attribute_value::Kind;

/// The template's library name (`[lib] name` in its Cargo.toml).
const TEMPLATE: &str = "hql_partner_referral";

/// SQL here means "referred by a gold partner" on top of a plausible fit.
const POLICY: &str = r#"
[policy]
name = "partner-led"
version = "1.0.0"

[[scorer]]
id = "icp_fit"
library = "hql_icp_fit"
weight = 0.5
dimension = "fit"
required = true

[[scorer]]
id = "partner"
library = "hql_partner_referral"
weight = 0.5
[scorer.config]
points_per_referral = 50
blocked_partners = ["ShadyLeads"]

[[stage]]
stage = "MQL"
[[stage.gate]]
name = "plausible_fit"
subject = "icp_fit.score"
op = ">="
value = 30

[[stage]]
stage = "SQL"
[[stage.gate]]
name = "referred"
subject = "partner.referrals"
op = ">="
value = 1
hint = "Ask the account's partner for an introduction."
[[stage.gate]]
name = "gold_partner"
subject = "partner.partner_tier"
op = "in"
value = ["gold"]

[disqualifiers]
codes = ["partner.blocked"]
"#;

struct Served {
    _plugins: PluginDir,
    _dir: tempfile::TempDir,
    server: Hqld,
}

fn serve() -> Served {
    let plugins = PluginDir::bundled();
    plugins.add(plugin_path(TEMPLATE));
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = write_policy(dir.path(), POLICY);
    let server = Hqld::serve(&policy, plugins.path());
    Served { _plugins: plugins, _dir: dir, server }
}

fn referred(id: &str, tier: &str) -> LeadBuilder {
    mql_lead(id, AS_OF_MS)
        .event(custom_event("partner_referral", days_before(AS_OF_MS, 4)))
        .attribute("partner_tier", Kind::StringValue(tier.into()))
}

fn partner_trail(e: &pb::Explanation) -> &pb::ScorerTrail {
    e.scorers
        .iter()
        .find(|t| t.summary.as_ref().is_some_and(|s| s.name == "partner"))
        .unwrap_or_else(|| panic!("no partner trail:\n{}", e.text))
}

#[tokio::test]
async fn a_gold_partner_referral_opens_the_gate_and_is_explained() {
    let served = serve();
    let e = served.server.explain(referred("referred-gold", "Gold").explain_request(AS_OF_MS)).await;
    let d = e.decision.as_ref().expect("decision");
    assert_eq!(d.stage(), pb::Stage::Sql, "{}", e.text);

    let trail = partner_trail(&e);
    let referral = trail.reasons.iter().find(|r| r.code == "partner.referrals").expect("referral reason");
    assert!(referral.points > 40.0 && referral.points < 50.0, "decayed from 50: {}", referral.points);
    let lead_events = referred("x", "gold").build().events.len() as u32;
    assert_eq!(referral.evidence.as_ref().expect("evidence").event_indexes, vec![lead_events - 1]);
    let tier = trail.facts.iter().find(|f| f.name == "partner.partner_tier").expect("tier fact");
    assert!(format!("{tier:?}").contains("gold"), "{tier:?}");
    assert!(e.text.contains("partner.referrals >= 1"), "{}", e.text);
}

#[tokio::test]
async fn without_a_referral_the_gap_names_the_partner_gate_and_its_hint() {
    let served = serve();
    let e = served.server.explain(mql_lead("not-referred", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let d = e.decision.as_ref().expect("decision");
    assert_eq!(d.stage(), pb::Stage::Mql, "{}", e.text);
    assert_eq!(d.next_stage(), pb::Stage::Sql);
    let gap = e.gap.as_ref().expect("gap");
    let failing: Vec<&str> = gap.failing_gates.iter().map(|g| g.name.as_str()).collect();
    assert!(failing.contains(&"referred"), "{failing:?}");
    assert!(e.text.contains("Ask the account's partner for an introduction."), "{}", e.text);
    // Unknown is not a penalty: the template says so with a 0-point reason.
    let none = partner_trail(&e).reasons.iter().find(|r| r.code == "partner.none").expect("none reason");
    assert_eq!(none.points, 0.0);
}

#[tokio::test]
async fn a_blocked_partner_disqualifies_under_this_policy() {
    let served = serve();
    let lead = referred("shady", "gold").attribute("partner", Kind::StringValue("shadyleads".into()));
    let decision = served.server.qualify(lead.qualify_request(AS_OF_MS)).await;
    assert_eq!(decision.stage(), pb::Stage::Disqualified);
    let codes: Vec<&str> = decision.disqualifications.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["partner.blocked"]);
}

#[tokio::test]
async fn list_scorers_names_the_template_and_its_library() {
    let served = serve();
    let mut client = served.server.client().await;
    let listed = client.list_scorers(pb::ListScorersRequest {}).await.expect("ListScorers").into_inner();
    let partner = listed.scorers.iter().find(|s| s.name == "partner").expect("partner listed");
    assert_eq!(partner.plugin, "partner_referral");
    assert_eq!(partner.abi_version, "1.3");
    assert!(partner.library.contains(TEMPLATE), "{}", partner.library);
    assert_eq!(partner.dimension, "engagement", "the template's default dimension");
}
