//! Pricing one call: version by start time, destination by longest prefix,
//! band(s) by local time, units, rounding, minimum/maximum, discount.
//!
//! Hot path: no allocation. The lookups are here; the units are walked
//! (see `grid.rs`) and summed in integers (`fixed.rs`) when the rates
//! allow, which they nearly always do, else in `Decimal` (`exact.rs`).
//! Both give exactly the same result, a test checks it.

use std::ops::Deref;

use jiff::Timestamp;
use rust_decimal::Decimal;

use crate::bands::{BandIndex, BandSchedule, HolidayCalendar};
use crate::bundle::{Bundle, BundleUse, PeriodUsage};
use crate::discount::Usage;
use crate::model::{Carrier, CarrierId, Destination, MAX_BANDS, TariffBook, TariffVersion};
use crate::money::Currency;
use crate::prefix::{NumberKey, Prefix, PrefixTable};

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

    /// The position of band `index`'s share, added if it has none yet.
    #[inline]
    pub(crate) fn position(&mut self, schedule: &'a BandSchedule, index: BandIndex) -> usize {
        let len = usize::from(self.len);
        let position = self.items[..len].iter().position(|s| s.index == index).unwrap_or(len);
        if position == len {
            // Band indexes are < MAX_BANDS (checked at load), so a new one
            // always has room.
            let band = schedule.name(index);
            self.items[position.min(MAX_BANDS - 1)] = BandShare { band, index, ..Self::EMPTY };
            self.len = (len + 1).min(MAX_BANDS) as u8;
        }
        position.min(MAX_BANDS - 1)
    }

    #[inline]
    pub(crate) fn share(
        &mut self,
        schedule: &'a BandSchedule,
        index: BandIndex,
    ) -> &mut BandShare<'a> {
        let position = self.position(schedule, index);
        &mut self.items[position]
    }

    pub(crate) fn shares_mut(&mut self) -> &mut [BandShare<'a>] {
        &mut self.items[..usize::from(self.len)]
    }

    /// The share at `position` (as given by [`BandShares::position`]).
    #[inline]
    pub(crate) fn at(&mut self, position: usize) -> &mut BandShare<'a> {
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

impl TariffBook {
    /// Prices a call with no earlier usage in its period (every bundle
    /// whole, no volume tier reached).
    #[inline]
    pub fn price<'a>(&'a self, call: &Call<'_>) -> Result<Priced<'a>, PriceError> {
        self.price_with_usage(call, &EMPTY_USAGE)
    }

    /// Prices a call given what its scope used earlier in the period (see
    /// [`Usage`]), the same usage serving volume tiers and bundles of
    /// either scope.
    #[inline]
    pub fn price_with_usage<'a>(
        &'a self,
        call: &Call<'_>,
        usage: &Usage,
    ) -> Result<Priced<'a>, PriceError> {
        self.price_in_period(call, &PeriodUsage::same(usage))
    }

    /// Prices a call given what its discount scope, extension and
    /// department used earlier in the period.
    #[inline]
    pub fn price_in_period<'a>(
        &'a self,
        call: &Call<'_>,
        period: &PeriodUsage<'_>,
    ) -> Result<Priced<'a>, PriceError> {
        let resolved = self.resolve(call)?;
        // Starts fetching the rate and destination, which pricing reads
        // soon, while it prepares the result.
        resolved.prefetch();
        price_resolved(resolved, call, period)
    }

    /// The lookups of pricing: carrier, version in force, destination by
    /// longest prefix.
    #[inline]
    pub(crate) fn resolve<'a>(&'a self, call: &Call<'_>) -> Result<Resolved<'a>, PriceError> {
        self.locate(call)?.resolve(call)
    }

    /// The lookups that need no more than the carrier: version in force,
    /// its prefix table and the number.
    #[inline]
    pub(crate) fn locate<'a>(&'a self, call: &Call<'_>) -> Result<Located<'a>, PriceError> {
        let carrier =
            self.carrier(call.carrier).ok_or(PriceError::UnknownCarrier(call.carrier.0))?;
        let (version, table) = carrier.lookup_at(call.start).ok_or_else(|| {
            PriceError::NoTariffVersion { carrier: carrier.name.to_string(), start: call.start }
        })?;
        let number = NumberKey::parse(call.number)
            .ok_or_else(|| PriceError::BadNumber { number: call.number.to_string() })?;
        Ok(Located { carrier, version, table, number })
    }
}

/// A call's carrier, version, prefix table and number.
#[derive(Clone, Copy)]
pub(crate) struct Located<'a> {
    carrier: &'a Carrier,
    version: &'a TariffVersion,
    table: &'a PrefixTable,
    number: NumberKey,
}

impl<'a> Located<'a> {
    /// The destination by longest prefix, and the start's local time.
    #[inline]
    pub(crate) fn resolve(self, call: &Call<'_>) -> Result<Resolved<'a>, PriceError> {
        let Located { carrier, version, table, number } = self;
        // Reading the version (zone, then destinations) before the probes
        // finish lets its cache misses overlap theirs.
        let start_local = version.zone.local(call.start.as_second());
        let (prefix, destination_index) =
            table.longest_match(number).ok_or_else(|| PriceError::NoRate {
                number: call.number.to_string(),
                carrier: carrier.name.to_string(),
                version: version.id.to_string(),
            })?;
        let destination = version
            .destinations
            .get(destination_index as usize)
            .ok_or(PriceError::UnknownCarrier(call.carrier.0))?;
        let (start_band, start_span) =
            version.schedule.band_span(start_local.local_seconds, call.site_holidays);
        Ok(Resolved {
            carrier,
            version,
            destination,
            destination_index,
            prefix,
            start_local,
            start_band,
            start_span,
        })
    }

    /// Asks the CPU to fetch what `resolve` will read: the version's
    /// first lines and the home bucket of each probe (see `batch.rs`).
    #[inline]
    pub(crate) fn prefetch(&self) {
        crate::prefetch::lines(self.version, 2);
        self.table.homes(self.number, |key| crate::prefetch::lines(key, 1));
    }
}

pub(crate) static EMPTY_USAGE: Usage =
    Usage { calls: 0, billed_seconds: 0, gross: Decimal::ZERO, bundles: Vec::new() };

/// What [`TariffBook::resolve`] found for a call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resolved<'a> {
    pub(crate) carrier: &'a Carrier,
    pub(crate) version: &'a TariffVersion,
    pub(crate) destination: &'a Destination,
    /// `destination`'s index, known without reading it.
    pub(crate) destination_index: u32,
    pub(crate) prefix: Prefix,
    pub(crate) start_local: crate::zone::LocalInstant,
    /// The band at the start and the local seconds it lasts from there
    /// (see `BandSchedule::band_span`).
    pub(crate) start_band: BandIndex,
    pub(crate) start_span: i64,
}

impl<'a> Resolved<'a> {
    /// Asks the CPU to fetch what pricing will read that `resolve` did
    /// not: the start band's rate and the destination (see `batch.rs`).
    #[inline]
    pub(crate) fn prefetch(&self) {
        if let Some(rate) = self.version.fixed.rate(self.destination_index, self.start_band) {
            crate::prefetch::lines(rate, 1);
        }
        // The fields read, not the start: a destination may span two lines.
        crate::prefetch::lines(&self.destination.name, 1);
        crate::prefetch::lines(&self.destination.bundle, 1);
    }
}

/// Prices a resolved call: bands, units, bundle, rounding, discount.
/// Always `Ok`; a `Result` so that callers return it as it is.
#[inline(always)]
pub(crate) fn price_resolved<'a>(
    resolved: Resolved<'a>,
    call: &Call<'_>,
    period: &PeriodUsage<'_>,
) -> Result<Priced<'a>, PriceError> {
    // Built once and filled in place: a `Priced` is large, copies show.
    let mut priced = unpriced(resolved, call);
    if !crate::fixed::price(&mut priced, resolved, call, period) {
        price_exactly(&mut priced, resolved, call, period);
    }
    Ok(priced)
}

/// Prices again from scratch with `Decimal` (out of line: rare, and big).
#[cold]
#[inline(never)]
fn price_exactly<'a>(
    priced: &mut Priced<'a>,
    resolved: Resolved<'a>,
    call: &Call<'_>,
    period: &PeriodUsage<'_>,
) {
    *priced = unpriced(resolved, call);
    crate::exact::price(priced, resolved, call, period);
}

/// A call priced as free, with the start band's empty share: what every
/// pricing starts from.
#[inline(always)]
pub(crate) fn unpriced<'a>(resolved: Resolved<'a>, call: &Call<'_>) -> Priced<'a> {
    let Resolved { carrier, version, destination, prefix, start_band, .. } = resolved;
    let zero = version.rounding.zero();
    let mut priced = Priced {
        cost: zero,
        gross: zero,
        discount: zero,
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
        bands: BandShares::new(),
        bundle: None,
        detail: Detail {
            version,
            destination,
            start: call.start,
            duration_s: call.duration_s,
            start_band,
            subtotal: Decimal::ZERO,
            discount_percent: Decimal::ZERO,
        },
    };
    priced.bands.share(&version.schedule, start_band);
    priced
}

/// The bundle covering `destination`, if any, and the seconds it has left.
pub(crate) fn bundle_left<'a>(
    version: &'a TariffVersion,
    destination: &Destination,
    period: &PeriodUsage<'_>,
) -> Option<(&'a Bundle, u64)> {
    let bundle = version.bundles.get(destination.bundle? as usize)?;
    let used = period.of(bundle.scope).bundle_seconds(&bundle.name);
    Some((bundle, bundle.seconds().saturating_sub(used)))
}

/// What a call with `units` units, `charged_units` of them charged,
/// took from the bundle that had `left` seconds.
pub(crate) fn bundle_use(
    (bundle, left): (&Bundle, u64),
    billed_seconds: u32,
    units: u32,
    charged_units: u32,
) -> BundleUse<'_> {
    BundleUse {
        name: &bundle.name,
        scope: bundle.scope,
        seconds: u32::try_from(left.min(u64::from(billed_seconds))).unwrap_or(u32::MAX),
        left_before: left,
        free_units: units - charged_units,
    }
}

/// Seconds a bundle with `left` seconds makes free from the call's start.
pub(crate) fn free_until(bundle: Option<(&Bundle, u64)>) -> i64 {
    bundle.map_or(0, |(_, left)| i64::try_from(left).unwrap_or(i64::MAX))
}

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
                expected[usize::from(version.schedule.band_by_rules(local, None))] += 1;
            }
            let mut actual = [0u32; MAX_BANDS];
            for share in priced.bands.iter() {
                actual[usize::from(share.index)] += share.units;
            }
            prop_assert_eq!(actual, expected);
        }
    }
}
