//! Import of a CGRateS tariff-plan folder (`Destinations.csv`,
//! `Rates.csv`, `DestinationRates.csv`, `Timings.csv`, `RatingPlans.csv`,
//! `RatingProfiles.csv`) as a [`TariffBook`], so that calls are priced as
//! CGRateS's rater prices them (`GetCost`).
//!
//! # Mapping
//!
//! - **Profile → carrier.** One rating profile (Tenant, Category, Subject)
//!   is imported: the one `subject` names (`Subject`, `Tenant:Subject` or
//!   `Tenant:Category:Subject`), by default the first in the file. The
//!   carrier is named `Tenant:Subject`.
//! - **ActivationTime → version.** Each of the profile's rows is a tariff
//!   version, `valid_from` = ActivationTime, id = RatingPlanId (with
//!   `@ActivationTime` when a plan is activated twice).
//! - **Destinations → destinations.** Each destination ID used by the plan
//!   is a destination of that name with its prefixes; a leading `+` is
//!   dropped (dialled numbers are matched as digits). `*any` becomes the
//!   ten one-digit prefixes not taken by another destination, so any real
//!   prefix wins over it, as in CGRateS. The longest prefix wins in both.
//! - **Timings → bands.** See `bands.rs`: each distinct choice of rates
//!   across the week is a band, in force where CGRateS would pick those
//!   rates (highest Weight, then latest start time). Bands are evaluated
//!   in the import's time zone (CGRateS: the time zone of the call's
//!   time). Crossing is `split`: CGRateS splits a call where the timing
//!   changes and rounds each piece up to its own increment, which is
//!   pricing each unit at the band in force when it starts.
//! - **Rates → stepped rates.** Each `GroupIntervalStart` slot is a
//!   [`crate::Step`]: from that talk offset, units of `RateIncrement`
//!   costing `RateIncrement × Rate / RateUnit`; CGRateS's rule (a piece of
//!   the call rounded up to the increment of the slot its start falls in)
//!   is the same unit walk. An empty or zero RateUnit / RateIncrement is
//!   1 s, as in CGRateS. ConnectFee is the first row's of the rate ID
//!   (CGRateS reads `RateSlots[0]`), charged once, from the start band.
//! - **Rounding.** CGRateS adds connect fee and pieces unrounded and
//!   rounds the total once: `per_call` rounding with the DestinationRates'
//!   RoundingDecimals and method: `*up` → `up`, `*down` → `down`,
//!   `*middle` → `half_up` (CGRateS rounds a fraction ≥ .5 up; costs are
//!   never negative). Sums are exact decimals (CGRateS 0.10 uses float64
//!   and an `*up` tolerance of 1e-7, which exact sums do not need).
//! - **MaxCost.** With `*free` the call costs at most MaxCost (the start
//!   band's) — the rate's `maximum`. `*disconnect` only cuts live
//!   sessions; CGRateS's `GetCost` of a finished call is not capped, so
//!   neither is ours.
//! - **Currency and zone.** Tariff plans carry neither; they come from
//!   [`CgratesOptions`] (defaults `XXX`, ISO 4217's "no currency", and
//!   `UTC`).
//!
//! # Not supported (each an import error naming the file and line)
//!
//! - Timings with Years, Months or MonthDays (dates), or a Time other than
//!   `HH:MM:SS` / `*any` (e.g. `*asap`).
//! - RatesFallbackSubject on the imported profile.
//! - Different RoundingMethod / RoundingDecimals within one rating plan
//!   (a version has one rounding), more than 8 bands, durations below a
//!   second, a rate ID without a slot at GroupIntervalStart 0, two rates
//!   for one destination at the same time with the same weight, a time of
//!   the week where a destination has no rate, and the same prefix in two
//!   destinations of one plan (CGRateS's choice there is arbitrary).
//!
//! Differences that remain (documented, not detected): a call crossing an
//! ActivationTime keeps the version it started in (CGRateS splits it);
//! with `*free`, CGRateS compares its running total per time span.

mod bands;
mod table;
mod values;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use toml::Spanned;

use crate::file::format::{
    BandFile, BookFile, CarrierFile, DestinationFile, FORMAT_VERSION, Money, RateFile, StepFile,
    VersionFile, WhenFile,
};
use crate::model::{Crossing, TariffBook};
use crate::money::{Currency, MAX_DECIMALS, RoundAt, RoundMode, Rounding};
use crate::prefix::Prefix;
use crate::{Weekdays, bands::format_time};
use bands::{BandError, BandPlan, Entry, PlanTiming, plan_bands};
use table::{Row, Table};

/// A tariff plan that cannot be imported: `file:line` and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgratesError {
    /// `path/File.csv:line`, or the file or folder when no line applies.
    pub location: String,
    pub message: String,
}

impl CgratesError {
    fn at(path: &Path, line: u64, message: impl Into<String>) -> CgratesError {
        CgratesError { location: format!("{}:{line}", path.display()), message: message.into() }
    }
}

impl fmt::Display for CgratesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for CgratesError {}

/// What the tariff plan does not say.
#[derive(Clone, Copy, Debug)]
pub struct CgratesOptions<'a> {
    /// The rating profile to import (see the module doc); None: the first.
    pub subject: Option<&'a str>,
    /// IANA zone in which timings are evaluated.
    pub time_zone: &'a str,
    /// ISO 4217 code of the plan's amounts.
    pub currency: &'a str,
}

impl Default for CgratesOptions<'_> {
    fn default() -> Self {
        CgratesOptions { subject: None, time_zone: "UTC", currency: "XXX" }
    }
}

/// Imports the rating profile `subject` (default: the first) of the
/// tariff plan in `dir`, in UTC and currency `XXX`.
pub fn import_cgrates(dir: &Path, subject: Option<&str>) -> Result<TariffBook, CgratesError> {
    import_cgrates_with(dir, &CgratesOptions { subject, ..CgratesOptions::default() })
}

/// [`import_cgrates`] with the time zone and currency given.
pub fn import_cgrates_with(
    dir: &Path,
    options: &CgratesOptions<'_>,
) -> Result<TariffBook, CgratesError> {
    let folder_error =
        |message: String| CgratesError { location: dir.display().to_string(), message };
    Currency::parse(options.currency)
        .ok_or_else(|| folder_error(format!("not an ISO currency code: {:?}", options.currency)))?;
    let zone = jiff::tz::db()
        .get(options.time_zone)
        .map_err(|_| folder_error(format!("unknown IANA time zone: {:?}", options.time_zone)))?;
    let plan = TariffPlan::read(dir)?;
    let (carrier, activations) = plan.select_profile(options.subject, &zone)?;
    let mut versions = Vec::new();
    let mut seen: Vec<(jiff::Timestamp, &str)> = Vec::new();
    for (row, activation, plan_id) in &activations {
        if let Some((_, other)) = seen.iter().find(|(t, _)| t == activation) {
            return Err(plan.profiles.error(
                row,
                format!("ActivationTime {activation} is also that of rating plan {other:?}"),
            ));
        }
        let id = if seen.iter().any(|(_, p)| p == plan_id) {
            format!("{plan_id}@{activation}")
        } else {
            plan_id.to_string()
        };
        seen.push((*activation, plan_id));
        versions.push(plan.version(row, plan_id, &id, *activation, options)?);
    }
    let book = BookFile {
        format: FORMAT_VERSION,
        calendars: Vec::new(),
        carriers: vec![CarrierFile { name: spanned(carrier), versions }],
    };
    let text = toml::to_string(&book).map_err(|e| folder_error(e.to_string()))?;
    // Everything the loader checks was checked above with a CSV line; a
    // failure here is a gap in those checks, reported as such.
    TariffBook::from_toml_str(&text)
        .map_err(|e| folder_error(format!("imported tariff does not load: {e}")))
}

/// The six CSV files and, per file, its rows by ID (first column).
struct TariffPlan {
    destinations: Table,
    rates: Table,
    destination_rates: Table,
    timings: Table,
    rating_plans: Table,
    profiles: Table,
    by_id: [FxHashMap<String, Vec<usize>>; 5],
}

/// Positions in `by_id`.
const DESTINATIONS: usize = 0;
const RATES: usize = 1;
const DESTINATION_RATES: usize = 2;
const TIMINGS: usize = 3;
const RATING_PLANS: usize = 4;

/// Row positions of `table` by their first column.
fn index(table: &Table) -> FxHashMap<String, Vec<usize>> {
    let mut map: FxHashMap<String, Vec<usize>> = FxHashMap::default();
    for (i, row) in table.rows.iter().enumerate() {
        map.entry(row.fields[0].clone()).or_default().push(i);
    }
    map
}

/// A rating-plan entry of one destination, with where it came from.
struct PlanEntry<'t> {
    timing: usize,
    weight: Decimal,
    plan_row: &'t Row,
    rate_row: &'t Row,
}

impl TariffPlan {
    fn read(dir: &Path) -> Result<TariffPlan, CgratesError> {
        let destinations = Table::read(dir, "Destinations.csv", false)?;
        let rates = Table::read(dir, "Rates.csv", false)?;
        let destination_rates = Table::read(dir, "DestinationRates.csv", false)?;
        let timings = Table::read(dir, "Timings.csv", true)?;
        let rating_plans = Table::read(dir, "RatingPlans.csv", false)?;
        let profiles = Table::read(dir, "RatingProfiles.csv", false)?;
        let by_id = [
            index(&destinations),
            index(&rates),
            index(&destination_rates),
            index(&timings),
            index(&rating_plans),
        ];
        Ok(TariffPlan {
            destinations,
            rates,
            destination_rates,
            timings,
            rating_plans,
            profiles,
            by_id,
        })
    }

    /// The rows of `table` (one of the five indexed) with ID `id`.
    fn rows<'s>(&'s self, which: usize, table: &'s Table, id: &str) -> Option<Vec<&'s Row>> {
        let positions = self.by_id.get(which)?.get(id)?;
        Some(positions.iter().filter_map(|&i| table.rows.get(i)).collect())
    }

    /// The carrier name and (row, ActivationTime, RatingPlanId) of the
    /// selected profile, oldest first.
    #[allow(clippy::type_complexity)]
    fn select_profile(
        &self,
        subject: Option<&str>,
        zone: &jiff::tz::TimeZone,
    ) -> Result<(String, Vec<(&Row, jiff::Timestamp, &str)>), CgratesError> {
        const NAMES: &str =
            "Tenant,Category,Subject,ActivationTime,RatingPlanId,RatesFallbackSubject";
        // (tenant, category, subject), rows.
        let mut profiles: Vec<([&str; 3], Vec<(&Row, &[String])>)> = Vec::new();
        for row in &self.profiles.rows {
            // Older files lead with Direction (*out) and may end with
            // CdrStatQueueIds.
            let fields = match row.fields.first().map(String::as_str) {
                Some("*out" | "*in") if row.fields.len() >= 7 => &row.fields[1..7],
                _ => self.profiles.columns(row, &[6], NAMES)?,
            };
            let key = [fields[0].as_str(), fields[1].as_str(), fields[2].as_str()];
            match profiles.iter_mut().find(|(k, _)| *k == key) {
                Some((_, rows)) => rows.push((row, fields)),
                None => profiles.push((key, vec![(row, fields)])),
            }
        }
        let describe = |k: &[&str; 3]| k.join(":");
        let chosen: Vec<&([&str; 3], Vec<(&Row, &[String])>)> = match subject {
            None => profiles.first().into_iter().collect(),
            Some(wanted) => profiles
                .iter()
                .filter(|([tenant, category, subject], _)| {
                    wanted == *subject
                        || wanted == format!("{tenant}:{subject}")
                        || wanted == format!("{tenant}:{category}:{subject}")
                })
                .collect(),
        };
        let location = self.profiles.path.display().to_string();
        let (key, rows) = match chosen.as_slice() {
            [one] => *one,
            [] => {
                let known: Vec<String> = profiles.iter().map(|(k, _)| describe(k)).collect();
                let message = match subject {
                    Some(s) => format!(
                        "no rating profile for subject {s:?} (profiles: {})",
                        known.join(", ")
                    ),
                    None => "no rating profile".to_string(),
                };
                return Err(CgratesError { location, message });
            }
            many => {
                let names: Vec<String> = many.iter().map(|(k, _)| describe(k)).collect();
                return Err(CgratesError {
                    location,
                    message: format!(
                        "subject {:?} matches several rating profiles: {} (name one as Tenant:Category:Subject)",
                        subject.unwrap_or(""),
                        names.join(", ")
                    ),
                });
            }
        };
        let mut activations = Vec::new();
        for (row, fields) in rows {
            if !fields[5].is_empty() {
                return Err(self.profiles.error(
                    row,
                    format!(
                        "RatesFallbackSubject {:?} is not supported; import that subject on its own",
                        fields[5]
                    ),
                ));
            }
            let at = values::activation_time(&fields[3], zone)
                .map_err(|m| self.profiles.error(row, m))?;
            activations.push((*row, at, fields[4].as_str()));
        }
        activations.sort_by_key(|(_, at, _)| *at);
        Ok((format!("{}:{}", key[0], key[2]), activations))
    }

    fn version(
        &self,
        profile_row: &Row,
        plan_id: &str,
        version_id: &str,
        activation: jiff::Timestamp,
        options: &CgratesOptions<'_>,
    ) -> Result<VersionFile, CgratesError> {
        let plan_rows = self.rows(RATING_PLANS, &self.rating_plans, plan_id).ok_or_else(|| {
            self.profiles
                .error(profile_row, format!("rating plan {plan_id:?} is not in RatingPlans.csv"))
        })?;

        let mut timings: Vec<PlanTiming> = Vec::new();
        let mut destination_ids: Vec<&str> = Vec::new();
        let mut entries: Vec<Vec<PlanEntry<'_>>> = Vec::new();
        let mut rounding: Option<(Rounding, &Row)> = None;
        for &plan_row in &plan_rows {
            let fields = self.rating_plans.columns(
                plan_row,
                &[4],
                "ID,DestinationRatesId,TimingTag,Weight",
            )?;
            let weight = if fields[3].is_empty() {
                Decimal::ZERO
            } else {
                Decimal::from_str_exact(&fields[3])
                    .or_else(|_| Decimal::from_scientific(&fields[3]))
                    .map_err(|_| {
                        self.rating_plans
                            .error(plan_row, format!("Weight is not a number: {:?}", fields[3]))
                    })?
            };
            let timing = self.timing(&fields[2], plan_row, &mut timings)?;
            let dr_rows = self
                .rows(DESTINATION_RATES, &self.destination_rates, &fields[1])
                .ok_or_else(|| {
                    self.rating_plans.error(
                        plan_row,
                        format!(
                            "destination rates {:?} are not in DestinationRates.csv",
                            fields[1]
                        ),
                    )
                })?;
            for dr_row in dr_rows {
                let dr = self.destination_rates.columns(
                    dr_row,
                    &[7, 5],
                    "ID,DestinationsID,RatesID,RoundingMethod,RoundingDecimals,MaxCost,MaxCostStrategy",
                )?;
                let this_rounding = self.rounding(dr_row, dr)?;
                match rounding {
                    None => rounding = Some((this_rounding, dr_row)),
                    Some((first, first_row)) if first != this_rounding => {
                        return Err(self.destination_rates.error(
                            dr_row,
                            format!(
                                "rounding {}/{} differs from {}/{} (line {}) in rating plan {plan_id:?}; \
                                 one rounding per rating plan is supported",
                                dr[3], dr[4],
                                first_row.fields[3], first_row.fields[4], first_row.line
                            ),
                        ));
                    }
                    Some(_) => {}
                }
                let destination = dr[1].as_str();
                let position = match destination_ids.iter().position(|d| *d == destination) {
                    Some(p) => p,
                    None => {
                        destination_ids.push(destination);
                        entries.push(Vec::new());
                        destination_ids.len() - 1
                    }
                };
                entries[position].push(PlanEntry { timing, weight, plan_row, rate_row: dr_row });
            }
        }
        let Some((rounding, _)) = rounding else {
            return Err(self
                .rating_plans
                .error(plan_rows[0], format!("rating plan {plan_id:?} has no rates")));
        };

        let band_entries: Vec<Vec<Entry>> = entries
            .iter()
            .map(|list| list.iter().map(|e| Entry { timing: e.timing, weight: e.weight }).collect())
            .collect();
        let bands = plan_bands(&timings, &band_entries).map_err(|e| {
            self.band_error(e, plan_id, &destination_ids, &entries, &timings, plan_rows[0])
        })?;

        let prefixes = self.prefixes(&destination_ids, &entries)?;
        let mut rate_cache: FxHashMap<u64, RateFile> = FxHashMap::default();
        let mut destinations = Vec::new();
        for (d, destination) in destination_ids.iter().enumerate() {
            let mut rates = BTreeMap::new();
            let rate_rows: Vec<&Row> =
                bands.iter().map(|b| entries[d][b.choice[d]].rate_row).collect();
            let uniform = rate_rows.iter().all(|r| r.line == rate_rows[0].line);
            for (band, rate_row) in bands.iter().zip(&rate_rows) {
                let rate = match rate_cache.get(&rate_row.line) {
                    Some(rate) => clone_rate(rate),
                    None => {
                        let rate = self.rate(rate_row)?;
                        rate_cache.insert(rate_row.line, clone_rate(&rate));
                        rate
                    }
                };
                rates.insert(if uniform { "all".to_string() } else { band.name.clone() }, rate);
                if uniform {
                    break;
                }
            }
            destinations.push(DestinationFile {
                name: spanned(destination.to_string()),
                prefixes: prefixes[d].clone(),
                rates,
            });
        }

        Ok(VersionFile {
            id: spanned(version_id.to_string()),
            valid_from: activation.strftime("%Y-%m-%dT%H:%M:%SZ").to_string().parse().map_err(
                |e: toml::value::DatetimeParseError| CgratesError {
                    location: self.profiles.path.display().to_string(),
                    message: e.to_string(),
                },
            )?,
            currency: options.currency.to_string(),
            time_zone: options.time_zone.to_string(),
            crossing: Crossing::Split,
            rounding,
            default_band: (bands.len() > 1).then(|| bands[0].name.clone()),
            holiday_band: None,
            holidays: Vec::new(),
            discounts: None,
            bundles: Vec::new(),
            prefixes_csv: None,
            bands: bands.iter().map(band_file).collect(),
            destinations,
        })
    }

    /// The index in `timings` of the timing `tag` (`*any`: always).
    fn timing(
        &self,
        tag: &str,
        plan_row: &Row,
        timings: &mut Vec<PlanTiming>,
    ) -> Result<usize, CgratesError> {
        if let Some(i) = timings.iter().position(|t| t.tag == tag) {
            return Ok(i);
        }
        let timing = if tag == "*any" {
            PlanTiming { tag: tag.to_string(), weekdays: 0x7F, start: 0 }
        } else {
            let rows = self.rows(TIMINGS, &self.timings, tag).unwrap_or_default();
            let row = rows.first().copied().ok_or_else(|| {
                self.rating_plans.error(plan_row, format!("timing {tag:?} is not in Timings.csv"))
            })?;
            let f = self.timings.columns(row, &[6], "ID,Years,Months,MonthDays,WeekDays,Time")?;
            for (name, value) in [("Years", &f[1]), ("Months", &f[2]), ("MonthDays", &f[3])] {
                if !(value.is_empty() || value == "*any") {
                    return Err(self.timings.error(
                        row,
                        format!(
                            "timing {tag:?}: {name} {value:?} is not supported \
                             (only weekdays and a start time can become bands)"
                        ),
                    ));
                }
            }
            PlanTiming {
                tag: tag.to_string(),
                weekdays: values::weekdays(&f[4]).map_err(|m| self.timings.error(row, m))?,
                start: values::time_of_day(&f[5]).map_err(|m| self.timings.error(row, m))?,
            }
        };
        timings.push(timing);
        Ok(timings.len() - 1)
    }

    fn rounding(&self, row: &Row, dr: &[String]) -> Result<Rounding, CgratesError> {
        let mode = match dr[3].as_str() {
            "*up" => RoundMode::Up,
            "*down" => RoundMode::Down,
            "*middle" => RoundMode::HalfUp,
            other => {
                return Err(self.destination_rates.error(
                    row,
                    format!("RoundingMethod {other:?} is not one of *up, *down, *middle"),
                ));
            }
        };
        let decimals: u32 = dr[4].parse().ok().filter(|d| *d <= MAX_DECIMALS).ok_or_else(|| {
            self.destination_rates.error(
                row,
                format!("RoundingDecimals is not a number from 0 to {MAX_DECIMALS}: {:?}", dr[4]),
            )
        })?;
        Ok(Rounding { at: RoundAt::PerCall, mode, decimals })
    }

    /// The stepped rate of a DestinationRates row.
    fn rate(&self, dr_row: &Row) -> Result<RateFile, CgratesError> {
        let dr = &dr_row.fields;
        let rate_id = dr[2].as_str();
        let rows = self.rows(RATES, &self.rates, rate_id).ok_or_else(|| {
            self.destination_rates.error(dr_row, format!("rate {rate_id:?} is not in Rates.csv"))
        })?;
        let mut connect_fee = None;
        let mut steps: Vec<(StepFile, &Row)> = Vec::new();
        for row in rows {
            let f = self.rates.columns(
                row,
                &[6],
                "ID,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart",
            )?;
            let fail = |m: String| self.rates.error(row, m);
            let fee = values::amount("ConnectFee", &f[1]).map_err(fail)?;
            connect_fee.get_or_insert(fee);
            let price = values::amount("Rate", &f[2]).map_err(fail)?;
            let unit =
                values::duration_seconds(&f[3]).map_err(|m| fail(format!("RateUnit: {m}")))?;
            let increment =
                values::duration_seconds(&f[4]).map_err(|m| fail(format!("RateIncrement: {m}")))?;
            let from = values::duration_seconds(&f[5])
                .map_err(|m| fail(format!("GroupIntervalStart: {m}")))?;
            if let Some((_, other)) = steps.iter().find(|(s, _)| s.from_seconds == from) {
                return Err(fail(format!(
                    "rate {rate_id:?} has two slots at GroupIntervalStart {} (line {})",
                    f[5], other.line
                )));
            }
            steps.push((
                StepFile {
                    from_seconds: from,
                    increment_seconds: increment.max(1),
                    price: Money(price),
                    per_seconds: unit.max(1),
                },
                row,
            ));
        }
        steps.sort_by_key(|(s, _)| s.from_seconds);
        if let Some((first, row)) = steps.first()
            && first.from_seconds != 0
        {
            return Err(self
                .rates
                .error(row, format!("rate {rate_id:?} has no slot at GroupIntervalStart 0s")));
        }
        let max_cost = if dr.len() >= 7 { dr[5].as_str() } else { "" };
        let max_cost = values::amount("MaxCost", max_cost)
            .map_err(|m| self.destination_rates.error(dr_row, m))?;
        let maximum = match dr.get(6).map_or("", String::as_str) {
            "*free" if max_cost > Decimal::ZERO => Some(Money(max_cost)),
            "" | "*free" | "*disconnect" => None,
            other => {
                return Err(self.destination_rates.error(
                    dr_row,
                    format!("MaxCostStrategy {other:?} is not one of *free, *disconnect"),
                ));
            }
        };
        Ok(RateFile {
            connect_fee: connect_fee.filter(|f| !f.is_zero()).map(Money),
            first_seconds: None,
            first_price: None,
            increment_seconds: None,
            increment_price: None,
            minimum: None,
            free_seconds: None,
            maximum,
            steps: steps.into_iter().map(|(s, _)| s).collect(),
        })
    }

    /// Prefixes per destination, checked for repeats across the plan.
    fn prefixes(
        &self,
        destination_ids: &[&str],
        entries: &[Vec<PlanEntry<'_>>],
    ) -> Result<Vec<Vec<String>>, CgratesError> {
        let mut owner: FxHashMap<Prefix, (usize, u64)> = FxHashMap::default();
        let mut lists = vec![Vec::new(); destination_ids.len()];
        let mut catch_all = None;
        for (d, id) in destination_ids.iter().enumerate() {
            if *id == "*any" {
                catch_all = Some(d);
                continue;
            }
            let rows = self.rows(DESTINATIONS, &self.destinations, id).ok_or_else(|| {
                self.destination_rates.error(
                    entries[d][0].rate_row,
                    format!("destination {id:?} is not in Destinations.csv"),
                )
            })?;
            for row in rows {
                let f = self.destinations.columns(row, &[2], "ID,Prefix")?;
                let digits = f[1].strip_prefix('+').unwrap_or(&f[1]);
                let prefix = Prefix::parse(digits).ok_or_else(|| {
                    self.destinations.error(
                        row,
                        format!("Prefix is not 1 to 16 digits (after an optional +): {:?}", f[1]),
                    )
                })?;
                if let Some((other, line)) = owner.insert(prefix, (d, row.line)) {
                    if other != d {
                        return Err(self.destinations.error(
                            row,
                            format!(
                                "prefix {prefix} is also in destination {:?} (line {line}), used by the same rating plan",
                                destination_ids[other]
                            ),
                        ));
                    }
                    continue;
                }
                lists[d].push(prefix.to_string());
            }
        }
        if let Some(d) = catch_all {
            for digit in 0..10u8 {
                let text = digit.to_string();
                if let Some(prefix) = Prefix::parse(&text)
                    && !owner.contains_key(&prefix)
                {
                    lists[d].push(text);
                }
            }
        }
        Ok(lists)
    }

    fn band_error(
        &self,
        error: BandError,
        plan_id: &str,
        destination_ids: &[&str],
        entries: &[Vec<PlanEntry<'_>>],
        timings: &[PlanTiming],
        first_row: &Row,
    ) -> CgratesError {
        const DAYS: [&str; 7] =
            ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
        match error {
            BandError::Uncovered { destination, weekday, from, to } => self.rating_plans.error(
                entries[destination][0].plan_row,
                format!(
                    "rating plan {plan_id:?} has no rate for destination {:?} on {} from {} to {}",
                    destination_ids[destination],
                    DAYS[weekday as usize % 7],
                    format_time(from),
                    format_time(to)
                ),
            ),
            BandError::Tie { destination, first, second } => {
                let (a, b) = (&entries[destination][first], &entries[destination][second]);
                self.rating_plans.error(
                    b.plan_row,
                    format!(
                        "destination {:?} gets two rates at the same time with the same weight: \
                         timing {:?} here and timing {:?} (line {}); give one a higher Weight",
                        destination_ids[destination],
                        timings[b.timing].tag,
                        timings[a.timing].tag,
                        a.plan_row.line
                    ),
                )
            }
            BandError::TooMany(count) => self.rating_plans.error(
                first_row,
                format!(
                    "rating plan {plan_id:?} needs {count} time bands; at most 8 are supported"
                ),
            ),
        }
    }
}

fn band_file(band: &BandPlan) -> BandFile {
    BandFile {
        name: spanned(band.name.clone()),
        when: band
            .ranges
            .iter()
            .map(|&(days, from, to)| WhenFile {
                days: weekday_names(days),
                from: format_time(from),
                to: format_time(to),
            })
            .collect(),
    }
}

/// Weekday bits (Monday = bit 0) in the tariff's `days` syntax.
fn weekday_names(bits: u8) -> String {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let list: Vec<&str> = (0..7).filter(|d| bits & (1 << d) != 0).map(|d| NAMES[d]).collect();
    let text = list.join(",");
    // Canonical form (`mon-fri`), via the tariff's own parser.
    text.parse::<Weekdays>().map_or(text, |w| w.to_string())
}

fn clone_rate(rate: &RateFile) -> RateFile {
    RateFile {
        connect_fee: rate.connect_fee,
        first_seconds: rate.first_seconds,
        first_price: rate.first_price,
        increment_seconds: rate.increment_seconds,
        increment_price: rate.increment_price,
        minimum: rate.minimum,
        free_seconds: rate.free_seconds,
        maximum: rate.maximum,
        steps: rate
            .steps
            .iter()
            .map(|s| StepFile {
                from_seconds: s.from_seconds,
                increment_seconds: s.increment_seconds,
                price: s.price,
                per_seconds: s.per_seconds,
            })
            .collect(),
    }
}

fn spanned<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}
