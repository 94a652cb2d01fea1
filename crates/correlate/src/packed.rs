//! The legs of a complete call, packed into bytes while the correlator
//! remembers it. A call with a feature is remembered for the whole window
//! (48 hours by default) in case a late leg re-opens it, but once complete
//! it is read only if one does, or when it is forgotten. Held as [`Leg`]s,
//! such calls were most of the correlator's memory at its bound (a leg is
//! over 300 bytes, packed about a third of that), and memory first touched
//! is dear. A call touched again is unpacked and packed again when it
//! completes again.
//!
//! The format is this module's alone (never stored, never sent): per leg a
//! flags word, then the fields in a fixed order, integers as LEB128
//! (signed ones zigzagged), keys as 8 bytes, texts with their length first.

use crate::leg::{Features, Key, Leg, Near, Part, Party, Sign};
use cdr::{Text, Timestamp};

/// Every [`Part`], at the place of its discriminant.
const PARTS: [Part; 15] = [
    Part::Ordinary,
    Part::BeforeTransfer,
    Part::Transferred,
    Part::BeforeConference,
    Part::ConferenceLeg,
    Part::Forwarded,
    Part::Diverted,
    Part::Parked,
    Part::Retrieved,
    Part::PickedUp,
    Part::RangElsewhere,
    Part::OtherSide,
    Part::Barge,
    Part::Recording,
    Part::Monitoring,
];

// The flags word's bits.
const ANSWERED: u16 = 1;
const CALLING_INSIDE: u16 = 1 << 1;
const CALLED_INSIDE: u16 = 1 << 2;
const ORIGINAL_INSIDE: u16 = 1 << 3;
const REDIRECTING_INSIDE: u16 = 1 << 4;
/// The original called party is the called party (most legs): not written.
const ORIGINAL_IS_CALLED: u16 = 1 << 5;
const ORIGIN: u16 = 1 << 6;
const CONTROLLER: u16 = 1 << 7;
const CONTINUES: u16 = 1 << 8;
const OTHER_SIDE_OF: u16 = 1 << 9;
const EXPLICIT: u16 = 1 << 10;
/// Same PBX as the leg before (legs of one call nearly always are).
const SAME_PBX: u16 = 1 << 11;

/// `legs` packed.
pub(crate) fn pack(legs: &[Leg]) -> Box<[u8]> {
    let mut out = Vec::with_capacity(legs.len() * 96);
    uint(&mut out, legs.len() as u64);
    let mut pbx: Option<&Text> = None;
    for leg in legs {
        let flag = |on: bool, bit: u16| if on { bit } else { 0 };
        let original_is_called = leg.original_called == leg.called;
        let same_pbx = pbx == Some(&leg.pbx);
        let flags = flag(leg.answered, ANSWERED)
            | flag(leg.calling.inside, CALLING_INSIDE)
            | flag(leg.called.inside, CALLED_INSIDE)
            | flag(leg.original_called.inside, ORIGINAL_INSIDE)
            | flag(leg.redirecting.inside, REDIRECTING_INSIDE)
            | flag(original_is_called, ORIGINAL_IS_CALLED)
            | flag(leg.origin.is_some(), ORIGIN)
            | flag(leg.sign.controller.is_some(), CONTROLLER)
            | flag(leg.sign.continues, CONTINUES)
            | flag(leg.sign.other_side_of.is_some(), OTHER_SIDE_OF)
            | flag(leg.sign.explicit, EXPLICIT)
            | flag(same_pbx, SAME_PBX);
        out.extend_from_slice(&flags.to_le_bytes());
        uint(&mut out, leg.id);
        if !same_pbx {
            text(&mut out, &leg.pbx);
            pbx = Some(&leg.pbx);
        }
        int(&mut out, leg.start.as_second());
        uint(&mut out, leg.start.subsec_nanosecond() as u64);
        int(&mut out, leg.end.as_second() - leg.start.as_second());
        uint(&mut out, leg.end.subsec_nanosecond() as u64);
        text(&mut out, &leg.calling.number);
        text(&mut out, &leg.called.number);
        if !original_is_called {
            text(&mut out, &leg.original_called.number);
        }
        text(&mut out, &leg.redirecting.number);
        out.push(leg.keys.len() as u8);
        leg.keys.iter().for_each(|k| key(&mut out, *k));
        out.push(leg.sides);
        leg.origin.into_iter().for_each(|k| key(&mut out, k));
        out.push(leg.near.len() as u8);
        for (k, near) in &leg.near {
            key(&mut out, *k);
            out.push(matches!(near, Near::Span) as u8);
        }
        out.push(leg.sign.part as u8);
        uint(&mut out, u64::from(leg.sign.features.bits()));
        leg.sign.controller.iter().for_each(|c| text(&mut out, c));
        leg.sign.other_side_of.into_iter().for_each(|k| key(&mut out, k));
    }
    out.into_boxed_slice()
}

/// How many legs `bytes` holds (made by [`pack`]).
pub(crate) fn count(bytes: &[u8]) -> usize {
    Reader { bytes, at: 0 }.uint() as usize
}

/// The legs `bytes` holds (made by [`pack`]).
pub(crate) fn unpack(bytes: &[u8]) -> Vec<Leg> {
    let mut r = Reader { bytes, at: 0 };
    let count = r.uint() as usize;
    let mut legs: Vec<Leg> = Vec::with_capacity(count);
    for _ in 0..count {
        let flags = u16::from_le_bytes([r.byte(), r.byte()]);
        let on = |bit: u16| flags & bit != 0;
        let id = r.uint();
        let pbx = match legs.last() {
            Some(before) if on(SAME_PBX) => before.pbx.clone(),
            _ => r.text(),
        };
        let start = timestamp(r.int(), r.uint());
        let end = timestamp(start.as_second() + r.int(), r.uint());
        let calling = Party { number: r.text(), inside: on(CALLING_INSIDE) };
        let called = Party { number: r.text(), inside: on(CALLED_INSIDE) };
        let original_called = if on(ORIGINAL_IS_CALLED) {
            called.clone()
        } else {
            Party { number: r.text(), inside: on(ORIGINAL_INSIDE) }
        };
        let redirecting = Party { number: r.text(), inside: on(REDIRECTING_INSIDE) };
        let keys = (0..r.byte()).map(|_| r.key()).collect();
        let sides = r.byte();
        let origin = on(ORIGIN).then(|| r.key());
        let near = (0..r.byte())
            .map(|_| (r.key(), if r.byte() == 1 { Near::Span } else { Near::Touch }))
            .collect();
        let part = PARTS[usize::from(r.byte())];
        let features = Features::from_bits(r.uint() as u16);
        let controller = on(CONTROLLER).then(|| r.text());
        let other_side_of = on(OTHER_SIDE_OF).then(|| r.key());
        let sign = Sign {
            part,
            features,
            controller,
            continues: on(CONTINUES),
            other_side_of,
            explicit: on(EXPLICIT),
        };
        legs.push(Leg {
            id,
            pbx,
            start,
            end,
            answered: on(ANSWERED),
            calling,
            called,
            original_called,
            redirecting,
            keys,
            sides,
            origin,
            near,
            sign,
        });
    }
    legs
}

/// A time packed: it was a valid one, so it still is.
fn timestamp(second: i64, nanosecond: u64) -> Timestamp {
    Timestamp::new(second, nanosecond as i32).expect("a packed time is a valid one")
}

fn uint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn int(out: &mut Vec<u8>, v: i64) {
    uint(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn key(out: &mut Vec<u8>, k: Key) {
    out.extend_from_slice(&k.to_le_bytes());
}

fn text(out: &mut Vec<u8>, t: &str) {
    uint(out, t.len() as u64);
    out.extend_from_slice(t.as_bytes());
}

/// Reads what [`pack`] wrote (it panics on anything else: the bytes never
/// leave the process that packed them).
struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        self.at += 1;
        self.bytes[self.at - 1]
    }

    fn uint(&mut self) -> u64 {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte();
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }

    fn int(&mut self) -> i64 {
        let v = self.uint();
        (v >> 1) as i64 ^ -((v & 1) as i64)
    }

    fn key(&mut self) -> Key {
        let bytes = &self.bytes[self.at..self.at + 8];
        self.at += 8;
        Key::from_le_bytes(bytes.try_into().expect("eight bytes"))
    }

    fn text(&mut self) -> Text {
        let len = self.uint() as usize;
        let bytes = &self.bytes[self.at..self.at + len];
        self.at += len;
        Text::from(std::str::from_utf8(bytes).expect("packed from a str"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leg::Feature;
    use smallvec::smallvec;

    #[test]
    fn every_part_is_at_the_place_of_its_discriminant() {
        assert_eq!(PARTS.len(), Part::Monitoring as usize + 1);
        for (i, part) in PARTS.iter().enumerate() {
            assert_eq!(*part as usize, i, "{part:?}");
        }
    }

    fn party(number: &str, inside: bool) -> Party {
        Party { number: number.into(), inside }
    }

    /// Legs using every field, each way it can be.
    fn legs() -> Vec<Leg> {
        let at = |s: i64, ns: i32| Timestamp::new(s, ns).unwrap();
        let plain = Leg {
            id: u64::MAX,
            pbx: "cucm-paris".into(),
            start: at(1_741_000_000, 0),
            end: at(1_741_000_125, 0),
            answered: true,
            calling: party("2001", true),
            called: party("0612345678", false),
            original_called: party("0612345678", false),
            redirecting: Party::default(),
            keys: smallvec![1, u64::MAX, 0x8000_0000_0000_0000],
            sides: 2,
            origin: None,
            near: Default::default(),
            sign: Sign::default(),
        };
        let forwarded = Leg {
            id: 7,
            start: at(-5, 999_999_999),
            end: at(-5, 999_999_999),
            answered: false,
            called: party("2002", true),
            original_called: party("2003", true),
            redirecting: party("2003", true),
            keys: smallvec![3, 4, 5, 6, 7],
            sides: 0,
            origin: Some(42),
            near: smallvec![(9, Near::Span), (10, Near::Touch), (11, Near::Span)],
            sign: Sign {
                part: Part::Forwarded,
                features: [Feature::Forward, Feature::Attendant].into_iter().collect(),
                controller: Some("a controller named at some length, over the inline size".into()),
                continues: true,
                other_side_of: Some(0),
                explicit: true,
            },
            ..plain.clone()
        };
        let other_pbx = Leg {
            id: 0,
            pbx: "avaya-lyon".into(),
            calling: party("", false),
            sign: Sign { part: Part::Monitoring, ..Sign::default() },
            ..plain.clone()
        };
        let back = Leg { id: 8, pbx: "cucm-paris".into(), ..plain.clone() };
        vec![plain, forwarded, other_pbx, back]
    }

    #[test]
    fn legs_unpack_as_they_were_packed() {
        let legs = legs();
        assert_eq!(unpack(&pack(&legs)), legs);
        assert_eq!(count(&pack(&legs)), legs.len());
        assert_eq!(unpack(&pack(&[])), Vec::<Leg>::new());
    }

    #[test]
    fn packed_legs_take_a_fraction_of_their_size() {
        let legs = legs();
        let packed = pack(&legs[..1]).len();
        assert!(packed * 3 < std::mem::size_of::<Leg>(), "{packed} bytes packed");
    }
}
