//! `bluewhale explain CALL_ID`: how a stored call was classified and
//! priced (its stored charge and price traces), then the same call priced
//! again with today's stored tariffs, step by step, saying whether a
//! re-rating would change it. Nothing is written to the store. A call on
//! a carrier with volume tiers or bundles is priced again after its
//! month's earlier calls, as re-rating prices it. A call that correlation
//! made a leg of a logical call is shown with every leg of that call: who
//! pays for each, and which one the call is counted by.

use crate::cmd::whatif::{charger_leaving_store_unchanged, facts_of};
use anyhow::{Context as _, Result};
use charging::{Calendar, Charger, Ledger, Period, PeriodOwner, call_type_of, service_of};
use correlate::Reason;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rating::{Call, PeriodUsage, Priced, TariffBook, Usage};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use store::{
    Amount, CdrQuery, Charge, ChargeStatus, LegBilling, LegDetail, PriceTrace, Store, StoredCall,
};

#[derive(clap::Args)]
pub struct Args {
    /// The call's id, as `bluewhale cdrs` prints it (`1744963200-00a1…`).
    call_id: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(data_dir: &Path, args: Args) -> Result<ExitCode> {
    let (start_s, dedup) = store::parse_call_id(&args.call_id).with_context(|| {
        format!("not a call id (START-KEY, as bluewhale cdrs prints it): {:?}", args.call_id)
    })?;
    let store = Store::open(data_dir)?;
    let call = find(&store, start_s, dedup)?
        .with_context(|| format!("no stored call {}", args.call_id))?;
    let book = Arc::new(charging::tariffs::load_book(&store)?);
    let (charger, carriers) = charger_leaving_store_unchanged(&store, Arc::clone(&book))?;
    let directory = store.directory()?;
    let site = call.record.site_id.and_then(|id| directory.sites.iter().find(|s| s.id == id));
    let zone = site.and_then(|s| TimeZone::get(&s.time_zone).ok()).unwrap_or(TimeZone::UTC);
    let calendar = Calendar::new(store.reporting_zone()?);
    let month = month_before(&store, &charger, &calendar, &call)?;
    let correlation = match &call.leg {
        Some(leg) => Some(Correlation { leg, legs: store.leg_details(leg.call)? }),
        None => None,
    };
    let context = Explained {
        month,
        correlation,
        call: &call,
        site: site.map(|s| s.name.as_str()),
        zone,
        carriers: &carriers,
        book: &book,
        charger: &charger,
    };
    if args.json {
        println!("{}", context.json());
    } else {
        print!("{}", context.text());
    }
    Ok(ExitCode::SUCCESS)
}

/// The call with that primary key.
fn find(store: &Store, start_s: i64, dedup: i64) -> Result<Option<StoredCall>> {
    let query =
        CdrQuery { from_s: start_s, to_s: start_s.saturating_add(1), ..CdrQuery::default() };
    let mut found = None;
    store.query_cdrs(&query, |call| {
        if call.record.dedup == dedup {
            found = Some(call);
        }
        Ok(())
    })?;
    Ok(found)
}

/// What the call's month had used before it, for a call on a carrier
/// with volume tiers or bundles.
struct MonthBefore {
    /// The ledger after the month's earlier calls.
    ledger: Ledger,
    owner: PeriodOwner,
    /// The call's carrier's organisation, extension and department usage.
    usages: [Usage; 3],
    /// Calls of the month before this one.
    calls: u64,
}

/// The month's calls before `call`, priced in order as re-rating prices
/// them; None when its carrier has no period discounts.
fn month_before(
    store: &Store,
    charger: &Charger,
    calendar: &Calendar,
    call: &StoredCall,
) -> Result<Option<MonthBefore>> {
    let record = &call.record;
    let Some(carrier) = record.charge.as_ref().map(|c| c.carrier_id) else { return Ok(None) };
    if !charger.has_period_discounts(carrier) {
        return Ok(None);
    }
    let owner_of = |r: &store::CallRecord| {
        PeriodOwner::of(calendar, r.start_s, r.extension_id, r.department_id)
    };
    let owner = owner_of(record);
    let first = calendar.day_start(charging::first_day_of_month(owner.month));
    let query = CdrQuery { from_s: first, to_s: record.start_s + 1, ..CdrQuery::default() };
    let (mut ledger, mut calls) = (Ledger::new(), 0);
    store.query_cdrs(&query, |earlier| {
        let r = &earlier.record;
        if (r.start_s, r.dedup) >= (record.start_s, record.dedup) {
            return Ok(());
        }
        if let Some(facts) = facts_of(r) {
            charger.charge_in_period(&facts, Period { owner: owner_of(r), ledger: &mut ledger });
            calls += 1;
        }
        Ok(())
    })?;
    let usages = ledger.with_usages(carrier, &owner, |o, e, d| [o.clone(), e.clone(), d.clone()]);
    Ok(Some(MonthBefore { ledger, owner, usages, calls }))
}

/// The logical call a call is a leg of, as correlation stored it.
struct Correlation<'a> {
    /// The explained call's own outcome.
    leg: &'a LegBilling,
    /// Every leg of its logical call (the explained one included).
    legs: Vec<LegDetail>,
}

impl Correlation<'_> {
    fn is_explained(&self, leg: &LegDetail) -> bool {
        (leg.billing.start_s, leg.billing.dedup) == (self.leg.start_s, self.leg.dedup)
    }

    fn features(&self) -> Vec<&str> {
        self.leg.features.split(',').filter(|f| !f.is_empty()).collect()
    }

    /// The logical call on the explanation's `logical call` line, then its
    /// legs, one line each and their outcome on the next, the explained one
    /// marked `*`; times in `zone`.
    fn text(&self, zone: &TimeZone) -> String {
        let features = self.features();
        let mut out = format!(
            "  {:<14}{} ({}), {} leg(s), * this call:\n",
            "logical call",
            store::call_id(self.leg.call.0, self.leg.call.1),
            if features.is_empty() {
                "no feature recognised".to_string()
            } else {
                features.join(", ")
            },
            self.legs.len()
        );
        let or_dash = |s: &str| if s.is_empty() { "-".to_string() } else { s.to_string() };
        for leg in &self.legs {
            let b = &leg.billing;
            let mark = if self.is_explained(leg) { '*' } else { ' ' };
            out += &format!(
                "  {mark}   {}  {}  {} → {}\n",
                store::call_id(b.start_s, b.dedup),
                local(b.start_s, zone),
                or_dash(&leg.calling),
                or_dash(&leg.dialled)
            );
            out += &format!(
                "        {}, paid by {}, {}: {}\n",
                b.part,
                payer_text(leg),
                if b.counted { "counted" } else { "not counted" },
                Reason::describe_stored(&b.reason)
            );
        }
        out
    }

    fn json(&self) -> Value {
        let time = |s: i64| Timestamp::from_second(s).map(|t| t.to_string()).unwrap_or_default();
        let legs: Vec<Value> = self
            .legs
            .iter()
            .map(|leg| {
                let b = &leg.billing;
                json!({
                    "id": store::call_id(b.start_s, b.dedup),
                    "start": time(b.start_s),
                    "calling": leg.calling,
                    "dialled": leg.dialled,
                    "part": b.part,
                    "payer": b.payer.map(|(extension_id, department_id)| json!({
                        "extension_id": extension_id,
                        "extension": leg.payer_number,
                        "department_id": department_id,
                        "department": leg.payer_department,
                    })),
                    "counted": b.counted,
                    "reason": Reason::describe_stored(&b.reason),
                    "this_call": self.is_explained(leg),
                })
            })
            .collect();
        json!({
            "call": store::call_id(self.leg.call.0, self.leg.call.1),
            "features": self.features(),
            "part": self.leg.part,
            "counted": self.leg.counted,
            "reason": Reason::describe_stored(&self.leg.reason),
            "legs": legs,
        })
    }
}

/// Who pays for a leg, in words: its extension's number and department,
/// or nobody.
fn payer_text(leg: &LegDetail) -> String {
    let Some((extension, _)) = leg.billing.payer else { return "nobody".to_string() };
    let number = leg.payer_number.clone().unwrap_or_else(|| format!("extension #{extension}"));
    match &leg.payer_department {
        Some(department) => format!("{number} ({department})"),
        None => number,
    }
}

/// Everything the explanation is drawn from.
struct Explained<'a> {
    month: Option<MonthBefore>,
    /// The logical call it is a leg of; `None`: a call on its own.
    correlation: Option<Correlation<'a>>,
    call: &'a StoredCall,
    site: Option<&'a str>,
    /// The site's zone, where times are shown.
    zone: TimeZone,
    carriers: &'a BTreeMap<i64, String>,
    book: &'a TariffBook,
    charger: &'a Charger,
}

/// One price computed again today: the steps, or why there is none.
struct Repriced<'b> {
    /// What was priced: "cost" or "reference".
    what: &'static str,
    carrier: String,
    number: String,
    result: Result<Priced<'b>, String>,
    /// The stored amount and currency it is compared with (None: the call
    /// had no such price).
    stored: Option<(Amount, String)>,
}

impl Repriced<'_> {
    /// The amount now, comparable with a stored one.
    fn now(&self) -> Result<(Amount, String), String> {
        let priced = self.result.as_ref().map_err(Clone::clone)?;
        Ok((Amount::from_decimal(priced.cost)?, priced.currency.to_string()))
    }

    /// Why a re-rating would change the stored price, if it would.
    fn change(&self) -> Option<String> {
        let shown = |(amount, currency): &(Amount, String)| format!("{amount} {currency}");
        let (stored, now) = match (&self.stored, self.now()) {
            (Some(stored), Ok(now)) if *stored == now => return None,
            (None, Err(_)) => return None,
            (Some(stored), Ok(now)) => (shown(stored), shown(&now)),
            (Some(stored), Err(why)) => (shown(stored), format!("no price ({why})")),
            (None, Ok(now)) => ("no price".to_string(), shown(&now)),
        };
        let which = if self.what == "cost" { "tariffs" } else { "reference tariffs" };
        Some(format!(
            "{which} changed since the call was rated: stored {stored}, now {now}; run bluewhale \
             rerate"
        ))
    }

    fn json(&self) -> Value {
        let mut object = match &self.result {
            Ok(priced) => crate::cmd::tariff::priced_json(priced),
            Err(why) => json!({ "error": why }),
        };
        object["priced_carrier"] = json!(self.carrier);
        object["number"] = json!(self.number);
        object
    }
}

fn local(at_s: i64, zone: &TimeZone) -> String {
    Timestamp::from_second(at_s)
        .map(|t| t.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M:%S %a %:z").to_string())
        .unwrap_or_else(|_| at_s.to_string())
}

fn trace_text(trace: &PriceTrace) -> String {
    let bands: Vec<String> = trace
        .bands
        .iter()
        .map(|(band, seconds, units)| format!("{band} {seconds} s {units} unit(s)"))
        .collect();
    let mut text = format!(
        "{} version {}, prefix {} → {}: {} s billed, {} unit(s); bands {}",
        trace.carrier,
        trace.version,
        trace.prefix,
        trace.destination,
        trace.billed_s,
        trace.units,
        if bands.is_empty() { "none".to_string() } else { bands.join(" + ") }
    );
    if !trace.discount.is_zero() {
        text += &format!("; discount {}", trace.discount);
    }
    if !trace.bundle.0.is_empty() {
        text += &format!("; bundle {} covered {} s", trace.bundle.0, trace.bundle.1);
    }
    text
}

fn trace_json(trace: &PriceTrace) -> Value {
    let bands: Vec<Value> = trace
        .bands
        .iter()
        .map(|(band, seconds, units)| json!({ "band": band.as_str(), "seconds": seconds, "units": units }))
        .collect();
    json!({
        "carrier": trace.carrier.as_str(),
        "version": trace.version.as_str(),
        "prefix": trace.prefix.as_str(),
        "destination": trace.destination.as_str(),
        "billed_s": trace.billed_s,
        "units": trace.units,
        "discount": trace.discount.to_string(),
        "bundle": (!trace.bundle.0.is_empty())
            .then(|| json!({ "name": trace.bundle.0.as_str(), "seconds": trace.bundle.1 })),
        "bands": bands,
    })
}

impl<'a> Explained<'a> {
    fn charge(&self) -> Option<&'a Charge> {
        self.call.record.charge.as_ref()
    }

    fn other_number(&self) -> &'a str {
        let r = &self.call.record;
        if r.direction == cdr::Direction::Incoming { &r.calling } else { &r.dialled }
    }

    fn carrier_name(&self, id: i64) -> Option<&'a str> {
        (id != 0).then(|| self.carriers.get(&id).map(String::as_str)).flatten()
    }

    /// The call's cost and reference priced with today's book: on the
    /// carrier that priced it (for an unrated call, the one it was
    /// carried by), for its E.164 number, at its talk start, for its talk
    /// time, with its site's holidays. An on-net call's reference was
    /// priced for the other site's area, which its trace's prefix stands
    /// for.
    fn repriced(&self) -> Vec<Repriced<'a>> {
        let Some(charge) = self.charge() else { return Vec::new() };
        let digits = charge.e164.trim_start_matches('+');
        let number = if digits.is_empty() { self.other_number() } else { digits };
        let stored = |amount: Amount| Some((amount, charge.currency.to_string()));
        let mut out = Vec::new();
        let cost_carrier = match (&charge.price, charge.status) {
            (Some(trace), _) => Some(trace.carrier.to_string()),
            (None, ChargeStatus::Unrated) => self.carrier_name(charge.carrier_id).map(String::from),
            (None, _) => None,
        };
        if let Some(carrier) = cost_carrier {
            let rated = charge.status == ChargeStatus::Rated;
            out.push(Repriced {
                what: "cost",
                result: self.price(&carrier, number, self.month.as_ref().map(|m| &m.usages)),
                carrier,
                number: number.to_string(),
                stored: if rated { stored(charge.cost) } else { None },
            });
        }
        if let Some(trace) = &charge.reference_price {
            let onnet = call_type_of(charge.call_type) == classify::CallType::Onnet;
            let number = if onnet { trace.prefix.as_str() } else { number };
            out.push(Repriced {
                what: "reference",
                carrier: trace.carrier.to_string(),
                number: number.to_string(),
                result: self.price(&trace.carrier, number, None),
                stored: stored(charge.reference),
            });
        }
        out
    }

    /// Prices the call on `carrier` for `number`, after `month`'s
    /// organisation, extension and department usage when given.
    fn price(
        &self,
        carrier: &str,
        number: &str,
        month: Option<&[Usage; 3]>,
    ) -> Result<Priced<'a>, String> {
        let record = &self.call.record;
        let id = self
            .book
            .carrier_id(carrier)
            .ok_or_else(|| format!("carrier {carrier:?} has no tariff"))?;
        let start = Timestamp::from_second(record.answer_s.unwrap_or(record.start_s))
            .map_err(|e| e.to_string())?;
        let call = Call {
            carrier: id,
            number,
            start,
            duration_s: record.duration_s,
            site_holidays: self.charger.holidays(record.site_id),
        };
        let priced = match month {
            Some([discount, extension, department]) => {
                self.book.price_in_period(&call, &PeriodUsage { discount, extension, department })
            }
            None => self.book.price(&call),
        };
        priced.map_err(|e| e.to_string())
    }

    /// What a re-rating would change (the prices, or how today's
    /// directory, dial plans and tariffs charge the call as a whole), or
    /// that it would change nothing.
    fn notes(&self, repriced: &[Repriced<'_>]) -> Vec<String> {
        let Some(stored) = self.charge() else { return Vec::new() };
        let mut notes: Vec<String> = repriced.iter().filter_map(Repriced::change).collect();
        let Some(facts) = facts_of(&self.call.record) else { return notes };
        let now = match &self.month {
            Some(month) => {
                let ledger = &mut month.ledger.clone();
                self.charger.charge_in_period(&facts, Period { owner: month.owner, ledger })
            }
            None => self.charger.charge(&facts),
        };
        if (now.call_type, &now.e164, now.carrier_id)
            != (stored.call_type, &stored.e164, stored.carrier_id)
        {
            notes.push(format!(
                "today's directory and dial plans charge it differently: {}, E.164 {}, carrier \
                 {}; run bluewhale rerate",
                call_type_of(now.call_type).as_str(),
                if now.e164.is_empty() { "-" } else { now.e164.as_str() },
                self.carrier_name(now.carrier_id).unwrap_or("none")
            ));
        }
        if notes.is_empty() {
            notes.push(if now == *stored {
                "today's tariffs and dial plans charge it exactly as stored".to_string()
            } else {
                "today's tariffs and dial plans charge it differently from the stored charge; run \
                 bluewhale rerate"
                    .to_string()
            });
        }
        notes
    }

    fn text(&self) -> String {
        let c = self.call;
        let r = &c.record;
        let mut out = format!("call {} from PBX {}", r.id(), c.pbx);
        if let Some(site) = self.site {
            out += &format!(" at site {site}");
        }
        out.push('\n');
        let mut line = |label: &str, value: String| out += &format!("  {label:<14}{value}\n");
        line("start", local(r.start_s, &self.zone));
        if let Some(answer) = r.answer_s {
            line("answered", local(answer, &self.zone));
        }
        line("talk", format!("{} s, {}", r.duration_s, r.disposition.as_str()));
        line("direction", r.direction.as_str().to_string());
        let owner: Vec<&str> =
            [c.user.as_deref(), c.department.as_deref()].into_iter().flatten().collect();
        let extension = if r.extension.is_empty() { "-" } else { r.extension.as_str() };
        line(
            "extension",
            if owner.is_empty() {
                extension.to_string()
            } else {
                format!("{extension} ({})", owner.join(", "))
            },
        );
        line("other party", self.other_number().to_string());
        match &self.correlation {
            Some(correlation) => out += &correlation.text(&self.zone),
            None => line("logical call", "none: a call on its own".to_string()),
        }
        let Some(charge) = self.charge() else {
            out += "not classified or priced (stored before rating); run bluewhale rerate\n";
            return out;
        };
        out += &format!(
            "classified as {} ({}), E.164 {}, destination {}\n",
            call_type_of(charge.call_type).as_str(),
            service_of(charge.service).as_str(),
            if charge.e164.is_empty() { "-" } else { charge.e164.as_str() },
            if charge.destination.is_empty() { "-" } else { charge.destination.as_str() },
        );
        out += &format!("status {}", charge.status.as_str());
        if !charge.reason.is_empty() {
            out += &format!(": {}", charge.reason);
        }
        out.push('\n');
        let currency = if charge.currency.is_empty() { "" } else { charge.currency.as_str() };
        let money = |amount: Amount| format!("{amount} {currency}").trim_end().to_string();
        let mut line = |label: &str, value: String| out += &format!("  {label:<14}{value}\n");
        line("carrier", self.carrier_name(charge.carrier_id).unwrap_or("none").to_string());
        line("cost", money(charge.cost));
        line("reference", money(charge.reference));
        line("savings", money(charge.savings()));
        for (label, trace) in
            [("priced on", &charge.price), ("reference on", &charge.reference_price)]
        {
            if let Some(trace) = trace {
                line(label, trace_text(trace));
            }
        }
        if let Some(month) = &self.month {
            let [organisation, extension, department] = &month.usages;
            out += &format!(
                "\nits carrier has volume tiers or bundles: priced after the month's {} earlier \
                 call(s), which used {} billed minute(s) on it in all, {} by the extension, {} by \
                 the department\n",
                month.calls,
                organisation.billed_seconds / 60,
                extension.billed_seconds / 60,
                department.billed_seconds / 60
            );
        }
        let all_repriced = self.repriced();
        for repriced in &all_repriced {
            out += &format!(
                "\n{} priced now on {} for {}, with the stored tariffs:\n",
                repriced.what, repriced.carrier, repriced.number
            );
            match &repriced.result {
                Ok(priced) => {
                    for step in priced.explanation() {
                        out += &format!("  {step}\n");
                    }
                }
                Err(why) => out += &format!("  no price: {why}\n"),
            }
        }
        out.push('\n');
        for note in self.notes(&all_repriced) {
            out += &note;
            out.push('\n');
        }
        out
    }

    fn json(&self) -> Value {
        let c = self.call;
        let r = &c.record;
        let time = |s: i64| Timestamp::from_second(s).map(|t| t.to_string()).unwrap_or_default();
        let mut object = json!({
            "id": r.id(),
            "pbx": c.pbx,
            "site": self.site,
            "start": time(r.start_s),
            "answer": r.answer_s.map(time),
            "duration_s": r.duration_s,
            "disposition": r.disposition.as_str(),
            "direction": r.direction.as_str(),
            "extension": r.extension.as_str(),
            "user": c.user,
            "department": c.department,
            "other_number": self.other_number(),
            "correlation": self.correlation.as_ref().map(Correlation::json),
            "charge": Value::Null,
        });
        let Some(charge) = self.charge() else { return object };
        let repriced = self.repriced();
        let notes = self.notes(&repriced);
        object["charge"] = json!({
            "call_type": call_type_of(charge.call_type).as_str(),
            "service": service_of(charge.service).as_str(),
            "e164": charge.e164.as_str(),
            "destination": charge.destination.as_str(),
            "status": charge.status.as_str(),
            "reason": charge.reason.as_str(),
            "carrier": self.carrier_name(charge.carrier_id),
            "currency": charge.currency.as_str(),
            "cost": charge.cost.to_string(),
            "reference": charge.reference.to_string(),
            "savings": charge.savings().to_string(),
            "price": charge.price.as_ref().map(trace_json),
            "reference_price": charge.reference_price.as_ref().map(trace_json),
        });
        object["now"] = json!({
            "cost": repriced.iter().find(|p| p.what == "cost").map(Repriced::json),
            "reference": repriced.iter().find(|p| p.what == "reference").map(Repriced::json),
            "notes": notes,
        });
        object
    }
}
