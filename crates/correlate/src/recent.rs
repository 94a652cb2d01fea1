//! The recent ordinary legs of vendors whose records name their part
//! (CUCM): most calls are one ordinary record, and holding each in the
//! correlator's maps (its keys indexed, then removed when due) cost more
//! than the rest of correlation. Such a leg only matters if a later leg
//! ties to it (a barge into the call, its recording), so it waits here: a
//! ring of legs in the order they came, and a table from key to place,
//! overwritten on collision. A leg tying to one takes it out, into a call.
//!
//! A leg here is forgotten when the correlator would forget it as a call
//! of its own ([`Recent::expire`]: `Config::plain_window` after it ended),
//! or, past the ring's capacity, oldest first. The ring grows to what the
//! traffic keeps within that window, not to its capacity: before it grows,
//! the legs due by the latest end put are forgotten (the correlator's
//! clock moves only once per batch of legs, and a batch may span hours of
//! traffic). What is held then stays in the processor's caches, where a
//! ring of the capacity would be written through tens of megabytes.
//! Carried over a restart in the correlator's snapshot.

use crate::leg::{Key, Leg};
use crate::nearby;
use cdr::Timestamp;
use jiff::SignedDuration;

pub(crate) struct Recent {
    /// The leg put as number `seq` is at `seq & (legs.len() - 1)`, for
    /// `first <= seq < next` (`None` once taken out). A power of two long,
    /// grown by doubling when full, up to the capacity.
    legs: Vec<Option<Leg>>,
    /// Beside each place, what forgetting its leg needs without reading
    /// it (a leg is over 300 bytes, long out of the processor's caches
    /// when it is forgotten): its end, and what it holds.
    places: Vec<(Timestamp, Held)>,
    capacity: usize,
    /// How long after its end a leg is remembered.
    window: SignedDuration,
    /// The latest end of the legs put.
    latest: Timestamp,
    first: u64,
    next: u64,
    /// (the key's `nearby::tag`, the low half of the seq of the leg put
    /// with it), at the key's `nearby::place`: four places a leg's place.
    /// Half the size of whole keys and seqs, so that it stays in the
    /// processor's cache (it is probed for every key of every leg); a leg
    /// found is checked to hold the key, so a tag that matches by chance
    /// finds nothing.
    table: Vec<(u32, u32)>,
    mask: usize,
}

/// What a place of the ring holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// No leg (never put, taken out or forgotten).
    Nothing,
    /// A leg that owns no memory of its own (`Leg::owns_memory`): dropping
    /// it frees nothing.
    Inline,
    /// A leg that does.
    Owning,
}

/// Places the ring starts with.
const FIRST_LENGTH: usize = 1024;

impl Recent {
    /// Room for `capacity` legs (none: every leg goes to the maps), each
    /// remembered `window` after it ended.
    pub(crate) fn new(capacity: usize, window: SignedDuration) -> Recent {
        Recent {
            legs: Vec::new(),
            places: Vec::new(),
            capacity,
            window,
            latest: Timestamp::MIN,
            first: 0,
            next: 0,
            table: Vec::new(),
            mask: 0,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    fn held(&self) -> usize {
        (self.next - self.first) as usize
    }

    fn place(&self, seq: u64) -> usize {
        seq as usize & (self.legs.len() - 1)
    }

    /// Keeps `leg`, dropping the oldest if full.
    pub(crate) fn put(&mut self, leg: Leg) {
        self.latest = self.latest.max(leg.end);
        let full = |r: &Recent| r.held() == r.legs.len() || r.held() == r.capacity;
        if full(self) {
            self.expire(self.latest);
        }
        if full(self) {
            if self.legs.len() < self.capacity {
                self.grow();
            } else {
                self.drop_first();
            }
        }
        let seq = self.next;
        self.next += 1;
        self.index(&leg, seq);
        let at = self.place(seq);
        let held = if leg.owns_memory() { Held::Owning } else { Held::Inline };
        self.places[at] = (leg.end, held);
        self.legs[at] = Some(leg);
    }

    fn index(&mut self, leg: &Leg, seq: u64) {
        for key in &leg.keys {
            self.table[nearby::place(*key, self.mask)] = (nearby::tag(*key), seq as u32);
        }
    }

    /// Twice the places (the table too), the legs held moved to theirs.
    fn grow(&mut self) {
        let length = (self.legs.len() * 2).max(FIRST_LENGTH).min(self.capacity.next_power_of_two());
        let mut legs: Vec<Option<Leg>> = Vec::with_capacity(length);
        legs.resize_with(length, || None);
        let mut old = std::mem::replace(&mut self.legs, legs);
        let old_places =
            std::mem::replace(&mut self.places, vec![(Timestamp::MIN, Held::Nothing); length]);
        self.mask = length * 4 - 1;
        self.table = vec![(0, 0); self.mask + 1];
        let old_mask = old.len().wrapping_sub(1);
        for seq in self.first..self.next {
            let from = seq as usize & old_mask;
            if let Some(leg) = old[from].take() {
                self.index(&leg, seq);
                let at = self.place(seq);
                self.legs[at] = Some(leg);
                self.places[at] = old_places[from];
            }
        }
    }

    fn drop_first(&mut self) {
        let at = self.place(self.first);
        match self.places[at].1 {
            Held::Nothing => {}
            Held::Owning => self.legs[at] = None,
            // SAFETY: the place is a valid, aligned `Option<Leg>`; writing
            // over it without dropping the leg it holds leaks nothing, as
            // that leg owns no memory (`Leg::owns_memory`). Dropping it
            // would read every one of its texts again to learn as much.
            Held::Inline => unsafe { std::ptr::write(&mut self.legs[at], None) },
        }
        self.places[at].1 = Held::Nothing;
        self.first += 1;
    }

    /// Forgets the legs, oldest first, that ended the window or longer
    /// before `now` (up to the first that did not: the ring is in the order
    /// legs came, which is nearly that of their ends).
    pub(crate) fn expire(&mut self, now: Timestamp) {
        let window = self.window;
        let due = |end: Timestamp| end.checked_add(window).is_ok_and(|t| t <= now);
        while self.first < self.next {
            let (end, held) = self.places[self.place(self.first)];
            if held != Held::Nothing && !due(end) {
                break;
            }
            self.drop_first();
        }
    }

    /// The leg `id`, if it is here (a scan: for looking one call up, not
    /// for every record).
    pub(crate) fn get(&self, id: u64) -> Option<&Leg> {
        self.legs().find(|leg| leg.id == id)
    }

    /// The legs here, oldest first.
    pub(crate) fn legs(&self) -> impl Iterator<Item = &Leg> {
        (self.first..self.next).filter_map(|seq| self.legs[self.place(seq)].as_ref())
    }

    /// Takes out the leg holding `key`, if one is here.
    pub(crate) fn take(&mut self, key: Key) -> Option<Leg> {
        if self.table.is_empty() {
            return None;
        }
        let (high, low) = self.table[nearby::place(key, self.mask)];
        // The seq is the one below `next` with that low half.
        let back = u64::from((self.next as u32).wrapping_sub(low));
        if high != nearby::tag(key) || back == 0 || back > self.next - self.first {
            return None;
        }
        let seq = self.next - back;
        let at = self.place(seq);
        let slot = &mut self.legs[at];
        if !slot.as_ref().is_some_and(|leg| leg.keys.contains(&key)) {
            return None;
        }
        self.places[at].1 = Held::Nothing;
        slot.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leg::{Party, Sign};

    fn leg(id: u64, end: i64) -> Leg {
        Leg {
            id,
            pbx: "pbx".into(),
            start: Timestamp::from_second(end - 60).unwrap(),
            end: Timestamp::from_second(end).unwrap(),
            answered: true,
            calling: Party::default(),
            called: Party::default(),
            original_called: Party::default(),
            redirecting: Party::default(),
            keys: [id * 2 + 1, id * 2 + 2].into_iter().collect(),
            sides: 0,
            origin: None,
            near: Default::default(),
            sign: Sign::default(),
        }
    }

    fn ids(recent: &Recent) -> Vec<u64> {
        recent.legs().map(|l| l.id).collect()
    }

    #[test]
    fn the_ring_grows_to_its_capacity_then_drops_the_oldest() {
        let capacity = 3 * FIRST_LENGTH;
        let mut recent = Recent::new(capacity, SignedDuration::from_hours(1));
        for id in 0..capacity as u64 {
            recent.put(leg(id, 1_000));
        }
        assert_eq!(ids(&recent), (0..capacity as u64).collect::<Vec<_>>(), "all kept, in order");
        // Each findable by each of its keys after the ring grew.
        assert_eq!(recent.take(7).map(|l| l.id), Some(3));
        assert_eq!(recent.take(capacity as u64 * 2).map(|l| l.id), Some(capacity as u64 - 1));
        assert_eq!(recent.take(7), None, "taken out");
        // Full (a place taken out still counts): each leg put drops the
        // oldest.
        recent.put(leg(capacity as u64, 1_000));
        recent.put(leg(capacity as u64 + 1, 1_000));
        assert_eq!(ids(&recent).first(), Some(&2));
        assert_eq!(ids(&recent).len(), capacity - 2, "two places of the ring taken out");
        assert_eq!(recent.take(1), None, "leg 0 dropped");
        assert_eq!(recent.take(5).map(|l| l.id), Some(2));
        assert_eq!(recent.take(capacity as u64 * 2 + 3).map(|l| l.id), Some(capacity as u64 + 1));
    }

    #[test]
    fn legs_owning_memory_and_legs_that_do_not_are_forgotten_alike() {
        let mut recent = Recent::new(65_536, SignedDuration::from_mins(10));
        let long = "0033123456789012345678901234567890";
        for id in 0..3_000u64 {
            let mut leg = leg(id, 1_000 + id as i64);
            if id % 3 == 0 {
                leg.calling.number = long.into();
                assert!(leg.owns_memory());
            } else {
                assert!(!leg.owns_memory());
            }
            recent.put(leg);
        }
        // Taken out, then forgotten with the rest: nothing is dropped twice.
        assert_eq!(recent.take(2 * 2_400 + 1).map(|l| l.calling.number.len()), Some(long.len()));
        recent.expire(Timestamp::from_second(1_000 + 2_500 + 600).unwrap());
        assert_eq!(ids(&recent), (2_501..3_000).collect::<Vec<_>>());
        assert!(recent.legs().filter(|l| l.id % 3 == 0).all(|l| l.calling.number == long));
        recent.expire(Timestamp::from_second(100_000).unwrap());
        assert!(ids(&recent).is_empty());
    }

    #[test]
    fn legs_are_forgotten_a_window_after_they_ended() {
        let mut recent = Recent::new(65_536, SignedDuration::from_mins(10));
        for id in 0..10 {
            recent.put(leg(id, 1_000 + id as i64 * 60));
        }
        // Leg 2 ended at 1_120: due at 1_720.
        recent.expire(Timestamp::from_second(1_720).unwrap());
        assert_eq!(ids(&recent), (3..10).collect::<Vec<_>>());
        assert_eq!(recent.take(5), None, "leg 2 forgotten");
        assert_eq!(recent.take(7).map(|l| l.id), Some(3));
        recent.expire(Timestamp::from_second(100_000).unwrap());
        assert!(ids(&recent).is_empty());
        // Put after everything expired: the places are reused.
        recent.put(leg(50, 200_000));
        assert_eq!(ids(&recent), [50]);
        assert_eq!(recent.take(101).map(|l| l.id), Some(50));
    }

    #[test]
    fn before_growing_the_ring_forgets_the_legs_due_by_the_latest_end_put() {
        let mut recent = Recent::new(65_536, SignedDuration::from_mins(10));
        // A leg ending every second for an hour: the ring holds the last
        // ten minutes' and a ring's length more at most, never an hour's.
        for id in 0..3_600 {
            recent.put(leg(id, 1_000 + id as i64));
            assert!(recent.legs.len() <= 1_024, "grew to {} places", recent.legs.len());
        }
        let kept = ids(&recent);
        assert_eq!(kept.last(), Some(&3_599));
        assert!(kept.len() >= 600 && kept.len() <= 1_024, "{} kept", kept.len());
        // Those within the window of the latest end are all there.
        assert!((3_000..3_600).all(|id| kept.contains(&id)));
    }
}
