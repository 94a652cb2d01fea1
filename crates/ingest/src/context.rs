//! What turning records into calls needs besides the records: the
//! directory's index, the charger (dial plans, tariffs) and the reporting
//! calendar. Built once per import or retry, shared by every thread; the
//! server builds a new one whenever the store's reference generation
//! changes (see `store::settings`), for the records it takes up after.

use cdr::{Cdr, Timestamp};
use charging::{Calendar, CallFacts, Charger, Ledger, Period, PeriodOwner};
use correlate::Rules;
use directory::{Attribution, DirectoryIndex, PbxInfo};
use std::sync::Arc;
use store::{CallRecord, Charge, Recharge, Store};

pub struct Context {
    pub index: DirectoryIndex,
    pub charger: Charger,
    pub calendar: Calendar,
    /// The rules stored calls are correlated by; `None`: they are not
    /// (see [`correlation_setting`]).
    pub correlation: Option<Rules>,
}

impl Context {
    /// The context of the store as it is now.
    pub fn load(store: &Store) -> Result<Context, String> {
        let directory = store.directory().map_err(|e| e.to_string())?;
        Context::with_index(store, DirectoryIndex::build(&directory))
    }

    /// The context around an index already built.
    pub fn with_index(store: &Store, index: DirectoryIndex) -> Result<Context, String> {
        let book = charging::tariffs::load_book(store).map_err(|e| format!("tariffs: {e}"))?;
        let charger = Charger::new(store, Arc::new(book)).map_err(|e| e.to_string())?;
        let calendar = Calendar::new(store.reporting_zone().map_err(|e| e.to_string())?);
        let correlation = correlation_setting(store)?;
        Ok(Context { index, charger, calendar, correlation })
    }
}

/// The store's correlation setting ([`store::settings::CORRELATION`]):
/// absent is on with the default rules, `off` is off, anything else the
/// rules as JSON (`{"forward": "caller", …}`, unnamed rules at their
/// defaults).
pub fn correlation_setting(store: &Store) -> Result<Option<Rules>, String> {
    let value = store.setting(store::settings::CORRELATION).map_err(|e| e.to_string())?;
    match value.as_deref().map(str::trim) {
        None => Ok(Some(Rules::default())),
        Some("off") => Ok(None),
        Some(json) => serde_json::from_str(json)
            .map(Some)
            .map_err(|e| format!("setting {}: {e}: {json:?}", store::settings::CORRELATION)),
    }
}

/// Stores the correlation setting: `None` turns correlation off. Written
/// only when it changes (a write is a change of the reference data, which
/// running servers reload).
pub fn save_correlation_setting(store: &Store, rules: Option<Rules>) -> Result<(), String> {
    if correlation_setting(store)? == rules {
        return Ok(());
    }
    let value = match rules {
        None => "off".to_string(),
        Some(rules) => serde_json::to_string(&rules).map_err(|e| e.to_string())?,
    };
    store.set_setting(store::settings::CORRELATION, &value).map_err(|e| e.to_string())
}

impl Context {
    /// The charge of a call attributed as `a`, from PBX `pbx`, at its list
    /// price (see [`Charger::charge`]).
    pub fn charge(&self, pbx: &PbxInfo, cdr: &Cdr, a: &Attribution) -> Charge {
        self.charger.charge(&facts(pbx, cdr, a))
    }

    /// A stored call attributed and charged again with today's directory
    /// and tariffs, at its list price; None when its PBX is no longer in
    /// the directory.
    pub fn recharge(&self, record: &CallRecord) -> Option<Recharge> {
        self.recharge_with(record, None)
    }

    /// [`Context::recharge`] against the month's earlier calls recorded in
    /// `ledger` (volume tiers, bundles), recording this one.
    pub fn recharge_in_period(&self, record: &CallRecord, ledger: &mut Ledger) -> Option<Recharge> {
        self.recharge_with(record, Some(ledger))
    }

    fn recharge_with(&self, record: &CallRecord, ledger: Option<&mut Ledger>) -> Option<Recharge> {
        let pbx = self.index.pbx_by_id(record.pbx_id)?;
        let time = |s: i64| Timestamp::from_second(s).ok();
        let cdr = Cdr {
            start: time(record.start_s)?,
            answer: record.answer_s.and_then(time),
            end: time(record.end_s)?,
            duration_s: record.duration_s,
            direction: record.direction,
            calling: record.calling.clone(),
            dialled: record.dialled.clone(),
            final_called: record.final_called.clone(),
            trunk_in: record.trunk_in.clone(),
            trunk_out: record.trunk_out.clone(),
            ..Cdr::default()
        };
        let a = self.index.attribute(pbx, &cdr);
        let charge = match ledger {
            Some(ledger) => {
                let owner = PeriodOwner::of(
                    &self.calendar,
                    record.start_s,
                    a.extension_id,
                    a.department_id,
                );
                self.charger.charge_in_period(&facts(pbx, &cdr, &a), Period { owner, ledger })
            }
            None => self.charge(pbx, &cdr, &a),
        };
        Some(Recharge { extension_id: a.extension_id, department_id: a.department_id, charge })
    }
}

/// What the charger needs of a call attributed as `a`.
fn facts<'c>(pbx: &PbxInfo, cdr: &'c Cdr, a: &Attribution) -> CallFacts<'c> {
    CallFacts {
        site_id: a.site_id.or(pbx.site_id),
        direction: a.direction,
        calling: &cdr.calling,
        dialled: &cdr.dialled,
        start: cdr.answer.unwrap_or(cdr.start),
        duration_s: cdr.duration_s,
        trunk_out_id: a.trunk_out_id,
    }
}
