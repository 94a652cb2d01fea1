//! The loaded tariffs: carriers → effective-dated versions → destinations,
//! rates per band, bands and holidays. Immutable once built, so one
//! `TariffBook` is shared read-only by every pricing thread.

use std::sync::Arc;

use jiff::Timestamp;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::bands::{BandSchedule, HolidayCalendar, TimeRange};
use crate::bundle::Bundle;
use crate::discount::Discounts;
use crate::fixed::FixedRates;
use crate::money::{Currency, Rounding};
use crate::prefix::{Prefix, PrefixList, PrefixTable};
use crate::zone::ZoneTable;

/// Most bands one tariff version may declare; a priced call keeps its
/// per-band shares inline, without allocating.
pub const MAX_BANDS: usize = 8;

/// Index of a carrier in a `TariffBook`; resolve names once with
/// [`TariffBook::carrier_id`] and price by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CarrierId(pub(crate) u32);

/// All carriers and their tariffs.
#[derive(Debug, Default)]
pub struct TariffBook {
    pub(crate) carriers: Vec<Carrier>,
    pub(crate) carrier_ids: FxHashMap<Box<str>, CarrierId>,
    pub(crate) calendars: Vec<HolidayCalendar>,
}

impl TariffBook {
    pub fn carrier_id(&self, name: &str) -> Option<CarrierId> {
        self.carrier_ids.get(name).copied()
    }

    pub fn carrier(&self, id: CarrierId) -> Option<&Carrier> {
        self.carriers.get(id.0 as usize)
    }

    pub fn carriers(&self) -> &[Carrier] {
        &self.carriers
    }

    /// The holiday calendars declared in the book (referenced by versions).
    pub fn calendars(&self) -> &[HolidayCalendar] {
        &self.calendars
    }

    /// Prefixes across every carrier and version.
    pub fn prefix_count(&self) -> usize {
        self.carriers.iter().flat_map(|c| &c.versions).map(|v| v.prefixes.len()).sum()
    }
}

/// A carrier and its tariff versions, oldest first.
///
/// The carrier also keeps its versions' prefix tables, the latest one
/// inline: the carriers are a small array that stays in cache, so a call
/// in the latest version starts its prefix probes at once, while the
/// version itself is still being fetched from memory.
#[derive(Debug)]
pub struct Carrier {
    pub(crate) name: Box<str>,
    pub(crate) versions: Vec<TariffVersion>,
    /// The latest version's `valid_from` (`Timestamp::MAX` if none).
    pub(crate) latest_from: Timestamp,
    /// The latest version's prefix table.
    pub(crate) latest: PrefixTable,
    /// The other versions' prefix tables, oldest first.
    pub(crate) earlier: Vec<PrefixTable>,
}

impl Carrier {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn versions(&self) -> &[TariffVersion] {
        &self.versions
    }

    /// The version in force at `start`: the latest `valid_from` ≤ `start`.
    #[inline]
    pub fn version_at(&self, start: Timestamp) -> Option<&TariffVersion> {
        self.versions.get(self.version_index_at(start)?)
    }

    fn version_index_at(&self, start: Timestamp) -> Option<usize> {
        let after = self.versions.partition_point(|v| v.valid_from <= start);
        after.checked_sub(1)
    }

    /// `version_at` and that version's prefix table.
    #[inline]
    pub(crate) fn lookup_at(&self, start: Timestamp) -> Option<(&TariffVersion, &PrefixTable)> {
        if start >= self.latest_from {
            return Some((self.versions.last()?, &self.latest));
        }
        let index = self.version_index_at(start)?;
        Some((self.versions.get(index)?, self.earlier.get(index)?))
    }

    /// A carrier of `versions` (sorted by `valid_from`) with their prefix
    /// tables.
    pub(crate) fn new(name: &str, versions: Vec<(TariffVersion, PrefixTable)>) -> Carrier {
        let (versions, mut tables): (Vec<TariffVersion>, Vec<PrefixTable>) =
            versions.into_iter().unzip();
        Carrier {
            name: name.into(),
            latest_from: versions.last().map_or(Timestamp::MAX, |v| v.valid_from),
            latest: tables.pop().unwrap_or_default(),
            earlier: tables,
            versions,
        }
    }
}

/// Which band prices a call that crosses a band boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Crossing {
    /// The whole call at the band in force when it started.
    Start,
    /// Each unit (first interval, increment) at the band in force when
    /// that unit begins.
    Split,
}

/// One effective-dated version of a carrier's tariff.
///
/// `repr(C)`: the fields every pricing reads come first, so a call reads
/// the version's first two cache lines only (aligned to 128 bytes: CPUs
/// fetch such a pair together).
#[derive(Debug)]
#[repr(C, align(128))]
pub struct TariffVersion {
    pub(crate) valid_from: Timestamp,
    pub(crate) fixed: FixedRates,
    pub(crate) schedule: Arc<BandSchedule>,
    pub(crate) zone: Arc<ZoneTable>,
    pub(crate) destinations: Vec<Destination>,
    pub(crate) id: Box<str>,
    pub(crate) rounding: Rounding,
    pub(crate) currency: Currency,
    pub(crate) crossing: Crossing,
    pub(crate) prefixes: PrefixList,
    pub(crate) bands: Vec<Band>,
    pub(crate) default_band: Option<Box<str>>,
    pub(crate) holiday_band: Option<Box<str>>,
    pub(crate) holiday_calendars: Vec<Box<str>>,
    /// Rate of destination `d` in band `b` at `d * bands.len() + b`: one
    /// flat array, so pricing reaches a rate in one memory access.
    pub(crate) rates: Box<[Rate]>,
    pub(crate) discounts: Discounts,
    /// Free-minute bundles; a destination is in at most one.
    pub(crate) bundles: Vec<Bundle>,
}

impl TariffVersion {
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn valid_from(&self) -> Timestamp {
        self.valid_from
    }
    pub fn currency(&self) -> Currency {
        self.currency
    }
    /// The IANA name of the zone bands are evaluated in.
    pub fn time_zone(&self) -> &str {
        self.zone.name()
    }
    pub fn crossing(&self) -> Crossing {
        self.crossing
    }
    pub fn rounding(&self) -> Rounding {
        self.rounding
    }
    pub fn bands(&self) -> &[Band] {
        &self.bands
    }
    pub fn destinations(&self) -> &[Destination] {
        &self.destinations
    }
    pub fn discounts(&self) -> &Discounts {
        &self.discounts
    }
    pub fn bundles(&self) -> &[Bundle] {
        &self.bundles
    }
    pub fn prefix_count(&self) -> usize {
        self.prefixes.len()
    }
    /// Every prefix with its destination, in prefix order.
    /// The rate of `destination` in band `band_index`.
    pub fn rate(&self, destination: &Destination, band_index: usize) -> Option<&Rate> {
        if band_index >= self.bands.len() {
            return None;
        }
        self.rates.get(destination.index as usize * self.bands.len() + band_index)
    }
    pub fn prefixes(&self) -> impl Iterator<Item = (Prefix, &Destination)> + '_ {
        self.prefixes.iter().filter_map(|(p, d)| Some((p, self.destinations.get(d as usize)?)))
    }
}

/// A named band and the weekday × time ranges where it applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Band {
    pub name: Box<str>,
    pub ranges: Vec<TimeRange>,
}

/// A destination ("France mobile") and its rate in each band.
#[derive(Debug)]
pub struct Destination {
    pub(crate) name: Box<str>,
    /// Position in the version's destinations.
    pub(crate) index: u32,
    /// As declared: band name (or `all`) → rate, kept for export.
    pub(crate) declared_rates: Vec<(Box<str>, Rate)>,
    /// Index in the version's bundles of the bundle covering it.
    pub(crate) bundle: Option<u32>,
}

impl Destination {
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The price of a call to one destination in one band.
///
/// Either a first unit then equal increments (`first_*`, `increment_*`),
/// or, when `steps` is not empty, stepped billing by talk offset (as
/// CGRateS rates with several `GroupIntervalStart` slots); the `first_*`
/// and `increment_*` fields are then unused (1 s at 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Charged once per call that is not free.
    pub connect_fee: Decimal,
    /// Seconds covered by the first unit (≥ 1).
    pub first_seconds: u32,
    pub first_price: Decimal,
    /// Seconds of each later unit (≥ 1).
    pub increment_seconds: u32,
    pub increment_price: Decimal,
    /// The least a non-free call costs.
    pub minimum: Decimal,
    /// Calls of at most this many seconds are free.
    pub free_seconds: u32,
    /// The most one call costs, if capped.
    pub maximum: Option<Decimal>,
    /// Stepped billing, sorted by `from_seconds`, the first from 0; empty
    /// for a first-interval + increment rate.
    pub steps: Vec<Step>,
}

impl Rate {
    /// Whether the rate bills in steps (see [`Step`]).
    pub fn is_stepped(&self) -> bool {
        !self.steps.is_empty()
    }

    /// The step in force for a unit starting `offset_s` seconds into the
    /// talk: the last whose `from_seconds` ≤ `offset_s`.
    pub fn step_at(&self, offset_s: u32) -> Option<&Step> {
        let after = self.steps.partition_point(|s| s.from_seconds <= offset_s);
        after.checked_sub(1).and_then(|i| self.steps.get(i))
    }
}

/// One step of a stepped rate: units that *start* at or after
/// `from_seconds` of talk (and before the next step) last
/// `increment_seconds` and cost `increment_seconds × price / per_seconds`
/// each. The price is per `per_seconds` rather than per unit so that a
/// rate such as "0.20 per minute, billed per 10 s" stays exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub from_seconds: u32,
    /// Length of each unit (≥ 1).
    pub increment_seconds: u32,
    pub price: Decimal,
    /// The time `price` buys (≥ 1).
    pub per_seconds: u32,
}
