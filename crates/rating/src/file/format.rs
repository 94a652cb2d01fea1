//! The TOML shape of a tariff book (documented in `TARIFF.md`), used both
//! to read and to write. Names carry their byte span so semantic errors
//! can name the line they are about.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use toml::Spanned;
use toml::value::Datetime;

use crate::bundle::BundleScope;
use crate::model::Crossing;
use crate::money::Rounding;

/// The only format version so far.
pub(crate) const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BookFile {
    pub(crate) format: u32,
    #[serde(default, rename = "calendar", skip_serializing_if = "Vec::is_empty")]
    pub(crate) calendars: Vec<CalendarFile>,
    #[serde(default, rename = "carrier")]
    pub(crate) carriers: Vec<CarrierFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CalendarFile {
    pub(crate) name: Spanned<String>,
    pub(crate) dates: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CarrierFile {
    pub(crate) name: Spanned<String>,
    #[serde(rename = "version")]
    pub(crate) versions: Vec<VersionFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VersionFile {
    pub(crate) id: Spanned<String>,
    /// With an offset: that instant. Without (a date, or a date and time):
    /// local civil time in `time_zone`.
    pub(crate) valid_from: Datetime,
    pub(crate) currency: String,
    pub(crate) time_zone: String,
    pub(crate) crossing: Crossing,
    pub(crate) rounding: Rounding,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default_band: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) holiday_band: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) holidays: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) discounts: Option<DiscountsFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) bundles: Vec<BundleFile>,
    /// `prefix,destination` rows, relative to the TOML file's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) prefixes_csv: Option<String>,
    #[serde(rename = "band")]
    pub(crate) bands: Vec<BandFile>,
    #[serde(rename = "destination")]
    pub(crate) destinations: Vec<DestinationFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DiscountsFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) percent: Option<Money>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) volume_tiers: Vec<VolumeTierFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VolumeTierFile {
    pub(crate) from_minutes: u64,
    pub(crate) percent: Money,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BundleFile {
    pub(crate) name: String,
    pub(crate) minutes: u32,
    pub(crate) destinations: Vec<String>,
    pub(crate) scope: BundleScope,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BandFile {
    pub(crate) name: Spanned<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) when: Vec<WhenFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WhenFile {
    pub(crate) days: String,
    pub(crate) from: String,
    pub(crate) to: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DestinationFile {
    pub(crate) name: Spanned<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) prefixes: Vec<String>,
    /// Band name, or `all` for every band without its own entry.
    pub(crate) rates: BTreeMap<String, RateFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RateFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) connect_fee: Option<Money>,
    /// The first-interval + increment form (all four, or none with `steps`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) first_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) first_price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) increment_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) increment_price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) minimum: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) free_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) maximum: Option<Money>,
    /// The stepped form, instead of first/increment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) steps: Vec<StepFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepFile {
    pub(crate) from_seconds: u32,
    pub(crate) increment_seconds: u32,
    pub(crate) price: Money,
    pub(crate) per_seconds: u32,
}

/// An exact decimal written as a string (`"0.10"`) or an integer. TOML
/// floats are refused: they are binary and would not be exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Money(pub(crate) Decimal);

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Money;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an amount as a string, e.g. \"0.10\"")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Money, E> {
                Decimal::from_str_exact(text.trim())
                    .map(Money)
                    .map_err(|_| E::custom(format!("not a decimal amount: {text:?}")))
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Money, E> {
                Ok(Money(Decimal::from(value)))
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Money, E> {
                Ok(Money(Decimal::from(value)))
            }
            fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Money, E> {
                Err(E::custom(format!(
                    "write amounts as strings (\"{value}\"): floating-point numbers are not exact"
                )))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}
