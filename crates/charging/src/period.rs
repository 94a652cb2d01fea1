//! Discounts that depend on the month's earlier calls: volume tiers and
//! free-minute bundles.
//!
//! The rating library prices a call against what its scopes used earlier
//! in the period (`rating::PeriodUsage`); this ledger keeps those usages
//! for the product's scopes, in the reporting zone's months:
//! - volume tiers count the whole organisation's billed minutes on the
//!   carrier in the month (a carrier's volume contract is the
//!   organisation's);
//! - a bundle of scope `extension` counts the call's extension, one of
//!   scope `department` its department (calls with no extension or no
//!   department share the scope of id 0).
//!
//! A call's price therefore depends on the calls before it, so a month is
//! always priced from its first call in start order (`start_s`, then the
//! dedup key: the order the store keeps), by one thread, from an empty
//! ledger. Doing that again gives the same prices, whatever order the
//! calls arrived in (see `ingest::rerate`).

use rating::Usage;
use rustc_hash::FxHashMap;

/// Whose month a usage counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    Organisation,
    Extension(i64),
    Department(i64),
}

/// Where a call falls for period discounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodOwner {
    /// The month (see `store::days::month_number`) in the reporting zone.
    pub month: i64,
    /// 0 when the call has none.
    pub extension_id: i64,
    /// 0 when the call has none.
    pub department_id: i64,
}

impl PeriodOwner {
    /// The owner of a call that started at `start_s`, attributed to these
    /// extension and department, in `calendar`'s months.
    pub fn of(
        calendar: &crate::Calendar,
        start_s: i64,
        extension_id: Option<i64>,
        department_id: Option<i64>,
    ) -> PeriodOwner {
        PeriodOwner {
            month: calendar.day_and_month(start_s).1,
            extension_id: extension_id.unwrap_or(0),
            department_id: department_id.unwrap_or(0),
        }
    }
}

/// The usages of the scopes seen so far, per carrier and month.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    usages: FxHashMap<(i64, i64, Scope), Usage>,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Runs `f` on the organisation's, the extension's and the
    /// department's usage of `carrier` (its store id) in the owner's month,
    /// each empty when new.
    pub fn with_usages<R>(
        &mut self,
        carrier: i64,
        owner: &PeriodOwner,
        f: impl FnOnce(&mut Usage, &mut Usage, &mut Usage) -> R,
    ) -> R {
        let keys = [
            (carrier, owner.month, Scope::Organisation),
            (carrier, owner.month, Scope::Extension(owner.extension_id)),
            (carrier, owner.month, Scope::Department(owner.department_id)),
        ];
        // Taken out and put back: three distinct entries borrowed at once.
        let [mut organisation, mut extension, mut department] =
            keys.map(|key| self.usages.remove(&key).unwrap_or_default());
        let result = f(&mut organisation, &mut extension, &mut department);
        for (key, usage) in keys.into_iter().zip([organisation, extension, department]) {
            self.usages.insert(key, usage);
        }
        result
    }

    /// Forgets the months before `month`: a month's calls are priced in
    /// order, so once a later month starts the earlier ones are done.
    pub fn forget_before(&mut self, month: i64) {
        self.usages.retain(|(_, m, _), _| *m >= month);
    }

    /// Scopes held (for tests and progress).
    pub fn len(&self) -> usize {
        self.usages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.usages.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_per_carrier_month_and_owner() {
        let mut ledger = Ledger::new();
        let owner = PeriodOwner { month: 300, extension_id: 7, department_id: 2 };
        ledger.with_usages(1, &owner, |org, ext, dept| {
            org.billed_seconds = 60;
            ext.billed_seconds = 30;
            dept.billed_seconds = 10;
        });
        // Another extension of the same department, same carrier and month.
        let other = PeriodOwner { extension_id: 8, ..owner };
        let seen = ledger.with_usages(1, &other, |org, ext, dept| {
            (org.billed_seconds, ext.billed_seconds, dept.billed_seconds)
        });
        assert_eq!(seen, (60, 0, 10));
        // Another carrier starts from nothing.
        assert_eq!(ledger.with_usages(2, &owner, |org, _, _| org.billed_seconds), 0);
        assert_eq!(ledger.len(), 7);
        ledger.forget_before(301);
        assert!(ledger.is_empty());
    }
}
