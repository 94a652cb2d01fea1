//! Duplicate detection: a Bloom filter per day answers "never seen" without
//! touching the database; only a possible duplicate goes to the exact check
//! (the store's primary key), which decides.
//!
//! A day's filter is seeded from the store the first time a call of that
//! day is seen, so the filters never need saving: the store is the truth.

use fastbloom::BloomFilter;
use rustc_hash::FxHashMap;

/// Calls one filter is sized for (about 1.2 MB). A day with more calls
/// gets another filter rather than a fuller one: an overfull filter's
/// false positives grow fast, and each sends a call down the slow exact
/// path (a busy day of 4 million calls had one call in six there).
const FILTER_CAPACITY: usize = 1_000_000;
const FALSE_POSITIVE_RATE: f64 = 0.01;
/// Days kept in memory; the least recently used goes.
const MAX_DAYS: usize = 64;
/// Filters kept in memory, all days together (about 77 MB); past that the
/// least recently used days go too.
const MAX_FILTERS: usize = 64;

/// The dedup key of a call: hash of its PBX and identity.
pub fn dedup_key(pbx_id: i64, identity: u64) -> i64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(&identity.to_le_bytes(), pbx_id as u64) as i64
}

fn bloom_hash(start_s: i64, dedup: i64) -> u64 {
    (dedup as u64) ^ (start_s as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A day's filters: calls are noted in the last, which is replaced by a
/// fresh one when full; a call may have been seen if any holds it.
struct Day {
    filters: Vec<BloomFilter>,
    /// Calls noted in the last filter.
    in_last: usize,
    last_used: u64,
}

fn new_filter() -> BloomFilter {
    BloomFilter::with_false_pos(FALSE_POSITIVE_RATE).expected_items(FILTER_CAPACITY)
}

impl Day {
    fn new(last_used: u64) -> Day {
        Day { filters: vec![new_filter()], in_last: 0, last_used }
    }

    /// Notes `hash`; tells whether it may have been noted before.
    fn insert(&mut self, hash: u64) -> bool {
        let (last, earlier) = self.filters.split_last_mut().expect("a day has a filter");
        if earlier.iter().any(|f| f.contains_hash(hash)) {
            return true;
        }
        let maybe = last.insert_hash(hash);
        if !maybe {
            self.in_last += 1;
            if self.in_last >= FILTER_CAPACITY {
                self.filters.push(new_filter());
                self.in_last = 0;
            }
        }
        maybe
    }
}

#[derive(Default)]
pub struct DedupFilter {
    days: FxHashMap<i64, Day>,
    clock: u64,
    /// Records the filter could not rule out (for metrics and tuning).
    pub exact_checks: u64,
}

impl DedupFilter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes the call as seen and tells whether it may have been seen
    /// before (then the exact check must decide); false means it certainly
    /// has not. One probe of the filter does both. `seed` loads the day's
    /// stored keys when the day is not in memory.
    pub fn check_and_insert(
        &mut self,
        start_s: i64,
        dedup: i64,
        seed: impl FnOnce(&mut dyn FnMut(i64, i64)) -> store::Result<()>,
    ) -> store::Result<bool> {
        let day = start_s.div_euclid(86_400);
        self.clock += 1;
        let clock = self.clock;
        if !self.days.contains_key(&day) {
            if self.days.len() >= MAX_DAYS {
                self.evict_oldest();
            }
            let mut fresh = Day::new(clock);
            seed(&mut |s, d| {
                fresh.insert(bloom_hash(s, d));
            })?;
            self.days.insert(day, fresh);
            while self.filters() > MAX_FILTERS && self.days.len() > 1 {
                self.evict_oldest();
            }
        }
        let entry = self.days.get_mut(&day).expect("inserted above, newest, never evicted");
        entry.last_used = clock;
        let before = entry.filters.len();
        let maybe = entry.insert(bloom_hash(start_s, dedup));
        if entry.filters.len() > before {
            while self.filters() > MAX_FILTERS && self.days.len() > 1 {
                self.evict_oldest_but(day);
            }
        }
        if maybe {
            self.exact_checks += 1;
        }
        Ok(maybe)
    }

    /// Whether `day`'s filter is in memory (else the next check of a call
    /// of that day seeds it from the store).
    pub fn knows_day(&self, day: i64) -> bool {
        self.days.contains_key(&day)
    }

    /// Drops every filter, for when the store changed behind this filter's
    /// back (another writer): each day is seeded again when next seen.
    pub fn forget_all(&mut self) {
        self.days.clear();
    }

    fn filters(&self) -> usize {
        self.days.values().map(|d| d.filters.len()).sum()
    }

    fn evict_oldest(&mut self) {
        self.evict_oldest_but(i64::MIN);
    }

    /// Drops the least recently used day other than `keep`.
    fn evict_oldest_but(&mut self, keep: i64) {
        let oldest = self
            .days
            .iter()
            .filter(|(k, _)| **k != keep)
            .min_by_key(|(_, d)| d.last_used)
            .map(|(k, _)| *k);
        if let Some(oldest) = oldest {
            self.days.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_calls_skip_the_exact_check_and_seen_ones_take_it() {
        let mut f = DedupFilter::new();
        let stored = [(86_400 * 3 + 5, 42)];
        let seed = |each: &mut dyn FnMut(i64, i64)| {
            stored.iter().for_each(|(s, d)| each(*s, *d));
            Ok(())
        };
        assert!(f.check_and_insert(86_400 * 3 + 5, 42, seed).unwrap());
        let mut fresh = 0;
        for i in 0..10_000 {
            if !f.check_and_insert(86_400 * 3 + 7, 1000 + i, |_| Ok(())).unwrap() {
                fresh += 1;
            }
        }
        assert!(fresh > 9_900, "{fresh}");
        assert!(f.check_and_insert(86_400 * 3 + 7, 1000, |_| Ok(())).unwrap());
    }

    #[test]
    fn days_are_seeded_once_and_evicted_when_too_many() {
        let mut f = DedupFilter::new();
        let mut seeds = 0;
        for day in 0..(MAX_DAYS as i64 + 1) {
            f.check_and_insert(day * 86_400, 1, |_| {
                seeds += 1;
                Ok(())
            })
            .unwrap();
        }
        assert_eq!(seeds, MAX_DAYS + 1);
        assert_eq!(f.days.len(), MAX_DAYS);
        assert!(!f.days.contains_key(&0), "the least recently used day goes");
    }

    #[test]
    fn a_busy_day_gets_more_filters_and_keeps_few_false_positives() {
        let mut day = Day::new(0);
        let calls = FILTER_CAPACITY * 3;
        let maybe = (0..calls as u64).filter(|i| day.insert(bloom_hash(*i as i64, 7))).count();
        assert!((3..=4).contains(&day.filters.len()), "{}", day.filters.len());
        // Each filter holds at most its capacity: about 1% each, against
        // the quarter of calls a single overfull filter would let through.
        assert!(maybe < calls / 40, "{maybe} of {calls}");
        assert!(day.insert(bloom_hash(5, 7)), "a call noted in an earlier filter");
    }

    #[test]
    fn dedup_keys_depend_on_the_pbx() {
        assert_ne!(dedup_key(1, 7), dedup_key(2, 7));
        assert_eq!(dedup_key(1, 7), dedup_key(1, 7));
    }
}
