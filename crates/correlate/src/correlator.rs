//! The correlation engine: legs come one by one, in any order, hours apart;
//! each is joined to the call it belongs to (through the keys legs share)
//! and the call's attribution is given again, whole, every time it
//! changes, so whoever stores it can simply overwrite (idempotent).
//!
//! Memory is bounded two ways. In time: a call is *complete* once no leg
//! waits for a continuation and [`Config::settle`] has passed since its
//! last leg ended; a call without any feature is forgotten
//! [`Config::plain_window`] after its end, one with a feature
//! [`Config::window`] after its first start (a late leg within that time
//! re-opens it). A complete call remembered past its completion (one with
//! a feature) holds its legs packed (`crate::packed`) until a leg re-opens
//! it. In size: past [`Config::max_legs`] the calls due soonest are
//! forgotten first. The clock is the records' own time
//! ([`Correlator::advance`]), so a replay correlates as the live run did.
//! A leg that arrives after its call was forgotten starts a call of its
//! own. [`Correlator::snapshot`] and [`Correlator::restore`] carry the
//! state over a restart.

use crate::call::{LogicalCall, attribute};
use crate::leg::{Key, Leg, Near, Part};
use crate::nearby::NearbyMap;
use crate::packed;
use crate::recent::Recent;
use crate::rules::Rules;
use cdr::Timestamp;
use jiff::SignedDuration;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// How long calls are remembered, and how many legs at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// A call with a feature is remembered this long after its first leg
    /// started: its legs may arrive this far apart.
    #[serde(with = "seconds")]
    pub window: SignedDuration,
    /// A call is complete this long after its last leg ended, when no leg
    /// waits for a continuation.
    #[serde(with = "seconds")]
    pub settle: SignedDuration,
    /// A call without any feature (one ordinary leg) is remembered this
    /// long after it ended, for a barge or a recording leg written later.
    #[serde(with = "seconds")]
    pub plain_window: SignedDuration,
    /// Most legs held; past it the calls due soonest are forgotten.
    pub max_legs: usize,
    /// Ordinary legs of vendors that name their records' parts, kept aside
    /// in case a later leg ties to them (see `crate::recent`).
    pub recent_plain_legs: usize,
    /// How far apart two times may be and still agree, for legs tied by
    /// their times ([`Leg::near`]): a minute, as Avaya writes times.
    #[serde(with = "seconds")]
    pub near_tolerance: SignedDuration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            window: SignedDuration::from_hours(48),
            settle: SignedDuration::from_mins(10),
            plain_window: SignedDuration::from_mins(10),
            max_legs: 500_000,
            recent_plain_legs: 65_536,
            near_tolerance: SignedDuration::from_secs(60),
        }
    }
}

mod seconds {
    use jiff::SignedDuration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &SignedDuration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SignedDuration, D::Error> {
        Ok(SignedDuration::from_secs(i64::deserialize(d)?))
    }
}

/// One call being remembered (the maps hold hundreds of thousands: it is
/// kept small).
#[derive(Debug)]
struct Open {
    legs: Legs,
    /// Told complete already (so it is told again only if it changes).
    complete: bool,
    /// When it is forgotten, and completes (see `Correlator::schedule`).
    due: Timestamp,
    completes: Option<Timestamp>,
}

/// A call's legs.
#[derive(Debug)]
enum Legs {
    Unpacked(Vec<Leg>),
    /// A complete call's, packed (see `crate::packed`); unpacked when a
    /// leg joins the call again.
    Packed(Box<[u8]>),
}

/// A call remembered, as a snapshot holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Held {
    legs: Vec<Leg>,
    complete: bool,
}

impl Open {
    fn len(&self) -> usize {
        match &self.legs {
            Legs::Unpacked(legs) => legs.len(),
            Legs::Packed(bytes) => packed::count(bytes),
        }
    }

    /// The legs, unpacked for the occasion if they are packed.
    fn legs(&self) -> Cow<'_, [Leg]> {
        match &self.legs {
            Legs::Unpacked(legs) => Cow::Borrowed(legs),
            Legs::Packed(bytes) => Cow::Owned(packed::unpack(bytes)),
        }
    }

    /// The legs, unpacked, to change them.
    fn legs_mut(&mut self) -> &mut Vec<Leg> {
        if let Legs::Packed(bytes) = &self.legs {
            self.legs = Legs::Unpacked(packed::unpack(bytes));
        }
        match &mut self.legs {
            Legs::Unpacked(legs) => legs,
            Legs::Packed(_) => unreachable!("unpacked just now"),
        }
    }

    /// The legs, taken out (unpacked).
    fn into_legs(self) -> Vec<Leg> {
        match self.legs {
            Legs::Unpacked(legs) => legs,
            Legs::Packed(bytes) => packed::unpack(&bytes),
        }
    }

    /// Packs the legs of the call, complete, if it is remembered past
    /// `past`: then they are read again only if a leg re-opens it, or when
    /// it is forgotten. A call without a feature is forgotten as it
    /// completes, or soon after: packing it would be work for nothing.
    fn pack_if_remembered_past(&mut self, past: Timestamp) {
        if let Legs::Unpacked(legs) = &self.legs
            && self.due > past
        {
            self.legs = Legs::Packed(packed::pack(legs));
        }
    }

    /// The legs, when they are unpacked (they are once a leg joined).
    fn unpacked(&self) -> &[Leg] {
        match &self.legs {
            Legs::Unpacked(legs) => legs,
            Legs::Packed(_) => unreachable!("a call is scheduled only once a leg joined it"),
        }
    }

    fn first_start(&self) -> Timestamp {
        self.unpacked().iter().map(|l| l.start).min().unwrap_or_default()
    }

    fn last_end(&self) -> Timestamp {
        self.unpacked().iter().map(|l| l.end).max().unwrap_or_default()
    }

    fn has_feature(&self) -> bool {
        self.unpacked().iter().any(|l| !l.sign.features.is_empty() || l.sign.part != Part::Ordinary)
    }

    /// The call attributed as it stands, saying whether it is complete.
    fn attributed(&self, rules: &Rules) -> LogicalCall {
        let legs = self.legs();
        let mut logical = attribute(&legs.iter().collect::<Vec<_>>(), rules);
        logical.complete = self.complete;
        logical
    }

    /// A leg says the call goes on elsewhere, and no leg carries it on yet.
    fn waits(&self) -> bool {
        let continued = |l: &Leg| {
            matches!(l.sign.part, Part::Transferred | Part::ConferenceLeg | Part::Retrieved)
        };
        let legs = self.unpacked();
        legs.iter().any(|l| l.sign.continues) && !legs.iter().any(continued)
    }

    /// When it is forgotten.
    fn due_time(&self, config: &Config) -> Timestamp {
        let due = if self.has_feature() {
            self.first_start().checked_add(config.window)
        } else {
            self.last_end().checked_add(config.plain_window)
        };
        due.unwrap_or(Timestamp::MAX)
    }

    /// When it completes, unless a leg waits for its continuation.
    fn completion_time(&self, config: &Config) -> Option<Timestamp> {
        if self.waits() {
            return None;
        }
        Some(self.last_end().checked_add(config.settle).unwrap_or(Timestamp::MAX))
    }
}

/// The state carried over a restart.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Snapshot {
    calls: Vec<Held>,
    now: Option<Timestamp>,
    /// The plain legs set aside, oldest first.
    #[serde(default)]
    recent: Vec<Leg>,
}

/// Most legs a call tied by times alone may reach (see `Correlator::join`):
/// more than a conference's trunks or a chain of transfers and forwards
/// make.
const MAX_NEAR_CALL_LEGS: usize = 16;

/// The second `t` falls in (rounded up, so nothing is taken early).
fn second_of(t: Timestamp) -> i64 {
    let s = t.as_second();
    if t.subsec_nanosecond() > 0 { s + 1 } else { s }
}

/// What [`Correlator::add`] made of a leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// Given already: nothing changes.
    Repeated,
    /// A call of its own with nothing to say (one ordinary leg, billed and
    /// counted as a call on its own is): nothing to record.
    Alone,
    /// The call it is part of, attributed, as it stands now.
    Call(LogicalCall),
}

impl Added {
    /// The call, when there is one to record.
    pub fn call(self) -> Option<LogicalCall> {
        match self {
            Added::Call(call) => Some(call),
            Added::Repeated | Added::Alone => None,
        }
    }
}

/// A call held by the correlator, as [`Correlator::join`] names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallRef(u64);

/// What [`Correlator::join`] made of a leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// Given already: nothing changes.
    Repeated,
    /// A call of its own with nothing to say (see [`Added::Alone`]).
    Alone,
    /// Part of this call, which changed.
    Call(CallRef),
}

/// What [`Correlator::advance`] did.
#[derive(Debug, Default)]
pub struct Advanced {
    /// Calls that became complete, attributed.
    pub completed: Vec<LogicalCall>,
    /// Legs forgotten (their calls are final).
    pub forgotten_legs: usize,
}

/// A leg held under one of its near keys.
#[derive(Debug, Clone, Copy)]
struct NearLeg {
    leg: u64,
    near: Near,
    start: Timestamp,
    end: Timestamp,
}

impl NearLeg {
    /// Whether `leg`, sharing the key, is of the same call.
    fn agrees(&self, leg: &Leg, near: Near, tolerance: SignedDuration) -> bool {
        if near != self.near {
            return false;
        }
        let close = |a: Timestamp, b: Timestamp| a.duration_since(b).abs() <= tolerance;
        match near {
            Near::Span => close(self.start, leg.start) && close(self.end, leg.end),
            Near::Touch => {
                leg.start.duration_since(self.end) <= tolerance
                    && self.start.duration_since(leg.end) <= tolerance
            }
        }
    }
}

/// Joins legs into logical calls; see the module doc.
pub struct Correlator {
    rules: Rules,
    config: Config,
    /// Calls by a number of their own (not their id, which changes as
    /// earlier legs arrive).
    calls: NearbyMap<Open>,
    next_slot: u64,
    /// Every key of every remembered leg → its call's slot.
    by_key: NearbyMap<u64>,
    /// Leg id → slot, to recognise a leg given twice.
    by_leg: NearbyMap<u64>,
    /// Every near key of every remembered leg → those legs and their times.
    by_near: FxHashMap<Key, Vec<NearLeg>>,
    /// Slots by the second their call is forgotten, and completes: the
    /// clock takes them in order. A call whose time moved stays filed under
    /// the old second too, and is checked against its own time when taken.
    forgetting: BTreeMap<i64, Vec<u64>>,
    completing: BTreeMap<i64, Vec<u64>>,
    legs: usize,
    /// The tables are the size of the bound (`size_for_the_bound`).
    sized: bool,
    now: Option<Timestamp>,
    recent: Recent,
}

impl Correlator {
    pub fn new(rules: Rules, config: Config) -> Correlator {
        Correlator {
            rules,
            config,
            calls: NearbyMap::default(),
            next_slot: 0,
            by_key: NearbyMap::default(),
            by_leg: NearbyMap::default(),
            by_near: FxHashMap::default(),
            forgetting: BTreeMap::new(),
            completing: BTreeMap::new(),
            legs: 0,
            sized: false,
            now: None,
            recent: Recent::new(config.recent_plain_legs, config.plain_window),
        }
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Legs held now.
    pub fn legs_held(&self) -> usize {
        self.legs
    }

    /// Calls held now.
    pub fn calls_held(&self) -> usize {
        self.calls.len()
    }

    /// Joins `leg` to its call, and attributes the call (see [`Added`]).
    pub fn add(&mut self, leg: Leg) -> Added {
        match self.join(leg) {
            Joined::Repeated => Added::Repeated,
            Joined::Alone => Added::Alone,
            Joined::Call(call) => {
                Added::Call(self.attribution(call).expect("a call just joined is held"))
            }
        }
    }

    /// Joins `leg` to its call without attributing it: for a writer that
    /// adds a batch of legs, then attributes each call they touched once
    /// ([`Correlator::attribution`]).
    pub fn join(&mut self, leg: Leg) -> Joined {
        let mut slots: Vec<u64> = Vec::new();
        for key in &leg.keys {
            slots.extend(self.by_key.get(key));
        }
        // A leg held is under every one of its keys (legs sharing a key are
        // one call): one with keys, none of them held, is not (most legs;
        // the look-up is a miss in a large table).
        let maybe_held = !slots.is_empty() || leg.keys.is_empty() || !leg.near.is_empty();
        if maybe_held && self.by_leg.contains_key(&leg.id) {
            return Joined::Repeated;
        }
        // Ties by times are guesses: one that would make a call larger than
        // any a PBX makes is not taken (else busy trunks and extensions
        // chain unrelated calls into one, which grows without end).
        let mut near_legs = 0;
        for (key, near) in &leg.near {
            for held in self.by_near.get(key).into_iter().flatten() {
                if !held.agrees(&leg, *near, self.config.near_tolerance) {
                    continue;
                }
                let Some(&slot) = self.by_leg.get(&held.leg) else { continue };
                if slots.contains(&slot) {
                    continue;
                }
                let legs = self.calls.get(&slot).map_or(0, Open::len);
                if near_legs + legs < MAX_NEAR_CALL_LEGS {
                    near_legs += legs;
                    slots.push(slot);
                }
            }
        }
        // Plain legs set aside that this one ties to join its call.
        let mut recent = Vec::new();
        for key in &leg.keys {
            recent.extend(self.recent.take(*key));
        }
        // Set aside longer ago than a plain call is remembered: not this
        // leg's (ids come round again).
        let window = self.config.plain_window;
        recent.retain(|plain: &Leg| plain.end.checked_add(window).is_ok_and(|t| t >= leg.start));
        if recent.iter().any(|plain| plain.id == leg.id) {
            // This very leg, set aside before: given again.
            for plain in recent {
                self.recent.put(plain);
            }
            return Joined::Repeated;
        }
        let aside = leg.sign.explicit && leg.is_plain() && leg.near.is_empty();
        if aside && slots.is_empty() && recent.is_empty() && self.recent.capacity() > 0 {
            self.recent.put(leg);
            return Joined::Alone;
        }
        slots.sort_unstable();
        slots.dedup();
        let mut slots = slots.into_iter();
        let slot = match slots.next() {
            Some(slot) => slot,
            None => {
                self.next_slot += 1;
                // Room for one leg when this one is plain (most calls held
                // are one leg: vectors made for four held four times the
                // memory), for four when it shows a feature (a transfer
                // is three legs, a conference more: grown by doubling,
                // each leg was copied again into fresh memory); a call
                // with a feature has its legs packed, exactly, once
                // complete.
                let room = if leg.is_plain() { 1 } else { 4 };
                let open = Open {
                    legs: Legs::Unpacked(Vec::with_capacity(room.max(recent.len() + 1))),
                    complete: false,
                    due: Timestamp::MAX,
                    completes: None,
                };
                self.calls.insert(self.next_slot, open);
                self.next_slot
            }
        };
        // The leg ties calls that were apart: one call now.
        for other in slots {
            if let Some(merged) = self.calls.remove(&other) {
                let merged = merged.into_legs();
                for l in &merged {
                    self.index(l, slot);
                }
                self.calls.get_mut(&slot).expect("slot exists").legs_mut().extend(merged);
            }
        }
        for plain in recent {
            self.index(&plain, slot);
            self.legs += 1;
            self.calls.get_mut(&slot).expect("slot exists").legs_mut().push(plain);
        }
        self.index(&leg, slot);
        self.legs += 1;
        let call = self.calls.get_mut(&slot).expect("slot exists");
        call.complete = false;
        let legs = call.legs_mut();
        legs.push(leg);
        let joined = match &legs[..] {
            [only] if only.is_plain() => Joined::Alone,
            _ => Joined::Call(CallRef(slot)),
        };
        self.schedule(slot);
        if self.legs > self.config.max_legs {
            self.forget_soonest_due();
        }
        if !self.sized && self.legs >= self.config.max_legs / 4 {
            self.size_for_the_bound();
        }
        joined
    }

    /// Once the traffic fills a quarter of the bound, the tables are made
    /// the size the bound needs (about three keys a leg, two or three legs
    /// a call), at once: grown by doubling, the largest tables of the
    /// process were rehashed again and again, each time into fresh memory.
    /// Not from the start: a small site, or a test, would touch tens of
    /// megabytes it never needs.
    fn size_for_the_bound(&mut self) {
        let bound = self.config.max_legs;
        let reserve = |have: usize, want: usize| want.saturating_sub(have);
        self.by_key.reserve(reserve(self.by_key.len(), bound.saturating_mul(3)));
        self.by_leg.reserve(reserve(self.by_leg.len(), bound));
        self.calls.reserve(reserve(self.calls.len(), bound / 4));
        self.sized = true;
    }

    /// The call `call` attributed as it stands now; `None` once it was
    /// merged into another (a leg tying it to one joined after it: that
    /// call was touched too) or forgotten.
    pub fn attribution(&self, call: CallRef) -> Option<LogicalCall> {
        Some(self.calls.get(&call.0)?.attributed(&self.rules))
    }

    fn index(&mut self, leg: &Leg, slot: u64) {
        for key in &leg.keys {
            self.by_key.insert(*key, slot);
        }
        // Held by leg id: a merge moves the leg's slot, not these.
        if self.by_leg.insert(leg.id, slot).is_none() {
            for (key, near) in &leg.near {
                let held = NearLeg { leg: leg.id, near: *near, start: leg.start, end: leg.end };
                self.by_near.entry(*key).or_default().push(held);
            }
        }
    }

    /// Files the call's forgetting, and its completion unless it is
    /// complete, when they changed.
    fn schedule(&mut self, slot: u64) {
        let Some(call) = self.calls.get_mut(&slot) else { return };
        let due = call.due_time(&self.config);
        if due != call.due {
            call.due = due;
            self.forgetting.entry(second_of(due)).or_default().push(slot);
        }
        let completes = if call.complete { None } else { call.completion_time(&self.config) };
        if completes != call.completes {
            call.completes = completes;
            if let Some(at) = completes {
                self.completing.entry(second_of(at)).or_default().push(slot);
            }
        }
    }

    /// Moves the clock to `now` (the records' time: the latest end seen,
    /// or the wall clock when records stop coming): the calls that became
    /// complete, and forgets the calls that are due.
    pub fn advance(&mut self, now: Timestamp) -> Advanced {
        self.move_clock(now, true)
    }

    /// [`Correlator::advance`] for a caller that records every call as it
    /// changes ([`Correlator::join`], [`Correlator::attribution`]): calls
    /// are marked complete but not attributed again. Returns the legs
    /// forgotten.
    pub fn advance_quietly(&mut self, now: Timestamp) -> usize {
        self.move_clock(now, false).forgotten_legs
    }

    fn move_clock(&mut self, now: Timestamp, attribute_completed: bool) -> Advanced {
        let now = self.now.map_or(now, |n| n.max(now));
        self.now = Some(now);
        // Plain legs set aside are forgotten as plain calls held are.
        self.recent.expire(now);
        let mut advanced = Advanced::default();
        let second = second_of(now);
        let remembered_past = self.remembered_past(now);
        while let Some(entry) = self.completing.first_entry() {
            if *entry.key() > second {
                break;
            }
            for slot in entry.remove() {
                let Some(call) = self.calls.get_mut(&slot) else { continue };
                if call.completes.is_none_or(|at| at > now) {
                    continue; // complete, or filed again under a later second
                }
                call.complete = true;
                call.completes = None;
                if attribute_completed {
                    advanced.completed.push(call.attributed(&self.rules));
                }
                call.pack_if_remembered_past(remembered_past);
            }
        }
        while let Some(entry) = self.forgetting.first_entry() {
            if *entry.key() > second {
                break;
            }
            for slot in entry.remove() {
                let Some(call) = self.calls.get(&slot) else { continue };
                if call.due > now {
                    continue; // filed again under a later second
                }
                advanced.forgotten_legs += self.forget(slot);
            }
        }
        advanced.completed.sort_by_key(|c| c.id);
        advanced
    }

    /// A call completing at `now` and due after this is remembered past
    /// its completion (see `Open::pack_if_remembered_past`).
    fn remembered_past(&self, now: Timestamp) -> Timestamp {
        now.checked_add(self.config.settle).unwrap_or(Timestamp::MAX)
    }

    fn forget(&mut self, slot: u64) -> usize {
        let Some(call) = self.calls.remove(&slot) else { return 0 };
        let legs = call.legs();
        for leg in legs.iter() {
            for key in &leg.keys {
                if self.by_key.get(key) == Some(&slot) {
                    self.by_key.remove(key);
                }
            }
            self.by_leg.remove(&leg.id);
            for (key, _) in &leg.near {
                if let Some(held) = self.by_near.get_mut(key) {
                    held.retain(|h| h.leg != leg.id);
                    if held.is_empty() {
                        self.by_near.remove(key);
                    }
                }
            }
        }
        self.legs -= legs.len();
        legs.len()
    }

    /// Over the size bound: forgets the calls due soonest, down to nine
    /// tenths of the bound (so it does not run at every leg).
    fn forget_soonest_due(&mut self) {
        let target = self.config.max_legs / 10 * 9;
        while self.legs > target {
            let Some((second, slots)) = self.forgetting.pop_first() else { break };
            for slot in slots {
                match self.calls.get(&slot) {
                    Some(call) if second_of(call.due) == second => {
                        self.forget(slot);
                    }
                    // Filed under another second since.
                    _ => {}
                }
            }
        }
    }

    /// The call `leg_id` is part of, attributed, if it is remembered.
    pub fn call_of(&self, leg_id: u64) -> Option<LogicalCall> {
        let Some(slot) = self.by_leg.get(&leg_id) else {
            let plain = self.recent.get(leg_id)?;
            let mut logical = attribute(&[plain], &self.rules);
            logical.complete = true;
            return Some(logical);
        };
        self.attribution(CallRef(*slot))
    }

    /// Everything remembered, to carry over a restart.
    pub fn snapshot(&self) -> Snapshot {
        let mut calls: Vec<(u64, &Open)> = self.calls.iter().map(|(s, c)| (*s, c)).collect();
        calls.sort_by_key(|(slot, _)| *slot);
        Snapshot {
            calls: calls
                .into_iter()
                .map(|(_, c)| Held { legs: c.legs().into_owned(), complete: c.complete })
                .collect(),
            now: self.now,
            recent: self.recent.legs().cloned().collect(),
        }
    }

    /// A correlator holding what `snapshot` held.
    pub fn restore(rules: Rules, config: Config, snapshot: Snapshot) -> Correlator {
        let mut correlator = Correlator::new(rules, config);
        let remembered_past = correlator.remembered_past(snapshot.now.unwrap_or(Timestamp::MIN));
        for Held { legs, complete } in snapshot.calls {
            correlator.next_slot += 1;
            let slot = correlator.next_slot;
            for leg in &legs {
                correlator.index(leg, slot);
            }
            correlator.legs += legs.len();
            let call =
                Open { legs: Legs::Unpacked(legs), complete, due: Timestamp::MAX, completes: None };
            correlator.calls.insert(slot, call);
            correlator.schedule(slot);
            if complete {
                let call = correlator.calls.get_mut(&slot).expect("just put");
                call.pack_if_remembered_past(remembered_past);
            }
        }
        correlator.now = snapshot.now;
        for leg in snapshot.recent {
            if correlator.recent.capacity() > 0 {
                correlator.recent.put(leg);
            }
        }
        correlator
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leg::{Feature, Party, Sign};

    fn leg(id: u64, key: &str, start: i64, end: i64, part: Part) -> Leg {
        let party = |n: &str| Party { number: n.into(), inside: n.starts_with('2') };
        let features = if part == Part::Ordinary { vec![] } else { vec![Feature::Transfer] }.into();
        Leg {
            id,
            pbx: "pbx".into(),
            start: Timestamp::from_second(start).unwrap(),
            end: Timestamp::from_second(end).unwrap(),
            answered: true,
            calling: party("2001"),
            called: party("0612345678"),
            original_called: party("0612345678"),
            redirecting: Party::default(),
            keys: smallvec::smallvec![hash(key)],
            sides: 0,
            origin: None,
            near: Default::default(),
            sign: Sign {
                part,
                features,
                continues: part == Part::BeforeTransfer,
                ..Sign::default()
            },
        }
    }

    fn hash(key: &str) -> Key {
        xxhash_rust::xxh3::xxh3_64(key.as_bytes())
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    #[test]
    fn a_call_waiting_for_its_continuation_is_not_complete_until_it_comes() {
        let mut correlator = Correlator::new(Rules::default(), Config::default());
        correlator.add(leg(1, "a", 1_000, 1_100, Part::BeforeTransfer));
        assert!(correlator.advance(at(100_000)).completed.is_empty(), "the transfer is awaited");
        let call = correlator.add(leg(2, "a", 1_100, 1_200, Part::Transferred)).call().unwrap();
        assert_eq!(call.legs.len(), 2);
        let advanced = correlator.advance(at(100_000));
        assert_eq!(advanced.completed.len(), 1);
        assert!(advanced.completed[0].complete);
        // Told once.
        assert!(correlator.advance(at(100_001)).completed.is_empty());
    }

    #[test]
    fn a_call_held_is_small() {
        assert!(std::mem::size_of::<Open>() <= 72, "{}", std::mem::size_of::<Open>());
    }

    #[test]
    fn a_complete_call_is_held_packed_and_a_late_leg_reopens_it_whole() {
        let config = Config::default();
        let mut correlator = Correlator::new(Rules::default(), config);
        correlator.add(leg(1, "a", 1_000, 1_100, Part::BeforeTransfer));
        let joined = correlator.add(leg(2, "a", 1_100, 1_200, Part::Transferred)).call().unwrap();
        let completed = correlator.advance(at(5_000)).completed;
        assert_eq!(completed.len(), 1);
        assert!(correlator.calls.values().all(|c| matches!(c.legs, Legs::Packed(_))));
        assert_eq!((correlator.legs_held(), correlator.calls_held()), (2, 1));
        // Read as it was, and carried over a restart as it was.
        assert_eq!(correlator.call_of(1).unwrap(), completed[0]);
        assert_eq!(completed[0].legs, joined.legs);
        let restored = Correlator::restore(Rules::default(), config, correlator.snapshot());
        assert_eq!(restored.call_of(2), correlator.call_of(2));
        assert!(restored.calls.values().all(|c| matches!(c.legs, Legs::Packed(_))));
        // A late leg re-opens it, every leg there.
        let late = correlator.add(leg(3, "a", 4_000, 4_100, Part::Transferred)).call().unwrap();
        assert_eq!(late.legs.iter().map(|l| l.leg).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(!late.complete);
        assert!(correlator.calls.values().all(|c| matches!(c.legs, Legs::Unpacked(_))));
        assert_eq!(correlator.legs_held(), 3);
        // Packed again when complete again, and forgotten whole when due.
        assert_eq!(correlator.advance(at(10_000)).completed.len(), 1);
        assert!(correlator.calls.values().all(|c| matches!(c.legs, Legs::Packed(_))));
        assert_eq!(correlator.advance(at(1_000 + config.window.as_secs())).forgotten_legs, 3);
        assert_eq!((correlator.legs_held(), correlator.calls_held()), (0, 0));
        assert!(correlator.by_key.is_empty() && correlator.by_leg.is_empty());
    }

    #[test]
    fn advancing_quietly_completes_and_forgets_as_advancing_does() {
        let config = Config::default();
        let [mut told, mut quiet] = [0, 1].map(|_| Correlator::new(Rules::default(), config));
        for correlator in [&mut told, &mut quiet] {
            correlator.add(leg(1, "a", 1_000, 1_100, Part::BeforeTransfer));
            correlator.add(leg(2, "a", 1_100, 1_200, Part::Transferred));
            correlator.add(leg(3, "plain", 1_000, 1_060, Part::Ordinary));
        }
        let now = at(1_200 + config.settle.as_secs());
        let advanced = told.advance(now);
        assert_eq!(advanced.completed.len(), 2, "the transfer and the plain call");
        assert_eq!(quiet.advance_quietly(now), advanced.forgotten_legs);
        assert_eq!(quiet.call_of(1), told.call_of(1));
        assert!(quiet.call_of(1).unwrap().complete);
        assert_eq!((quiet.legs_held(), quiet.calls_held()), (told.legs_held(), told.calls_held()));
        // Told already: nothing more to tell either.
        assert!(quiet.advance(at(1_200 + config.window.as_secs() / 2)).completed.is_empty());
    }

    #[test]
    fn calls_are_forgotten_when_their_window_closes() {
        let config = Config::default();
        let mut correlator = Correlator::new(Rules::default(), config);
        correlator.add(leg(1, "plain", 0, 60, Part::Ordinary));
        correlator.add(leg(2, "feature", 0, 60, Part::BeforeTransfer));
        let plain_due = 60 + config.plain_window.as_secs();
        assert_eq!(correlator.advance(at(plain_due - 1)).forgotten_legs, 0);
        assert_eq!(correlator.advance(at(plain_due)).forgotten_legs, 1);
        assert!(correlator.call_of(1).is_none());
        assert!(correlator.call_of(2).is_some());
        assert_eq!(correlator.advance(at(config.window.as_secs())).forgotten_legs, 1);
        assert_eq!((correlator.legs_held(), correlator.calls_held()), (0, 0));
        // A leg of a forgotten call starts a call of its own.
        let late = correlator.add(leg(3, "feature", 100, 200, Part::Transferred)).call().unwrap();
        assert_eq!(late.legs.len(), 1);
    }

    #[test]
    fn past_its_size_bound_the_calls_due_soonest_are_forgotten() {
        let config = Config { max_legs: 100, ..Config::default() };
        let mut correlator = Correlator::new(Rules::default(), config);
        for i in 0..1_000 {
            correlator.add(leg(i, &format!("k{i}"), i as i64, i as i64 + 10, Part::Ordinary));
            assert!(correlator.legs_held() <= 100);
        }
        // The newest are kept.
        assert!(correlator.call_of(999).is_some());
        assert!(correlator.call_of(0).is_none());
    }

    #[test]
    fn a_leg_tying_two_calls_makes_them_one() {
        let mut correlator = Correlator::new(Rules::default(), Config::default());
        correlator.add(leg(1, "a", 0, 10, Part::Ordinary));
        correlator.add(leg(2, "b", 5, 15, Part::Ordinary));
        let mut tie = leg(3, "a", 20, 30, Part::Ordinary);
        tie.keys.push(hash("b"));
        let call = correlator.add(tie).call().unwrap();
        assert_eq!(call.legs.iter().map(|l| l.leg).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(call.id, 1);
        assert_eq!(correlator.calls_held(), 1);
        assert_eq!(correlator.call_of(2).unwrap().id, 1);
    }

    #[test]
    fn ties_by_times_alone_do_not_chain_calls_without_end() {
        let mut correlator = Correlator::new(Rules::default(), Config::default());
        // A busy trunk member and caller, one call after another, each
        // touching the last: a guess that would chain them all.
        for i in 0..100 {
            let mut l =
                leg(i, &format!("own{i}"), i as i64 * 30, i as i64 * 30 + 30, Part::Ordinary);
            l.near = smallvec::smallvec![(hash("trunk|caller"), Near::Touch)];
            correlator.add(l);
        }
        let largest = (0..100).filter_map(|i| correlator.call_of(i)).map(|c| c.legs.len()).max();
        assert!(largest.unwrap() <= MAX_NEAR_CALL_LEGS, "{largest:?}");
        assert!(correlator.calls_held() >= 100 / MAX_NEAR_CALL_LEGS);
        // Ties by ids are not bounded: they are not guesses.
        for i in 100..200 {
            correlator.add(leg(i, "one call", i as i64, i as i64 + 1, Part::Transferred));
        }
        assert_eq!(correlator.call_of(150).unwrap().legs.len(), 100);
    }
}
