//! Calls with realistic shapes: mostly outgoing, a third incoming, some
//! internal; talk times with a long tail; a fifth unanswered; numbers of
//! every kind (local, national, mobile, international).

use crate::Org;
use jiff::Timestamp;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Outgoing,
    Incoming,
    Internal,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub kind: CallKind,
    pub start: Timestamp,
    pub end: Timestamp,
    pub answered: bool,
    pub ring_s: u32,
    pub duration_s: u32,
    pub calling: String,
    pub dialled: String,
    pub circuit: u32,
    /// Index of the internal party in [`Org::extensions`].
    pub extension_index: usize,
}

pub struct CallGenerator<'o> {
    org: &'o Org,
    rng: SmallRng,
    /// End time of the previous call, in seconds; calls end in order, as a
    /// PBX writes them.
    clock: i64,
    /// Calls ending per second, on average.
    rate: f64,
}

/// 2025-03-03T00:00:00Z: a Monday.
const EPOCH: i64 = 1_740_960_000;
/// Calls per second on average: 650,000 calls a day, a large organisation.
const RATE: f64 = 7.5;

impl<'o> CallGenerator<'o> {
    pub fn new(org: &'o Org, seed: u64) -> Self {
        CallGenerator::starting_at(org, seed, EPOCH, RATE)
    }

    /// Calls ending from `clock_s` (Unix seconds) on, `rate` a second on
    /// average: live traffic for a demonstration starts at the present.
    pub fn starting_at(org: &'o Org, seed: u64, clock_s: i64, rate: f64) -> Self {
        CallGenerator { org, rng: SmallRng::seed_from_u64(seed), clock: clock_s, rate }
    }

    /// When the last call generated ended (Unix seconds).
    pub fn clock_s(&self) -> i64 {
        self.clock
    }

    /// The organisation the calls are of.
    pub(crate) fn org(&self) -> &'o Org {
        self.org
    }

    pub fn next_call(&mut self) -> Call {
        // Exponential gaps between call ends.
        let gap = -(1.0 - self.rng.random::<f64>()).ln() / self.rate;
        self.clock += gap.round() as i64;
        let ext_index = self.rng.random_range(0..self.org.extensions.len());
        let ext = self.org.extensions[ext_index].clone();
        let r: f64 = self.rng.random();
        let kind = if r < 0.55 {
            CallKind::Outgoing
        } else if r < 0.88 {
            CallKind::Incoming
        } else {
            CallKind::Internal
        };
        let answered = self.rng.random::<f64>() >= 0.2;
        let duration_s = if answered { talk_time(&mut self.rng) } else { 0 };
        let ring_s = self.rng.random_range(2..30u32);
        let (calling, dialled) = match kind {
            CallKind::Outgoing => (ext, external_number(&mut self.rng)),
            CallKind::Incoming => {
                (external_number(&mut self.rng).trim_start_matches('0').to_string(), ext)
            }
            CallKind::Internal => {
                let other = self.rng.random_range(0..self.org.extensions.len());
                (ext, self.org.extensions[other].clone())
            }
        };
        let end = Timestamp::from_second(self.clock).expect("in range");
        let start =
            Timestamp::from_second(self.clock - i64::from(duration_s + ring_s)).expect("in range");
        Call {
            kind,
            start,
            end,
            answered,
            ring_s,
            duration_s,
            calling,
            dialled,
            circuit: self.rng.random_range(1..=120),
            extension_index: ext_index,
        }
    }
}

/// An outside number as an extension dials it (trunk prefix 0): local,
/// national, mobile or international.
pub(crate) fn external_number(rng: &mut SmallRng) -> String {
    let r: f64 = rng.random();
    if r < 0.45 {
        format!("0{}{:08}", 1, rng.random_range(0..100_000_000u32)) // local
    } else if r < 0.70 {
        format!("0{}{:08}", rng.random_range(2..=5u32), rng.random_range(0..100_000_000u32))
    } else if r < 0.92 {
        format!("0{}{:08}", rng.random_range(6..=7u32), rng.random_range(0..100_000_000u32))
    } else {
        let cc = ["44", "49", "1", "86", "34", "39", "81"][rng.random_range(0..7usize)];
        format!("00{cc}{:09}", rng.random_range(0..1_000_000_000u32))
    }
}

/// A talk time: log-normal, median about 70 s, a long tail of hours.
pub(crate) fn talk_time(rng: &mut SmallRng) -> u32 {
    let normal: f64 = (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0;
    ((4.25 + 1.1 * normal).exp().round() as u32).clamp(1, 4 * 3600)
}
