//! The charger: classification, carrier choice and pricing of one call.
//!
//! Rules, in order (also in the README):
//! - The call type comes from the classifier (site dial plan + directory).
//! - `internal` and `onnet` calls cost nothing; an on-net call's reference
//!   cost is what the site's reference tariff charges for a call to the
//!   other site's country and area code, so it shows what it saved.
//! - `inbound` calls cost nothing unless the called number is a paid
//!   number; then they are priced on its carrier, for the caller's number.
//! - `free` numbers (emergency, toll-free) cost nothing.
//! - `unknown` numbers cannot be priced: the call is *unrated*, with the
//!   classifier's reason.
//! - Other calls are priced on the carrier of the trunk they left by, else
//!   the site's carrier, else the organisation's; and on the site's (else
//!   the organisation's) reference carrier. No carrier, no tariff or no
//!   rate makes the call unrated, with the reason; never a silent zero.
//!   Without a reference tariff the reference cost is the cost (no
//!   savings claimed).

use std::sync::Arc;

use classify::{CallType, Classifier, DialPlan, DialPlansFile, SiteCodes};
use directory::Directory;
use jiff::Timestamp;
use rating::{Call, CarrierId, HolidayCalendar, PeriodUsage, PriceError, Priced, TariffBook};
use rustc_hash::{FxHashMap, FxHashSet};
use store::{Amount, Charge, ChargeStatus, PriceTrace, Store, settings};

use crate::codes::{call_type_code, service_code};
use crate::period::{Ledger, PeriodOwner};

#[derive(Debug, thiserror::Error)]
pub enum ChargerError {
    #[error("{0}")]
    Store(#[from] store::Error),
    #[error("dial plans: {0}")]
    DialPlans(String),
}

/// What the charger needs to know of a call.
#[derive(Debug, Clone, Copy)]
pub struct CallFacts<'a> {
    pub site_id: Option<i64>,
    pub direction: cdr::Direction,
    pub calling: &'a str,
    pub dialled: &'a str,
    /// When talk started (the answer time, else the start).
    pub start: Timestamp,
    /// Talk seconds (0 for an unanswered call).
    pub duration_s: u32,
    pub trunk_out_id: Option<i64>,
}

/// A carrier as a call refers to it.
#[derive(Debug, Clone)]
struct CarrierRef {
    name: Box<str>,
    /// `carrier.id` in the store.
    store_id: i64,
    /// In the tariff book, if it has tariffs.
    book: Option<CarrierId>,
}

#[derive(Debug, Clone, Default)]
struct SiteRating {
    carrier: Option<CarrierRef>,
    reference: Option<CarrierRef>,
    /// Index into the book's calendars.
    holidays: Option<usize>,
    /// Country + area code: what an on-net call to the site would have
    /// dialled on the PSTN, for its reference price.
    pstn_prefix: Option<String>,
}

/// Classifies and prices calls; built once from the store, shared by
/// every thread.
pub struct Charger {
    book: Arc<TariffBook>,
    classifier: Classifier,
    /// Extension number → site id (0: none).
    extensions: FxHashMap<Box<str>, i64>,
    sites: FxHashMap<i64, SiteRating>,
    organisation: SiteRating,
    trunks: FxHashMap<i64, CarrierRef>,
    paid_numbers: FxHashMap<Box<str>, CarrierRef>,
    /// Store ids of the carriers with a version that has volume tiers or
    /// bundles: their calls' prices depend on the month's earlier calls.
    period_carriers: FxHashSet<i64>,
}

/// A month's earlier usage to price a call against (see `period`).
pub struct Period<'l> {
    pub owner: PeriodOwner,
    pub ledger: &'l mut Ledger,
}

/// Dial-plan presets for sites whose country has one, when no dial-plan
/// file says otherwise.
const COUNTRY_PRESETS: [(&str, &str); 5] =
    [("86", "cn"), ("33", "fr"), ("44", "gb"), ("49", "de"), ("1", "us")];

impl Charger {
    /// A charger for the store's directory, settings and `book`. Makes
    /// sure every carrier named anywhere has a store id.
    pub fn new(store: &Store, book: Arc<TariffBook>) -> Result<Charger, ChargerError> {
        let directory = store.directory()?;
        let dial_plans = store.setting(settings::DIAL_PLANS)?;
        let default_carrier = store.setting(settings::CARRIER)?.unwrap_or_default();
        let default_reference = store.setting(settings::REFERENCE_CARRIER)?.unwrap_or_default();
        let mut names: Vec<&str> = book.carriers().iter().map(|c| c.name()).collect();
        names.extend([default_carrier.as_str(), default_reference.as_str()]);
        for s in &directory.sites {
            names.extend([s.carrier.as_str(), s.reference_carrier.as_str()]);
        }
        names.extend(directory.trunks.iter().map(|t| t.carrier.as_str()));
        names.extend(directory.paid_numbers.iter().map(|n| n.carrier.as_str()));
        let ids = store.ensure_carriers(names)?;
        for c in book.carriers() {
            if let Some(version) = c.versions().first() {
                store.set_carrier_currency(c.name(), version.currency().as_str())?;
            }
        }
        let carrier = |name: &str| -> Option<CarrierRef> {
            let store_id = *ids.get(name)?;
            Some(CarrierRef { name: name.into(), store_id, book: book.carrier_id(name) })
        };
        let classifier = classifier(&directory, dial_plans.as_deref())?;
        let calendar = |name: &str| book.calendars().iter().position(|c| c.name() == name);
        let sites = directory
            .sites
            .iter()
            .map(|s| {
                let rating = SiteRating {
                    carrier: carrier(&s.carrier),
                    reference: carrier(&s.reference_carrier),
                    holidays: calendar(&s.holidays),
                    pstn_prefix: (!s.country_code.is_empty())
                        .then(|| format!("{}{}", s.country_code, s.area_code)),
                };
                (s.id, rating)
            })
            .collect();
        let organisation = SiteRating {
            carrier: carrier(&default_carrier),
            reference: carrier(&default_reference),
            ..SiteRating::default()
        };
        let trunks =
            directory.trunks.iter().filter_map(|t| Some((t.id, carrier(&t.carrier)?))).collect();
        let paid_numbers = directory
            .paid_numbers
            .iter()
            .filter_map(|n| Some((n.number.as_str().into(), carrier(&n.carrier)?)))
            .collect();
        let extensions = directory
            .extensions
            .iter()
            .map(|e| (e.number.as_str().into(), e.site_id.unwrap_or(0)))
            .collect();
        let period_carriers = book
            .carriers()
            .iter()
            .filter(|c| {
                c.versions()
                    .iter()
                    .any(|v| !v.discounts().volume_tiers.is_empty() || !v.bundles().is_empty())
            })
            .filter_map(|c| ids.get(c.name()).copied())
            .collect();
        Ok(Charger {
            book,
            classifier,
            extensions,
            sites,
            organisation,
            trunks,
            paid_numbers,
            period_carriers,
        })
    }

    /// Whether calls on this carrier (its store id) are priced against
    /// the month's earlier calls (volume tiers, bundles).
    pub fn has_period_discounts(&self, carrier_id: i64) -> bool {
        self.period_carriers.contains(&carrier_id)
    }

    /// Whether any carrier has volume tiers or bundles.
    pub fn any_period_discounts(&self) -> bool {
        !self.period_carriers.is_empty()
    }

    pub fn book(&self) -> &TariffBook {
        &self.book
    }

    fn site(&self, site_id: Option<i64>) -> Option<&SiteRating> {
        site_id.and_then(|id| self.sites.get(&id))
    }

    /// The carrier of an outside call: its trunk's, its site's, the
    /// organisation's.
    fn carrier_of(&self, facts: &CallFacts<'_>) -> Option<&CarrierRef> {
        facts
            .trunk_out_id
            .and_then(|t| self.trunks.get(&t))
            .or_else(|| self.site(facts.site_id).and_then(|s| s.carrier.as_ref()))
            .or(self.organisation.carrier.as_ref())
    }

    fn reference_of(&self, site_id: Option<i64>) -> Option<&CarrierRef> {
        self.site(site_id)
            .and_then(|s| s.reference.as_ref())
            .or(self.organisation.reference.as_ref())
    }

    /// The holiday calendar of the site, if it names one the book has.
    pub fn holidays(&self, site_id: Option<i64>) -> Option<&HolidayCalendar> {
        let index = self.site(site_id)?.holidays?;
        self.book.calendars().get(index)
    }

    /// Classifies and prices one call as if it were the first of its
    /// month: the list price, before volume tiers and bundles. Enough for
    /// every call whose carrier has none (see [`Charger::has_period_discounts`]).
    pub fn charge(&self, facts: &CallFacts<'_>) -> Charge {
        self.charge_with(facts, &mut None)
    }

    /// Classifies and prices one call against its month's earlier calls,
    /// and records it in `period`'s ledger. Call it for a month's calls
    /// in start order (see `period`).
    pub fn charge_in_period(&self, facts: &CallFacts<'_>, period: Period<'_>) -> Charge {
        self.charge_with(facts, &mut Some(period))
    }

    fn charge_with(&self, facts: &CallFacts<'_>, period: &mut Option<Period<'_>>) -> Charge {
        let incoming = facts.direction == cdr::Direction::Incoming;
        let other = if incoming { facts.calling } else { facts.dialled };
        let lookup = |number: &str| self.extensions.get(number).copied();
        let class = self.classifier.classify(facts.site_id, facts.direction, other, &lookup);
        let mut charge = Charge {
            call_type: call_type_code(class.call_type),
            service: service_code(class.service),
            e164: class.e164.clone(),
            destination: class.destination.map(|d| d.name.as_str().into()).unwrap_or_default(),
            ..Charge::default()
        };
        let digits = class.e164.trim_start_matches('+');
        match class.call_type {
            CallType::Internal => free(&mut charge, "internal call"),
            CallType::Onnet => {
                free(&mut charge, "on-net call");
                let pstn = class
                    .extension_site
                    .and_then(|s| self.sites.get(&s))
                    .and_then(|s| s.pstn_prefix.as_deref());
                if let (Some(number), Some(reference)) = (pstn, self.reference_of(facts.site_id))
                    && let Ok((amount, currency, trace)) =
                        self.price(reference, number, facts, &mut None)
                {
                    charge.reference = amount;
                    charge.currency = currency.as_str().into();
                    charge.reference_price = Some(trace);
                }
            }
            CallType::Inbound => match self.paid_numbers.get(facts.dialled) {
                Some(carrier) => {
                    let number = if digits.is_empty() { facts.dialled } else { digits };
                    self.price_on(&mut charge, carrier, number, facts, period);
                    charge.reference = charge.cost;
                }
                None => free(&mut charge, "inbound call"),
            },
            CallType::Free => free(&mut charge, "free number"),
            CallType::Unknown => {
                let reason = class.reason.map_or("unclassified number", |r| r.as_str());
                unrated(&mut charge, format!("unknown number {other:?}: {reason}"));
            }
            CallType::Local | CallType::National | CallType::Mobile | CallType::International => {
                match self.carrier_of(facts) {
                    Some(carrier) => {
                        self.price_on(&mut charge, carrier, digits, facts, period);
                        self.reference(&mut charge, carrier, digits, facts);
                    }
                    None => unrated(
                        &mut charge,
                        "no carrier: the trunk, the site and the organisation name none".into(),
                    ),
                }
            }
        }
        charge
    }

    /// Prices the call on `carrier`, as its actual cost.
    fn price_on(
        &self,
        charge: &mut Charge,
        carrier: &CarrierRef,
        number: &str,
        facts: &CallFacts<'_>,
        period: &mut Option<Period<'_>>,
    ) {
        charge.carrier_id = carrier.store_id;
        match self.price(carrier, number, facts, period) {
            Ok((amount, currency, trace)) => {
                charge.status = ChargeStatus::Rated;
                charge.cost = amount;
                charge.currency = currency.as_str().into();
                charge.price = Some(trace);
            }
            Err(reason) => unrated(charge, reason),
        }
    }

    /// Prices the call on the site's reference tariff: the public price of
    /// the call on its own, so without the reference carrier's volume
    /// tiers or bundles.
    fn reference(
        &self,
        charge: &mut Charge,
        carrier: &CarrierRef,
        number: &str,
        facts: &CallFacts<'_>,
    ) {
        charge.reference = charge.cost;
        let Some(reference) = self.reference_of(facts.site_id) else { return };
        if reference.store_id == carrier.store_id || charge.status != ChargeStatus::Rated {
            return;
        }
        if let Ok((amount, currency, trace)) = self.price(reference, number, facts, &mut None) {
            // A reference in another currency cannot be compared.
            if currency.as_str() == charge.currency.as_str() {
                charge.reference = amount;
                charge.reference_price = Some(trace);
            }
        }
    }

    fn price(
        &self,
        carrier: &CarrierRef,
        number: &str,
        facts: &CallFacts<'_>,
        period: &mut Option<Period<'_>>,
    ) -> Result<(Amount, rating::Currency, PriceTrace), String> {
        let Some(id) = carrier.book else {
            return Err(format!("carrier {:?} has no tariff", &*carrier.name));
        };
        let call = Call {
            carrier: id,
            number,
            start: facts.start,
            duration_s: facts.duration_s,
            site_holidays: self.holidays(facts.site_id),
        };
        let priced = match period {
            Some(period) if self.has_period_discounts(carrier.store_id) => {
                period.ledger.with_usages(carrier.store_id, &period.owner, |org, ext, dept| {
                    let usage = PeriodUsage { discount: org, extension: ext, department: dept };
                    let priced = self.book.price_in_period(&call, &usage);
                    if let Ok(priced) = &priced {
                        for u in [org, ext, dept] {
                            u.record(priced);
                        }
                    }
                    priced.map_err(|e| price_error(&e))
                })?
            }
            _ => self.book.price(&call).map_err(|e| price_error(&e))?,
        };
        let amount = Amount::from_decimal(priced.cost)?;
        Ok((amount, priced.currency, trace(&priced)?))
    }
}

fn free(charge: &mut Charge, why: &str) {
    charge.status = ChargeStatus::Free;
    charge.reason = why.into();
}

fn unrated(charge: &mut Charge, why: String) {
    charge.status = ChargeStatus::Unrated;
    charge.cost = Amount::ZERO;
    charge.reason = why.as_str().into();
}

fn price_error(error: &PriceError) -> String {
    error.to_string()
}

/// How a price was computed, as a charge keeps it.
pub(crate) fn trace(priced: &Priced<'_>) -> Result<PriceTrace, String> {
    Ok(PriceTrace {
        carrier: priced.carrier.into(),
        version: priced.version_id.into(),
        prefix: priced.prefix.to_string().as_str().into(),
        destination: priced.destination.into(),
        billed_s: priced.billed_seconds,
        units: priced.units,
        discount: Amount::from_decimal(priced.discount)?,
        bundle: priced
            .bundle
            .filter(|b| b.seconds > 0)
            .map(|b| (b.name.into(), b.seconds))
            .unwrap_or_default(),
        bands: priced.bands.iter().map(|b| (b.band.into(), b.seconds, b.units)).collect(),
    })
}

/// The classifier of the directory's sites: the stored dial-plan file, and
/// for sites it does not cover, their country's preset.
fn classifier(directory: &Directory, dial_plans: Option<&str>) -> Result<Classifier, ChargerError> {
    let codes: Vec<SiteCodes<'_>> = directory
        .sites
        .iter()
        .map(|s| SiteCodes {
            id: s.id,
            name: &s.name,
            country_code: &s.country_code,
            area_code: &s.area_code,
        })
        .collect();
    let file = match dial_plans {
        Some(text) => {
            DialPlansFile::parse(text).map_err(|e| ChargerError::DialPlans(e.to_string()))?
        }
        None => DialPlansFile::default(),
    };
    let mut classifier =
        Classifier::from_file(&file, &codes).map_err(|e| ChargerError::DialPlans(e.to_string()))?;
    for site in &directory.sites {
        let covered = file.sites.contains_key(&site.name) || file.default.is_some();
        if covered {
            continue;
        }
        let preset = COUNTRY_PRESETS.iter().find(|(cc, _)| *cc == site.country_code);
        if let Some((_, preset)) = preset {
            let plan = DialPlan::preset(preset, &site.area_code)
                .map_err(|e| ChargerError::DialPlans(format!("site {:?}: {e}", site.name)))?;
            classifier.add_site(site.id, &plan);
        }
    }
    Ok(classifier)
}
