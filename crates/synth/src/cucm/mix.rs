//! A Cisco UCM traffic mix with features: of every hundred calls, ten
//! consultation transfers, five forwards, two ad hoc conferences and
//! eighty-three plain calls, in an order shuffled anew for each hundred.
//! Every call's records are written together, in the order CUCM writes
//! them (as its legs end); the ids are unique per call, across the mix.

use super::features::{Draw, Ids};
use super::render::{CucmRenderer, Row};
use crate::{CallGenerator, Org};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

/// A feature a call of the mix shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CucmFeature {
    /// Consultation transfer from the calling party: three records.
    ConsultationTransfer,
    /// Call forward all, no answer or busy, one or two hops: one record.
    Forward,
    /// Ad hoc conference of three parties: six records.
    AdHocConference,
}

impl CucmFeature {
    pub const ALL: [CucmFeature; 3] =
        [CucmFeature::ConsultationTransfer, CucmFeature::Forward, CucmFeature::AdHocConference];

    /// How many of every hundred calls of the mix show it.
    pub fn per_hundred(self) -> usize {
        match self {
            CucmFeature::ConsultationTransfer => 10,
            CucmFeature::Forward => 5,
            CucmFeature::AdHocConference => 2,
        }
    }

    /// Records CUCM writes for one such call.
    pub fn records(self) -> usize {
        match self {
            CucmFeature::ConsultationTransfer => 3,
            CucmFeature::Forward => 1,
            CucmFeature::AdHocConference => 6,
        }
    }
}

/// One call of the mix, as rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MixedCall {
    /// `None`: a plain call, one record.
    pub feature: Option<CucmFeature>,
    /// The extension that used the feature: the transferor, the last
    /// extension that forwarded the call, the conference's controller (the
    /// one the default correlation rules bill the call's outside legs to).
    pub by: Option<String>,
    /// Records written for it.
    pub records: usize,
}

/// Extensions an organisation needs for feature calls (a two-hop forward
/// involves four); a smaller one gets plain calls only.
const MIN_EXTENSIONS: usize = 4;

/// Calls of the mix rendered as CUCM CDR rows: the calls of a
/// [`CallGenerator`], each the base of a plain or a feature call. The same
/// org and seed give the same records.
pub struct CucmMix<'o> {
    calls: CallGenerator<'o>,
    renderer: CucmRenderer,
    /// Draws the order of each hundred and the features' details, apart
    /// from the generator's own draws.
    rng: SmallRng,
    ids: Ids,
    /// What the calls of the current hundred show, taken from the back.
    hundred: Vec<Option<CucmFeature>>,
    next_call: u64,
    next_record: u64,
    rows: Vec<Row>,
}

impl<'o> CucmMix<'o> {
    pub fn new(org: &'o Org, seed: u64) -> Self {
        CucmMix::of_calls(CallGenerator::new(org, seed), seed)
    }

    /// The mix built on `calls` (for live traffic, see
    /// [`CallGenerator::starting_at`]).
    pub fn of_calls(calls: CallGenerator<'o>, seed: u64) -> Self {
        CucmMix::continuing(calls, seed, 0, 0)
    }

    /// The mix carrying on a stream that has rendered `call_index` calls
    /// and `record_index` records: ids and `pkid`s go on from there.
    pub(crate) fn continuing(
        calls: CallGenerator<'o>,
        seed: u64,
        call_index: u64,
        record_index: u64,
    ) -> Self {
        CucmMix {
            calls,
            renderer: CucmRenderer::new(seed),
            rng: SmallRng::seed_from_u64(seed ^ 0x6375_636d_5f6d_6978),
            ids: Ids::from_call_index(call_index),
            hundred: Vec::with_capacity(100),
            next_call: call_index,
            next_record: record_index,
            rows: Vec::with_capacity(6),
        }
    }

    /// The header and type lines that open every CUCM CDR file.
    pub fn header_lines(&self) -> String {
        self.renderer.header_lines()
    }

    /// When the last call's last record ended (Unix seconds).
    pub fn clock_s(&self) -> i64 {
        self.calls.clock_s()
    }

    /// Records rendered so far.
    pub fn records(&self) -> u64 {
        self.next_record
    }

    /// Appends the next call's records, each a row with its `\n`, to `out`.
    pub fn next_call(&mut self, out: &mut Vec<u8>) -> MixedCall {
        let base = self.calls.next_call();
        let org = self.calls.org();
        let feature = self.next_feature().filter(|_| org.extensions.len() >= MIN_EXTENSIONS);
        self.rows.clear();
        let by = match feature {
            None => {
                let (call_id, leg) = (self.ids.call(), self.ids.leg());
                self.ids.leg();
                self.rows.push(Row::plain(self.next_call, &base, call_id, leg));
                None
            }
            Some(feature) => {
                let mut draw = Draw { org, rng: &mut self.rng, ids: &mut self.ids };
                Some(match feature {
                    CucmFeature::ConsultationTransfer => {
                        draw.consultation_transfer(&base, &mut self.rows)
                    }
                    CucmFeature::Forward => draw.forward(&base, &mut self.rows),
                    CucmFeature::AdHocConference => draw.adhoc_conference(&base, &mut self.rows),
                })
            }
        };
        self.next_call += 1;
        for row in &self.rows {
            self.renderer.render_row(self.next_record, row, out);
            self.next_record += 1;
        }
        MixedCall { feature, by, records: self.rows.len() }
    }

    /// What the next call shows: the next of the current hundred, a new
    /// hundred shuffled when it is used up.
    fn next_feature(&mut self) -> Option<CucmFeature> {
        if self.hundred.is_empty() {
            for feature in CucmFeature::ALL {
                self.hundred.extend(std::iter::repeat_n(Some(feature), feature.per_hundred()));
            }
            self.hundred.resize(100, None);
            // Fisher–Yates.
            for i in (1..self.hundred.len()).rev() {
                let j = self.rng.random_range(0..=i);
                self.hundred.swap(i, j);
            }
        }
        self.hundred.pop().flatten()
    }
}
