//! The intent scorer's configuration, and its compiled form.
//!
//! `points` is a table with one key per built-in event type: a policy sets
//! only the types it wants to change and keeps the defaults for the rest, and
//! a misspelt type (`demo_requests`) is refused instead of silently scoring 0.
//! Custom event types go in `custom_points`. The funnel-stage lists replace
//! their default when given, because a list is a classification, not a set of
//! overrides.
//!
//! [`IntentConfig::compile`] validates everything (naming the key at fault)
//! and turns the lists into one lookup table, [`Rules`], that `score` reads
//! without allocating.

use std::collections::{BTreeMap, HashMap};

use foldhash::fast::FixedState;

use hql_plugin_api::ConfigError;
use serde::Deserialize;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

/// The whole config table, as written in the policy.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct IntentConfig {
    /// Points per built-in event type, before decay and multipliers.
    pub(crate) points: EventPoints,
    /// Points for custom event types (snake_case names). Default empty.
    pub(crate) custom_points: BTreeMap<String, f64>,
    /// Days after which an event counts half (default 30).
    pub(crate) half_life_days: f64,
    /// Events older than this are ignored, with a reason (default 365).
    pub(crate) max_age_days: f64,
    /// Bottom-funnel events older than this still earn their decayed points
    /// but no longer count in the `bottom_funnel_events` fact: a demo request
    /// from last spring is history, not a current request for sales. Default:
    /// `max_age_days` (every counted bottom-funnel event is current).
    pub(crate) bottom_funnel_window_days: Option<f64>,
    /// Multiplier for third-party signals (default 0.5).
    pub(crate) third_party_multiplier: f64,
    /// Most decayed points one event type can earn, per type. Default empty.
    pub(crate) type_caps: BTreeMap<String, f64>,
    /// Cap for types without a `type_caps` entry, as a multiple of the type's
    /// points (default 3: three recent events' worth).
    pub(crate) default_type_cap: f64,
    /// Most points each funnel stage can earn together.
    pub(crate) stage_caps: StageCaps,
    /// Points for an event the lead answered negatively (default -2, decayed).
    pub(crate) negative_response_points: f64,
    /// Bottom-of-funnel types: buying actions.
    pub(crate) bottom_funnel_types: Vec<String>,
    /// Mid-funnel types: evaluation.
    pub(crate) mid_funnel_types: Vec<String>,
    /// Top-of-funnel types: awareness and education.
    pub(crate) top_funnel_types: Vec<String>,
    /// Third-party intent types (third-party when their source is unknown).
    pub(crate) third_party_types: Vec<String>,
    /// Types that subtract points and report a disqualifier code.
    pub(crate) negative_types: Vec<String>,
    /// Types counted as content downloads (fact `content_downloads`).
    pub(crate) content_download_types: Vec<String>,
}

impl Default for IntentConfig {
    fn default() -> Self {
        IntentConfig {
            points: EventPoints::default(),
            custom_points: BTreeMap::new(),
            half_life_days: 30.0,
            max_age_days: 365.0,
            bottom_funnel_window_days: None,
            third_party_multiplier: 0.5,
            type_caps: BTreeMap::new(),
            default_type_cap: 3.0,
            stage_caps: StageCaps::default(),
            negative_response_points: -2.0,
            bottom_funnel_types: names(&[
                "demo_request",
                "contact_sales",
                "quote_request",
                "free_trial_signup",
                "sales_meeting",
                "pricing_page_view",
            ]),
            mid_funnel_types: names(&[
                "case_study_view",
                "webinar_attendance",
                "event_attendance",
                "product_page_view",
                "webinar_registration",
                "email_click",
                "email_reply",
                "inbound_question",
            ]),
            top_funnel_types: names(&[
                "whitepaper_download",
                "ebook_download",
                "newsletter_signup",
                "blog_view",
                "email_open",
                "social_engagement",
                "ad_click",
                "website_visit",
                "form_submission",
                "campaign_response",
            ]),
            third_party_types: names(&["keyword_research", "competitor_site_visit", "review_site_visit"]),
            negative_types: names(&["unsubscribe", "hard_bounce", "spam_complaint"]),
            content_download_types: names(&["ebook_download", "whitepaper_download"]),
        }
    }
}

macro_rules! event_points {
    ($( $(#[$doc:meta])* $name:ident = $default:expr ),+ $(,)?) => {
        /// Points per built-in event type; every key optional.
        #[derive(Clone, Debug, Deserialize, PartialEq)]
        #[serde(deny_unknown_fields, default)]
        pub(crate) struct EventPoints {
            $( $(#[$doc])* pub(crate) $name: f64, )+
        }

        impl Default for EventPoints {
            fn default() -> Self {
                EventPoints { $( $name: $default, )+ }
            }
        }

        impl EventPoints {
            /// Every built-in type with its points, in declaration order.
            pub(crate) fn entries(&self) -> Vec<(&'static str, f64)> {
                vec![$( (stringify!($name), self.$name), )+]
            }
        }
    };
}

event_points! {
    /// Bottom funnel (article 002: "pricing pages, free trials, product demos").
    demo_request = 35.0,
    /// Bottom funnel.
    contact_sales = 35.0,
    /// Bottom funnel.
    quote_request = 35.0,
    /// Bottom funnel.
    free_trial_signup = 30.0,
    /// Bottom funnel.
    sales_meeting = 30.0,
    /// Bottom funnel.
    pricing_page_view = 15.0,
    /// Mid funnel (article 002: "case studies").
    case_study_view = 8.0,
    /// Mid funnel.
    webinar_attendance = 8.0,
    /// Mid funnel.
    event_attendance = 8.0,
    /// Mid funnel.
    product_page_view = 6.0,
    /// Mid funnel.
    webinar_registration = 5.0,
    /// Mid funnel.
    email_click = 3.0,
    /// Top funnel (articles 001-003: downloads are MQL signals).
    whitepaper_download = 5.0,
    /// Top funnel.
    ebook_download = 4.0,
    /// Top funnel.
    newsletter_signup = 3.0,
    /// Top funnel.
    blog_view = 2.0,
    /// Top funnel.
    email_open = 0.5,
    /// Top funnel.
    social_engagement = 1.0,
    /// Top funnel.
    ad_click = 1.0,
    /// Top funnel.
    website_visit = 1.0,
    /// Top funnel: a bare form fill is how a contact enters the database, not
    /// interest in itself (domain notes: UNQUALIFIED is "nothing beyond a form
    /// fill"); what the form was for has its own type (demo_request,
    /// ebook_download, webinar_registration, ...).
    form_submission = 1.0,
    /// Third-party intent (article 003: "searching for product-related keywords").
    keyword_research = 6.0,
    /// Third-party intent ("looking at competitor websites").
    competitor_site_visit = 8.0,
    /// Third-party intent.
    review_site_visit = 8.0,
    /// Reciprocal engagement; small here because `trust_nurture` scores it.
    email_reply = 2.0,
    /// Reciprocal engagement; small here because `trust_nurture` scores it.
    inbound_question = 4.0,
    /// Campaign response; small here because `trust_nurture` scores it.
    campaign_response = 2.0,
    /// Negative: subtracted once, reported as `intent.unsubscribed`.
    unsubscribe = -20.0,
    /// Negative: subtracted once, reported as `intent.hard_bounce`.
    hard_bounce = -25.0,
    /// Negative: subtracted once, reported as `intent.spam_complaint`.
    spam_complaint = -40.0,
}

/// Most points a funnel stage can earn together, after per-type caps.
///
/// Article 004 warns that downloads alone do not make a lead qualified: the
/// top-funnel cap keeps any amount of content consumption below what a single
/// buying action earns.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct StageCaps {
    /// Default 100 (no cap below the score's maximum).
    pub(crate) bottom_funnel: f64,
    /// Default 40.
    pub(crate) mid_funnel: f64,
    /// Default 25.
    pub(crate) top_funnel: f64,
    /// Default 25.
    pub(crate) third_party: f64,
    /// Custom types not in any stage list. Default 100.
    pub(crate) other: f64,
}

impl Default for StageCaps {
    fn default() -> Self {
        StageCaps {
            bottom_funnel: 100.0,
            mid_funnel: 40.0,
            top_funnel: 25.0,
            third_party: 25.0,
            other: 100.0,
        }
    }
}

/// The funnel stage of an event type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    /// Buying actions.
    BottomFunnel,
    /// Evaluation.
    MidFunnel,
    /// Awareness and education.
    TopFunnel,
    /// Bought intent data.
    ThirdParty,
    /// Scored, but in no stage list (custom types).
    Other,
    /// Unsubscribe, bounce, complaint.
    Negative,
}

impl Stage {
    /// The name used in reason codes and `stage_caps`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Stage::BottomFunnel => "bottom_funnel",
            Stage::MidFunnel => "mid_funnel",
            Stage::TopFunnel => "top_funnel",
            Stage::ThirdParty => "third_party",
            Stage::Other => "other",
            Stage::Negative => "negative",
        }
    }

    /// [`Stage::label`] in lower case, for the middle of a sentence.
    pub(crate) fn lower_label(self) -> &'static str {
        match self {
            Stage::BottomFunnel => "bottom-funnel",
            Stage::MidFunnel => "mid-funnel",
            Stage::TopFunnel => "top-funnel",
            Stage::ThirdParty => "third-party",
            Stage::Other => "custom",
            Stage::Negative => "negative",
        }
    }

    /// Words for a message.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Stage::BottomFunnel => "Bottom-funnel",
            Stage::MidFunnel => "Mid-funnel",
            Stage::TopFunnel => "Top-funnel",
            Stage::ThirdParty => "Third-party",
            Stage::Other => "Custom",
            Stage::Negative => "Negative",
        }
    }
}

/// How one known event type is scored.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TypeRule {
    /// Points per event before decay and multipliers.
    pub(crate) points: f64,
    /// Most decayed points the type earns together (positive types).
    pub(crate) cap: f64,
    /// Funnel stage.
    pub(crate) stage: Stage,
    /// Third-party when the event's source is unknown.
    pub(crate) third_party_type: bool,
    /// Counts as a content download.
    pub(crate) content: bool,
    /// Disqualifier code reported for a negative type.
    pub(crate) disqualifier: Option<&'static str>,
    /// Code of the type's reason, `intent.<stage>.<type>`: built once here,
    /// not per lead.
    pub(crate) code: String,
    /// Position of the type in name order among the scored types: a lead's
    /// groups are found and kept in order by it, without comparing names.
    pub(crate) rank: u16,
}

/// Every scored type by name. Looked up once per event, so hashed rather
/// than searched in an ordered map (whose comparisons were a fifth of the
/// scorer's time), with foldhash's fixed-seed hasher: it reads a short name
/// eight or sixteen bytes at a time, where the byte-at-a-time FNV-1a used
/// before was a tenth of the scorer's time, and the standard SipHash more.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TypeTable(HashMap<String, TypeRule, FixedState>);

/// The table's hash seed: any fixed number. The table is private to one
/// scorer and built from its policy, not from requests, so a seed an
/// attacker could guess costs nothing; a fixed one keeps runs reproducible.
const TYPE_TABLE_SEED: u64 = 0x4854_4c5f_696e_7465;

impl TypeTable {
    /// Numbers the rules in name order (`TypeRule::rank`).
    fn new(types: BTreeMap<String, TypeRule>) -> TypeTable {
        let mut table =
            HashMap::with_capacity_and_hasher(types.len(), FixedState::with_seed(TYPE_TABLE_SEED));
        for (rank, (name, mut rule)) in types.into_iter().enumerate() {
            rule.rank = u16::try_from(rank).unwrap_or(u16::MAX);
            table.insert(name, rule);
        }
        TypeTable(table)
    }

    /// How `event_type` is scored; `None` for a type without points.
    pub(crate) fn get(&self, event_type: &str) -> Option<&TypeRule> {
        self.0.get(event_type)
    }
}

/// The validated, compiled configuration `score` reads.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rules {
    /// Every scored type, built-in and custom.
    pub(crate) types: TypeTable,
    /// See [`IntentConfig::half_life_days`].
    pub(crate) half_life_days: f64,
    /// See [`IntentConfig::max_age_days`].
    pub(crate) max_age_days: f64,
    /// See [`IntentConfig::bottom_funnel_window_days`]; `max_age_days` when
    /// not configured.
    pub(crate) bottom_funnel_window_days: f64,
    /// See [`IntentConfig::third_party_multiplier`].
    pub(crate) third_party_multiplier: f64,
    /// See [`IntentConfig::negative_response_points`].
    pub(crate) negative_response_points: f64,
    /// See [`IntentConfig::stage_caps`].
    pub(crate) stage_caps: StageCaps,
}

impl Rules {
    /// The cap of a stage (negative types are not capped).
    pub(crate) fn stage_cap(&self, stage: Stage) -> f64 {
        let c = &self.stage_caps;
        match stage {
            Stage::BottomFunnel => c.bottom_funnel,
            Stage::MidFunnel => c.mid_funnel,
            Stage::TopFunnel => c.top_funnel,
            Stage::ThirdParty => c.third_party,
            Stage::Other => c.other,
            Stage::Negative => f64::INFINITY,
        }
    }
}

/// The disqualifier code of a built-in negative type.
pub(crate) fn negative_code(event_type: &str) -> Option<&'static str> {
    match event_type {
        "unsubscribe" => Some("intent.unsubscribed"),
        "hard_bounce" => Some("intent.hard_bounce"),
        "spam_complaint" => Some("intent.spam_complaint"),
        _ => None,
    }
}

fn err(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::new(key, message)
}

fn is_snake_case(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn positive(key: &str, v: f64, what: &str) -> Result<(), ConfigError> {
    if !(v.is_finite() && v > 0.0) {
        return Err(err(key, format!("must be greater than 0 ({what}), got {v}")));
    }
    Ok(())
}

impl IntentConfig {
    /// Validates the config and builds the lookup table.
    pub(crate) fn compile(&self) -> Result<Rules, ConfigError> {
        positive("half_life_days", self.half_life_days, "days after which an event counts half, e.g. 30")?;
        positive("max_age_days", self.max_age_days, "days after which events are ignored, e.g. 365")?;
        let bottom_funnel_window_days = self.bottom_funnel_window_days.unwrap_or(self.max_age_days);
        positive(
            "bottom_funnel_window_days",
            bottom_funnel_window_days,
            "days a bottom-funnel event counts as a current buying action, e.g. 90",
        )?;
        if bottom_funnel_window_days > self.max_age_days {
            return Err(err(
                "bottom_funnel_window_days",
                format!(
                    "must be at most max_age_days ({}): older events are ignored altogether, got {}",
                    self.max_age_days, bottom_funnel_window_days
                ),
            ));
        }
        if !(self.third_party_multiplier.is_finite() && (0.0..=1.0).contains(&self.third_party_multiplier)) {
            return Err(err(
                "third_party_multiplier",
                format!(
                    "must be between 0 and 1 (third-party signals count less than first-party), got {}",
                    self.third_party_multiplier
                ),
            ));
        }
        positive("default_type_cap", self.default_type_cap, "a multiple of the type's points, e.g. 3")?;
        if !(self.negative_response_points.is_finite()
            && (-100.0..=0.0).contains(&self.negative_response_points))
        {
            return Err(err(
                "negative_response_points",
                format!("must be between -100 and 0, got {}", self.negative_response_points),
            ));
        }
        let c = &self.stage_caps;
        for (key, v) in [
            ("stage_caps.bottom_funnel", c.bottom_funnel),
            ("stage_caps.mid_funnel", c.mid_funnel),
            ("stage_caps.top_funnel", c.top_funnel),
            ("stage_caps.third_party", c.third_party),
            ("stage_caps.other", c.other),
        ] {
            if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
                return Err(err(key, format!("must be between 0 and 100 points, got {v}")));
            }
        }

        // Points: built-in table plus custom types.
        let builtin = self.points.entries();
        let mut points: BTreeMap<String, (f64, String)> = BTreeMap::new();
        for (name, v) in &builtin {
            points.insert((*name).to_string(), (*v, format!("points.{name}")));
        }
        for (name, v) in &self.custom_points {
            let key = format!("custom_points.{name}");
            if !is_snake_case(name) {
                return Err(err(key, "event types are snake_case: lower-case letters, digits and '_'"));
            }
            if points.contains_key(name) {
                return Err(err(key, format!("'{name}' is a built-in type; set points.{name} instead")));
            }
            points.insert(name.clone(), (*v, key));
        }
        for (v, key) in points.values() {
            if !(v.is_finite() && (-100.0..=100.0).contains(v)) {
                return Err(err(key.clone(), format!("must be between -100 and 100 points, got {v}")));
            }
        }

        // Stage lists: each type in at most one stage, and only scored types.
        let lists: [(&str, &Vec<String>, Stage); 5] = [
            ("bottom_funnel_types", &self.bottom_funnel_types, Stage::BottomFunnel),
            ("mid_funnel_types", &self.mid_funnel_types, Stage::MidFunnel),
            ("top_funnel_types", &self.top_funnel_types, Stage::TopFunnel),
            ("third_party_types", &self.third_party_types, Stage::ThirdParty),
            ("negative_types", &self.negative_types, Stage::Negative),
        ];
        let mut stages: BTreeMap<&str, (Stage, String)> = BTreeMap::new();
        for (list_key, list, stage) in lists {
            for (i, name) in list.iter().enumerate() {
                let key = format!("{list_key}[{i}]");
                if !points.contains_key(name) {
                    return Err(err(
                        key,
                        format!("'{name}' has no points: add it to custom_points (or fix the spelling)"),
                    ));
                }
                if let Some((other, other_key)) = stages.get(name.as_str()) {
                    return Err(err(
                        key,
                        format!(
                            "'{name}' is already a {} type ({other_key}); a type has one stage",
                            other.as_str()
                        ),
                    ));
                }
                stages.insert(name.as_str(), (stage, key));
            }
        }
        for (i, name) in self.content_download_types.iter().enumerate() {
            if !points.contains_key(name) {
                return Err(err(
                    format!("content_download_types[{i}]"),
                    format!("'{name}' has no points: add it to custom_points (or fix the spelling)"),
                ));
            }
        }

        // Sign: negative types subtract, every other type adds.
        let mut types = BTreeMap::new();
        for (name, (v, key)) in &points {
            let stage = stages.get(name.as_str()).map(|(s, _)| *s).unwrap_or(Stage::Other);
            if stage == Stage::Negative && *v > 0.0 {
                return Err(err(
                    key.clone(),
                    format!("'{name}' is a negative type, so its points must be 0 or less, got {v}"),
                ));
            }
            if stage != Stage::Negative && *v < 0.0 {
                return Err(err(
                    key.clone(),
                    format!("'{name}' is not in negative_types, so its points must be 0 or more, got {v}"),
                ));
            }
            types.insert(
                name.clone(),
                TypeRule {
                    points: *v,
                    cap: self.default_type_cap * v.max(0.0),
                    stage,
                    third_party_type: stage == Stage::ThirdParty,
                    content: self.content_download_types.contains(name),
                    disqualifier: if stage == Stage::Negative { negative_code(name) } else { None },
                    code: format!("intent.{}.{}", stage.as_str(), crate::explain::code_part(name)),
                    rank: 0,
                },
            );
        }

        // Per-type caps.
        for (name, cap) in &self.type_caps {
            let key = format!("type_caps.{name}");
            let Some(rule) = types.get_mut(name) else {
                return Err(err(
                    key,
                    format!("'{name}' has no points: add it to custom_points (or fix the spelling)"),
                ));
            };
            if rule.stage == Stage::Negative {
                return Err(err(key, "negative types are counted once and have no cap"));
            }
            if !(cap.is_finite() && (0.0..=100.0).contains(cap)) {
                return Err(err(key, format!("must be between 0 and 100 points, got {cap}")));
            }
            rule.cap = *cap;
        }

        Ok(Rules {
            types: TypeTable::new(types),
            half_life_days: self.half_life_days,
            max_age_days: self.max_age_days,
            bottom_funnel_window_days,
            third_party_multiplier: self.third_party_multiplier,
            negative_response_points: self.negative_response_points,
            stage_caps: self.stage_caps.clone(),
        })
    }
}
