//! What records that do not name their part (Asterisk, Avaya, FreeSWITCH:
//! [`Sign::explicit`](crate::Sign) false) imply, read from the other legs
//! of their call:
//! - a leg that rang, unanswered, while another leg for the same caller
//!   started with it and was answered: a hunt group's or a queue's member
//!   ([`Part::RangElsewhere`]);
//! - a party of an answered leg found, as the leg ends, talking to someone
//!   else: the call was transferred — the earlier leg ended by it, the
//!   later one the transferred call, and a leg between the party who left
//!   and the new party is the consultation;
//! - an incoming leg to an extension and an outgoing leg from that
//!   extension, with the same times: the call was forwarded off the switch.

use crate::leg::{Feature, Leg, Part};
use jiff::SignedDuration;

/// Times that agree: within two seconds, or a minute for legs tied by
/// their times ([`Leg::near`]: Avaya writes whole minutes).
const TOGETHER: SignedDuration = SignedDuration::from_secs(2);
const TOGETHER_TO_THE_MINUTE: SignedDuration = SignedDuration::from_secs(60);
/// Legs ringing together: within two seconds.
const RINGING_TOGETHER: SignedDuration = SignedDuration::from_secs(2);

/// Whether any of `legs` needs its part inferred.
pub(crate) fn needed(legs: &[&Leg]) -> bool {
    legs.len() > 1 && legs.iter().any(|l| !l.sign.explicit)
}

/// Infers the parts of `legs` (one call's, in start order).
pub(crate) fn infer(legs: &mut [Leg]) {
    hunt(legs);
    transfers(legs);
    left_by_transfer(legs);
    forwards(legs);
    other_side_forwards(legs);
}

/// After a leg that says a transfer ended it, the legs still up are the
/// transferred call.
fn left_by_transfer(legs: &mut [Leg]) {
    let ends: Vec<jiff::Timestamp> = legs
        .iter()
        .filter(|l| l.sign.part == Part::BeforeTransfer && !l.sign.explicit && l.sign.continues)
        .map(|l| l.end)
        .collect();
    for end in ends {
        for leg in legs.iter_mut() {
            if open(leg) && leg.start <= end && leg.end.duration_since(end) > TOGETHER {
                mark(leg, Part::Transferred, Feature::Transfer);
            }
        }
    }
}

/// The other side of a leg that dialled an extension, gone out to an
/// outside number: the extension's forward sent it there.
fn other_side_forwards(legs: &mut [Leg]) {
    let mut found = Vec::new();
    for (j, b) in legs.iter().enumerate() {
        let Some(of) = &b.sign.other_side_of else { continue };
        if b.sign.part != Part::OtherSide || b.called.inside || b.called.number.is_empty() {
            continue;
        }
        let a_leg = legs.iter().find(|a| a.origin == Some(*of));
        if let Some(a) = a_leg.filter(|a| a.called.is_extension()) {
            found.push((j, a.called.clone()));
        }
    }
    for (j, forwarding) in found {
        let b = &mut legs[j];
        b.redirecting = forwarding;
        b.sign.part = Part::Forwarded;
        b.sign.features.push(Feature::Forward);
    }
}

fn open(leg: &Leg) -> bool {
    !leg.sign.explicit && leg.sign.part == Part::Ordinary
}

fn near(a: jiff::Timestamp, b: jiff::Timestamp, within: SignedDuration) -> bool {
    a.duration_since(b).abs() <= within
}

fn together(a: &Leg, b: &Leg) -> SignedDuration {
    if a.near.is_empty() && b.near.is_empty() { TOGETHER } else { TOGETHER_TO_THE_MINUTE }
}

fn mark(leg: &mut Leg, part: Part, feature: Feature) {
    if open(leg) {
        leg.sign.part = part;
    }
    if !leg.sign.features.contains(feature) {
        leg.sign.features.push(feature);
    }
}

fn hunt(legs: &mut [Leg]) {
    let rang: Vec<usize> = (0..legs.len())
        .filter(|&i| {
            let leg = &legs[i];
            open(leg)
                && !leg.answered
                && !leg.calling.number.is_empty()
                && legs.iter().any(|other| {
                    other.answered
                        && other.calling.number == leg.calling.number
                        && other.called.number != leg.called.number
                        && near(other.start, leg.start, RINGING_TOGETHER)
                })
        })
        .collect();
    for i in rang {
        legs[i].sign.part = Part::RangElsewhere;
    }
}

/// The one number two legs share, and each one's other party.
fn shared_party<'a>(a: &'a Leg, b: &'a Leg) -> Option<(&'a str, &'a str)> {
    let parties = |l: &'a Leg| [l.calling.number.as_str(), l.called.number.as_str()];
    let (pa, pb) = (parties(a), parties(b));
    if pa.iter().chain(&pb).any(|n| n.is_empty()) || pa[0] == pa[1] || pb[0] == pb[1] {
        return None;
    }
    let shared: Vec<&str> = pa.iter().filter(|n| pb.contains(n)).copied().collect();
    let [kept] = shared[..] else { return None };
    let left = pa.into_iter().find(|n| *n != kept)?;
    let new = pb.into_iter().find(|n| *n != kept)?;
    (left != new).then_some((left, new))
}

fn transfers(legs: &mut [Leg]) {
    let mut found = Vec::new();
    for (j, b) in legs.iter().enumerate() {
        for (i, a) in legs.iter().enumerate() {
            let candidates = open(b) && (open(a) || a.sign.part == Part::BeforeTransfer);
            if i == j || !candidates || !a.answered || a.start >= b.start {
                continue;
            }
            if !near(b.start, a.end, together(a, b)) {
                continue;
            }
            if let Some((left, new)) = shared_party(a, b) {
                found.push((i, j, left.to_string(), new.to_string()));
            }
        }
    }
    for (i, j, left, new) in found {
        mark(&mut legs[i], Part::BeforeTransfer, Feature::Transfer);
        mark(&mut legs[j], Part::Transferred, Feature::Transfer);
        // The consultation: the party who left talking to the new one.
        for (k, c) in legs.iter_mut().enumerate() {
            let pair = (c.calling.number.as_str(), c.called.number.as_str());
            if k != i && k != j && open(c) && (pair == (&left, &new) || pair == (&new, &left)) {
                mark(c, Part::BeforeTransfer, Feature::Transfer);
            }
        }
    }
}

fn forwards(legs: &mut [Leg]) {
    let mut found = Vec::new();
    for (j, b) in legs.iter().enumerate() {
        for (i, a) in legs.iter().enumerate() {
            let within = together(a, b);
            let same_times = near(a.start, b.start, within) && near(a.end, b.end, within);
            if i != j
                && open(a)
                && open(b)
                && same_times
                && a.called.is_extension()
                && b.calling.number == a.called.number
                && !b.called.inside
                && !b.called.number.is_empty()
            {
                found.push((i, j));
            }
        }
    }
    for (i, j) in found {
        let forwarding = legs[i].called.clone();
        let from_outside = !legs[i].calling.inside;
        mark(&mut legs[i], Part::Ordinary, Feature::Forward);
        let b = &mut legs[j];
        b.redirecting = forwarding;
        mark(b, Part::Forwarded, Feature::Forward);
        // An outside caller sent on to an outside number.
        if from_outside && !b.sign.features.contains(Feature::Tandem) {
            b.sign.features.push(Feature::Tandem);
        }
    }
}
