//! The ICP fit scorer's configuration: the ideal customer profile itself.
//!
//! The defaults describe a plausible B2B SaaS profile (software, fintech,
//! healthcare technology, e-commerce and manufacturing companies of 50–5,000
//! people and $5M–$1B revenue in North America and EMEA, reached through
//! revenue, marketing, IT and engineering leaders). Every list and number is
//! a key so a revenue-operations team can describe *its* ICP without code.
//!
//! Case does not matter in the config: the host sends industries, departments,
//! technologies and domains lower-case and regions / countries upper-case, and
//! [`IcpConfig::normalise`] brings the config to the same case once, at
//! start-up. Empty entries and contradictions (an industry both targeted and
//! excluded) are refused with the key at fault.

use std::collections::BTreeMap;

use hql_plugin_api::ConfigError;
use hql_plugin_api::text::{count, usd_compact};
use serde::Deserialize;

use crate::gates::TitleRules;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

/// The whole config table.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct IcpConfig {
    /// Relative weights of the three sub-scores.
    pub(crate) weights: Weights,
    /// Share of a rule's points earned when its data is unknown (default 0).
    pub(crate) unknown_share: f64,
    /// Company: industry, size, revenue, region.
    pub(crate) firmographic: Firmographic,
    /// Contact: seniority, department.
    pub(crate) demographic: Demographic,
    /// Tools the company uses.
    pub(crate) technographic: Technographic,
    /// Hard disqualifiers that are not tied to a sub-score.
    pub(crate) disqualifiers: Disqualifiers,
}

/// Weights of the sub-scores; they are normalised by their sum.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Weights {
    /// Default 50.
    pub(crate) firmographic: f64,
    /// Default 30.
    pub(crate) demographic: f64,
    /// Default 20.
    pub(crate) technographic: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights { firmographic: 50.0, demographic: 30.0, technographic: 20.0 }
    }
}

/// Firmographic criteria; points are out of the sub-score's 100.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Firmographic {
    /// Points for a target industry (default 35).
    pub(crate) industry_points: f64,
    /// Industries we sell to.
    pub(crate) target_industries: Vec<String>,
    /// Share of `industry_points` for a known industry outside the target
    /// list (default 0.25).
    pub(crate) other_industry_share: f64,
    /// Industries we never sell to (reported as `icp.excluded_industry`).
    pub(crate) excluded_industries: Vec<String>,
    /// Employee count range.
    pub(crate) employees: RangeRule,
    /// Annual revenue range, USD.
    pub(crate) revenue: RangeRule,
    /// Points for a served region (default 20).
    pub(crate) region_points: f64,
    /// Regions sales covers; empty means every region is served.
    pub(crate) served_regions: Vec<String>,
    /// Country (ISO alpha-2) → region, used when the company region is unknown.
    pub(crate) country_regions: BTreeMap<String, String>,
}

impl Default for Firmographic {
    fn default() -> Self {
        let countries: &[(&str, &str)] = &[
            ("US", "NA"),
            ("CA", "NA"),
            ("GB", "EMEA"),
            ("IE", "EMEA"),
            ("DE", "EMEA"),
            ("FR", "EMEA"),
            ("NL", "EMEA"),
            ("BE", "EMEA"),
            ("ES", "EMEA"),
            ("IT", "EMEA"),
            ("CH", "EMEA"),
            ("AT", "EMEA"),
            ("SE", "EMEA"),
            ("DK", "EMEA"),
            ("NO", "EMEA"),
            ("FI", "EMEA"),
            ("PL", "EMEA"),
            ("IL", "EMEA"),
            ("AE", "EMEA"),
            ("ZA", "EMEA"),
            ("AU", "APAC"),
            ("NZ", "APAC"),
            ("JP", "APAC"),
            ("SG", "APAC"),
            ("IN", "APAC"),
            ("CN", "APAC"),
            ("BR", "LATAM"),
            ("MX", "LATAM"),
            ("AR", "LATAM"),
        ];
        Firmographic {
            industry_points: 35.0,
            target_industries: names(&[
                "software",
                "saas",
                "information_technology",
                "fintech",
                "financial_services",
                "healthcare_technology",
                "ecommerce",
                "manufacturing",
                "telecommunications",
                "professional_services",
            ]),
            other_industry_share: 0.25,
            excluded_industries: names(&["gambling", "adult_entertainment", "firearms", "cannabis"]),
            employees: RangeRule { points: 25.0, min: 50.0, max: 5_000.0, falloff_factor: 10.0 },
            revenue: RangeRule { points: 20.0, min: 5_000_000.0, max: 1_000_000_000.0, falloff_factor: 10.0 },
            region_points: 20.0,
            served_regions: names(&["NA", "EMEA"]),
            country_regions: countries.iter().map(|(c, r)| ((*c).to_string(), (*r).to_string())).collect(),
        }
    }
}

/// What the scorer derives from the config once, at start-up, so that
/// scoring a lead does not rebuild it: the texts messages quote (ranges, the
/// served regions) and the title keywords split into words.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    /// `firmographic.employees` as messages show it: `50–5,000`.
    pub(crate) employees_range: String,
    /// `firmographic.revenue` as messages show it: `$5M–$1B`.
    pub(crate) revenue_range: String,
    /// `firmographic.served_regions` as messages list them: `NA, EMEA`.
    pub(crate) served_regions: String,
    /// The job-title disqualifiers.
    pub(crate) titles: TitleRules,
}

impl Prepared {
    /// Derives from a normalised, valid config.
    pub(crate) fn new(cfg: &IcpConfig) -> Prepared {
        let f = &cfg.firmographic;
        let (employees, revenue) = (&f.employees, &f.revenue);
        Prepared {
            employees_range: format!(
                "{}–{}",
                count(employees.min.round() as i64),
                count(employees.max.round() as i64)
            ),
            revenue_range: format!("{}–{}", usd_compact(revenue.min), usd_compact(revenue.max)),
            served_regions: f.served_regions.join(", "),
            titles: TitleRules::new(&cfg.disqualifiers),
        }
    }
}

/// A target range with partial credit outside it.
///
/// Inside `[min, max]` the rule earns all its points. Outside, credit falls
/// linearly on a log scale and reaches 0 at `falloff_factor` times below
/// `min` or above `max`: with the default factor 10, a company half the
/// minimum size keeps 70 % of the points and one a tenth of it gets none.
/// Log scale because company sizes span orders of magnitude: 40 vs 50
/// employees is a small miss, 5 vs 50 a different kind of company.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RangeRule {
    /// Points inside the range.
    pub(crate) points: f64,
    /// Lower bound, inclusive (> 0).
    pub(crate) min: f64,
    /// Upper bound, inclusive (≥ min).
    pub(crate) max: f64,
    /// How many times outside the range credit reaches 0 (> 1).
    pub(crate) falloff_factor: f64,
}

/// Demographic criteria; points are out of the sub-score's 100.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Demographic {
    /// Points for the most valuable seniority (default 60).
    pub(crate) seniority_points: f64,
    /// Share of `seniority_points` per level.
    pub(crate) seniority: SeniorityShares,
    /// Points for a target department (default 40).
    pub(crate) department_points: f64,
    /// Departments that buy or use the product.
    pub(crate) target_departments: Vec<String>,
    /// Share of `department_points` for a known department outside the
    /// target list (default 0.25).
    pub(crate) other_department_share: f64,
}

impl Default for Demographic {
    fn default() -> Self {
        Demographic {
            seniority_points: 60.0,
            seniority: SeniorityShares::default(),
            department_points: 40.0,
            target_departments: names(&[
                "marketing",
                "sales",
                "revenue_operations",
                "it",
                "engineering",
                "operations",
            ]),
            other_department_share: 0.25,
        }
    }
}

/// Share of the seniority points per level (0–1).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct SeniorityShares {
    /// Default 0 (and reported as `icp.student`).
    pub(crate) intern: f64,
    /// Default 0.15.
    pub(crate) entry: f64,
    /// Default 0.4.
    pub(crate) senior: f64,
    /// Default 0.65.
    pub(crate) manager: f64,
    /// Default 0.9.
    pub(crate) director: f64,
    /// Default 1.0.
    pub(crate) vp: f64,
    /// Default 1.0.
    pub(crate) c_level: f64,
    /// Default 0.85.
    pub(crate) owner: f64,
}

impl Default for SeniorityShares {
    fn default() -> Self {
        SeniorityShares {
            intern: 0.0,
            entry: 0.15,
            senior: 0.4,
            manager: 0.65,
            director: 0.9,
            vp: 1.0,
            c_level: 1.0,
            owner: 0.85,
        }
    }
}

/// How required technologies must be present.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RequiredMatch {
    /// Every required tool; partial credit per tool present.
    #[default]
    All,
    /// At least one of them.
    Any,
}

/// Technographic criteria; points are out of the sub-score's 100.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Technographic {
    /// Tools the ICP must use (default none: no requirement).
    pub(crate) required: Vec<String>,
    /// `all` (default) or `any`.
    pub(crate) required_match: RequiredMatch,
    /// Points when the requirement is met (default 40).
    pub(crate) required_points: f64,
    /// Tools that make the product more valuable (integrations).
    pub(crate) bonus: Vec<String>,
    /// Points per bonus tool present (default 20).
    pub(crate) bonus_points_each: f64,
    /// Most points bonus tools can earn together (default 60).
    pub(crate) bonus_points_max: f64,
    /// Tools of competitors: a company already using one is harder to win.
    pub(crate) competing: Vec<String>,
    /// Points taken away per competing tool (default 25), never below 0 for
    /// the sub-score.
    pub(crate) competing_penalty_each: f64,
}

impl Default for Technographic {
    fn default() -> Self {
        Technographic {
            required: Vec::new(),
            required_match: RequiredMatch::All,
            required_points: 40.0,
            bonus: names(&[
                "salesforce",
                "hubspot",
                "marketo",
                "pardot",
                "segment",
                "snowflake",
                "outreach",
                "salesloft",
                "gong",
                "zoominfo",
            ]),
            bonus_points_each: 20.0,
            bonus_points_max: 60.0,
            competing: names(&["rivalscore", "leadrank"]),
            competing_penalty_each: 25.0,
        }
    }
}

/// Disqualifier lists.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Disqualifiers {
    /// Report free-mail addresses as `icp.free_mail` (default true).
    pub(crate) b2b_only: bool,
    /// Competitors' domains (`icp.competitor`); subdomains match too.
    pub(crate) competitor_domains: Vec<String>,
    /// Free personal mail providers (`icp.free_mail`).
    pub(crate) free_mail_domains: Vec<String>,
    /// Throw-away mail providers (`icp.disposable_email`, always reported).
    pub(crate) disposable_email_domains: Vec<String>,
    /// Whole words or phrases in a job title that mean a student (`icp.student`).
    pub(crate) student_title_keywords: Vec<String>,
    /// Whole words or phrases in a job title that mean a private person
    /// (`icp.student`).
    pub(crate) personal_title_keywords: Vec<String>,
    /// Whole job titles that mean a private person (`icp.student`); matched
    /// against the entire title so "Personal Assistant" is not caught by
    /// "personal".
    pub(crate) personal_titles: Vec<String>,
}

impl Default for Disqualifiers {
    fn default() -> Self {
        Disqualifiers {
            b2b_only: true,
            competitor_domains: names(&["rivalscore.com", "leadrank.io"]),
            free_mail_domains: names(&[
                "gmail.com",
                "googlemail.com",
                "yahoo.com",
                "ymail.com",
                "hotmail.com",
                "outlook.com",
                "live.com",
                "msn.com",
                "icloud.com",
                "me.com",
                "aol.com",
                "proton.me",
                "protonmail.com",
                "gmx.com",
                "gmx.de",
                "web.de",
                "mail.com",
                "yandex.com",
                "yandex.ru",
                "qq.com",
                "163.com",
            ]),
            disposable_email_domains: names(&[
                "mailinator.com",
                "guerrillamail.com",
                "sharklasers.com",
                "10minutemail.com",
                "temp-mail.org",
                "tempmail.com",
                "trashmail.com",
                "yopmail.com",
                "getnada.com",
                "dispostable.com",
                "maildrop.cc",
                "throwawaymail.com",
            ]),
            student_title_keywords: names(&[
                "student",
                "intern",
                "apprentice",
                "trainee",
                "phd candidate",
                "undergraduate",
            ]),
            personal_title_keywords: names(&["retired", "unemployed", "job seeker", "looking for work"]),
            personal_titles: names(&["personal", "personal use", "private", "private individual"]),
        }
    }
}

fn err(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::new(key, message)
}

fn points(key: &str, v: f64) -> Result<(), ConfigError> {
    if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
        return Err(err(key, format!("must be between 0 and 100 points of its sub-score, got {v}")));
    }
    Ok(())
}

fn share(key: &str, v: f64) -> Result<(), ConfigError> {
    if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
        return Err(err(key, format!("must be a share between 0 and 1, got {v}")));
    }
    Ok(())
}

/// Trims and re-cases every entry; refuses empty ones.
fn normalise_list(key: &str, list: &mut [String], upper: bool) -> Result<(), ConfigError> {
    for (i, item) in list.iter_mut().enumerate() {
        let trimmed = item.trim();
        if trimmed.is_empty() {
            return Err(err(format!("{key}[{i}]"), "must not be empty; remove the entry"));
        }
        *item = if upper { trimmed.to_uppercase() } else { trimmed.to_lowercase() };
    }
    Ok(())
}

/// Refuses an entry present in both lists.
fn disjoint(key_a: &str, a: &[String], key_b: &str, b: &[String]) -> Result<(), ConfigError> {
    for (i, item) in b.iter().enumerate() {
        if a.contains(item) {
            return Err(err(
                format!("{key_b}[{i}]"),
                format!("'{item}' is also listed in {key_a}; keep it in one of the two lists"),
            ));
        }
    }
    Ok(())
}

fn range(key: &str, r: &RangeRule) -> Result<(), ConfigError> {
    points(&format!("{key}.points"), r.points)?;
    if !(r.min.is_finite() && r.min > 0.0) {
        return Err(err(format!("{key}.min"), format!("must be greater than 0, got {}", r.min)));
    }
    if !(r.max.is_finite() && r.max >= r.min) {
        return Err(err(format!("{key}.max"), format!("must be at least min ({}), got {}", r.min, r.max)));
    }
    if !(r.falloff_factor.is_finite() && r.falloff_factor > 1.0) {
        return Err(err(
            format!("{key}.falloff_factor"),
            format!(
                "must be greater than 1 (how many times outside the range credit reaches 0, e.g. 10), got {}",
                r.falloff_factor
            ),
        ));
    }
    Ok(())
}

impl IcpConfig {
    /// Brings list entries to the host's case (lower-case names, upper-case
    /// regions and countries) and refuses empty entries.
    pub(crate) fn normalise(&mut self) -> Result<(), ConfigError> {
        let f = &mut self.firmographic;
        normalise_list("firmographic.target_industries", &mut f.target_industries, false)?;
        normalise_list("firmographic.excluded_industries", &mut f.excluded_industries, false)?;
        normalise_list("firmographic.served_regions", &mut f.served_regions, true)?;
        let mut countries = BTreeMap::new();
        for (country, region) in &f.country_regions {
            let (c, r) = (country.trim().to_uppercase(), region.trim().to_uppercase());
            if c.is_empty() || r.is_empty() {
                return Err(err(
                    format!("firmographic.country_regions.{country}"),
                    "country and region must both be non-empty, e.g. US = \"NA\"",
                ));
            }
            countries.insert(c, r);
        }
        f.country_regions = countries;
        normalise_list("demographic.target_departments", &mut self.demographic.target_departments, false)?;
        let t = &mut self.technographic;
        normalise_list("technographic.required", &mut t.required, false)?;
        normalise_list("technographic.bonus", &mut t.bonus, false)?;
        normalise_list("technographic.competing", &mut t.competing, false)?;
        let d = &mut self.disqualifiers;
        normalise_list("disqualifiers.competitor_domains", &mut d.competitor_domains, false)?;
        normalise_list("disqualifiers.free_mail_domains", &mut d.free_mail_domains, false)?;
        normalise_list("disqualifiers.disposable_email_domains", &mut d.disposable_email_domains, false)?;
        normalise_list("disqualifiers.student_title_keywords", &mut d.student_title_keywords, false)?;
        normalise_list("disqualifiers.personal_title_keywords", &mut d.personal_title_keywords, false)?;
        normalise_list("disqualifiers.personal_titles", &mut d.personal_titles, false)?;
        Ok(())
    }

    /// Refuses values that would make scores meaningless, naming the key.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let w = &self.weights;
        for (key, v) in [
            ("weights.firmographic", w.firmographic),
            ("weights.demographic", w.demographic),
            ("weights.technographic", w.technographic),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(err(key, format!("must be a weight of 0 or more, got {v}")));
            }
        }
        if w.firmographic + w.demographic + w.technographic <= 0.0 {
            return Err(err("weights", "at least one sub-score needs a positive weight (defaults 50/30/20)"));
        }
        share("unknown_share", self.unknown_share)?;

        let f = &self.firmographic;
        points("firmographic.industry_points", f.industry_points)?;
        share("firmographic.other_industry_share", f.other_industry_share)?;
        disjoint(
            "firmographic.target_industries",
            &f.target_industries,
            "firmographic.excluded_industries",
            &f.excluded_industries,
        )?;
        range("firmographic.employees", &f.employees)?;
        range("firmographic.revenue", &f.revenue)?;
        points("firmographic.region_points", f.region_points)?;

        let d = &self.demographic;
        points("demographic.seniority_points", d.seniority_points)?;
        let s = &d.seniority;
        for (key, v) in [
            ("demographic.seniority.intern", s.intern),
            ("demographic.seniority.entry", s.entry),
            ("demographic.seniority.senior", s.senior),
            ("demographic.seniority.manager", s.manager),
            ("demographic.seniority.director", s.director),
            ("demographic.seniority.vp", s.vp),
            ("demographic.seniority.c_level", s.c_level),
            ("demographic.seniority.owner", s.owner),
        ] {
            share(key, v)?;
        }
        points("demographic.department_points", d.department_points)?;
        share("demographic.other_department_share", d.other_department_share)?;

        let t = &self.technographic;
        points("technographic.required_points", t.required_points)?;
        points("technographic.bonus_points_each", t.bonus_points_each)?;
        points("technographic.bonus_points_max", t.bonus_points_max)?;
        points("technographic.competing_penalty_each", t.competing_penalty_each)?;
        disjoint("technographic.required", &t.required, "technographic.competing", &t.competing)?;
        disjoint("technographic.bonus", &t.bonus, "technographic.competing", &t.competing)?;
        Ok(())
    }
}
