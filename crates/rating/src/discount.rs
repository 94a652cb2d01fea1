//! Discounts that depend on the period's earlier calls.
//!
//! Pricing stays a pure function: the caller keeps a [`Usage`] per
//! discount scope (carrier × extension or department × month), and per
//! bundle scope (see `bundle.rs`), passes them in, and records each priced
//! call into them. Re-rating a period replays
//! its calls in start order from an empty `Usage`, which reproduces the
//! same discounts (invariant 5).

use rust_decimal::Decimal;

use crate::price::Priced;

/// Discounts of a tariff version, applied to a call's rounded cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discounts {
    /// Taken off every call, in percent.
    pub percent: Decimal,
    /// Extra percent once the period's billed minutes reach a threshold,
    /// sorted by `from_minutes`.
    pub volume_tiers: Vec<VolumeTier>,
}

/// From `from_minutes` billed minutes in the period (before this call),
/// `percent` more is taken off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VolumeTier {
    pub from_minutes: u64,
    pub percent: Decimal,
}

impl Discounts {
    pub fn is_empty(&self) -> bool {
        self.percent.is_zero() && self.volume_tiers.is_empty()
    }

    /// The tier reached by `usage`, if any.
    pub fn tier(&self, usage: &Usage) -> Option<&VolumeTier> {
        let minutes = usage.billed_seconds / 60;
        self.volume_tiers.iter().rev().find(|tier| tier.from_minutes <= minutes)
    }

    /// Total percent for the next call given the period so far (≤ 100).
    pub fn percent_for(&self, usage: &Usage) -> Decimal {
        let tier = self.tier(usage).map_or(Decimal::ZERO, |t| t.percent);
        (self.percent + tier).min(Decimal::ONE_HUNDRED)
    }
}

/// What a discount or bundle scope has used so far in the period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub calls: u64,
    /// All billed seconds, bundle seconds included.
    pub billed_seconds: u64,
    /// Sum of costs before discount.
    pub gross: Decimal,
    /// Seconds spent per bundle name, in order of first use.
    pub bundles: Vec<(Box<str>, u64)>,
}

impl Usage {
    /// Adds a priced call; call it in start order.
    pub fn record(&mut self, priced: &Priced<'_>) {
        self.calls += 1;
        self.billed_seconds += u64::from(priced.billed_seconds);
        self.gross += priced.gross;
        if let Some(bundle) = priced.bundle.filter(|b| b.seconds > 0) {
            let seconds = u64::from(bundle.seconds);
            match self.bundles.iter_mut().find(|(name, _)| **name == *bundle.name) {
                Some((_, used)) => *used += seconds,
                None => self.bundles.push((bundle.name.into(), seconds)),
            }
        }
    }

    /// Seconds of the bundle `name` spent so far.
    pub fn bundle_seconds(&self, name: &str) -> u64 {
        self.bundles.iter().find(|(n, _)| **n == *name).map_or(0, |(_, s)| *s)
    }
}
