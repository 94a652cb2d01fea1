//! Turning a parsed record into a [`Leg`]: each vendor writes the ties
//! between legs and the features a record is part of differently.

mod asterisk;
mod avaya;
mod cucm;
mod freeswitch;
mod generic;

use crate::leg::{Extensions, Feature, Key, Keys, Leg, Near, NearKeys, Part, Party, Sign};
use cdr::{Cdr, Text};

/// The kind of key of a leg's own side (a call leg identifier, a channel):
/// legs sharing one are the same party's path through the PBX.
pub(crate) const LEG: &str = "l";

/// Whose records these are: decides how ties and features are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vendor {
    Cucm,
    Avaya,
    Asterisk,
    FreeSwitch,
    /// Any other format: ties from the correlation ids the parser filled.
    Other,
}

impl Vendor {
    /// The vendor of a format name as `parsers::Format` names it
    /// (`cucm`, `avaya:…`, `asterisk`, `freeswitch-json`, …).
    pub fn of_format(name: &str) -> Vendor {
        let family = name.split([':', '-']).next().unwrap_or_default();
        match family.to_ascii_lowercase().as_str() {
            "cucm" | "cisco" => Vendor::Cucm,
            "avaya" => Vendor::Avaya,
            "asterisk" => Vendor::Asterisk,
            "freeswitch" => Vendor::FreeSwitch,
            _ => Vendor::Other,
        }
    }
}

/// The leg correlation reads of `cdr`, the record stored as `id`.
pub fn leg_of(cdr: &Cdr, vendor: Vendor, id: u64, extensions: &impl Extensions) -> Leg {
    let is_extension = |number: &str| !number.is_empty() && extensions.is_extension(number);
    let party = |number: &Text| Party { number: number.clone(), inside: is_extension(number) };
    let called = if cdr.final_called.is_empty() { &cdr.dialled } else { &cdr.final_called };
    let original_called =
        if cdr.original_called.is_empty() { &cdr.dialled } else { &cdr.original_called };
    let mut keys = Ties {
        pbx: cdr.pbx.clone(),
        keys: Keys::new(),
        sides: 0,
        origin: None,
        near: NearKeys::new(),
    };
    let called = party(called);
    // Most calls reach the number dialled: asked once (a directory look-up
    // per party is most of a leg's making).
    let original_called =
        if *original_called == called.number { called.clone() } else { party(original_called) };
    let mut leg = Leg {
        id,
        pbx: cdr.pbx.clone(),
        start: cdr.start,
        end: cdr.end,
        answered: cdr.answer.is_some(),
        calling: party(&cdr.calling),
        called,
        original_called,
        redirecting: party(&cdr.last_redirecting),
        keys: Keys::new(),
        sides: 0,
        origin: None,
        near: NearKeys::new(),
        sign: Sign::default(),
    };
    match vendor {
        Vendor::Cucm => {
            cucm::keys(cdr, &mut keys);
            leg.sign = cucm::sign(cdr);
        }
        Vendor::Asterisk => asterisk::read(cdr, &mut leg, &mut keys, &is_extension),
        Vendor::Avaya => avaya::read(cdr, &mut leg, &mut keys),
        Vendor::FreeSwitch => freeswitch::read(cdr, &mut leg, &mut keys, &is_extension),
        Vendor::Other => {
            generic::keys(cdr, &mut keys);
            leg.sign = generic::sign(cdr);
        }
    }
    leg.sides = keys.sides.min(usize::from(u8::MAX)) as u8;
    leg.keys = keys.keys;
    leg.origin = keys.origin;
    leg.near = keys.near;
    // A conference's or an observer's leg joins the bridge or the
    // recorder, not two outside parties.
    let through = !leg.sign.part.is_observer() && leg.sign.part != Part::ConferenceLeg;
    if leg.is_tandem() && through {
        leg.sign.features.push(Feature::Tandem);
    }
    leg
}

/// The keys of one leg, namespaced by PBX and kind so that ids of two PBXs
/// (or a leg id and a call id) never meet.
pub(crate) struct Ties {
    pbx: Text,
    /// Side keys first, `sides` of them.
    keys: Keys,
    sides: usize,
    origin: Option<Key>,
    near: NearKeys,
}

impl Ties {
    pub(crate) fn add(&mut self, kind: &str, id: &str) {
        self.add_scoped(kind, "", id);
    }

    /// Adds the key of the leg's own originating side (CUCM
    /// `origLegCallIdentifier`, an Asterisk or FreeSWITCH channel's id),
    /// a side key, and keeps it as the leg's origin.
    pub(crate) fn add_origin_scoped(&mut self, kind: &str, scope: &str, id: &str) {
        if let Some(key) = self.add_scoped(kind, scope, id) {
            self.origin = Some(key);
        }
    }

    /// Adds `id`'s key (once); returns it, if `id` is one.
    pub(crate) fn add_scoped(&mut self, kind: &str, scope: &str, id: &str) -> Option<Key> {
        if id.is_empty() {
            return None;
        }
        let key = self.key(kind, scope, id);
        if !self.keys.contains(&key) {
            // Sides first (see `Leg::sides`).
            if kind == LEG {
                self.keys.insert(self.sides, key);
                self.sides += 1;
            } else {
                self.keys.push(key);
            }
        }
        Some(key)
    }

    /// A key that ties legs only when their times agree as `near` says.
    pub(crate) fn add_near(&mut self, kind: &str, id: &str, near: Near) {
        if !id.is_empty() {
            let key = self.key(kind, "", id);
            if !self.near.iter().any(|(k, n)| *k == key && *n == near) {
                self.near.push((key, near));
            }
        }
    }

    /// Ids counted up are keys counted up (see `crate::nearby`).
    pub(crate) fn key(&self, kind: &str, scope: &str, id: &str) -> Key {
        crate::nearby::key([self.pbx.as_str(), kind, scope], id)
    }
}
