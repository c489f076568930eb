//! Realistic leads, one per stage of `policies/default.toml`.
//!
//! The end-to-end tests need leads that land on a known stage for known
//! reasons, and several test files need the same ones (stages, replay,
//! Explain parity, batches). Each persona is written the way the domain
//! articles describe such a lead, and its doc comment says which scorer
//! inputs put it on its stage under the default policy, so a test failing
//! on a persona points at the plugin rule that changed. Every time is
//! relative to the `as_of_ms` the persona is built for, so a persona is the
//! same lead at any `as_of` (and its decision replays identically).

use hql_proto::pb;

use crate::leads::{LeadBuilder, days_before, event, lead, ts};

/// An event `days` days before `as_of_ms` on `channel`.
pub fn touch(event_type: pb::EventType, as_of_ms: i64, days: i64, channel: pb::Channel) -> pb::Event {
    pb::Event { channel: channel as i32, ..event(event_type, days_before(as_of_ms, days)) }
}

/// As [`touch`], answered positively (a reply, an accepted invitation).
pub fn positive_touch(
    event_type: pb::EventType,
    as_of_ms: i64,
    days: i64,
    channel: pb::Channel,
) -> pb::Event {
    pb::Event {
        response: pb::ResponseSentiment::Positive as i32,
        ..touch(event_type, as_of_ms, days, channel)
    }
}

/// Dana Whitfield, VP of Engineering at Northwind Analytics: a 400-person
/// software company in North America, the ideal customer profile in every
/// respect (ICP fit 100). She is the economic buyer with a confirmed budget
/// above the typical deal, a confirmed need and a 45-day timeline; she has
/// been nurtured for months across five channels (webinar, e-mail, a trade
/// show, chat, phone), replied and asked questions, and in the last two
/// weeks viewed pricing, requested a demo and met sales. Every HQL gate
/// passes: **HQL**.
pub fn hql_lead(lead_id: &str, as_of_ms: i64) -> LeadBuilder {
    use pb::Channel as C;
    use pb::EventType as E;
    lead(lead_id)
        .email("dana.whitfield@northwind-analytics.com")
        .job_title("VP of Engineering")
        .seniority(pb::Seniority::Vp)
        .department("engineering")
        .country("US")
        .company_domain("northwind-analytics.com")
        .industry("software")
        .employees(400)
        .revenue(60_000_000.0)
        .region("NA")
        .technology("salesforce")
        .technology("hubspot")
        .technology("segment")
        .bant(pb::Bant {
            budget_status: pb::BudgetStatus::Confirmed as i32,
            budget_amount: Some(30_000.0),
            authority: pb::Authority::EconomicBuyer as i32,
            need: pb::Need::Confirmed as i32,
            timeline_days: Some(45),
        })
        .events([
            touch(E::NewsletterSignup, as_of_ms, 200, C::Web),
            positive_touch(E::WebinarAttendance, as_of_ms, 63, C::Web),
            touch(E::CaseStudyView, as_of_ms, 49, C::Web),
            positive_touch(E::EmailReply, as_of_ms, 42, C::Email),
            touch(E::EventAttendance, as_of_ms, 35, C::Event),
            touch(E::InboundQuestion, as_of_ms, 28, C::Chat),
            touch(E::PricingPageView, as_of_ms, 14, C::Web),
            positive_touch(E::CampaignResponse, as_of_ms, 10, C::Email),
            touch(E::DemoRequest, as_of_ms, 3, C::Web),
            touch(E::SalesMeeting, as_of_ms, 1, C::Phone),
        ])
}

/// Marcus Lee, Director of Revenue Operations at a 1,200-person fintech in
/// EMEA (a good ICP fit), who requested a demo five days ago after looking
/// at the product pages. Discovery captured that he makes the decision and
/// states a need (two BANT answers), nothing about budget or timeline, and
/// there is no nurture history. Bottom-funnel intent, fit and some BANT:
/// **SQL**; HQL still needs a budget and weeks of nurture.
pub fn sql_lead(lead_id: &str, as_of_ms: i64) -> LeadBuilder {
    use pb::Channel as C;
    use pb::EventType as E;
    lead(lead_id)
        .email("marcus.lee@ledgerline.eu")
        .job_title("Director of Revenue Operations")
        .seniority(pb::Seniority::Director)
        .department("revenue_operations")
        .country("GB")
        .company_domain("ledgerline.eu")
        .industry("fintech")
        .employees(1_200)
        .revenue(150_000_000.0)
        .region("EMEA")
        .technology("hubspot")
        .bant(pb::Bant {
            authority: pb::Authority::DecisionMaker as i32,
            need: pb::Need::Stated as i32,
            ..pb::Bant::default()
        })
        .events([touch(E::ProductPageView, as_of_ms, 6, C::Web), touch(E::DemoRequest, as_of_ms, 5, C::Web)])
}

/// Priya Raman, engineering manager at a 150-person e-commerce company in
/// North America, twelve days into a free trial she started herself: the
/// account is activated, four seats are in use, five teammates invited,
/// three key features adopted (API, integrations, dashboards), a plan limit
/// hit twice and the trial ends in two days. Nobody from sales has spoken
/// to her (no BANT), so the sales track is closed, but the product track is
/// wide open: **PQL**.
pub fn pql_lead(lead_id: &str, as_of_ms: i64) -> LeadBuilder {
    use pb::Channel as C;
    use pb::EventType as E;
    lead(lead_id)
        .email("priya@cartwheel-shop.com")
        .job_title("Engineering Manager")
        .seniority(pb::Seniority::Manager)
        .department("engineering")
        .country("US")
        .company_domain("cartwheel-shop.com")
        .industry("ecommerce")
        .employees(150)
        .region("NA")
        .technology("segment")
        .technology("snowflake")
        .events([
            touch(E::ProductPageView, as_of_ms, 13, C::Web),
            touch(E::FreeTrialSignup, as_of_ms, 12, C::Product),
        ])
        .product_usage(pb::ProductUsage {
            signed_up_at: Some(ts(days_before(as_of_ms, 12))),
            activated: true,
            active_days_last_30: Some(10),
            active_days_prev_30: Some(0),
            seats: Some(4),
            invited_teammates: Some(5),
            features_adopted: vec!["api".into(), "integrations".into(), "dashboards".into()],
            plan_limit_hits: Some(2),
            plan: "trial".into(),
            trial_ends_at: Some(ts(as_of_ms + 2 * crate::leads::MS_PER_DAY)),
        })
}

/// Tom Becker, marketing manager at an 80-person professional-services
/// firm in Germany, who downloaded an e-book, read the blog and registered
/// for a webinar: top- and mid-funnel interest from a plausible fit, no
/// buying action yet: **MQL**.
pub fn mql_lead(lead_id: &str, as_of_ms: i64) -> LeadBuilder {
    use pb::Channel as C;
    use pb::EventType as E;
    lead(lead_id)
        .email("tom.becker@kanzlei-consult.de")
        .job_title("Marketing Manager")
        .seniority(pb::Seniority::Manager)
        .department("marketing")
        .country("DE")
        .company_domain("kanzlei-consult.de")
        .industry("professional_services")
        .employees(80)
        .events([
            touch(E::EbookDownload, as_of_ms, 20, C::Web),
            touch(E::BlogView, as_of_ms, 15, C::Web),
            touch(E::WebinarRegistration, as_of_ms, 8, C::Email),
        ])
}

/// Sam Ortiz, a senior engineer whose company we know nothing about, who
/// visited the website once today. Too little signal for anything, and not
/// a reason to disqualify either: **UNQUALIFIED**.
pub fn unqualified_lead(lead_id: &str, as_of_ms: i64) -> LeadBuilder {
    lead(lead_id)
        .email("sam.ortiz@quietfield.io")
        .job_title("Senior Software Engineer")
        .seniority(pb::Seniority::Senior)
        .event(touch(pb::EventType::WebsiteVisit, as_of_ms, 0, pb::Channel::Web))
}

/// Someone at rivalscore.com (a competitor, in `icp_fit`'s default list)
/// posing as a buyer: VP, demo request, pricing page. Whatever the
/// signals, a competitor is not worked: **DISQUALIFIED** by
/// `icp.competitor`.
pub fn competitor_lead(lead_id: &str, as_of_ms: i64) -> LeadBuilder {
    use pb::Channel as C;
    use pb::EventType as E;
    lead(lead_id)
        .email("j.doe@rivalscore.com")
        .job_title("VP Product")
        .seniority(pb::Seniority::Vp)
        .department("engineering")
        .company_domain("rivalscore.com")
        .industry("software")
        .employees(300)
        .region("NA")
        .events([touch(E::PricingPageView, as_of_ms, 4, C::Web), touch(E::DemoRequest, as_of_ms, 2, C::Web)])
}
