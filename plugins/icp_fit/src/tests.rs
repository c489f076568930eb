//! Unit tests: every rule, range boundaries and decay, each disqualifier,
//! config validation, determinism, and the C ABI path.

use hql_plugin_api::record::{CompanyRecord, ContactRecord, EventRecord, LeadRecord};
use hql_plugin_api::testing::{Harness, days_before};
use hql_plugin_api::{FactValue, Score, Seniority};

use crate::IcpFitScorer;

const AS_OF: i64 = 1_700_000_000_000;

fn harness(config: &str) -> Harness<IcpFitScorer> {
    match Harness::new(config) {
        Ok(h) => h,
        Err(e) => panic!("config refused: {e}"),
    }
}

fn config_error(config: &str) -> hql_plugin_api::ConfigError {
    match Harness::<IcpFitScorer>::new(config) {
        Ok(_) => panic!("config {config} was accepted"),
        Err(e) => e,
    }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

/// A lead that matches the default ICP on every attribute.
fn ideal() -> LeadRecord {
    LeadRecord {
        lead_id: "lead-1".into(),
        contact: ContactRecord {
            email: "jane@acme.com".into(),
            job_title: "VP Marketing".into(),
            seniority: Seniority::Vp,
            department: "marketing".into(),
            country: "US".into(),
        },
        company: CompanyRecord {
            domain: "acme.com".into(),
            name: "Acme".into(),
            industry: "software".into(),
            employee_count: Some(500),
            annual_revenue: Some(50_000_000.0),
            region: "NA".into(),
            technologies: strings(&["salesforce", "segment", "snowflake"]),
        },
        ..LeadRecord::default()
    }
}

fn score_with(h: &Harness<IcpFitScorer>, lead: &LeadRecord) -> Score {
    h.score(lead, AS_OF).expect("score")
}

fn score(lead: &LeadRecord) -> Score {
    score_with(&harness("{}"), lead)
}

fn points(s: &Score, code: &str) -> f64 {
    s.reason_by_code(code).unwrap_or_else(|| panic!("no reason {code} in {:#?}", s.reasons())).points
}

fn num(s: &Score, fact: &str) -> Option<f64> {
    match s.fact_value(fact) {
        Some(FactValue::Number(n)) => Some(*n),
        None => None,
        Some(other) => panic!("fact {fact} is not a number: {other:?}"),
    }
}

fn flag(s: &Score, fact: &str) -> Option<bool> {
    match s.fact_value(fact) {
        Some(FactValue::Bool(b)) => Some(*b),
        None => None,
        Some(other) => panic!("fact {fact} is not a bool: {other:?}"),
    }
}

fn codes(s: &Score) -> Vec<&str> {
    s.disqualifiers().iter().map(|d| d.code.as_ref()).collect()
}

fn assert_close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 0.011, "expected {expected}, got {actual}");
}

#[test]
fn ideal_lead_scores_100_and_reasons_add_up() {
    let s = score(&ideal());
    assert_eq!(s.value(), 100.0);
    assert_close(s.total_points(), 100.0);
    assert_eq!(points(&s, "icp_fit.industry.target"), 17.5);
    assert_eq!(points(&s, "icp_fit.employees.in_range"), 12.5);
    assert_eq!(points(&s, "icp_fit.revenue.in_range"), 10.0);
    assert_eq!(points(&s, "icp_fit.region.served"), 10.0);
    assert_eq!(points(&s, "icp_fit.seniority.vp"), 18.0);
    assert_eq!(points(&s, "icp_fit.department.target"), 12.0);
    assert_eq!(points(&s, "icp_fit.tech.bonus"), 20.0);
    assert_eq!(
        s.reason_by_code("icp_fit.tech.bonus").expect("r").message,
        "Uses 3 bonus tool(s): salesforce, segment, snowflake"
    );
    assert_eq!(
        s.reason_by_code("icp_fit.employees.in_range").expect("r").message,
        "500 employees: within the 50–5,000 target range"
    );
    assert_eq!(
        s.reason_by_code("icp_fit.revenue.in_range").expect("r").message,
        "Annual revenue $50M: within the $5M–$1B target range"
    );
    assert_eq!(s.reason_by_code("icp_fit.region.served").expect("r").fields, vec!["company.region"]);
    assert_eq!(num(&s, "firmographic_score"), Some(100.0));
    assert_eq!(num(&s, "demographic_score"), Some(100.0));
    assert_eq!(num(&s, "technographic_score"), Some(100.0));
    assert_eq!(flag(&s, "industry_match"), Some(true));
    assert_eq!(flag(&s, "region_served"), Some(true));
    assert_eq!(num(&s, "seniority_rank"), Some(6.0));
    assert_eq!(num(&s, "known_attributes"), Some(7.0));
    assert_eq!(flag(&s, "competitor"), Some(false));
    assert!(s.disqualifiers().is_empty());
    assert!(s.reasons().iter().all(|r| r.code.starts_with("icp_fit.")));
}

#[test]
fn empty_lead_is_unknown_not_negative() {
    let s = score(&LeadRecord::default());
    assert_eq!(s.value(), 0.0);
    assert!(s.disqualifiers().is_empty());
    let expected = [
        "icp_fit.industry.unknown",
        "icp_fit.employees.unknown",
        "icp_fit.revenue.unknown",
        "icp_fit.region.unknown",
        "icp_fit.seniority.unknown",
        "icp_fit.department.unknown",
        "icp_fit.tech.unknown",
    ];
    let got: Vec<&str> = s.reasons().iter().map(|r| r.code.as_ref()).collect();
    assert_eq!(got, expected);
    assert!(s.reasons().iter().all(|r| r.points == 0.0 && r.message.contains("unknown")));
    assert_eq!(num(&s, "firmographic_score"), Some(0.0));
    assert_eq!(num(&s, "demographic_score"), Some(0.0));
    assert_eq!(num(&s, "technographic_score"), Some(0.0));
    assert_eq!(flag(&s, "industry_match"), None);
    assert_eq!(flag(&s, "region_served"), None);
    assert_eq!(flag(&s, "competitor"), None);
    assert_eq!(num(&s, "seniority_rank"), Some(0.0));
    assert_eq!(num(&s, "known_attributes"), Some(0.0));
}

#[test]
fn unknown_share_gives_neutral_credit() {
    let s = score_with(&harness(r#"{"unknown_share":0.5}"#), &LeadRecord::default());
    assert_eq!(s.value(), 50.0);
    assert_eq!(points(&s, "icp_fit.industry.unknown"), 8.75);
    assert_eq!(num(&s, "firmographic_score"), Some(50.0));
}

#[test]
fn events_are_ignored() {
    let mut busy = ideal();
    busy.company.industry = "retail".into();
    let quiet = busy.clone();
    busy.events = (0..20).map(|i| EventRecord::new("demo_request", days_before(AS_OF, i))).collect();
    assert_eq!(score(&busy), score(&quiet));
}

#[test]
fn industry_target_other_and_excluded() {
    let mut lead = ideal();
    lead.company.industry = "retail".into();
    let s = score(&lead);
    assert_eq!(points(&s, "icp_fit.industry.other"), 4.38);
    assert_eq!(flag(&s, "industry_match"), Some(false));
    assert!(s.disqualifiers().is_empty());

    lead.company.industry = "gambling".into();
    let s = score(&lead);
    assert_eq!(points(&s, "icp_fit.industry.excluded"), 0.0);
    assert_eq!(codes(&s), ["icp.excluded_industry"]);
    assert_eq!(s.disqualifiers()[0].message, "Industry 'gambling' is excluded from the ICP");
    assert_eq!(flag(&s, "industry_match"), Some(false));
    assert_eq!(s.value(), 82.5);
}

#[test]
fn employee_range_boundaries_and_decay() {
    let cases = [
        (50, "icp_fit.employees.in_range", 12.5),
        (5_000, "icp_fit.employees.in_range", 12.5),
        (25, "icp_fit.employees.below_range", 8.74),
        (10_000, "icp_fit.employees.above_range", 8.74),
        (5, "icp_fit.employees.below_range", 0.0),
        (1, "icp_fit.employees.below_range", 0.0),
        (500_000, "icp_fit.employees.above_range", 0.0),
    ];
    for (n, code, expected) in cases {
        let mut lead = ideal();
        lead.company.employee_count = Some(n);
        let s = score(&lead);
        assert_eq!(points(&s, code), expected, "{n} employees");
    }
    let mut lead = ideal();
    lead.company.employee_count = Some(25);
    let s = score(&lead);
    assert_eq!(
        s.reason_by_code("icp_fit.employees.below_range").expect("r").message,
        "25 employees: 2× below the 50–5,000 target range (69.9% credit)"
    );
    // Closer is better.
    lead.company.employee_count = Some(45);
    let near = points(&score(&lead), "icp_fit.employees.below_range");
    assert!(near > 8.74 && near < 12.5, "{near}");
}

#[test]
fn invalid_employee_count_is_unknown() {
    let mut lead = ideal();
    lead.company.employee_count = Some(0);
    let s = score(&lead);
    let r = s.reason_by_code("icp_fit.employees.unknown").expect("r");
    assert_eq!(r.points, 0.0);
    assert!(r.message.contains("not valid"), "{}", r.message);
    assert_eq!(num(&s, "known_attributes"), Some(6.0));
}

#[test]
fn revenue_range_and_falloff_are_configurable() {
    let mut lead = ideal();
    lead.company.annual_revenue = Some(2_500_000.0);
    let s = score(&lead);
    assert_eq!(points(&s, "icp_fit.revenue.below_range"), 6.99);
    lead.company.annual_revenue = Some(2_000_000_000.0);
    assert_eq!(points(&score(&lead), "icp_fit.revenue.above_range"), 6.99);

    // falloff 2: half the minimum already earns nothing.
    let h = harness(
        r#"{"firmographic":{"revenue":{"points":20,"min":5000000,"max":1000000000,"falloff_factor":2}}}"#,
    );
    lead.company.annual_revenue = Some(2_500_000.0);
    assert_eq!(points(&score_with(&h, &lead), "icp_fit.revenue.below_range"), 0.0);
    lead.company.annual_revenue = Some(5_000_000.0);
    assert_eq!(points(&score_with(&h, &lead), "icp_fit.revenue.in_range"), 10.0);
}

#[test]
fn region_served_not_served_and_from_country() {
    let mut lead = ideal();
    lead.company.region = "APAC".into();
    let s = score(&lead);
    assert_eq!(points(&s, "icp_fit.region.not_served"), 0.0);
    assert_eq!(codes(&s), ["icp.region_not_served"]);
    assert_eq!(flag(&s, "region_served"), Some(false));
    assert_eq!(s.disqualifiers()[0].message, "Region APAC is not served (served: NA, EMEA)");

    lead.company.region = String::new();
    lead.contact.country = "DE".into();
    let s = score(&lead);
    let r = s.reason_by_code("icp_fit.region.served").expect("r");
    assert_eq!(r.message, "Region EMEA (from country DE) is served");
    assert_eq!(r.fields, vec!["contact.country"]);
    assert_eq!(r.points, 10.0);
    assert_eq!(flag(&s, "region_served"), Some(true));

    lead.contact.country = "JP".into();
    let s = score(&lead);
    assert_eq!(codes(&s), ["icp.region_not_served"]);

    lead.contact.country = "KE".into();
    let s = score(&lead);
    assert_eq!(points(&s, "icp_fit.region.unknown"), 0.0);
    assert!(s.disqualifiers().is_empty());
    assert_eq!(flag(&s, "region_served"), None);
    assert_eq!(num(&s, "known_attributes"), Some(6.0));
}

#[test]
fn seniority_levels() {
    let cases = [
        (Seniority::Entry, "icp_fit.seniority.entry", 2.7, 2.0),
        (Seniority::Senior, "icp_fit.seniority.senior", 7.2, 3.0),
        (Seniority::Manager, "icp_fit.seniority.manager", 11.7, 4.0),
        (Seniority::Director, "icp_fit.seniority.director", 16.2, 5.0),
        (Seniority::CLevel, "icp_fit.seniority.c_level", 18.0, 7.0),
        (Seniority::Owner, "icp_fit.seniority.owner", 15.3, 8.0),
    ];
    for (level, code, expected, rank) in cases {
        let mut lead = ideal();
        lead.contact.seniority = level;
        let s = score(&lead);
        assert_eq!(points(&s, code), expected, "{level:?}");
        assert_eq!(num(&s, "seniority_rank"), Some(rank));
        assert!(s.disqualifiers().is_empty());
    }
}

#[test]
fn departments() {
    let mut lead = ideal();
    lead.contact.department = "finance".into();
    let s = score(&lead);
    assert_eq!(points(&s, "icp_fit.department.other"), 3.0);
    lead.contact.department = String::new();
    let s = score(&lead);
    assert_eq!(points(&s, "icp_fit.department.unknown"), 0.0);
    assert_eq!(num(&s, "known_attributes"), Some(6.0));
}

#[test]
fn competing_tools_lower_technographic_fit_but_not_below_zero() {
    let mut lead = ideal();
    lead.company.technologies = strings(&["salesforce", "segment", "snowflake", "hubspot", "rivalscore"]);
    let s = score(&lead);
    assert_eq!(points(&s, "icp_fit.tech.bonus"), 20.0);
    assert_eq!(points(&s, "icp_fit.tech.competing"), -8.33);
    assert_eq!(num(&s, "technographic_score"), Some(58.33));
    assert_eq!(s.value(), 91.67);

    lead.company.technologies = strings(&["salesforce", "leadrank"]);
    let s = score(&lead);
    assert_eq!(points(&s, "icp_fit.tech.bonus"), 6.67);
    assert_eq!(points(&s, "icp_fit.tech.competing"), -6.67);
    assert!(s.reason_by_code("icp_fit.tech.competing").expect("r").message.contains("limited"));
    assert_eq!(num(&s, "technographic_score"), Some(0.0));

    lead.company.technologies = strings(&["rivalscore"]);
    let s = score(&lead);
    assert_eq!(points(&s, "icp_fit.tech.no_bonus"), 0.0);
    let competing = points(&s, "icp_fit.tech.competing");
    assert!(competing == 0.0 && competing.is_sign_positive());
    assert_eq!(s.value(), 80.0);
}

#[test]
fn required_tools_all_and_any() {
    let mut lead = ideal();
    lead.company.technologies = strings(&["salesforce"]);
    let all = harness(r#"{"technographic":{"required":["salesforce","hubspot"]}}"#);
    let s = score_with(&all, &lead);
    // required 20 of 40 + bonus 20 of 60 = 40 of 100 technographic.
    assert_eq!(points(&s, "icp_fit.tech.required_partial"), 4.0);
    assert_eq!(num(&s, "technographic_score"), Some(40.0));
    assert_eq!(
        s.reason_by_code("icp_fit.tech.required_partial").expect("r").message,
        "Uses 1 of 2 required tools (salesforce); missing hubspot"
    );

    let any = harness(r#"{"technographic":{"required":["salesforce","hubspot"],"required_match":"any"}}"#);
    let s = score_with(&any, &lead);
    assert_eq!(points(&s, "icp_fit.tech.required"), 8.0);

    lead.company.technologies = strings(&["slack"]);
    let s = score_with(&any, &lead);
    assert_eq!(points(&s, "icp_fit.tech.required_missing"), 0.0);
    assert_eq!(num(&s, "technographic_score"), Some(0.0));
}

#[test]
fn weights_are_configurable_and_empty_criteria_drop_out() {
    let mut lead = ideal();
    lead.contact.seniority = Seniority::Unknown;
    lead.contact.department = String::new();
    // Firmographic 100, demographic 0, technographic 100.
    assert_eq!(score(&lead).value(), 70.0);
    let firmo_only = harness(r#"{"weights":{"firmographic":1,"demographic":0,"technographic":0}}"#);
    assert_eq!(score_with(&firmo_only, &lead).value(), 100.0);
    assert_eq!(points(&score_with(&firmo_only, &lead), "icp_fit.industry.target"), 35.0);

    // No technographic criteria at all: its 20 is shared by the other two.
    let no_tech = harness(r#"{"technographic":{"bonus":[],"competing":[]}}"#);
    let s = score_with(&no_tech, &lead);
    // 50/80 of 100: reasons 21.88 + 15.63 + 12.5 + 12.5, each rounded to
    // cents, and the score is exactly their sum.
    assert_eq!(s.value(), 62.51);
    assert_eq!(s.value(), s.total_points());
    assert_eq!(num(&s, "technographic_score"), None);
    assert_eq!(num(&s, "known_attributes"), Some(5.0));
}

#[test]
fn empty_target_lists_mean_no_preference() {
    let h = harness(r#"{"firmographic":{"target_industries":[],"served_regions":[]}}"#);
    let mut lead = ideal();
    lead.company.industry = "retail".into();
    lead.company.region = "APAC".into();
    let s = score_with(&h, &lead);
    assert_eq!(flag(&s, "industry_match"), Some(true));
    assert_eq!(flag(&s, "region_served"), Some(true));
    assert!(s.disqualifiers().is_empty());
    assert!(s.reason_by_code("icp_fit.industry.other").is_none());
    assert_eq!(s.value(), 100.0);
}

#[test]
fn config_lists_are_case_insensitive() {
    let h = harness(
        r#"{"firmographic":{"target_industries":[" Software "],"served_regions":["emea"],"country_regions":{"de":"emea"}}}"#,
    );
    let mut lead = ideal();
    lead.company.region = String::new();
    lead.contact.country = "DE".into();
    let s = score_with(&h, &lead);
    assert_eq!(points(&s, "icp_fit.industry.target"), 17.5);
    assert_eq!(points(&s, "icp_fit.region.served"), 10.0);
}

#[test]
fn competitor_by_company_or_email_domain() {
    let mut lead = ideal();
    lead.company.domain = "rivalscore.com".into();
    let s = score(&lead);
    assert_eq!(codes(&s), ["icp.competitor"]);
    assert_eq!(flag(&s, "competitor"), Some(true));
    let r = s.reason_by_code("icp_fit.competitor").expect("r");
    assert_eq!((r.points, r.fields.clone()), (0.0, vec!["company.domain".into()]));

    let mut lead = ideal();
    lead.company.domain = String::new();
    lead.contact.email = "sam@eu.leadrank.io".into();
    let s = score(&lead);
    assert_eq!(codes(&s), ["icp.competitor"]);
    assert_eq!(s.reason_by_code("icp_fit.competitor").expect("r").fields, vec!["contact.email"]);

    let h = harness(r#"{"disqualifiers":{"competitor_domains":["acme.com"]}}"#);
    assert_eq!(codes(&score_with(&h, &ideal())), ["icp.competitor"]);
}

#[test]
fn free_mail_only_when_b2b_only() {
    let mut lead = ideal();
    lead.contact.email = "Jane@GMAIL.com".into();
    let s = score(&lead);
    assert_eq!(codes(&s), ["icp.free_mail"]);
    assert_eq!(s.disqualifiers()[0].message, "Personal e-mail address at gmail.com (B2B only)");
    let h = harness(r#"{"disqualifiers":{"b2b_only":false}}"#);
    assert!(score_with(&h, &lead).disqualifiers().is_empty());

    let mut lead = ideal();
    lead.contact.email = String::new();
    lead.company.domain = "outlook.com".into();
    assert_eq!(codes(&score(&lead)), ["icp.free_mail"]);
}

#[test]
fn disposable_email_is_always_reported() {
    let mut lead = ideal();
    lead.contact.email = "x@mailinator.com".into();
    assert_eq!(codes(&score(&lead)), ["icp.disposable_email"]);
    let h = harness(r#"{"disqualifiers":{"b2b_only":false}}"#);
    assert_eq!(codes(&score_with(&h, &lead)), ["icp.disposable_email"]);
}

#[test]
fn students_interns_and_private_persons() {
    let disqualified = [
        (Seniority::Intern, "Marketing"),
        (Seniority::Unknown, "Marketing Student"),
        (Seniority::Unknown, "Sales Intern"),
        (Seniority::Unknown, "PhD Candidate"),
        (Seniority::Unknown, "Apprentice Engineer"),
        (Seniority::Unknown, "Retired"),
        (Seniority::Unknown, "Job Seeker"),
        (Seniority::Unknown, "Personal"),
        (Seniority::Unknown, "  personal use "),
    ];
    for (seniority, title) in disqualified {
        let mut lead = ideal();
        lead.contact.seniority = seniority;
        lead.contact.job_title = title.into();
        let s = score(&lead);
        assert_eq!(codes(&s), ["icp.student"], "{title}");
        assert_eq!(points(&s, "icp_fit.student"), 0.0);
    }
    for title in
        ["Head of Internal Communications", "International Sales Director", "Personal Assistant to the CEO"]
    {
        let mut lead = ideal();
        lead.contact.job_title = title.into();
        assert!(score(&lead).disqualifiers().is_empty(), "{title}");
    }
    let mut lead = ideal();
    lead.contact.seniority = Seniority::Intern;
    let s = score(&lead);
    assert_eq!(s.reason_by_code("icp_fit.student").expect("r").fields, vec!["contact.seniority"]);
    assert_eq!(points(&s, "icp_fit.seniority.intern"), 0.0);
}

#[test]
fn several_disqualifiers_are_all_reported() {
    let mut lead = ideal();
    lead.contact.email = "kid@gmail.com".into();
    lead.contact.job_title = "Student".into();
    lead.company.industry = "gambling".into();
    lead.company.region = "LATAM".into();
    let s = score(&lead);
    assert_eq!(codes(&s), ["icp.excluded_industry", "icp.region_not_served", "icp.free_mail", "icp.student"]);
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (r#"{"weights":{"firmographic":-1}}"#, "weights.firmographic"),
        (r#"{"weights":{"firmographic":0,"demographic":0,"technographic":0}}"#, "weights"),
        (r#"{"unknown_share":2}"#, "unknown_share"),
        (r#"{"firmographic":{"industry_points":101}}"#, "firmographic.industry_points"),
        (r#"{"firmographic":{"other_industry_share":-0.5}}"#, "firmographic.other_industry_share"),
        (
            r#"{"firmographic":{"employees":{"points":25,"min":0,"max":10,"falloff_factor":10}}}"#,
            "firmographic.employees.min",
        ),
        (
            r#"{"firmographic":{"employees":{"points":25,"min":100,"max":10,"falloff_factor":10}}}"#,
            "firmographic.employees.max",
        ),
        (
            r#"{"firmographic":{"revenue":{"points":20,"min":1,"max":10,"falloff_factor":1}}}"#,
            "firmographic.revenue.falloff_factor",
        ),
        (r#"{"firmographic":{"employees":{"points":25,"min":1}}}"#, "firmographic.employees"),
        (r#"{"firmographic":{"target_industries":["software",""]}}"#, "firmographic.target_industries[1]"),
        (r#"{"firmographic":{"excluded_industries":["Software"]}}"#, "firmographic.excluded_industries[0]"),
        (r#"{"demographic":{"seniority":{"vp":1.5}}}"#, "demographic.seniority.vp"),
        (r#"{"demographic":{"department_points":-1}}"#, "demographic.department_points"),
        (r#"{"technographic":{"competing":["segment"]}}"#, "technographic.competing[0]"),
        (r#"{"technographic":{"required_match":"most"}}"#, "technographic.required_match"),
        (r#"{"technographic":{"bonus_points_max":500}}"#, "technographic.bonus_points_max"),
        (r#"{"disqualifiers":{"free_mail_domains":[" "]}}"#, "disqualifiers.free_mail_domains[0]"),
    ];
    for (config, key) in cases {
        let e = config_error(config);
        assert_eq!(e.key, key, "{config}: {e}");
        assert!(!e.message.is_empty());
    }
    let e = config_error(r#"{"firmographic":{"industries":["software"]}}"#);
    assert!(e.message.contains("industries"), "{e}");
}

#[test]
fn default_config_is_the_documented_icp() {
    let h = harness("");
    let c = &h.scorer().config;
    assert_eq!(c.weights.firmographic, 50.0);
    assert_eq!(c.firmographic.employees.min, 50.0);
    assert_eq!(c.firmographic.revenue.max, 1_000_000_000.0);
    assert_eq!(c.firmographic.served_regions, strings(&["NA", "EMEA"]));
    assert!(c.disqualifiers.b2b_only);
    assert_eq!(c.disqualifiers.competitor_domains, strings(&["rivalscore.com", "leadrank.io"]));
}

#[test]
fn scoring_is_deterministic() {
    let h = harness("{}");
    let mut lead = ideal();
    lead.company.technologies = strings(&["snowflake", "rivalscore", "hubspot"]);
    let a = score_with(&h, &lead);
    let b = score_with(&h, &lead);
    assert_eq!(a, b);
}

#[test]
fn abi_path_returns_the_same_score() {
    let h = harness(r#"{"technographic":{"required":["salesforce"]}}"#);
    let mut odd = ideal();
    odd.contact.email = "kid@gmail.com".into();
    odd.company.region = "APAC".into();
    odd.company.employee_count = Some(12);
    for lead in [LeadRecord::default(), ideal(), odd] {
        let direct = score_with(&h, &lead);
        let via_abi = h.score_via_abi(crate::hql_scorer_descriptor, &lead, AS_OF).expect("abi");
        assert_eq!(direct, via_abi);
    }
}

#[test]
fn emitted_facts_and_codes_are_declared() {
    use hql_plugin_api::Scorer;
    let mut lead = ideal();
    lead.contact.job_title = "Student".into();
    lead.company.domain = "rivalscore.com".into();
    let s = score(&lead);
    assert_eq!(s.facts().len(), IcpFitScorer::FACTS.len());
    for fact in s.facts() {
        let spec = IcpFitScorer::FACTS.iter().find(|f| f.name == fact.name).expect("declared fact");
        assert_eq!(spec.kind, fact.value.kind(), "{}", fact.name);
    }
    for d in s.disqualifiers() {
        assert!(IcpFitScorer::DISQUALIFIERS.iter().any(|c| c.code == d.code), "{}", d.code);
    }
}

fn messages(s: &Score) -> Vec<(&str, &str)> {
    s.reasons().iter().map(|r| (r.code.as_ref(), r.message.as_ref())).collect()
}

#[test]
fn every_message_reads_as_before() {
    let h = harness(
        r#"{"technographic":{"required":["salesforce","hubspot","marketo"]},"disqualifiers":{"b2b_only":true}}"#,
    );
    let mut lead = ideal();
    lead.contact.email = "sam@EU.LeadRank.io".into();
    lead.contact.country = "DE".into();
    lead.contact.department = "finance".into();
    lead.company.domain = String::new();
    lead.company.region = String::new();
    lead.company.industry = "retail".into();
    lead.company.employee_count = Some(25);
    lead.company.annual_revenue = Some(3e10);
    lead.company.technologies = strings(&["salesforce", "", "rivalscore", "hubspot", "gong"]);
    let s = score_with(&h, &lead);
    assert_eq!(
        messages(&s),
        [
            ("icp_fit.industry.other", "Industry 'retail' is not a target industry (25% credit)"),
            (
                "icp_fit.employees.below_range",
                "25 employees: 2× below the 50–5,000 target range (69.9% credit)"
            ),
            (
                "icp_fit.revenue.above_range",
                "Annual revenue $30B: 30× above the $5M–$1B target range (0% credit)"
            ),
            ("icp_fit.region.served", "Region EMEA (from country DE) is served"),
            ("icp_fit.seniority.vp", "Seniority vp (100% of seniority points)"),
            ("icp_fit.department.other", "Department 'finance' is not a target department (25% credit)"),
            (
                "icp_fit.tech.required_partial",
                "Uses 2 of 3 required tools (salesforce, hubspot); missing marketo"
            ),
            ("icp_fit.tech.bonus", "Uses 3 bonus tool(s): salesforce, hubspot, gong"),
            ("icp_fit.tech.competing", "Uses competing tool(s): rivalscore"),
            ("icp_fit.competitor", "E-mail domain eu.leadrank.io belongs to a competitor (leadrank.io)"),
        ]
    );

    let mut lead = ideal();
    lead.company.region = "APAC".into();
    lead.company.employee_count = Some(-4);
    lead.company.annual_revenue = Some(-2_500_000.0);
    lead.company.technologies = strings(&["rivalscore", "leadrank"]);
    lead.contact.email = "kid@mailinator.com".into();
    let s = score_with(&harness(r#"{"technographic":{"required":["snowflake"],"bonus":[]}}"#), &lead);
    assert_eq!(
        messages(&s),
        [
            ("icp_fit.industry.target", "Industry 'software' is a target industry"),
            ("icp_fit.employees.unknown", "Employee count -4 is not valid; treated as unknown"),
            ("icp_fit.revenue.unknown", "Annual revenue $-2.5M is not valid; treated as unknown"),
            ("icp_fit.region.not_served", "Region APAC is not served (served: NA, EMEA)"),
            ("icp_fit.seniority.vp", "Seniority vp (100% of seniority points)"),
            ("icp_fit.department.target", "Department 'marketing' is a target department"),
            ("icp_fit.tech.required_missing", "None of the required tools in use (snowflake)"),
            (
                "icp_fit.tech.competing",
                "Uses competing tool(s): rivalscore, leadrank (penalty limited so technographic fit stays at 0 or above)"
            ),
            ("icp_fit.disposable_email", "Disposable e-mail address at mailinator.com (mailinator.com)"),
        ]
    );
    let dq: Vec<(&str, &str)> =
        s.disqualifiers().iter().map(|d| (d.code.as_ref(), d.message.as_ref())).collect();
    assert_eq!(
        dq,
        [
            ("icp.region_not_served", "Region APAC is not served (served: NA, EMEA)"),
            ("icp.disposable_email", "Disposable e-mail address at mailinator.com (mailinator.com)"),
        ]
    );

    let mut lead = LeadRecord::default();
    lead.contact.country = "XX".into();
    lead.company.domain = "Gmail.com".into();
    let s = score(&lead);
    assert_eq!(
        messages(&s)[3],
        (
            "icp_fit.region.unknown",
            "Region unknown: no company region, and country XX is not in country_regions"
        )
    );
    assert!(s.reason_by_code("icp_fit.free_mail").is_none(), "company domains are compared as sent");
}

/// Job titles are split into words and lower-cased with Unicode's rules; a
/// title that is not ASCII must match exactly as it always did.
#[test]
fn job_titles_match_whole_words_in_any_case() {
    let student = |h: &Harness<IcpFitScorer>, title: &str| -> Option<String> {
        let mut lead = ideal();
        lead.contact.job_title = title.into();
        let s = score_with(h, &lead);
        s.reason_by_code("icp_fit.student").map(|r| r.message.to_string())
    };
    let h = harness("{}");
    assert_eq!(
        student(&h, " Marketing INTERN ").as_deref(),
        Some("Job title 'Marketing INTERN' marks a student or trainee ('intern')")
    );
    assert_eq!(
        student(&h, "Looking-For-Work, now").as_deref(),
        Some("Job title 'Looking-For-Work, now' marks a private person ('looking for work')")
    );
    // The Kelvin sign lower-cases to an ASCII `k`.
    assert_eq!(
        student(&h, "Job See\u{212A}er").as_deref(),
        Some("Job title 'Job See\u{212A}er' marks a private person ('job seeker')")
    );
    // A combining accent is not part of a word.
    assert_eq!(
        student(&h, "Student\u{301}").as_deref(),
        Some("Job title 'Student\u{301}' marks a student or trainee ('student')")
    );
    // Dotted capital I lower-cases to `i` plus a combining dot: not "intern".
    assert_eq!(student(&h, "\u{130}ntern"), None);
    assert_eq!(student(&h, "Ｓtudent"), None);
    assert_eq!(student(&h, "Personal Assistant"), None);
    assert_eq!(
        student(&h, "PRIVATE\tindividual").as_deref(),
        Some("Job title 'PRIVATE\tindividual' marks a private person ('private individual')")
    );
    let long = "Senior Vice President of Global Field Marketing and Demand Generation for the Americas and EMEA Intern";
    assert_eq!(student(&h, long), Some(format!("Job title '{long}' marks a student or trainee ('intern')")));

    let h = harness(
        r#"{"disqualifiers":{"student_title_keywords":["Étudiant"],"personal_title_keywords":["ｓtudent"],"personal_titles":["Private  Use"]}}"#,
    );
    assert_eq!(
        student(&h, "ÉTUDIANT en droit").as_deref(),
        Some("Job title 'ÉTUDIANT en droit' marks a student or trainee ('étudiant')")
    );
    assert_eq!(student(&h, "Student"), None);
    assert_eq!(
        student(&h, "Ｓtudent").as_deref(),
        Some("Job title 'Ｓtudent' marks a private person ('ｓtudent')")
    );
    assert_eq!(
        student(&h, "private use").as_deref(),
        Some("Job title 'private use' marks a private person ('private  use')")
    );
    assert_eq!(student(&h, "private use only"), None);
}
