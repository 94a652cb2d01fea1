//! A call's units on its start band's billing grid (first interval, then
//! equal increments), and the band each run of them is priced in.
//!
//! Under `split` a call is walked in *segments* of UTC time in which
//! neither the zone offset nor the band can change (a segment ends where
//! the band's run of the local day ends, at local midnight at the latest,
//! or at the next offset transition, whichever comes first). Within a
//! segment every unit has the band of the segment's start, so this equals
//! converting every unit's start instant to local time (a test checks it
//! against that direct method), at the cost of one conversion per segment.
//! Both the `Decimal` and the fixed-point pricing walk calls this way.

use crate::bands::BandIndex;
use crate::model::Crossing;
use crate::price::{Call, Resolved};

/// Units of a call on its start band's billing grid.
#[derive(Clone, Copy)]
pub(crate) struct Grid {
    pub(crate) first_seconds: i64,
    pub(crate) increment_seconds: i64,
    pub(crate) units: u32,
}

impl Grid {
    pub(crate) fn new(first_seconds: u32, increment_seconds: u32, duration_s: u32) -> Grid {
        let first = i64::from(first_seconds.max(1));
        let increment = i64::from(increment_seconds.max(1));
        let rest = (i64::from(duration_s) - first).max(0);
        let units = 1 + ceil_div(rest, increment);
        Grid {
            first_seconds: first,
            increment_seconds: increment,
            units: u32::try_from(units).unwrap_or(u32::MAX),
        }
    }

    pub(crate) fn billed_seconds(&self) -> u32 {
        let seconds = self.first_seconds + i64::from(self.units - 1) * self.increment_seconds;
        u32::try_from(seconds).unwrap_or(u32::MAX)
    }

    /// Units that end at or before `offset` (seconds after the call's
    /// start): those a bundle with `offset` seconds left makes free.
    pub(crate) fn units_ending_by(&self, offset: i64) -> u32 {
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

    /// Whether every unit starts in the start band: under `start` always,
    /// under `split` when the band does not change before the last unit.
    #[inline]
    pub(crate) fn in_start_band(&self, resolved: &Resolved<'_>, call: &Call<'_>) -> bool {
        if resolved.version.crossing == Crossing::Start {
            return true;
        }
        let start = call.start.as_second();
        let mut segment_end = start + resolved.start_span;
        if let Some(transition) = resolved.start_local.next_transition {
            segment_end = segment_end.min(transition.max(start + 1));
        }
        self.units_starting_before(segment_end - start) >= self.units
    }

    /// Calls `charge(band, first_units, increments)` for each run of
    /// charged units (the first `free_units` are a bundle's and skipped)
    /// with the band that prices them, in call order; `first_units` is 1
    /// when the run holds the call's first unit.
    pub(crate) fn for_each_run(
        &self,
        resolved: &Resolved<'_>,
        call: &Call<'_>,
        free_units: u32,
        mut charge: impl FnMut(BandIndex, u32, u32),
    ) {
        let version = resolved.version;
        let schedule = &*version.schedule;
        let start_band = resolved.start_band;
        match version.crossing {
            Crossing::Start => {
                let charged = self.units - free_units;
                if charged > 0 {
                    let first_units = u32::from(free_units == 0);
                    charge(start_band, first_units, charged - first_units);
                }
            }
            Crossing::Split => {
                let start = call.start.as_second();
                let mut segment_start = start;
                let mut local = resolved.start_local;
                let (mut band, mut span) = (start_band, resolved.start_span);
                let mut counted = 0u32;
                loop {
                    let mut segment_end = segment_start + span;
                    if let Some(transition) = local.next_transition {
                        segment_end = segment_end.min(transition.max(segment_start + 1));
                    }
                    let before_end = self.units_starting_before(segment_end - start);
                    let charged_from = counted.max(free_units);
                    if before_end > charged_from {
                        let first_units = u32::from(charged_from == 0);
                        charge(band, first_units, before_end - charged_from - first_units);
                    }
                    counted = before_end;
                    if counted >= self.units {
                        break;
                    }
                    segment_start = segment_end;
                    local = version.zone.local(segment_start);
                    (band, span) = schedule.band_span(local.local_seconds, call.site_holidays);
                }
            }
        }
    }
}

/// `numerator / denominator` rounded up, for numerator ≥ 0, denominator ≥ 1.
pub(crate) fn ceil_div(numerator: i64, denominator: i64) -> i64 {
    (numerator + denominator - 1) / denominator
}
