//! Duplicate detection: a Bloom filter per day answers "never seen" without
//! touching the database; only a possible duplicate goes to the exact check
//! (the store's primary key), which decides.
//!
//! A day's filter is seeded from the store the first time a call of that
//! day is seen, so the filters never need saving: the store is the truth.

use fastbloom::BloomFilter;
use rustc_hash::FxHashMap;

/// Calls a day's filter is sized for; past that its false-positive rate
/// rises and more records take the exact check, which stays correct.
const DAY_CAPACITY: usize = 1_000_000;
const FALSE_POSITIVE_RATE: f64 = 0.01;
/// Days kept in memory (about 1.2 MB each); the least recently used goes.
const MAX_DAYS: usize = 64;

/// The dedup key of a call: hash of its PBX and identity.
pub fn dedup_key(pbx_id: i64, identity: u64) -> i64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(&identity.to_le_bytes(), pbx_id as u64) as i64
}

fn bloom_hash(start_s: i64, dedup: i64) -> u64 {
    (dedup as u64) ^ (start_s as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

struct Day {
    filter: BloomFilter,
    last_used: u64,
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
            let mut filter =
                BloomFilter::with_false_pos(FALSE_POSITIVE_RATE).expected_items(DAY_CAPACITY);
            seed(&mut |s, d| {
                filter.insert_hash(bloom_hash(s, d));
            })?;
            self.days.insert(day, Day { filter, last_used: clock });
        }
        let entry = self.days.get_mut(&day).expect("inserted above");
        entry.last_used = clock;
        let maybe = entry.filter.insert_hash(bloom_hash(start_s, dedup));
        if maybe {
            self.exact_checks += 1;
        }
        Ok(maybe)
    }

    fn evict_oldest(&mut self) {
        if let Some(oldest) = self.days.iter().min_by_key(|(_, d)| d.last_used).map(|(k, _)| *k) {
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
    fn dedup_keys_depend_on_the_pbx() {
        assert_ne!(dedup_key(1, 7), dedup_key(2, 7));
        assert_eq!(dedup_key(1, 7), dedup_key(1, 7));
    }
}
