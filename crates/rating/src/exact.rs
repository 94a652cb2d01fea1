//! Pricing with `Decimal` arithmetic throughout: stepped rates, and the
//! rare first-interval + increment rates the fixed-point path cannot hold
//! (see `fixed.rs`). It is also the definition the fixed-point path is
//! tested against.

use rust_decimal::Decimal;

use crate::bands::{BandIndex, HolidayCalendar};
use crate::bundle::PeriodUsage;
use crate::discount::Usage;
use crate::grid::{Grid, ceil_div};
use crate::model::{Crossing, Destination, MAX_BANDS, Rate, Step, TariffVersion};
use crate::price::{
    Adjustment, BandShares, Call, Priced, Resolved, bundle_left, bundle_use, free_until,
};

/// Prices a resolved call into `priced`, which `unpriced` made.
pub(crate) fn price<'a>(
    priced: &mut Priced<'a>,
    resolved: Resolved<'a>,
    call: &Call<'_>,
    period: &PeriodUsage<'_>,
) {
    let Resolved { version, destination, .. } = resolved;
    let start_band = resolved.start_band;
    let rate = rate_of(version, destination, start_band);
    if call.duration_s == 0 || call.duration_s <= rate.free_seconds {
        return;
    }
    let bundle = bundle_left(version, destination, period);
    let free_until = free_until(bundle);
    let walked = if rate.is_stepped() {
        walk_steps(version, destination, call, start_band, free_until, &mut priced.bands)
    } else {
        walk_grid(resolved, rate, call, free_until, &mut priced.bands)
    };
    priced.bundle =
        bundle.map(|b| bundle_use(b, walked.billed_seconds, walked.units, walked.charged_units));
    settle(priced, rate, walked, period.discount);
}

/// Walks a call over a first-interval + increment rate; the units that
/// end by `free_until` are free (a bundle's) and not charged.
fn walk_grid<'a>(
    resolved: Resolved<'a>,
    rate: &Rate,
    call: &Call<'_>,
    free_until: i64,
    bands: &mut BandShares<'a>,
) -> Walked {
    let Resolved { version, destination, .. } = resolved;
    let rounding = version.rounding;
    let grid = Grid::new(rate.first_seconds, rate.increment_seconds, call.duration_s);
    let free_units = grid.units_ending_by(free_until);
    let add_units = |band: BandIndex, first_units: u32, increments: u32| {
        let band_rate = rate_of(version, destination, band);
        let share = bands.share(&version.schedule, band);
        share.first_units += first_units;
        share.units += first_units + increments;
        share.seconds +=
            first_units * grid.first_seconds as u32 + increments * grid.increment_seconds as u32;
        share.cost += rounding.part(band_rate.first_price) * Decimal::from(first_units)
            + rounding.part(band_rate.increment_price) * Decimal::from(increments);
    };
    grid.for_each_run(&resolved, call, free_units, add_units);
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
fn settle(priced: &mut Priced<'_>, rate: &Rate, walked: Walked, usage: &Usage) {
    let version = priced.detail.version;
    priced.billed_seconds = walked.billed_seconds;
    priced.units = walked.units;
    if walked.charged_units == 0 {
        // Every unit free in a bundle: nothing is charged at all.
        priced.adjustment = Adjustment::Bundle;
        return;
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
    priced.detail.subtotal = subtotal;
    priced.connect_fee = connect_fee;
    priced.adjustment = adjustment;
    discount(priced, gross, usage);
}

/// Sets gross, discount and cost from the rounded gross cost and the
/// period's usage.
pub(crate) fn discount(priced: &mut Priced<'_>, gross: Decimal, usage: &Usage) {
    let version = priced.detail.version;
    let rounding = version.rounding;
    let discount_percent = version.discounts.percent_for(usage);
    let discount = if discount_percent.is_zero() {
        rounding.round(Decimal::ZERO)
    } else {
        rounding.round(gross * discount_percent / Decimal::ONE_HUNDRED)
    };
    priced.detail.discount_percent = discount_percent;
    priced.cost = gross - discount;
    priced.gross = gross;
    priced.discount = discount;
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
        segment_end = band_until(version, start_s, call.site_holidays).1;
    }
    while offset < duration {
        let instant = start_s + offset;
        if split && instant >= segment_end {
            (band, segment_end) = band_until(version, instant, call.site_holidays);
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
        let share = bands.share(&version.schedule, band);
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
    for share in bands.shares_mut() {
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

/// The band at `instant` and the UTC second at which it may next change:
/// the end of its run in the local day or the next offset transition.
fn band_until(
    version: &TariffVersion,
    instant: i64,
    site_holidays: Option<&HolidayCalendar>,
) -> (BandIndex, i64) {
    let local = version.zone.local(instant);
    let (band, span) = version.schedule.band_span(local.local_seconds, site_holidays);
    let mut end = instant + span;
    if let Some(transition) = local.next_transition {
        end = end.min(transition.max(instant + 1));
    }
    (band, end)
}

const ZERO_STEP: Step =
    Step { from_seconds: 0, increment_seconds: 1, price: Decimal::ZERO, per_seconds: 1 };

/// Every destination has a rate for every band (checked at load).
#[inline]
pub(crate) fn rate_of<'a>(
    version: &'a TariffVersion,
    destination: &Destination,
    band: BandIndex,
) -> &'a Rate {
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
