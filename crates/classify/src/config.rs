//! Dial plans as written in TOML (see `DIALPLAN.md`), the built-in country
//! presets, and their resolution into a complete, checked [`DialPlan`].

use crate::countries::CountryTable;
use crate::dialled::MAX_DIGITS;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Built-in presets: name, aliases, TOML text.
const PRESETS: &[(&str, &[&str], &str)] = &[
    ("cn", &["china"], include_str!("../presets/cn.toml")),
    ("fr", &["france"], include_str!("../presets/fr.toml")),
    ("gb", &["uk"], include_str!("../presets/gb.toml")),
    ("de", &["germany"], include_str!("../presets/de.toml")),
    ("us", &["ca", "nanp"], include_str!("../presets/us.toml")),
];

/// A dial-plan file: a default plan and one plan per site, by site name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DialPlansFile {
    /// For sites without a plan of their own.
    pub default: Option<DialPlanConfig>,
    #[serde(default)]
    pub sites: BTreeMap<String, DialPlanConfig>,
}

impl DialPlansFile {
    pub fn parse(text: &str) -> Result<DialPlansFile, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))
    }
}

/// One site's dial plan as written: every field optional; a field that is
/// present replaces the preset's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DialPlanConfig {
    /// A built-in country plan to start from (`cn`, `fr`, `gb`/`uk`, `de`,
    /// `us`/`ca`/`nanp`).
    pub preset: Option<String>,
    /// Digits the PBX records in front of external numbers (outside-line
    /// access: `0`, `9`).
    pub access_codes: Option<Vec<String>>,
    pub country_code: Option<String>,
    pub area_code: Option<String>,
    pub national_prefix: Option<String>,
    pub international_prefix: Option<String>,
    /// Lengths of numbers dialled without area code; absent = any length.
    pub local_number_lengths: Option<Vec<u8>>,
    /// Lengths of national significant numbers; absent = any length.
    pub national_number_lengths: Option<Vec<u8>>,
    /// Free short codes, matched as whole numbers.
    pub emergency: Option<Vec<String>>,
    /// Prefixes of short service numbers dialled without area code.
    pub short_codes: Option<Vec<String>>,
    /// National-number prefixes (what follows the national prefix or the
    /// country code), longest match across these four lists wins.
    pub toll_free: Option<Vec<String>>,
    pub premium: Option<Vec<String>>,
    pub shared_cost: Option<Vec<String>>,
    pub mobile: Option<Vec<String>>,
}

impl DialPlanConfig {
    /// Fills the country and area codes from the directory's site record
    /// when the plan does not set them.
    pub fn with_site_codes(mut self, country_code: &str, area_code: &str) -> DialPlanConfig {
        if self.country_code.is_none() && !country_code.is_empty() {
            self.country_code = Some(country_code.to_owned());
        }
        if self.area_code.is_none() && !area_code.is_empty() {
            self.area_code = Some(area_code.to_owned());
        }
        self
    }

    /// The complete plan: the preset (if any) overridden by this config's
    /// fields, checked.
    pub fn resolve(&self) -> Result<DialPlan, ConfigError> {
        let base = match &self.preset {
            Some(name) => preset_config(name)?,
            None => DialPlanConfig::default(),
        };
        let pick = |mine: &Option<Vec<String>>, theirs: &Option<Vec<String>>| {
            mine.clone().or_else(|| theirs.clone()).unwrap_or_default()
        };
        let text = |mine: &Option<String>, theirs: &Option<String>| {
            mine.clone().or_else(|| theirs.clone()).unwrap_or_default()
        };
        let plan = DialPlan {
            country_code: text(&self.country_code, &base.country_code),
            area_code: text(&self.area_code, &base.area_code),
            national_prefix: text(&self.national_prefix, &base.national_prefix),
            international_prefix: text(&self.international_prefix, &base.international_prefix),
            access_codes: pick(&self.access_codes, &base.access_codes),
            local_number_lengths: self
                .local_number_lengths
                .clone()
                .or_else(|| base.local_number_lengths.clone()),
            national_number_lengths: self
                .national_number_lengths
                .clone()
                .or_else(|| base.national_number_lengths.clone()),
            emergency: pick(&self.emergency, &base.emergency),
            short_codes: pick(&self.short_codes, &base.short_codes),
            toll_free: pick(&self.toll_free, &base.toll_free),
            premium: pick(&self.premium, &base.premium),
            shared_cost: pick(&self.shared_cost, &base.shared_cost),
            mobile: pick(&self.mobile, &base.mobile),
        };
        plan.check()?;
        Ok(plan)
    }
}

/// A complete dial plan. Codes and prefixes are ASCII digits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DialPlan {
    pub country_code: String,
    /// May be empty: then no call counts as local by its area.
    pub area_code: String,
    /// May be empty (countries without one).
    pub national_prefix: String,
    pub international_prefix: String,
    pub access_codes: Vec<String>,
    pub local_number_lengths: Option<Vec<u8>>,
    pub national_number_lengths: Option<Vec<u8>>,
    pub emergency: Vec<String>,
    pub short_codes: Vec<String>,
    pub toll_free: Vec<String>,
    pub premium: Vec<String>,
    pub shared_cost: Vec<String>,
    pub mobile: Vec<String>,
}

impl DialPlan {
    /// A built-in preset with `area_code` set.
    pub fn preset(name: &str, area_code: &str) -> Result<DialPlan, ConfigError> {
        DialPlanConfig {
            preset: Some(name.to_owned()),
            area_code: Some(area_code.to_owned()),
            ..DialPlanConfig::default()
        }
        .resolve()
    }

    /// Names of the built-in presets (aliases not included).
    pub fn preset_names() -> impl Iterator<Item = &'static str> {
        PRESETS.iter().map(|(name, _, _)| *name)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.country_code.is_empty() {
            return Err(ConfigError::invalid("country_code", "missing".into()));
        }
        digits("country_code", &self.country_code)?;
        if CountryTable::shipped().country(&self.country_code).is_none() {
            let reason = format!("not an ITU country calling code: {:?}", self.country_code);
            return Err(ConfigError::invalid("country_code", reason));
        }
        if self.international_prefix.is_empty() {
            return Err(ConfigError::invalid("international_prefix", "missing".into()));
        }
        digits("international_prefix", &self.international_prefix)?;
        digits("area_code", &self.area_code)?;
        digits("national_prefix", &self.national_prefix)?;
        let lists = [
            ("access_codes", &self.access_codes),
            ("emergency", &self.emergency),
            ("short_codes", &self.short_codes),
            ("toll_free", &self.toll_free),
            ("premium", &self.premium),
            ("shared_cost", &self.shared_cost),
            ("mobile", &self.mobile),
        ];
        for (field, list) in lists {
            for entry in list {
                if entry.is_empty() {
                    return Err(ConfigError::invalid(field, "empty entry".into()));
                }
                digits(field, entry)?;
            }
        }
        let lengths = [
            ("local_number_lengths", &self.local_number_lengths),
            ("national_number_lengths", &self.national_number_lengths),
        ];
        for (field, list) in lengths {
            for &length in list.iter().flatten() {
                if length == 0 || usize::from(length) > MAX_DIGITS {
                    let reason = format!("not a number length: {length}");
                    return Err(ConfigError::invalid(field, reason));
                }
            }
        }
        Ok(())
    }
}

fn digits(field: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.bytes().all(|b| b.is_ascii_digit()) && value.len() <= MAX_DIGITS {
        Ok(())
    } else {
        Err(ConfigError::invalid(field, format!("not digits: {value:?}")))
    }
}

fn preset_config(name: &str) -> Result<DialPlanConfig, ConfigError> {
    let lower = name.to_ascii_lowercase();
    let (_, _, text) = PRESETS
        .iter()
        .find(|(preset, aliases, _)| *preset == lower || aliases.contains(&lower.as_str()))
        .ok_or_else(|| ConfigError::UnknownPreset(name.to_owned()))?;
    toml::from_str(text).map_err(|e| ConfigError::Toml(format!("preset {name}: {e}")))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Toml(String),
    #[error("unknown preset {0:?} (known: cn, fr, gb, de, us)")]
    UnknownPreset(String),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("site {site:?}: {source}")]
    Site { site: String, source: Box<ConfigError> },
}

impl ConfigError {
    fn invalid(field: &'static str, reason: String) -> ConfigError {
        ConfigError::Invalid { field, reason }
    }

    pub(crate) fn in_site(self, site: &str) -> ConfigError {
        ConfigError::Site { site: site.to_owned(), source: Box::new(self) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_resolves() {
        for name in DialPlan::preset_names().chain(["uk", "nanp", "CN"]) {
            DialPlan::preset(name, "").unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn fields_override_the_preset() {
        let config = DialPlanConfig {
            preset: Some("cn".into()),
            area_code: Some("10".into()),
            access_codes: Some(vec!["9".into()]),
            emergency: Some(vec!["110".into()]),
            ..Default::default()
        };
        let plan = config.resolve().unwrap();
        assert_eq!(plan.country_code, "86");
        assert_eq!(plan.area_code, "10");
        assert_eq!(plan.access_codes, ["9"]);
        assert_eq!(plan.emergency, ["110"]);
        assert_eq!(plan.mobile.len(), 7);
    }

    #[test]
    fn site_record_fills_missing_codes() {
        let config = DialPlanConfig { preset: Some("cn".into()), ..Default::default() }
            .with_site_codes("86", "21");
        let plan = config.resolve().unwrap();
        assert_eq!((plan.country_code.as_str(), plan.area_code.as_str()), ("86", "21"));
        // The plan's own fields win over the site record.
        let config = DialPlanConfig { area_code: Some("10".into()), ..config };
        let plan = config.with_site_codes("86", "21").resolve().unwrap();
        assert_eq!(plan.area_code, "10");
    }

    #[test]
    fn errors_name_the_field() {
        let error = |text: &str| {
            toml::from_str::<DialPlanConfig>(text)
                .map_err(|e| ConfigError::Toml(e.to_string()))
                .and_then(|c| c.resolve())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(error("international_prefix = \"00\""), "country_code: missing");
        assert_eq!(
            error("country_code = \"28\"\ninternational_prefix = \"00\""),
            "country_code: not an ITU country calling code: \"28\""
        );
        assert_eq!(error("preset = \"fr\"\nmobile = [\"6x\"]"), "mobile: not digits: \"6x\"");
        assert_eq!(
            error("preset = \"fr\"\nlocal_number_lengths = [0]"),
            "local_number_lengths: not a number length: 0"
        );
        assert_eq!(error("preset = \"xx\""), "unknown preset \"xx\" (known: cn, fr, gb, de, us)");
        assert!(error("preset = \"fr\"\ncolour = 1").contains("unknown field `colour`"));
    }
}
