//! `bluewhale whatif`: what a stored period would have cost had one
//! carrier been on a candidate tariff. Every call is charged again as the
//! import charges calls (the same charger: today's directory and dial
//! plans, the call's stored site, direction and outgoing trunk), with the
//! stored book in which the candidate replaces that carrier; the candidate
//! costs are compared with the stored ones per department and per
//! carrier. Nothing is written to the store. With volume tiers or
//! bundles in the book, each month is priced from its first day in start
//! order, as re-rating does, and only the asked days are counted.

use crate::period::local_days;
use anyhow::{Context as _, Result};
use charging::{Calendar, CallFacts, Charger, Ledger, Period, PeriodOwner};
use jiff::Timestamp;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use store::{Amount, CallRecord, CdrQuery, Charge, ChargeStatus, Store};

#[derive(clap::Args)]
pub struct Args {
    /// First day (YYYY-MM-DD, in the reporting time zone).
    #[arg(long)]
    from: String,
    /// Last day, included.
    #[arg(long)]
    to: String,
    /// The candidate tariff: a tariff TOML file or a folder holding
    /// `tariffs.toml`.
    #[arg(long)]
    tariff: PathBuf,
    /// The carrier the candidate replaces: a one-carrier file is priced
    /// under this name; from a file of several, this carrier is taken.
    #[arg(long)]
    carrier: String,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

/// A charger for `book` that leaves the store as it was. `Charger::new`
/// gives every carrier it meets a store id, which is a write; here that
/// happens in a transaction rolled back at once. Returns the charger and
/// every carrier's name by id, ids given inside the transaction included
/// (they only name carriers in what this run prints).
pub(crate) fn charger_leaving_store_unchanged(
    store: &Store,
    book: Arc<rating::TariffBook>,
) -> Result<(Charger, BTreeMap<i64, String>)> {
    let connection = store.connection();
    connection.execute_batch("BEGIN")?;
    let built = Charger::new(store, book)
        .map_err(anyhow::Error::from)
        .and_then(|charger| Ok((charger, store.carrier_names()?)));
    connection.execute_batch("ROLLBACK")?;
    built
}

/// The facts the import charged a stored call on: its stored attribution
/// (site, direction, outgoing trunk), numbers, talk start and talk time.
/// None when its times are out of range (a corrupt record).
pub(crate) fn facts_of(record: &CallRecord) -> Option<CallFacts<'_>> {
    Some(CallFacts {
        site_id: record.site_id,
        direction: record.direction,
        calling: &record.calling,
        dialled: &record.dialled,
        start: Timestamp::from_second(record.answer_s.unwrap_or(record.start_s)).ok()?,
        duration_s: record.duration_s,
        trunk_out_id: record.trunk_out_id,
    })
}

/// What calls of one department or carrier cost, stored and candidate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Totals {
    calls: u64,
    /// Calls whose candidate charge differs in cost or status.
    changed: u64,
    unrated_now: u64,
    unrated_candidate: u64,
    current: Amount,
    candidate: Amount,
}

impl Totals {
    fn add(&mut self, other: &Totals) {
        self.calls += other.calls;
        self.changed += other.changed;
        self.unrated_now += other.unrated_now;
        self.unrated_candidate += other.unrated_candidate;
        self.current = self.current + other.current;
        self.candidate = self.candidate + other.candidate;
    }

    fn difference(&self) -> Amount {
        Amount(self.candidate.0.saturating_sub(self.current.0))
    }
}

/// Totals by (name, currency). A call whose price is zero both ways has
/// no currency (""); it joins its name's row when that row has exactly
/// one currency.
#[derive(Default)]
struct Grouped(BTreeMap<(String, String), Totals>);

impl Grouped {
    fn add(&mut self, name: &str, currency: &str, call: &Totals) {
        self.0.entry((name.to_string(), currency.to_string())).or_default().add(call);
    }

    fn rows(self) -> Vec<(String, String, Totals)> {
        let mut by_name: BTreeMap<String, Vec<(String, Totals)>> = BTreeMap::new();
        for ((name, currency), totals) in self.0 {
            by_name.entry(name).or_default().push((currency, totals));
        }
        let mut rows = Vec::new();
        for (name, mut list) in by_name {
            // "" sorts first.
            if list.len() == 2 && list[0].0.is_empty() {
                let (_, free) = list.remove(0);
                list[0].1.add(&free);
            }
            rows.extend(list.into_iter().map(|(currency, t)| (name.clone(), currency, t)));
        }
        rows
    }
}

pub fn run(data_dir: &Path, args: Args) -> Result<ExitCode> {
    let store = Store::open(data_dir)?;
    let days = local_days(&args.from, &args.to)?;
    let calendar = Calendar::new(store.reporting_zone()?);
    let (from_s, to_s) = (calendar.day_start(*days.start()), calendar.day_start(days.end() + 1));
    let candidate = crate::cmd::tariff::load_tariff_file(&args.tariff)?;
    let stored = charging::tariffs::load_book(&store)?;
    let merged = charging::tariffs::merge(&stored, &candidate, Some(&args.carrier))
        .with_context(|| format!("candidate tariff {}", args.tariff.display()))?;
    let (charger, carriers) = charger_leaving_store_unchanged(&store, Arc::new(merged.book))?;
    let carrier_name = |id: i64| -> String {
        match carriers.get(&id) {
            Some(name) if id != 0 => name.clone(),
            _ => "(no carrier)".to_string(),
        }
    };
    let (mut departments, mut by_carrier, mut total) =
        (Grouped::default(), Grouped::default(), Grouped::default());
    // Period discounts need the month's earlier calls, priced but not
    // counted.
    let read_from = if charger.any_period_discounts() {
        let first = charging::first_day_of_month(charging::month_of_day(*days.start()));
        calendar.day_start(first)
    } else {
        from_s
    };
    let mut ledger = Ledger::new();
    let query = CdrQuery { from_s: read_from, to_s, ..CdrQuery::default() };
    store.query_cdrs(&query, |call| {
        let record = &call.record;
        let facts = facts_of(record).ok_or_else(|| {
            store::Error::Invalid(format!("call {}: times out of range", record.id()))
        })?;
        let now = record
            .charge
            .clone()
            .unwrap_or_else(|| Charge { status: ChargeStatus::Unrated, ..Charge::default() });
        let new = if charger.any_period_discounts() {
            let owner = PeriodOwner::of(
                &calendar,
                record.start_s,
                record.extension_id,
                record.department_id,
            );
            charger.charge_in_period(&facts, Period { owner, ledger: &mut ledger })
        } else {
            charger.charge(&facts)
        };
        if record.start_s < from_s {
            return Ok(());
        }
        let currency = currency_of(record, &now, &new).map_err(store::Error::Invalid)?;
        let totals = Totals {
            calls: 1,
            changed: u64::from(
                now.cost != new.cost || now.status != new.status || now.currency != new.currency,
            ),
            unrated_now: u64::from(now.status == ChargeStatus::Unrated),
            unrated_candidate: u64::from(new.status == ChargeStatus::Unrated),
            current: now.cost,
            candidate: new.cost,
        };
        let department = call.department.as_deref().unwrap_or("(no department)");
        departments.add(department, currency, &totals);
        by_carrier.add(&carrier_name(new.carrier_id), currency, &totals);
        total.add("total", currency, &totals);
        Ok(())
    })?;
    let report = Report {
        departments: departments.rows(),
        carriers: by_carrier.rows(),
        totals: total.rows(),
    };
    if args.json {
        println!("{}", report.json(&args));
    } else {
        print!("{}", report.text(&args));
    }
    Ok(ExitCode::SUCCESS)
}

/// The currency a call's two prices are compared in; they must agree
/// (a carrier's versions share one currency, but a candidate may not).
fn currency_of<'c>(
    record: &CallRecord,
    now: &'c Charge,
    new: &'c Charge,
) -> Result<&'c str, String> {
    match (now.currency.as_str(), new.currency.as_str()) {
        (a, b) if a == b || b.is_empty() => Ok(a),
        ("", b) => Ok(b),
        (a, b) => Err(format!(
            "call {}: stored in {a}, priced in {b} by the candidate; what-if compares costs in one \
             currency",
            record.id()
        )),
    }
}

struct Report {
    departments: Vec<(String, String, Totals)>,
    carriers: Vec<(String, String, Totals)>,
    totals: Vec<(String, String, Totals)>,
}

/// `+0.05`, `-0.15`, `0.00`.
fn signed(amount: Amount) -> String {
    if amount.0 > 0 { format!("+{amount}") } else { amount.to_string() }
}

impl Report {
    fn text(&self, args: &Args) -> String {
        let mut out = format!(
            "carrier {} on candidate tariff {}, {} to {} (stored calls, stored costs; nothing \
             is written)\n\n",
            args.carrier,
            args.tariff.display(),
            args.from,
            args.to
        );
        let header = |title: &str| {
            [
                title,
                "currency",
                "calls",
                "changed",
                "unrated now",
                "unrated candidate",
                "current",
                "candidate",
                "difference",
            ]
            .map(String::from)
        };
        let row = |(name, currency, t): &(String, String, Totals)| {
            [
                name.clone(),
                if currency.is_empty() { "-".into() } else { currency.clone() },
                t.calls.to_string(),
                t.changed.to_string(),
                t.unrated_now.to_string(),
                t.unrated_candidate.to_string(),
                t.current.to_string(),
                t.candidate.to_string(),
                signed(t.difference()),
            ]
        };
        // One table, so that the three parts line up.
        let blank = || [(); 9].map(|_| String::new());
        let mut lines = vec![header("department")];
        lines.extend(self.departments.iter().map(row));
        lines.extend([blank(), header("carrier")]);
        lines.extend(self.carriers.iter().map(row));
        lines.push(blank());
        lines.extend(self.totals.iter().map(row));
        out += &crate::cmd::tariff::table(&lines);
        out
    }

    fn json(&self, args: &Args) -> Value {
        let rows = |key: &str, rows: &[(String, String, Totals)]| -> Vec<Value> {
            rows.iter()
                .map(|(name, currency, t)| {
                    let mut row = json!({
                        "currency": (!currency.is_empty()).then_some(currency),
                        "calls": t.calls,
                        "changed": t.changed,
                        "unrated_now": t.unrated_now,
                        "unrated_candidate": t.unrated_candidate,
                        "current": t.current.to_string(),
                        "candidate": t.candidate.to_string(),
                        "difference": signed(t.difference()),
                    });
                    if !key.is_empty() {
                        row[key] = json!(name);
                    }
                    row
                })
                .collect()
        };
        json!({
            "carrier": args.carrier,
            "tariff": args.tariff.display().to_string(),
            "from": args.from,
            "to": args.to,
            "departments": rows("department", &self.departments),
            "carriers": rows("carrier", &self.carriers),
            "totals": rows("", &self.totals),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(cost: i64, unrated: bool) -> Totals {
        Totals {
            calls: 1,
            unrated_now: u64::from(unrated),
            current: Amount(cost),
            candidate: Amount(cost / 2),
            ..Totals::default()
        }
    }

    #[test]
    fn free_calls_join_their_rows_single_currency() {
        let mut g = Grouped::default();
        g.add("Sales", "EUR", &call(10, false));
        g.add("Sales", "", &call(0, true));
        g.add("Lobby", "", &call(0, false));
        g.add("Intl", "EUR", &call(4, false));
        g.add("Intl", "USD", &call(6, false));
        g.add("Intl", "", &call(0, false));
        let rows: Vec<(String, String, u64, i64)> =
            g.rows().into_iter().map(|(n, c, t)| (n, c, t.calls, t.current.0)).collect();
        let expected = [
            ("Intl", "", 1, 0),
            ("Intl", "EUR", 1, 4),
            ("Intl", "USD", 1, 6),
            ("Lobby", "", 1, 0),
            ("Sales", "EUR", 2, 10),
        ]
        .map(|(n, c, calls, cost)| (n.to_string(), c.to_string(), calls, cost));
        assert_eq!(rows, expected);
    }

    #[test]
    fn differences_carry_their_sign() {
        assert_eq!(signed(Amount(5_000_000)), "+0.05");
        assert_eq!(signed(Amount(-15_000_000)), "-0.15");
        assert_eq!(signed(Amount(0)), "0.00");
    }
}
