//! Pacing: a token bucket per connection, in exact integer arithmetic so
//! that no rounding drifts over a long run, and a pacer that hands out
//! batches rather than single records so that high rates do not cost one
//! wake-up and one write per record.

use std::time::{Duration, Instant};

/// Where the pacer reads the time from: the monotonic clock in a run, a
/// hand-moved one in tests.
pub trait Clock {
    /// Time since the clock's own origin.
    fn now(&self) -> Duration;
}

/// The process's monotonic clock, from when it was made.
pub struct MonotonicClock(Instant);

impl MonotonicClock {
    pub fn new() -> Self {
        MonotonicClock(Instant::now())
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// `records` tokens every `period`, holding at most `burst`. A token is
/// stored as `period` in nanoseconds of "units" and each nanosecond adds
/// `records` units, so any rational rate is exact.
#[derive(Debug)]
pub struct TokenBucket {
    records: u128,
    unit_per_token: u128,
    capacity: u128,
    units: u128,
    last: Duration,
}

impl TokenBucket {
    /// An empty bucket at time `now`; `records` and `period` must be
    /// non-zero, `burst` at least 1 (smaller values are raised).
    pub fn new(records: u64, period: Duration, burst: u64, now: Duration) -> Self {
        let unit_per_token = period.as_nanos().max(1);
        TokenBucket {
            records: u128::from(records.max(1)),
            unit_per_token,
            capacity: u128::from(burst.max(1)) * unit_per_token,
            units: 0,
            last: now,
        }
    }

    fn refill(&mut self, now: Duration) {
        let elapsed = now.saturating_sub(self.last).as_nanos();
        self.last = self.last.max(now);
        self.units = (self.units + elapsed * self.records).min(self.capacity);
    }

    /// Whole tokens available at `now`.
    pub fn available(&mut self, now: Duration) -> u64 {
        self.refill(now);
        u64::try_from(self.units / self.unit_per_token).unwrap_or(u64::MAX)
    }

    /// Takes up to `want` tokens at `now`; returns how many were taken.
    pub fn take(&mut self, now: Duration, want: u64) -> u64 {
        let taken = self.available(now).min(want);
        self.units -= u128::from(taken) * self.unit_per_token;
        taken
    }

    /// Returns `count` tokens taken and not used, up to the burst.
    pub fn give_back(&mut self, count: u64) {
        self.units = (self.units + u128::from(count) * self.unit_per_token).min(self.capacity);
    }

    /// How long after `now` until `count` tokens are available (zero if
    /// they are; `count` is capped at the burst).
    pub fn wait_for(&mut self, now: Duration, count: u64) -> Duration {
        self.refill(now);
        let needed = (u128::from(count) * self.unit_per_token).min(self.capacity);
        let missing = needed.saturating_sub(self.units);
        let nanos = missing.div_ceil(self.records);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// What the pacer allows now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Send this many records now.
    Send(u64),
    /// Nothing yet: ask again after this long.
    Wait(Duration),
}

/// Hands out batches of records at a rate: waits until a batch of at
/// least `min_batch` has accrued (about a hundredth of a second's worth),
/// so that a connection wakes at most about a hundred times a second.
pub struct Pacer<C: Clock> {
    clock: C,
    bucket: Option<TokenBucket>,
    min_batch: u64,
}

/// Wake-ups per second a paced connection aims at, at most.
const WAKEUPS_PER_SECOND: u64 = 100;
/// Seconds' worth of records a bucket may hold: how much a connection
/// catches up after a stall (a reconnect) before it is held to the rate.
const BURST_SECONDS_DIVISOR: u64 = 4;

impl<C: Clock> Pacer<C> {
    /// `records` every `period` (`records` = 0: as fast as possible).
    pub fn new(clock: C, records: u64, period: Duration) -> Self {
        if records == 0 {
            return Pacer { clock, bucket: None, min_batch: 1 };
        }
        // Records per second, rounded down; at least one per batch.
        let per_second =
            u64::try_from(u128::from(records) * 1_000_000_000 / period.as_nanos().max(1))
                .unwrap_or(u64::MAX);
        let min_batch = (per_second / WAKEUPS_PER_SECOND).max(1);
        let burst = (per_second / BURST_SECONDS_DIVISOR).max(min_batch);
        let now = clock.now();
        Pacer { bucket: Some(TokenBucket::new(records, period, burst, now)), clock, min_batch }
    }

    /// Up to `want` records now, or how long to wait.
    pub fn grant(&mut self, want: u64) -> Grant {
        let Some(bucket) = self.bucket.as_mut() else {
            return Grant::Send(want);
        };
        let now = self.clock.now();
        let batch = self.min_batch.min(want).max(1);
        if bucket.available(now) >= batch {
            return Grant::Send(bucket.take(now, want));
        }
        Grant::Wait(bucket.wait_for(now, batch))
    }

    /// Records granted and not sent (a batch cut short) go back.
    pub fn give_back(&mut self, count: u64) {
        if let Some(bucket) = self.bucket.as_mut() {
            bucket.give_back(count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    /// A clock the test moves by hand.
    #[derive(Clone, Default)]
    struct ManualClock(Rc<Cell<Duration>>);

    impl ManualClock {
        fn advance(&self, by: Duration) {
            self.0.set(self.0.get() + by);
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> Duration {
            self.0.get()
        }
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_bucket_fills_at_its_rate_and_holds_at_most_its_burst() {
        // 3 records every 2 s: 1.5 a second.
        let mut bucket = TokenBucket::new(3, 2 * 1000 * MS, 4, Duration::ZERO);
        assert_eq!(bucket.available(Duration::ZERO), 0);
        assert_eq!(bucket.available(666 * MS), 0);
        assert_eq!(bucket.available(667 * MS), 1);
        assert_eq!(bucket.take(2000 * MS, 10), 3);
        assert_eq!(bucket.available(2000 * MS), 0);
        // Long idle: capped at the burst.
        assert_eq!(bucket.available(60_000 * MS), 4);
    }

    #[test]
    fn a_fraction_of_a_token_carries_over_exactly() {
        // 1 record every 3 ns, asked every 1 ns for a million ns.
        let mut bucket = TokenBucket::new(1, Duration::from_nanos(3), 10, Duration::ZERO);
        let taken: u64 =
            (1..=1_000_000u64).map(|ns| bucket.take(Duration::from_nanos(ns), 1)).sum();
        assert_eq!(taken, 333_333);
    }

    #[test]
    fn wait_for_says_when_enough_has_accrued() {
        let mut bucket = TokenBucket::new(1000, 1000 * MS, 100, Duration::ZERO);
        assert_eq!(bucket.wait_for(Duration::ZERO, 10), 10 * MS);
        assert_eq!(bucket.wait_for(4 * MS, 10), 6 * MS);
        assert_eq!(bucket.wait_for(10 * MS, 10), Duration::ZERO);
        // More than the burst can ever hold: wait for a full bucket.
        assert_eq!(bucket.wait_for(10 * MS, 500), 90 * MS);
    }

    #[test]
    fn the_pacer_sends_batches_at_the_rate() {
        let clock = ManualClock::default();
        // 10,000 records a second: batches of at least 100.
        let mut pacer = Pacer::new(clock.clone(), 10_000, 1000 * MS);
        assert_eq!(pacer.grant(1000), Grant::Wait(10 * MS));
        clock.advance(5 * MS);
        assert_eq!(pacer.grant(1000), Grant::Wait(5 * MS));
        clock.advance(5 * MS);
        assert_eq!(pacer.grant(1000), Grant::Send(100));
        // A second of traffic asked for 1000 at a time, stepping 1 ms:
        // the records sent follow the rate, not the asking.
        let mut sent = 100;
        for _ in 0..1000 {
            clock.advance(MS);
            if let Grant::Send(n) = pacer.grant(1000) {
                sent += n;
            }
        }
        assert_eq!(sent, 10_100);
    }

    #[test]
    fn the_pacer_splits_a_total_rate_exactly() {
        // 1000 records a second over 3 connections: each gets 1000 every
        // 3 s, 1/3 a millisecond, sent in batches of 3 (333/s ÷ 100
        // wake-ups): after 30 s each has sent 9,999 and holds the 10,000th.
        let clock = ManualClock::default();
        let mut pacers: Vec<_> =
            (0..3).map(|_| Pacer::new(clock.clone(), 1000, 3000 * MS)).collect();
        let mut sent = 0;
        for _ in 0..30_000 {
            clock.advance(MS);
            for pacer in &mut pacers {
                if let Grant::Send(n) = pacer.grant(u64::MAX) {
                    sent += n;
                }
            }
        }
        assert_eq!(sent, 29_997);
        clock.advance(9 * MS);
        for pacer in &mut pacers {
            assert_eq!(pacer.grant(u64::MAX), Grant::Send(4));
        }
    }

    #[test]
    fn rate_zero_is_unpaced_and_a_short_ask_is_not_held_back() {
        let mut free = Pacer::new(ManualClock::default(), 0, 1000 * MS);
        assert_eq!(free.grant(12_345), Grant::Send(12_345));
        let clock = ManualClock::default();
        let mut paced = Pacer::new(clock.clone(), 10_000, 1000 * MS);
        // The last 7 records of a run need not wait for a batch of 100.
        assert_eq!(paced.grant(7), Grant::Wait(Duration::from_micros(700)));
        clock.advance(Duration::from_micros(700));
        assert_eq!(paced.grant(7), Grant::Send(7));
    }
}
