//! The TOML shape of a format definition, exactly as written. Nothing here
//! is checked beyond TOML types; `compile` validates and pre-computes.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDefinition {
    pub name: Spanned<String>,
    #[serde(default)]
    #[allow(dead_code)] // documentation for people reading the TOML
    pub description: String,
    pub kind: Spanned<RecordKindName>,
    pub time_zone: Option<Spanned<String>>,
    #[serde(default)]
    pub utc: bool,
    #[serde(default)]
    pub skip: Vec<Spanned<String>>,
    pub csv: Option<Spanned<RawCsv>>,
    pub fixed: Option<Spanned<RawFixed>>,
    pub regex: Option<Spanned<RawRegex>>,
    pub identity: Option<Vec<Spanned<SourceRef>>>,
    #[serde(default)]
    pub ignore: Vec<Spanned<SourceRef>>,
    pub map: Spanned<BTreeMap<Spanned<String>, Spanned<RawSpec>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RecordKindName {
    Csv,
    Fixed,
    Regex,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCsv {
    #[serde(default = "comma")]
    pub delimiter: Spanned<String>,
    #[serde(default = "double_quote")]
    pub quote: Spanned<String>,
    #[serde(default)]
    pub header: bool,
    #[serde(default)]
    pub columns: Vec<Spanned<String>>,
    pub min_columns: Option<usize>,
}

fn comma() -> Spanned<String> {
    Spanned::new(0..0, ",".to_string())
}

fn double_quote() -> Spanned<String> {
    Spanned::new(0..0, "\"".to_string())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFixed {
    pub fields: Vec<Spanned<RawFixedField>>,
    pub length: Option<usize>,
    pub min_length: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFixedField {
    pub name: String,
    pub start: usize,
    pub length: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRegex {
    pub pattern: Spanned<String>,
}

/// A source field: a column/field/group name, or a 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum SourceRef {
    Index(i64),
    Name(String),
}

impl std::fmt::Display for SourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceRef::Index(i) => write!(f, "column {i}"),
            SourceRef::Name(n) => write!(f, "{n:?}"),
        }
    }
}

/// How one model field is filled.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSpec {
    pub field: Option<Spanned<SourceRef>>,
    pub format: Option<Spanned<String>>,
    pub time_field: Option<Spanned<SourceRef>>,
    pub time_format: Option<Spanned<String>>,
    pub pm_suffix: Option<String>,
    pub duration: Option<Spanned<DurationFormat>>,
    #[serde(default)]
    pub number: bool,
    #[serde(default)]
    pub strip_prefix: Vec<String>,
    #[serde(default)]
    pub null_values: Vec<String>,
    pub values: Option<BTreeMap<String, String>>,
    pub default: Option<String>,
    #[serde(default)]
    pub when: Vec<RawWhen>,
    pub value: Option<Spanned<String>>,
    pub derive: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWhen {
    pub field: SourceRef,
    pub equals: Option<OneOrMany>,
    pub starts_with: Option<OneOrMany>,
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The ways PBXs write a length of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum DurationFormat {
    /// Whole seconds: `42`, `0042`.
    #[serde(rename = "seconds")]
    Seconds,
    /// Hours, minutes, seconds: `01:02:03`, `00:00'05` (Panasonic).
    #[serde(rename = "hh:mm:ss")]
    HoursMinutesSeconds,
    /// Minutes and seconds: `02:03`, `0'05`.
    #[serde(rename = "mm:ss")]
    MinutesSeconds,
    /// Minutes and tenths of a minute with a point: `002.3`.
    #[serde(rename = "mmm.t")]
    TenthsWithPoint,
    /// Minutes and tenths of a minute, the last digit being tenths: `0023`.
    #[serde(rename = "mmmt")]
    Tenths,
}
