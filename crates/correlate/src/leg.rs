//! What correlation reads of one record: a [`Leg`], made from a parsed
//! [`cdr::Cdr`] by the vendor's reader (`crate::vendor`), with the keys
//! that tie it to other legs and the [`Sign`] the record gives of its
//! place in a larger call.

use cdr::{Text, Timestamp};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// A PBX feature recognised in a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    Transfer,
    /// Call forward all, busy or no answer.
    Forward,
    /// Immediate divert (to voice mail, most often).
    Divert,
    Conference,
    Barge,
    Cbarge,
    Park,
    Pickup,
    Recording,
    Monitoring,
    /// Trunk to trunk through the PBX.
    Tandem,
    /// Handled by an attendant.
    Attendant,
}

impl Feature {
    pub const ALL: [Feature; 12] = [
        Feature::Transfer,
        Feature::Forward,
        Feature::Divert,
        Feature::Conference,
        Feature::Barge,
        Feature::Cbarge,
        Feature::Park,
        Feature::Pickup,
        Feature::Recording,
        Feature::Monitoring,
        Feature::Tandem,
        Feature::Attendant,
    ];

    fn bit(self) -> u16 {
        1 << self as u16
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Transfer => "transfer",
            Feature::Forward => "forward",
            Feature::Divert => "divert",
            Feature::Conference => "conference",
            Feature::Barge => "barge",
            Feature::Cbarge => "cbarge",
            Feature::Park => "park",
            Feature::Pickup => "pickup",
            Feature::Recording => "recording",
            Feature::Monitoring => "monitoring",
            Feature::Tandem => "tandem",
            Feature::Attendant => "attendant",
        }
    }
}

/// A set of features: a leg carries it inline (a list would be an
/// allocation for each leg with one, made on one thread, freed on another).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "Vec<Feature>", into = "Vec<Feature>")]
pub struct Features(u16);

impl Features {
    pub fn push(&mut self, feature: Feature) {
        self.0 |= feature.bit();
    }

    pub fn contains(self, feature: Feature) -> bool {
        self.0 & feature.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set as bits (a feature's bit is its place in [`Feature::ALL`]).
    pub fn bits(self) -> u16 {
        self.0
    }

    /// The set [`Features::bits`] gave.
    pub fn from_bits(bits: u16) -> Features {
        Features(bits)
    }

    /// In [`Feature`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Feature> {
        Feature::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

impl FromIterator<Feature> for Features {
    fn from_iter<I: IntoIterator<Item = Feature>>(features: I) -> Features {
        let mut set = Features::default();
        features.into_iter().for_each(|f| set.push(f));
        set
    }
}

impl From<Vec<Feature>> for Features {
    fn from(features: Vec<Feature>) -> Features {
        features.into_iter().collect()
    }
}

impl From<Features> for Vec<Feature> {
    fn from(features: Features) -> Vec<Feature> {
        features.iter().collect()
    }
}

/// The part a leg plays in its call, as its record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// An ordinary leg, or one whose record says nothing more.
    #[default]
    Ordinary,
    /// A leg ended by a transfer (the original call or the consultation).
    BeforeTransfer,
    /// The leg joining the remaining parties after a transfer.
    Transferred,
    /// A leg ended when its parties were moved into a conference.
    BeforeConference,
    /// A party's leg to a conference bridge (or a leg the PBX marks as a
    /// conference leg).
    ConferenceLeg,
    /// Reached its destination through a forward.
    Forwarded,
    /// Reached its destination through an immediate divert.
    Diverted,
    /// A leg ended by parking the call.
    Parked,
    /// The parked call, retrieved.
    Retrieved,
    /// A ringing call answered by another extension.
    PickedUp,
    /// Rang while another leg of the call (a hunt group's, a queue's other
    /// member) answered.
    RangElsewhere,
    /// The other side of another leg of the call (a FreeSWITCH B-leg): the
    /// same call, billed as that leg ([`Sign::other_side_of`]).
    OtherSide,
    /// The leg of an extension barging into a call.
    Barge,
    Recording,
    Monitoring,
}

impl Part {
    /// Legs that are not calls of anyone: never billed, never counted.
    pub fn is_observer(self) -> bool {
        matches!(self, Part::Recording | Part::Monitoring)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Part::Ordinary => "ordinary",
            Part::BeforeTransfer => "before_transfer",
            Part::Transferred => "transferred",
            Part::BeforeConference => "before_conference",
            Part::ConferenceLeg => "conference_leg",
            Part::Forwarded => "forwarded",
            Part::Diverted => "diverted",
            Part::Parked => "parked",
            Part::Retrieved => "retrieved",
            Part::PickedUp => "picked_up",
            Part::RangElsewhere => "rang_elsewhere",
            Part::OtherSide => "other_side",
            Part::Barge => "barge",
            Part::Recording => "recording",
            Part::Monitoring => "monitoring",
        }
    }
}

/// What a record says of its place in a larger call.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Sign {
    pub part: Part,
    /// Features the record shows by itself.
    pub features: Features,
    /// The conference's controller, when the record names it (CUCM's
    /// `ConfControllerDn` comment tag).
    pub controller: Option<Text>,
    /// The record says the call goes on in another leg (ended by a
    /// transfer, a conference or a park): the call stays open for it.
    pub continues: bool,
    /// For [`Part::OtherSide`]: the origin key ([`Leg::origin`]) of the leg
    /// this one is the other side of.
    pub other_side_of: Option<Key>,
    /// The record names its part itself (CUCM's OnBehalfOf codes); when it
    /// does not, the part is inferred from the call's other legs.
    pub explicit: bool,
}

/// One party of a leg: its number, and whether the organisation's
/// directory knows it as an extension.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Party {
    pub number: Text,
    pub inside: bool,
}

impl Party {
    pub fn is_extension(&self) -> bool {
        self.inside && !self.number.is_empty()
    }
}

/// A key tying legs together: the hash of its PBX, kind and id (64 bits:
/// no two of the keys held at once meet by chance).
pub type Key = u64;

/// A leg's keys, inline up to the number most legs have (a list on the
/// heap would be an allocation for each leg, made on the thread that reads
/// the record and freed on the one that correlates it).
pub type Keys = SmallVec<[Key; 4]>;

/// A leg's near keys ([`Leg::near`]), inline likewise.
pub type NearKeys = SmallVec<[(Key, Near); 2]>;

/// How the times of two legs sharing a [`Leg::near`] key must agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Near {
    /// Their spans overlap or touch.
    Touch,
    /// They start and end together.
    Span,
}

/// One record as correlation sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    /// The caller's id for the record (the stored call's key); a leg added
    /// twice is recognised by it.
    pub id: u64,
    pub pbx: Text,
    pub start: Timestamp,
    pub end: Timestamp,
    pub answered: bool,
    pub calling: Party,
    /// The party the call reached (final called).
    pub called: Party,
    /// The party first dialled.
    pub original_called: Party,
    /// The last party that redirected the call, when one did.
    pub redirecting: Party,
    /// Keys shared by the legs of one call (global call ids, leg ids,
    /// conversation ids), each namespaced by PBX and kind; the first
    /// `sides` of them name a side of the leg (a call leg identifier, a
    /// channel): legs sharing one are the same party's path.
    pub keys: Keys,
    pub sides: u8,
    /// The key of the leg's own originating side, when the vendor has one.
    pub origin: Option<Key>,
    /// Keys that tie legs only when their times agree (vendors that write
    /// no call ids: the same trunk member used back to back, the same
    /// extension's two records of one forwarded call).
    pub near: NearKeys,
    pub sign: Sign,
}

impl Leg {
    /// The extensions on this leg (calling first).
    pub fn extensions(&self) -> impl Iterator<Item = &Text> {
        [&self.calling, &self.called].into_iter().filter(|p| p.is_extension()).map(|p| &p.number)
    }

    /// An ordinary leg with nothing recognised in it but, perhaps, that it
    /// joins two outside parties: alone, a call like any other.
    pub fn is_plain(&self) -> bool {
        self.sign.part == Part::Ordinary && self.sign.features.iter().all(|f| f == Feature::Tandem)
    }

    /// Two outside parties joined through the PBX (a conference bridge is
    /// not a party).
    pub fn is_tandem(&self) -> bool {
        let outside = |p: &Party| !p.inside && !p.number.is_empty() && !is_bridge(&p.number);
        outside(&self.calling) && outside(&self.called)
    }

    /// Whether dropping the leg frees memory: a text too long to be held
    /// inline, keys past their inline room. (A field added to [`Leg`]
    /// that can own memory must be asked here too.)
    pub(crate) fn owns_memory(&self) -> bool {
        let parties = [&self.calling, &self.called, &self.original_called, &self.redirecting];
        self.pbx.is_heap_allocated()
            || parties.iter().any(|p| p.number.is_heap_allocated())
            || self.sign.controller.as_ref().is_some_and(|c| c.is_heap_allocated())
            || self.keys.spilled()
            || self.near.spilled()
    }

    /// The keys naming the leg's sides (see [`Leg::keys`]).
    pub fn side_keys(&self) -> &[Key] {
        &self.keys[..usize::from(self.sides).min(self.keys.len())]
    }

    /// Whether `number` is one of the leg's two parties.
    pub fn has_party(&self, number: &str) -> bool {
        self.calling.number == number || self.called.number == number
    }
}

/// Tells an extension from an outside number: the organisation's directory.
pub trait Extensions {
    fn is_extension(&self, number: &str) -> bool;
}

impl<F: Fn(&str) -> bool> Extensions for F {
    fn is_extension(&self, number: &str) -> bool {
        self(number)
    }
}

/// A conference bridge's number (CUCM writes `b00…`).
pub fn is_bridge(number: &str) -> bool {
    number.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("b00"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every feature is in `Feature::ALL` once, at the place its bit says:
    /// the match below has an arm for every feature, so adding one fails to
    /// compile until it is placed here and in `ALL`.
    #[test]
    fn all_features_are_listed_once_in_their_bits_order() {
        let place = |feature: Feature| match feature {
            Feature::Transfer => 0,
            Feature::Forward => 1,
            Feature::Divert => 2,
            Feature::Conference => 3,
            Feature::Barge => 4,
            Feature::Cbarge => 5,
            Feature::Park => 6,
            Feature::Pickup => 7,
            Feature::Recording => 8,
            Feature::Monitoring => 9,
            Feature::Tandem => 10,
            Feature::Attendant => 11,
        };
        for (n, feature) in Feature::ALL.into_iter().enumerate() {
            assert_eq!(place(feature), n, "{feature:?}");
            assert_eq!(feature.bit(), 1 << n);
        }
        let all: Features = Feature::ALL.into_iter().collect();
        assert_eq!(all.iter().collect::<Vec<_>>(), Feature::ALL);
        assert_eq!(all.bits().count_ones() as usize, Feature::ALL.len());
        let names: std::collections::BTreeSet<_> = Feature::ALL.map(Feature::as_str).into();
        assert_eq!(names.len(), Feature::ALL.len(), "names differ");
    }
}
