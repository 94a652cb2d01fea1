//! Free-minute bundles: a monthly allowance of talk time to some
//! destinations, per extension or per department.
//!
//! Like volume tiers, a bundle depends on the period's earlier calls, so
//! pricing reads the scope's [`Usage`] and the caller records each priced
//! call into it (see [`PeriodUsage`]). A bundle is known by its name, so a
//! new tariff version that keeps the name keeps counting the same month.
//!
//! The rule (also in `TARIFF.md`): the call is cut into the tariff's units
//! as usual. With `left` bundle seconds remaining, every unit that *ends*
//! at or before talk offset `left` is free; the other units are charged
//! exactly as the tariff charges them (their band, their price). The
//! bundle is charged `min(left, billed seconds)`: a unit that straddles
//! the end of the bundle is charged in full and spends what was left. A
//! call whose units are all free costs nothing at all (no connect fee, no
//! minimum); a call with any charged unit pays the connect fee and the
//! minimum / maximum apply to its charged part.

use serde::{Deserialize, Serialize};

use crate::discount::Usage;

/// Whose month a bundle counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BundleScope {
    /// Each extension has its own allowance.
    Extension,
    /// A department's extensions share one allowance.
    Department,
}

/// A free-minute allowance of a tariff version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    pub name: Box<str>,
    /// Free minutes per scope and month.
    pub minutes: u32,
    /// Names of the version's destinations it covers.
    pub destinations: Vec<Box<str>>,
    pub scope: BundleScope,
}

impl Bundle {
    /// The allowance in seconds.
    pub fn seconds(&self) -> u64 {
        u64::from(self.minutes) * 60
    }
}

/// What a priced call took from a bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BundleUse<'a> {
    pub name: &'a str,
    pub scope: BundleScope,
    /// Seconds of the allowance this call spends (0 once it is exhausted).
    pub seconds: u32,
    /// Seconds the allowance had before this call.
    pub left_before: u64,
    /// Leading units of the call that were free.
    pub free_units: u32,
}

/// The period usage a call is priced against: its discount scope's (for
/// volume tiers) and its extension's and department's (for bundles of
/// that scope). Each is one month of one scope, kept by the caller; after
/// pricing, record the call into each of them.
#[derive(Clone, Copy, Debug)]
pub struct PeriodUsage<'u> {
    pub discount: &'u Usage,
    pub extension: &'u Usage,
    pub department: &'u Usage,
}

impl<'u> PeriodUsage<'u> {
    /// One usage for every scope (a caller with a single scope).
    pub fn same(usage: &'u Usage) -> PeriodUsage<'u> {
        PeriodUsage { discount: usage, extension: usage, department: usage }
    }

    pub(crate) fn of(&self, scope: BundleScope) -> &'u Usage {
        match scope {
            BundleScope::Extension => self.extension,
            BundleScope::Department => self.department,
        }
    }
}
