//! CGRateS timings → the version's time bands.
//!
//! In CGRateS a timing has weekdays and a start time only; it is active
//! from its start to the end of each matching day. At an instant, each
//! destination takes, among its rating-plan entries whose timing is
//! active, the highest weight, then the latest start (the entry "closest"
//! to the instant). So within a weekday the choice can only change at a
//! timing's start time, and the week splits into segments
//! `(weekday, [start, next start))` with one choice per destination.
//! A band is one distinct vector of choices; its ranges are the segments
//! where that vector holds.

use rust_decimal::Decimal;

use crate::MAX_BANDS;

/// A timing as used by a rating plan.
pub(crate) struct PlanTiming {
    pub(crate) tag: String,
    /// Monday = bit 0.
    pub(crate) weekdays: u8,
    /// Seconds of the day.
    pub(crate) start: u32,
}

/// One rating-plan entry of a destination: its timing and weight.
pub(crate) struct Entry {
    pub(crate) timing: usize,
    pub(crate) weight: Decimal,
}

/// A band: per destination the chosen entry, and where it holds.
pub(crate) struct BandPlan {
    pub(crate) name: String,
    /// Entry index per destination.
    pub(crate) choice: Vec<usize>,
    /// Weekday bits, from, to (seconds of the day, `to` ≤ 86400).
    pub(crate) ranges: Vec<(u8, u32, u32)>,
}

/// Why the timings cannot be turned into bands.
pub(crate) enum BandError {
    /// Destination `destination` has no entry active on `weekday` (Monday
    /// 0) from `from` to `to`.
    Uncovered {
        destination: usize,
        weekday: u32,
        from: u32,
        to: u32,
    },
    /// Two entries of a destination tie on weight and start time.
    Tie {
        destination: usize,
        first: usize,
        second: usize,
    },
    TooMany(usize),
}

const DAY: u32 = 86_400;

pub(crate) fn plan_bands(
    timings: &[PlanTiming],
    destinations: &[Vec<Entry>],
) -> Result<Vec<BandPlan>, BandError> {
    let mut bands: Vec<BandPlan> = Vec::new();
    // (band, weekday, from, to) in week order.
    let mut segments: Vec<(usize, u32, u32, u32)> = Vec::new();
    for weekday in 0..7u32 {
        let mut starts: Vec<u32> = timings
            .iter()
            .filter(|t| t.weekdays & (1 << weekday) != 0)
            .map(|t| t.start)
            .chain([0])
            .collect();
        starts.sort_unstable();
        starts.dedup();
        for (i, &from) in starts.iter().enumerate() {
            let to = starts.get(i + 1).copied().unwrap_or(DAY);
            let mut choice = Vec::with_capacity(destinations.len());
            for (destination, entries) in destinations.iter().enumerate() {
                let picked = pick(timings, entries, weekday, from)
                    .map_err(|(first, second)| BandError::Tie { destination, first, second })?;
                choice.push(picked.ok_or(BandError::Uncovered {
                    destination,
                    weekday,
                    from,
                    to,
                })?);
            }
            let band = match bands.iter().position(|b| b.choice == choice) {
                Some(band) => band,
                None => {
                    bands.push(BandPlan { name: String::new(), choice, ranges: Vec::new() });
                    bands.len() - 1
                }
            };
            match segments.last_mut() {
                Some(last) if last.0 == band && last.1 == weekday && last.3 == from => last.3 = to,
                _ => segments.push((band, weekday, from, to)),
            }
        }
    }
    if bands.len() > MAX_BANDS {
        return Err(BandError::TooMany(bands.len()));
    }
    for (band, weekday, from, to) in segments {
        let ranges = &mut bands[band].ranges;
        match ranges.iter_mut().find(|r| r.1 == from && r.2 == to) {
            Some(range) => range.0 |= 1 << weekday,
            None => ranges.push((1 << weekday, from, to)),
        }
    }
    name_bands(&mut bands, timings, destinations);
    Ok(bands)
}

/// The entry in force at `from` on `weekday`: highest weight, then latest
/// start. Err with the two tied entries when that is not unique.
fn pick(
    timings: &[PlanTiming],
    entries: &[Entry],
    weekday: u32,
    from: u32,
) -> Result<Option<usize>, (usize, usize)> {
    let mut best: Option<usize> = None;
    for (index, entry) in entries.iter().enumerate() {
        let Some(timing) = timings.get(entry.timing) else { continue };
        if timing.weekdays & (1 << weekday) == 0 || timing.start > from {
            continue;
        }
        let Some(current) = best else {
            best = Some(index);
            continue;
        };
        let (held, held_timing) = (&entries[current], &timings[entries[current].timing]);
        let key = (entry.weight, timing.start);
        let held_key = (held.weight, held_timing.start);
        if key > held_key {
            best = Some(index);
        } else if key == held_key {
            return Err((current, index));
        }
    }
    Ok(best)
}

/// Band names from the timing tags chosen in them, leaving out
/// destinations whose choice is the same in every band (they do not tell
/// bands apart); `#2`, `#3` … make repeats unique.
fn name_bands(bands: &mut [BandPlan], timings: &[PlanTiming], destinations: &[Vec<Entry>]) {
    let varies: Vec<bool> = (0..destinations.len())
        .map(|d| bands.iter().any(|b| b.choice.get(d) != bands[0].choice.get(d)))
        .collect();
    let any_varies = varies.iter().any(|v| *v);
    let mut names: Vec<String> = Vec::new();
    for band in bands.iter_mut() {
        let mut tags: Vec<&str> = Vec::new();
        for (destination, &entry) in band.choice.iter().enumerate() {
            if any_varies && !varies[destination] {
                continue;
            }
            let tag = destinations
                .get(destination)
                .and_then(|entries| entries.get(entry))
                .and_then(|e| timings.get(e.timing))
                .map_or("?", |t| t.tag.as_str());
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let base = if tags.is_empty() { "all".to_string() } else { tags.join("+") };
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base}#{n}");
            n += 1;
        }
        names.push(name.clone());
        band.name = name;
    }
}
