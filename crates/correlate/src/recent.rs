//! The recent ordinary legs of vendors whose records name their part
//! (CUCM): most calls are one ordinary record, and holding each in the
//! correlator's maps (its keys indexed, then removed when due) cost more
//! than the rest of correlation. Such a leg only matters if a later leg
//! ties to it (a barge into the call, its recording), so it waits here: a
//! ring of legs, overwritten oldest first, and a table from key to place,
//! overwritten on collision. A leg tying to one takes it out, into a call.
//! Carried over a restart in the correlator's snapshot.

use crate::leg::{Key, Leg};

pub(crate) struct Recent {
    /// Grows to `capacity`, then is overwritten from `next` on.
    legs: Vec<Option<Leg>>,
    capacity: usize,
    next: usize,
    /// (key, place in `legs`), at `key & mask`.
    table: Vec<(Key, u32)>,
    mask: usize,
}

impl Recent {
    /// Room for `capacity` legs (none: every leg goes to the maps).
    pub(crate) fn new(capacity: usize) -> Recent {
        let capacity = capacity.min(u32::MAX as usize - 1);
        let slots = (capacity * 4).next_power_of_two().max(1);
        Recent { legs: Vec::new(), capacity, next: 0, table: Vec::new(), mask: slots - 1 }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Keeps `leg`, dropping the oldest if full.
    pub(crate) fn put(&mut self, leg: Leg) {
        if self.table.is_empty() {
            self.table = vec![(0, u32::MAX); self.mask + 1];
            // At once: growing by doubling would copy the legs held each
            // time.
            self.legs.reserve_exact(self.capacity);
        }
        let at = self.next;
        self.next = (at + 1) % self.capacity;
        for key in &leg.keys {
            self.table[*key as usize & self.mask] = (*key, at as u32);
        }
        if at < self.legs.len() {
            self.legs[at] = Some(leg);
        } else {
            self.legs.push(Some(leg));
        }
    }

    /// The leg `id`, if it is here (a scan: for looking one call up, not
    /// for every record).
    pub(crate) fn get(&self, id: u64) -> Option<&Leg> {
        self.legs.iter().flatten().find(|leg| leg.id == id)
    }

    /// The legs here, oldest first.
    pub(crate) fn legs(&self) -> impl Iterator<Item = &Leg> {
        let (newer, older) = self.legs.split_at(self.next.min(self.legs.len()));
        older.iter().chain(newer).flatten()
    }

    /// Takes out the leg holding `key`, if one is here.
    pub(crate) fn take(&mut self, key: Key) -> Option<Leg> {
        if self.table.is_empty() {
            return None;
        }
        let (held, at) = self.table[key as usize & self.mask];
        if held != key || at == u32::MAX {
            return None;
        }
        let slot = self.legs.get_mut(at as usize)?;
        if slot.as_ref().is_some_and(|leg| leg.keys.contains(&key)) { slot.take() } else { None }
    }
}
