//! The scorer's configuration: every weight, threshold and event-type list,
//! with its default and its valid range.
//!
//! The component maxima add up to 100 with the defaults, weighted the way
//! article 004 ranks the evidence: periodic interaction (regularity 25 +
//! streak 10) and reciprocity (20) lead, then several channels (15) and
//! positive responses (15); the age of the relationship (10) and interest in
//! analogous solutions (5) only round it off.
//!
//! Every key is optional (`#[serde(default)]`) and unknown keys are refused
//! (`deny_unknown_fields`), so a typo in a policy stops the server at start-up
//! instead of silently scoring with a default.

use std::collections::BTreeMap;

use hql_plugin_api::{Config, ConfigError};
use serde::Deserialize;

/// Upper bound of any single weight: a score is 0–100.
const MAX_POINTS: f64 = 100.0;
/// Upper bound of `lookback_weeks`: two years.
const MAX_LOOKBACK_WEEKS: u32 = 104;
/// Upper bound of `relationship.full_at_days`: ten years.
const MAX_RELATIONSHIP_DAYS: u32 = 3650;

/// The whole configuration.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct NurtureConfig {
    /// Weeks (7-day buckets counted back from `as_of`) in which regularity and
    /// streaks are measured, 1–104. Default 12 (a quarter: long enough to see
    /// a rhythm, short enough that it is current).
    pub(crate) lookback_weeks: u32,
    /// Event types that are content downloads or passive consumption. If
    /// every engagement event is one of these, the score is capped at
    /// `content_only_cap`. Default: ebook_download, whitepaper_download,
    /// blog_view, newsletter_signup, email_open. An empty list disables the
    /// cap.
    pub(crate) content_types: Vec<String>,
    /// The cap for content-only leads, 0–100. Default 20.
    pub(crate) content_only_cap: f64,
    /// Event types that are the lead reaching back to us. Default:
    /// email_reply, inbound_question, sales_meeting. A `campaign_response`
    /// with a positive response is always reciprocal too.
    pub(crate) reciprocal_types: Vec<String>,
    /// Event types that show interest in analogous solutions (usually from a
    /// third-party intent provider). Default: review_site_visit,
    /// competitor_site_visit, keyword_research. Any third-party event counts
    /// as such interest too.
    pub(crate) analogous_types: Vec<String>,
    /// Event types that erode trust, with the points each occurrence takes
    /// away. Default: unsubscribe 25, spam_complaint 40, hard_bounce 15.
    /// Setting this key replaces the whole table.
    pub(crate) negative_types: BTreeMap<String, f64>,
    /// Distinct active weeks.
    pub(crate) regularity: RegularityConfig,
    /// Longest run of consecutive active weeks.
    pub(crate) streak: StreakConfig,
    /// Distinct channels of engagement.
    pub(crate) channels: ChannelsConfig,
    /// Campaign responses.
    pub(crate) responses: ResponsesConfig,
    /// Reciprocal interactions.
    pub(crate) reciprocal: ReciprocalConfig,
    /// Interest in analogous solutions.
    pub(crate) analogous: AnalogousConfig,
    /// Age of the relationship.
    pub(crate) relationship: RelationshipConfig,
}

impl Default for NurtureConfig {
    fn default() -> Self {
        NurtureConfig {
            lookback_weeks: 12,
            content_types: names(&[
                "ebook_download",
                "whitepaper_download",
                "blog_view",
                "newsletter_signup",
                "email_open",
            ]),
            content_only_cap: 20.0,
            reciprocal_types: names(&["email_reply", "inbound_question", "sales_meeting"]),
            analogous_types: names(&["review_site_visit", "competitor_site_visit", "keyword_research"]),
            negative_types: BTreeMap::from([
                ("unsubscribe".to_string(), 25.0),
                ("spam_complaint".to_string(), 40.0),
                ("hard_bounce".to_string(), 15.0),
            ]),
            regularity: RegularityConfig::default(),
            streak: StreakConfig::default(),
            channels: ChannelsConfig::default(),
            responses: ResponsesConfig::default(),
            reciprocal: ReciprocalConfig::default(),
            analogous: AnalogousConfig::default(),
            relationship: RelationshipConfig::default(),
        }
    }
}

/// Distinct active weeks within the lookback, scaled linearly.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RegularityConfig {
    /// Points at `full_at_weeks` active weeks or more. Default 25.
    pub(crate) max_points: f64,
    /// Active weeks that earn the maximum, 1–`lookback_weeks`. Default 8
    /// (two weeks in three over a quarter).
    pub(crate) full_at_weeks: u32,
}

impl Default for RegularityConfig {
    fn default() -> Self {
        RegularityConfig { max_points: 25.0, full_at_weeks: 8 }
    }
}

/// Longest run of consecutive active weeks within the lookback, scaled.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct StreakConfig {
    /// Points at `full_at_weeks` consecutive weeks or more. Default 10.
    pub(crate) max_points: f64,
    /// Consecutive weeks that earn the maximum, 1–`lookback_weeks`.
    /// Default 6.
    pub(crate) full_at_weeks: u32,
}

impl Default for StreakConfig {
    fn default() -> Self {
        StreakConfig { max_points: 10.0, full_at_weeks: 6 }
    }
}

/// Distinct known channels of engagement.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ChannelsConfig {
    /// Points per distinct channel. Default 5.
    pub(crate) points_per_channel: f64,
    /// Cap. Default 15 (three channels: a multichannel relationship).
    pub(crate) max_points: f64,
}

impl Default for ChannelsConfig {
    fn default() -> Self {
        ChannelsConfig { points_per_channel: 5.0, max_points: 15.0 }
    }
}

/// Positive and negative campaign responses.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ResponsesConfig {
    /// Points per positive response. Default 5.
    pub(crate) points_per_positive: f64,
    /// Cap for positive responses. Default 15.
    pub(crate) max_points: f64,
    /// Points taken away per negative response (events whose type is not in
    /// `negative_types`, which have their own penalties). Default 8; no cap.
    pub(crate) negative_penalty: f64,
}

impl Default for ResponsesConfig {
    fn default() -> Self {
        ResponsesConfig { points_per_positive: 5.0, max_points: 15.0, negative_penalty: 8.0 }
    }
}

/// Reciprocal interactions: replies, inbound questions, meetings.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ReciprocalConfig {
    /// Points per reciprocal interaction. Default 8.
    pub(crate) points_per_interaction: f64,
    /// Cap. Default 20.
    pub(crate) max_points: f64,
}

impl Default for ReciprocalConfig {
    fn default() -> Self {
        ReciprocalConfig { points_per_interaction: 8.0, max_points: 20.0 }
    }
}

/// Interest in analogous solutions (third-party research).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct AnalogousConfig {
    /// Points per event. Default 2.
    pub(crate) points_per_event: f64,
    /// Cap. Default 5: research elsewhere says the lead is in market, not
    /// that it trusts us.
    pub(crate) max_points: f64,
}

impl Default for AnalogousConfig {
    fn default() -> Self {
        AnalogousConfig { points_per_event: 2.0, max_points: 5.0 }
    }
}

/// Age of the relationship: days since the first visible event.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RelationshipConfig {
    /// Points at `full_at_days` or more. Default 10.
    pub(crate) max_points: f64,
    /// Days that earn the maximum, 1–3650. Default 180 (nurture takes
    /// months, not days).
    pub(crate) full_at_days: u32,
}

impl Default for RelationshipConfig {
    fn default() -> Self {
        RelationshipConfig { max_points: 10.0, full_at_days: 180 }
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

impl NurtureConfig {
    /// Parses and validates the policy's config; errors name the key.
    pub(crate) fn from_config(config: &Config<'_>) -> Result<NurtureConfig, ConfigError> {
        let mut cfg: NurtureConfig = config.parse()?;
        cfg.content_types = normalise_types("content_types", &cfg.content_types)?;
        cfg.reciprocal_types = normalise_types("reciprocal_types", &cfg.reciprocal_types)?;
        cfg.analogous_types = normalise_types("analogous_types", &cfg.analogous_types)?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let lookback = self.lookback_weeks;
        range("lookback_weeks", lookback, 1, MAX_LOOKBACK_WEEKS, "weeks")?;
        points("content_only_cap", self.content_only_cap)?;
        for (name, penalty) in &self.negative_types {
            event_type(&format!("negative_types.{name}"), name)?;
            points(&format!("negative_types.{name}"), *penalty)?;
        }
        self.check_lists_are_disjoint()?;
        points("regularity.max_points", self.regularity.max_points)?;
        within_lookback("regularity.full_at_weeks", self.regularity.full_at_weeks, lookback)?;
        points("streak.max_points", self.streak.max_points)?;
        within_lookback("streak.full_at_weeks", self.streak.full_at_weeks, lookback)?;
        points("channels.points_per_channel", self.channels.points_per_channel)?;
        points("channels.max_points", self.channels.max_points)?;
        points("responses.points_per_positive", self.responses.points_per_positive)?;
        points("responses.max_points", self.responses.max_points)?;
        points("responses.negative_penalty", self.responses.negative_penalty)?;
        points("reciprocal.points_per_interaction", self.reciprocal.points_per_interaction)?;
        points("reciprocal.max_points", self.reciprocal.max_points)?;
        points("analogous.points_per_event", self.analogous.points_per_event)?;
        points("analogous.max_points", self.analogous.max_points)?;
        points("relationship.max_points", self.relationship.max_points)?;
        range("relationship.full_at_days", self.relationship.full_at_days, 1, MAX_RELATIONSHIP_DAYS, "days")?;
        Ok(())
    }

    /// An event type belongs to at most one class: a type both "content" and
    /// "reciprocal" would make the content-only cap meaningless.
    fn check_lists_are_disjoint(&self) -> Result<(), ConfigError> {
        let lists: [(&str, Vec<&String>); 4] = [
            ("content_types", self.content_types.iter().collect()),
            ("reciprocal_types", self.reciprocal_types.iter().collect()),
            ("analogous_types", self.analogous_types.iter().collect()),
            ("negative_types", self.negative_types.keys().collect()),
        ];
        for (i, (key, list)) in lists.iter().enumerate() {
            for (earlier_key, earlier) in &lists[..i] {
                if let Some((pos, name)) = list.iter().enumerate().find(|(_, n)| earlier.contains(n)) {
                    let at = if *key == "negative_types" {
                        format!("{key}.{name}")
                    } else {
                        format!("{key}[{pos}]")
                    };
                    return Err(ConfigError::new(
                        at,
                        format!(
                            "\"{name}\" is already in {earlier_key}: an event type can be in only one list"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A weight must be a finite number from 0 to 100; penalties are given as
/// positive numbers and subtracted.
fn points(key: &str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && (0.0..=MAX_POINTS).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::new(
            key,
            format!(
                "must be a number of points from 0 to {MAX_POINTS}, got {value} \
                 (penalties are positive numbers)"
            ),
        ))
    }
}

fn range(key: &str, value: u32, min: u32, max: u32, unit: &str) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::new(
            key,
            format!("must be a whole number of {unit} from {min} to {max}, got {value}"),
        ))
    }
}

fn within_lookback(key: &str, value: u32, lookback: u32) -> Result<(), ConfigError> {
    if (1..=lookback).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::new(
            key,
            format!(
                "must be from 1 to lookback_weeks ({lookback}), got {value}: \
                 more weeks than the lookback could never earn full credit"
            ),
        ))
    }
}

/// Event types are snake_case: `[a-z0-9_]+`.
fn event_type(key: &str, name: &str) -> Result<(), ConfigError> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        Ok(())
    } else {
        Err(ConfigError::new(key, format!("\"{name}\" is not a snake_case event type ([a-z0-9_]+)")))
    }
}

/// Checks a list of event types, refusing bad and repeated names.
fn normalise_types(key: &str, list: &[String]) -> Result<Vec<String>, ConfigError> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for (i, name) in list.iter().enumerate() {
        let at = format!("{key}[{i}]");
        event_type(&at, name)?;
        if out.contains(name) {
            return Err(ConfigError::new(at, format!("\"{name}\" is listed twice: remove one")));
        }
        out.push(name.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hql_plugin_api::Logger;

    fn parse(json: &str) -> Result<NurtureConfig, ConfigError> {
        NurtureConfig::from_config(&Config::new(json, Logger::discard()))
    }

    #[test]
    fn empty_config_is_the_documented_defaults() {
        let cfg = parse("{}").expect("defaults");
        assert_eq!(cfg, NurtureConfig::default());
        assert_eq!(cfg.lookback_weeks, 12);
        assert_eq!(cfg.content_only_cap, 20.0);
        assert_eq!(
            cfg.content_types,
            ["ebook_download", "whitepaper_download", "blog_view", "newsletter_signup", "email_open"]
        );
        assert_eq!(cfg.negative_types.get("spam_complaint"), Some(&40.0));
    }

    #[test]
    fn default_maxima_add_up_to_100() {
        let c = NurtureConfig::default();
        let total = c.regularity.max_points
            + c.streak.max_points
            + c.channels.max_points
            + c.responses.max_points
            + c.reciprocal.max_points
            + c.analogous.max_points
            + c.relationship.max_points;
        assert_eq!(total, 100.0);
    }

    #[test]
    fn unknown_keys_are_refused_with_their_path() {
        let err = parse(r#"{"streak":{"max_pionts":4}}"#).expect_err("typo");
        assert_eq!(err.key, "streak.max_pionts");
        let err = parse(r#"{"lookback":4}"#).expect_err("typo");
        assert_eq!(err.key, "lookback");
    }

    #[test]
    fn lookback_bounds() {
        assert_eq!(parse(r#"{"lookback_weeks":0}"#).expect_err("zero").key, "lookback_weeks");
        assert_eq!(parse(r#"{"lookback_weeks":105}"#).expect_err("too long").key, "lookback_weeks");
        parse(r#"{"lookback_weeks":104}"#).expect("upper bound is valid");
        // Shrinking the lookback below the default full_at weeks must say so.
        let err = parse(r#"{"lookback_weeks":4}"#).expect_err("full_at beyond lookback");
        assert_eq!(err.key, "regularity.full_at_weeks");
        assert!(err.message.contains("lookback_weeks (4)"), "{}", err.message);
        parse(r#"{"lookback_weeks":4,"regularity":{"full_at_weeks":4},"streak":{"full_at_weeks":1}}"#)
            .expect("boundaries are valid");
        let err = parse(r#"{"streak":{"full_at_weeks":0}}"#).expect_err("zero");
        assert_eq!(err.key, "streak.full_at_weeks");
    }

    #[test]
    fn out_of_range_points_name_the_key() {
        assert_eq!(parse(r#"{"content_only_cap":101}"#).expect_err("cap").key, "content_only_cap");
        assert_eq!(parse(r#"{"channels":{"max_points":-1}}"#).expect_err("neg").key, "channels.max_points");
        assert_eq!(
            parse(r#"{"responses":{"negative_penalty":-8}}"#).expect_err("neg").key,
            "responses.negative_penalty"
        );
        assert_eq!(
            parse(r#"{"negative_types":{"unsubscribe":250}}"#).expect_err("big").key,
            "negative_types.unsubscribe"
        );
        assert_eq!(
            parse(r#"{"relationship":{"full_at_days":0}}"#).expect_err("zero").key,
            "relationship.full_at_days"
        );
    }

    #[test]
    fn event_type_lists_are_checked() {
        let err = parse(r#"{"content_types":["blog_view","Blog View"]}"#).expect_err("not snake_case");
        assert_eq!(err.key, "content_types[1]");
        let err = parse(r#"{"reciprocal_types":["email_reply","email_reply"]}"#).expect_err("twice");
        assert_eq!(err.key, "reciprocal_types[1]");
        let err = parse(r#"{"negative_types":{"":5}}"#).expect_err("empty");
        assert_eq!(err.key, "negative_types.");
        parse(r#"{"content_types":[]}"#).expect("an empty list disables the cap");
    }

    #[test]
    fn an_event_type_belongs_to_one_list_only() {
        let err = parse(r#"{"reciprocal_types":["email_reply","blog_view"]}"#).expect_err("overlap");
        assert_eq!(err.key, "reciprocal_types[1]");
        assert!(err.message.contains("content_types"), "{}", err.message);
        let err = parse(r#"{"negative_types":{"keyword_research":3}}"#).expect_err("overlap");
        assert_eq!(err.key, "negative_types.keyword_research");
    }
}
