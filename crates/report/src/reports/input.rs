//! The plain data the report builders take. The storage layer fills these
//! structs from rollups or the CDR table; nothing here knows about a database.

use std::collections::BTreeMap;

use jiff::Zoned;
use rust_decimal::Decimal;

use crate::error::ReportError;
use crate::model::{Filter, Label, Period};

/// What every report says about itself in its header block.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportContext {
    /// The period covered, with bounds as they should be shown: in the zone
    /// they carry, `to` inclusive or not as the caller prefers (the seed
    /// prints `23:59:59`).
    pub period: Period,
    pub generated_at: Zoned,
    pub created_by: String,
    /// Extra header lines (site, department, call type …) in the order given.
    pub filters: Vec<Filter>,
    /// ISO 4217 code of every amount in the input, e.g. `CNY`.
    pub currency: String,
}

/// Calls, seconds and money of some set of calls: the unit every rollup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub calls: u64,
    /// Billed duration in whole seconds.
    pub duration_s: u64,
    /// Actual cost, exact as rated.
    pub cost: Decimal,
    /// The same calls priced on the reference tariff.
    pub reference: Decimal,
}

impl Tally {
    /// Adds `other` to this tally. Fails, leaving this tally unchanged, if a
    /// sum leaves its numeric range; nothing is ever rounded or clamped.
    pub fn add(&mut self, other: &Tally) -> Result<(), ReportError> {
        let calls = self.calls.checked_add(other.calls).ok_or_else(|| {
            ReportError::input(format!("call count overflows: {} + {}", self.calls, other.calls))
        })?;
        let duration_s = self.duration_s.checked_add(other.duration_s).ok_or_else(|| {
            ReportError::input(format!(
                "duration overflows: {} s + {} s",
                self.duration_s, other.duration_s
            ))
        })?;
        let cost = self.cost.checked_add(other.cost).ok_or_else(|| {
            ReportError::input(format!("cost overflows: {} + {}", self.cost, other.cost))
        })?;
        let reference = self.reference.checked_add(other.reference).ok_or_else(|| {
            ReportError::input(format!(
                "reference cost overflows: {} + {}",
                self.reference, other.reference
            ))
        })?;
        *self = Tally { calls, duration_s, cost, reference };
        Ok(())
    }

    /// `reference − cost`: what the calls saved against the reference tariff
    /// (negative when they cost more). Fails only past the decimal range.
    pub fn savings(&self) -> Result<Decimal, ReportError> {
        self.reference.checked_sub(self.cost).ok_or_else(|| {
            ReportError::input(format!("savings overflow: {} − {}", self.reference, self.cost))
        })
    }
}

/// Call types, in the order of the per-type columns. These are the strings
/// the classifier stores (`classify::CallType::as_str`).
pub const CALL_TYPES: [&str; 9] = [
    "internal",
    "onnet",
    "local",
    "national",
    "mobile",
    "international",
    "free",
    "inbound",
    "unknown",
];

/// A call type's column header, or `None` for a string not in [`CALL_TYPES`].
/// The Chinese terms follow the seed report where it has one (市内通话,
/// 国内长途, 国际长途, 免费通话, 呼入通话).
pub fn call_type_label(call_type: &str) -> Option<Label> {
    let (en, zh) = match call_type {
        "internal" => ("Internal", "内部通话"),
        "onnet" => ("On-net", "网内通话"),
        "local" => ("Local", "市内通话"),
        "national" => ("National", "国内长途"),
        "mobile" => ("Mobile", "手机通话"),
        "international" => ("International", "国际长途"),
        "free" => ("Free", "免费通话"),
        "inbound" => ("Inbound", "呼入通话"),
        "unknown" => ("Unknown", "未知通话"),
        _ => return None,
    };
    Some(Label::new(en, zh))
}

/// Tallies per call type, keyed by a string of [`CALL_TYPES`]. A type with no
/// calls may be absent. Builders refuse any other key, so the per-type
/// columns always add up to the row's total.
pub type ByType = BTreeMap<String, Tally>;

/// The calls of one user on one extension in one department (a row of the
/// department summary, or of the top-callers list).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OwnerTotals {
    /// The department's path, components joined by `\`: `Company\Sales\EMEA`.
    pub department: String,
    pub user: String,
    pub extension: String,
    pub by_type: ByType,
}

/// Call directions a [`CallLine`] may carry.
pub const DIRECTIONS: [&str; 4] = ["outgoing", "incoming", "internal", "unknown"];

/// One itemised call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallLine {
    /// The stored call's id, so a reader can look the call up.
    pub id: String,
    /// When the call started, in the zone it should be shown in (the site's).
    pub start: Zoned,
    pub extension: String,
    pub user: String,
    /// Department path, as in [`OwnerTotals::department`].
    pub department: String,
    /// One of [`DIRECTIONS`].
    pub direction: String,
    /// The other party's number as dialled or presented.
    pub number: String,
    /// The other party in E.164 form; empty when it has none (internal, unknown).
    pub e164: String,
    /// Destination name from the tariff (`Beijing`, `United Kingdom mobile`).
    pub destination: String,
    /// One of [`CALL_TYPES`].
    pub call_type: String,
    pub duration_s: u64,
    pub cost: Decimal,
    pub reference: Decimal,
    pub carrier: String,
    pub trunk: String,
    /// How the call ended (`answered`, `busy`, `no answer` …), as stored.
    pub disposition: String,
    /// Its part in a logical call (`conference_leg`, `transferred` … as
    /// correlation names it) when it is a leg of one; empty for a call of
    /// its own.
    pub leg: String,
    /// Whether it counts as a call. A logical call counts once, by one of
    /// its legs; the others still add their duration and money.
    pub counted: bool,
}
