//! Pricing one call: version by start time, destination by longest prefix,
//! band(s) by local time, units, rounding, minimum/maximum, discount.
//!
//! Hot path: no allocation. A call is walked in *segments* of UTC time in
//! which neither the zone offset nor the band can change (a segment ends
//! at the next band boundary of the local day, local midnight, or the next
//! offset transition, whichever comes first). Within a segment every unit
//! has the band of the segment's start, so this equals converting every
//! unit's start instant to local time (a test checks it against that
//! direct method), at the cost of one conversion per segment.

use std::ops::Deref;

use jiff::Timestamp;
use rust_decimal::Decimal;

use crate::bands::{BandIndex, HolidayCalendar};
use crate::bundle::{BundleUse, PeriodUsage};
use crate::discount::Usage;
use crate::model::{
    Carrier, CarrierId, Crossing, Destination, MAX_BANDS, Rate, Step, TariffBook, TariffVersion,
};
use crate::money::Currency;
use crate::prefix::{NumberKey, Prefix};

/// A call to price.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    pub carrier: CarrierId,
    /// The dialled number, normalised to digits (a leading `+` is allowed).
    pub number: &'a str,
    /// When the call was answered (talk starts); whole seconds count.
    pub start: Timestamp,
    /// Talk time in seconds.
    pub duration_s: u32,
    /// The site's holidays, priced like the tariff's own holidays.
    pub site_holidays: Option<&'a HolidayCalendar>,
}

/// Why a call could not be priced. Never a silent zero cost.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("no carrier with id {0}")]
    UnknownCarrier(u32),
    #[error("carrier {carrier:?} has no tariff version valid at {start}")]
    NoTariffVersion { carrier: String, start: Timestamp },
    #[error("not a dialled number: {number:?}")]
    BadNumber { number: String },
    #[error("no rate for {number:?} in carrier {carrier:?} version {version:?}")]
    NoRate { number: String, carrier: String, version: String },
}

/// A priced call. Borrows names and rates from the `TariffBook`, so
/// pricing allocates nothing; [`Priced::explanation`] renders the steps.
#[derive(Clone, Debug)]
pub struct Priced<'a> {
    /// What is charged: `gross − discount`, in `currency`.
    pub cost: Decimal,
    /// Rounded cost before discount.
    pub gross: Decimal,
    pub discount: Decimal,
    pub currency: Currency,
    pub carrier: &'a str,
    pub version_id: &'a str,
    pub valid_from: Timestamp,
    pub prefix: Prefix,
    pub destination: &'a str,
    /// Seconds covered by the billed units (0 for a free call).
    pub billed_seconds: u32,
    /// First interval + increments (0 for a free call).
    pub units: u32,
    /// Connect fee as added (rounded under `per_increment`).
    pub connect_fee: Decimal,
    /// Whether minimum or maximum changed the sum, or the call was free.
    pub adjustment: Adjustment,
    /// Per band used, in order of first use; the start band first. Units
    /// free in a bundle are not in any band's share.
    pub bands: BandShares<'a>,
    /// The bundle covering the destination, and what this call took from
    /// it; None when the destination is in no bundle or the call is free
    /// under the rate's free seconds.
    pub bundle: Option<BundleUse<'a>>,
    pub(crate) detail: Detail<'a>,
}

/// What, besides units, decided a call's cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adjustment {
    None,
    /// Talk time ≤ free seconds (or zero).
    Free,
    /// The sum was below the minimum charge and raised to it.
    Minimum,
    /// The sum was above the maximum per call and capped.
    Maximum,
    /// Every unit was free in a bundle.
    Bundle,
}

/// Seconds, units and cost priced in one band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BandShare<'a> {
    pub band: &'a str,
    pub seconds: u32,
    pub units: u32,
    /// Units' prices as added (connect fee, minimum, maximum excluded).
    pub cost: Decimal,
    pub(crate) index: BandIndex,
    pub(crate) first_units: u32,
}

/// The band shares of a call, inline (a version has ≤ `MAX_BANDS` bands).
#[derive(Clone, Copy, Debug)]
pub struct BandShares<'a> {
    items: [BandShare<'a>; MAX_BANDS],
    len: u8,
}

impl<'a> Deref for BandShares<'a> {
    type Target = [BandShare<'a>];
    fn deref(&self) -> &[BandShare<'a>] {
        &self.items[..usize::from(self.len)]
    }
}

impl<'a> BandShares<'a> {
    const EMPTY: BandShare<'static> =
        BandShare { band: "", seconds: 0, units: 0, cost: Decimal::ZERO, index: 0, first_units: 0 };

    fn new() -> BandShares<'a> {
        BandShares { items: [Self::EMPTY; MAX_BANDS], len: 0 }
    }

    fn share(&mut self, version: &'a TariffVersion, index: BandIndex) -> &mut BandShare<'a> {
        let len = usize::from(self.len);
        let position = self.items[..len].iter().position(|s| s.index == index).unwrap_or(len);
        if position == len {
            // Band indexes are < MAX_BANDS (checked at load), so a new one
            // always has room.
            let band = version.bands.get(usize::from(index)).map_or("", |b| &*b.name);
            self.items[position.min(MAX_BANDS - 1)] = BandShare { band, index, ..Self::EMPTY };
            self.len = (len + 1).min(MAX_BANDS) as u8;
        }
        &mut self.items[position.min(MAX_BANDS - 1)]
    }
}

/// What the explanation needs beyond the public fields.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Detail<'a> {
    pub(crate) version: &'a TariffVersion,
    pub(crate) destination: &'a Destination,
    pub(crate) start: Timestamp,
    pub(crate) duration_s: u32,
    pub(crate) start_band: BandIndex,
    /// Connect fee + band costs, before minimum/maximum and rounding.
    pub(crate) subtotal: Decimal,
    pub(crate) discount_percent: Decimal,
}

/// Units of a call on its start band's billing grid.
#[derive(Clone, Copy)]
struct Grid {
    first_seconds: i64,
    increment_seconds: i64,
    units: u32,
}

impl Grid {
    fn new(rate: &Rate, duration_s: u32) -> Grid {
        let first = i64::from(rate.first_seconds.max(1));
        let increment = i64::from(rate.increment_seconds.max(1));
        let rest = (i64::from(duration_s) - first).max(0);
        let units = 1 + ceil_div(rest, increment);
        Grid {
            first_seconds: first,
            increment_seconds: increment,
            units: u32::try_from(units).unwrap_or(u32::MAX),
        }
    }

    fn billed_seconds(&self) -> u32 {
        let seconds = self.first_seconds + i64::from(self.units - 1) * self.increment_seconds;
        u32::try_from(seconds).unwrap_or(u32::MAX)
    }

    /// Units that end at or before `offset` (seconds after the call's
    /// start): those a bundle with `offset` seconds left makes free.
    fn units_ending_by(&self, offset: i64) -> u32 {
        if offset < self.first_seconds {
            return 0;
        }
        let increments = (offset - self.first_seconds) / self.increment_seconds;
        1 + u32::try_from(increments).unwrap_or(u32::MAX).min(self.units - 1)
    }

    /// Units whose start offset (seconds after the call's start) is < `offset`.
    fn units_starting_before(&self, offset: i64) -> u32 {
        if offset <= 0 {
            return 0;
        }
        let increments = if offset > self.first_seconds {
            ceil_div(offset - self.first_seconds, self.increment_seconds)
        } else {
            0
        };
        1 + u32::try_from(increments).unwrap_or(u32::MAX).min(self.units - 1)
    }
}

/// `numerator / denominator` rounded up, for numerator ≥ 0, denominator ≥ 1.
fn ceil_div(numerator: i64, denominator: i64) -> i64 {
    (numerator + denominator - 1) / denominator
}

impl TariffBook {
    /// Prices a call with no earlier usage in its period (every bundle
    /// whole, no volume tier reached).
    pub fn price<'a>(&'a self, call: &Call<'_>) -> Result<Priced<'a>, PriceError> {
        self.price_with_usage(call, &EMPTY_USAGE)
    }

    /// Prices a call given what its scope used earlier in the period (see
    /// [`Usage`]), the same usage serving volume tiers and bundles of
    /// either scope.
    pub fn price_with_usage<'a>(
        &'a self,
        call: &Call<'_>,
        usage: &Usage,
    ) -> Result<Priced<'a>, PriceError> {
        self.price_in_period(call, &PeriodUsage::same(usage))
    }

    /// Prices a call given what its discount scope, extension and
    /// department used earlier in the period.
    pub fn price_in_period<'a>(
        &'a self,
        call: &Call<'_>,
        period: &PeriodUsage<'_>,
    ) -> Result<Priced<'a>, PriceError> {
        let resolved = self.resolve(call)?;
        Ok(price_resolved(resolved, call, period))
    }

    /// The lookups of pricing: carrier, version in force, destination by
    /// longest prefix.
    pub(crate) fn resolve<'a>(&'a self, call: &Call<'_>) -> Result<Resolved<'a>, PriceError> {
        let carrier =
            self.carrier(call.carrier).ok_or(PriceError::UnknownCarrier(call.carrier.0))?;
        let version = carrier.version_at(call.start).ok_or_else(|| {
            PriceError::NoTariffVersion { carrier: carrier.name.to_string(), start: call.start }
        })?;
        let number = NumberKey::parse(call.number)
            .ok_or_else(|| PriceError::BadNumber { number: call.number.to_string() })?;
        let (prefix, destination_index) =
            version.prefixes.longest_match(number).ok_or_else(|| PriceError::NoRate {
                number: call.number.to_string(),
                carrier: carrier.name.to_string(),
                version: version.id.to_string(),
            })?;
        let destination = version
            .destinations
            .get(destination_index as usize)
            .ok_or(PriceError::UnknownCarrier(call.carrier.0))?;
        // The zone lookup is one more likely cache miss; done here, a batch
        // overlaps it with the other calls' lookups.
        let start_local = version.zone.local(call.start.as_second());
        Ok(Resolved { carrier, version, destination, prefix, start_local })
    }
}

pub(crate) static EMPTY_USAGE: Usage =
    Usage { calls: 0, billed_seconds: 0, gross: Decimal::ZERO, bundles: Vec::new() };

/// What [`TariffBook::resolve`] found for a call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resolved<'a> {
    carrier: &'a Carrier,
    version: &'a TariffVersion,
    destination: &'a Destination,
    prefix: Prefix,
    start_local: crate::zone::LocalInstant,
}

/// Prices a resolved call: bands, units, bundle, rounding, discount.
pub(crate) fn price_resolved<'a>(
    resolved: Resolved<'a>,
    call: &Call<'_>,
    period: &PeriodUsage<'_>,
) -> Priced<'a> {
    let Resolved { carrier, version, destination, prefix, start_local } = resolved;
    let rounding = version.rounding;
    let start_band = version.schedule.band_at(start_local.local_seconds, call.site_holidays);
    let rate = rate_of(version, destination, start_band);
    let mut bands = BandShares::new();
    let detail = Detail {
        version,
        destination,
        start: call.start,
        duration_s: call.duration_s,
        start_band,
        subtotal: Decimal::ZERO,
        discount_percent: Decimal::ZERO,
    };
    let mut priced = Priced {
        cost: rounding.round(Decimal::ZERO),
        gross: rounding.round(Decimal::ZERO),
        discount: rounding.round(Decimal::ZERO),
        currency: version.currency,
        carrier: &carrier.name,
        version_id: &version.id,
        valid_from: version.valid_from,
        prefix,
        destination: &destination.name,
        billed_seconds: 0,
        units: 0,
        connect_fee: Decimal::ZERO,
        adjustment: Adjustment::Free,
        bands,
        bundle: None,
        detail,
    };
    if call.duration_s == 0 || call.duration_s <= rate.free_seconds {
        bands.share(version, start_band);
        priced.bands = bands;
        return priced;
    }

    let bundle = destination.bundle.and_then(|i| version.bundles.get(i as usize)).map(|b| {
        let used = period.of(b.scope).bundle_seconds(&b.name);
        (b, b.seconds().saturating_sub(used))
    });
    let free_until = bundle.map_or(0, |(_, left)| i64::try_from(left).unwrap_or(i64::MAX));
    // The start band leads the shares even when its units are all free.
    bands.share(version, start_band);

    let walked = if rate.is_stepped() {
        walk_steps(version, destination, call, start_band, free_until, &mut bands)
    } else {
        walk_grid(version, destination, rate, call, start_band, start_local, free_until, &mut bands)
    };
    priced.bundle = bundle.map(|(b, left)| BundleUse {
        name: &b.name,
        scope: b.scope,
        seconds: u32::try_from(left.min(u64::from(walked.billed_seconds))).unwrap_or(u32::MAX),
        left_before: left,
        free_units: walked.units - walked.charged_units,
    });
    settle(priced, rate, walked, bands, detail, period.discount)
}

/// Walks a call over a first-interval + increment rate; the units that
/// end by `free_until` are free (a bundle's) and not charged.
#[allow(clippy::too_many_arguments)]
fn walk_grid<'a>(
    version: &'a TariffVersion,
    destination: &Destination,
    rate: &Rate,
    call: &Call<'_>,
    start_band: BandIndex,
    start_local: crate::zone::LocalInstant,
    free_until: i64,
    bands: &mut BandShares<'a>,
) -> Walked {
    let rounding = version.rounding;
    let start_s = call.start.as_second();
    let grid = Grid::new(rate, call.duration_s);
    let free_units = grid.units_ending_by(free_until);
    let mut add_units = |band: BandIndex, first_units: u32, increments: u32| {
        let band_rate = rate_of(version, destination, band);
        let share = bands.share(version, band);
        share.first_units += first_units;
        share.units += first_units + increments;
        share.seconds +=
            first_units * grid.first_seconds as u32 + increments * grid.increment_seconds as u32;
        share.cost += rounding.part(band_rate.first_price) * Decimal::from(first_units)
            + rounding.part(band_rate.increment_price) * Decimal::from(increments);
    };
    match version.crossing {
        Crossing::Start => {
            let charged = grid.units - free_units;
            if charged > 0 {
                let first_units = u32::from(free_units == 0);
                add_units(start_band, first_units, charged - first_units);
            }
        }
        Crossing::Split => {
            let mut segment_start = start_s;
            let mut local = start_local;
            let mut band = start_band;
            let mut counted = 0u32;
            loop {
                let mut segment_end =
                    segment_start + version.schedule.seconds_to_next_boundary(local.local_seconds);
                if let Some(transition) = local.next_transition {
                    segment_end = segment_end.min(transition.max(segment_start + 1));
                }
                let before_end = grid.units_starting_before(segment_end - start_s);
                let charged_from = counted.max(free_units);
                if before_end > charged_from {
                    let first_units = u32::from(charged_from == 0);
                    add_units(band, first_units, before_end - charged_from - first_units);
                }
                counted = before_end;
                if counted >= grid.units {
                    break;
                }
                segment_start = segment_end;
                local = version.zone.local(segment_start);
                band = version.schedule.band_at(local.local_seconds, call.site_holidays);
            }
        }
    }

    Walked {
        billed_seconds: grid.billed_seconds(),
        units: grid.units,
        charged_units: grid.units - free_units,
        units_cost: bands.iter().map(|share| share.cost).sum(),
    }
}

/// What walking a call's units gave: their count, length and exact cost.
struct Walked {
    billed_seconds: u32,
    units: u32,
    /// Units not free in a bundle.
    charged_units: u32,
    /// Cost of the charged units.
    units_cost: Decimal,
}

/// Connect fee, minimum / maximum, rounding and discount on top of the
/// walked units.
fn settle<'a>(
    mut priced: Priced<'a>,
    rate: &Rate,
    walked: Walked,
    bands: BandShares<'a>,
    mut detail: Detail<'a>,
    usage: &Usage,
) -> Priced<'a> {
    let version = detail.version;
    priced.billed_seconds = walked.billed_seconds;
    priced.units = walked.units;
    if walked.charged_units == 0 {
        // Every unit free in a bundle: nothing is charged at all.
        priced.adjustment = Adjustment::Bundle;
        priced.bands = bands;
        priced.detail = detail;
        return priced;
    }
    let rounding = version.rounding;
    let connect_fee = rounding.part(rate.connect_fee);
    let subtotal = connect_fee + walked.units_cost;
    let minimum = rounding.part(rate.minimum);
    let maximum = rate.maximum.map(|m| rounding.part(m));
    let (adjusted, adjustment) = match maximum {
        Some(maximum) if subtotal > maximum => (maximum, Adjustment::Maximum),
        _ if subtotal < minimum => (minimum, Adjustment::Minimum),
        _ => (subtotal, Adjustment::None),
    };
    let gross = rounding.round(adjusted);
    let discount_percent = version.discounts.percent_for(usage);
    let discount = if discount_percent.is_zero() {
        rounding.round(Decimal::ZERO)
    } else {
        rounding.round(gross * discount_percent / Decimal::ONE_HUNDRED)
    };
    detail.subtotal = subtotal;
    detail.discount_percent = discount_percent;
    priced.cost = gross - discount;
    priced.gross = gross;
    priced.discount = discount;
    priced.connect_fee = connect_fee;
    priced.adjustment = adjustment;
    priced.bands = bands;
    priced.detail = detail;
    priced
}

/// A sum of `seconds × price / per_seconds` terms kept as one fraction,
/// so that it stays exact when a price per second does not terminate
/// (0.20 per 60 s); divided once, when read.
#[derive(Clone, Copy)]
struct Fraction {
    numerator: Decimal,
    denominator: u64,
}

impl Fraction {
    const ZERO: Fraction = Fraction { numerator: Decimal::ZERO, denominator: 1 };

    fn add(&mut self, seconds: u64, price: Decimal, per_seconds: u32) {
        let per = u64::from(per_seconds.max(1));
        let common = lcm(self.denominator, per);
        self.numerator = self.numerator * Decimal::from(common / self.denominator)
            + Decimal::from(seconds) * price * Decimal::from(common / per);
        self.denominator = common;
    }

    fn value(&self) -> Decimal {
        self.numerator / Decimal::from(self.denominator)
    }
}

fn lcm(a: u64, b: u64) -> u64 {
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    a / x.max(1) * b
}

/// Walks a call over a stepped rate. Each unit takes its length and price
/// from the step in force at its talk offset and, under `split`, from the
/// band in force at its start instant; units of one step within one band
/// segment are counted at once, so the walk costs one step per segment or
/// step change, not per unit.
fn walk_steps<'a>(
    version: &'a TariffVersion,
    destination: &Destination,
    call: &Call<'_>,
    start_band: BandIndex,
    free_until: i64,
    bands: &mut BandShares<'a>,
) -> Walked {
    let duration = i64::from(call.duration_s);
    let start_s = call.start.as_second();
    let mut band = start_band;
    let mut segment_end = i64::MAX;
    let mut offset = 0i64;
    let mut units = 0u32;
    let mut charged_units = 0u32;
    let mut total = Fraction::ZERO;
    let mut per_band = [Fraction::ZERO; MAX_BANDS];
    let split = version.crossing == Crossing::Split;
    if split {
        segment_end = segment_end_at(version, start_s);
    }
    while offset < duration {
        let instant = start_s + offset;
        if split && instant >= segment_end {
            let local = version.zone.local(instant);
            band = version.schedule.band_at(local.local_seconds, call.site_holidays);
            segment_end = segment_end_at(version, instant);
        }
        let rate = rate_of(version, destination, band);
        let offset_u32 = u32::try_from(offset).unwrap_or(u32::MAX);
        let step_index = rate.steps.partition_point(|s| s.from_seconds <= offset_u32);
        let step =
            step_index.checked_sub(1).and_then(|i| rate.steps.get(i)).copied().unwrap_or(ZERO_STEP);
        let next_step = rate.steps.get(step_index).map_or(i64::MAX, |s| i64::from(s.from_seconds));
        let limit = duration.min(next_step).min(segment_end.saturating_sub(start_s));
        let increment = i64::from(step.increment_seconds.max(1));
        let count = ceil_div((limit - offset).max(1), increment);
        let seconds = count * increment;
        // Units of this run that end by `free_until` are a bundle's.
        let free = ((free_until - offset).max(0) / increment).min(count);
        let charged = count - free;
        let charged_u32 = u32::try_from(charged).unwrap_or(u32::MAX);
        let charged_seconds = charged * increment;
        let share = bands.share(version, band);
        share.units = share.units.saturating_add(charged_u32);
        share.seconds =
            share.seconds.saturating_add(u32::try_from(charged_seconds).unwrap_or(u32::MAX));
        let charged_seconds_u64 = u64::try_from(charged_seconds).unwrap_or(0);
        total.add(charged_seconds_u64, step.price, step.per_seconds);
        if let Some(fraction) = per_band.get_mut(usize::from(band)) {
            fraction.add(charged_seconds_u64, step.price, step.per_seconds);
        }
        units = units.saturating_add(u32::try_from(count).unwrap_or(u32::MAX));
        charged_units = charged_units.saturating_add(charged_u32);
        offset += seconds;
    }
    for share in bands.items.iter_mut().take(usize::from(bands.len)) {
        if let Some(fraction) = per_band.get(usize::from(share.index)) {
            share.cost = fraction.value();
        }
    }
    Walked {
        billed_seconds: u32::try_from(offset).unwrap_or(u32::MAX),
        units,
        charged_units,
        units_cost: total.value(),
    }
}

/// The UTC second at which the band may next change after `instant`: the
/// next band boundary of the local day or offset transition.
fn segment_end_at(version: &TariffVersion, instant: i64) -> i64 {
    let local = version.zone.local(instant);
    let mut end = instant + version.schedule.seconds_to_next_boundary(local.local_seconds);
    if let Some(transition) = local.next_transition {
        end = end.min(transition.max(instant + 1));
    }
    end
}

const ZERO_STEP: Step =
    Step { from_seconds: 0, increment_seconds: 1, price: Decimal::ZERO, per_seconds: 1 };

/// Every destination has a rate for every band (checked at load).
#[inline]
fn rate_of<'a>(version: &'a TariffVersion, destination: &Destination, band: BandIndex) -> &'a Rate {
    version.rate(destination, usize::from(band)).unwrap_or(&ZERO_RATE)
}

static ZERO_RATE: Rate = Rate {
    connect_fee: Decimal::ZERO,
    first_seconds: 1,
    first_price: Decimal::ZERO,
    increment_seconds: 1,
    increment_price: Decimal::ZERO,
    minimum: Decimal::ZERO,
    free_seconds: 0,
    maximum: None,
    steps: Vec::new(),
};

impl Priced<'_> {
    /// The tariff version that priced the call.
    pub fn version(&self) -> &TariffVersion {
        self.detail.version
    }

    /// The band in force when the call started.
    pub fn start_band(&self) -> &str {
        self.bands.first().map_or("", |s| s.band)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Split bands with a wrapping night, weekend, holidays, in a DST zone.
    const BOOK: &str = r#"
format = 1
[[calendar]]
name = "h"
dates = ["12-25", "2025-03-31"]
[[carrier]]
name = "c"
[[carrier.version]]
id = "v"
valid_from = 2000-01-01
currency = "EUR"
time_zone = "Europe/Paris"
crossing = "split"
rounding = { at = "per_call", mode = "half_up", decimals = 2 }
default_band = "day"
holiday_band = "holiday"
holidays = ["h"]
[[carrier.version.band]]
name = "night"
when = [{ days = "mon-fri", from = "22:00", to = "02:30" }]
[[carrier.version.band]]
name = "weekend"
when = [{ days = "sat,sun", from = "00:00", to = "24:00" }]
[[carrier.version.band]]
name = "day"
[[carrier.version.band]]
name = "holiday"
[[carrier.version.destination]]
name = "d"
prefixes = ["1"]
rates.all = { first_seconds = 45, first_price = "1", increment_seconds = 7, increment_price = "1" }
"#;

    fn book() -> &'static TariffBook {
        static BOOK_CELL: std::sync::OnceLock<TariffBook> = std::sync::OnceLock::new();
        BOOK_CELL.get_or_init(|| TariffBook::from_toml_str(BOOK).unwrap())
    }

    proptest! {
        /// The segment walk gives every unit the band that converting the
        /// unit's own start instant to local time (with jiff) gives.
        #[test]
        fn segments_agree_with_converting_every_unit(
            // Around the 2025 DST changes and the holidays, and anywhere.
            start in prop_oneof![
                1_743_292_800i64..1_743_465_600,
                1_761_436_800i64..1_761_609_600,
                1_766_534_400i64..1_766_707_200,
                946_684_800i64..4_102_444_800,
            ],
            duration in 1u32..200_000,
        ) {
            let book = book();
            let call = Call {
                carrier: book.carrier_id("c").unwrap(),
                number: "1234",
                start: Timestamp::from_second(start).unwrap(),
                duration_s: duration,
                site_holidays: None,
            };
            let priced = book.price(&call).unwrap();
            let version = priced.version();
            let time_zone = version.zone.time_zone();
            let mut expected = [0u32; MAX_BANDS];
            for unit in 0..priced.units {
                let offset = if unit == 0 { 0 } else { 45 + 7 * i64::from(unit - 1) };
                let instant = Timestamp::from_second(start + offset).unwrap();
                let local = start + offset + i64::from(time_zone.to_offset(instant).seconds());
                expected[usize::from(version.schedule.band_at(local, None))] += 1;
            }
            let mut actual = [0u32; MAX_BANDS];
            for share in priced.bands.iter() {
                actual[usize::from(share.index)] += share.units;
            }
            prop_assert_eq!(actual, expected);
        }
    }
}
