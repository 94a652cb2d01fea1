//! The records CUCM writes for a consultation transfer, a call forward and
//! an ad hoc conference, laid out as the "CDR Examples" chapter of Cisco's
//! Call Reporting and Billing Administration Guide (Release 14) shows them
//! and as the correlation scenarios encode them
//! (`crates/correlate/tests/scenarios/cucm/`): the same records, cause
//! codes, OnBehalfOf codes, redirect reasons, leg and conversation ids
//! reused the same way, with the generator's parties, ids and times.
//!
//! Each feature call is built on a generated [`Call`]: its extension is the
//! one that uses the feature (transferor, forwarding party, conference
//! controller), its other party takes the part the examples give the far
//! party where it fits, its talk time is the main conversation's, and it
//! ends when the generated call ends (so records still end in about the
//! order a PBX writes them). A feature needs an answered call: when the
//! generated one was not, a talk time is drawn for it.

use super::render::{Row, TRUNK_DEVICE, le_ip, phone_device, phone_ip, trunk_ip};
use crate::calls::{external_number, talk_time};
use crate::{Call, CallKind, Org};
use rand::RngExt;
use rand::rngs::SmallRng;

// Cause codes.
const NORMAL_CLEARING: u32 = 16;
/// The call was split by a feature (transfer, conference): CUCM's
/// "call split" code.
const CALL_SPLIT: u32 = 393_216;
// OnBehalfOf codes.
const ON_BEHALF_OF_CONFERENCE: u32 = 4;
const ON_BEHALF_OF_FORWARD: u32 = 5;
const ON_BEHALF_OF_TRANSFER: u32 = 10;
/// The conference ending as its last but one party leaves.
const ON_BEHALF_OF_CONFERENCE_DROP: u32 = 12;
// Redirect reasons.
const REASON_FORWARD_BUSY: u32 = 1;
const REASON_FORWARD_NO_ANSWER: u32 = 2;
const REASON_FORWARD_ALL: u32 = 15;
const REASON_CONFERENCE: u32 = 98;
/// Seconds a phone rings before call forward no answer takes the call on
/// (CUCM's default Forward No Answer Timer).
const NO_ANSWER_TIMER_S: i64 = 12;

/// The conference bridge's device (a media resource, not a phone).
const BRIDGE_DEVICE: &str = "CFB_2";

/// Call and call leg identifiers as a CUCM node hands them out: each new
/// call takes the next call id, each leg the next leg id; a conversation
/// id is taken from the leg ids (correlation reads both as one kind of id,
/// so they must never meet).
#[derive(Debug, Clone)]
pub(crate) struct Ids {
    next_call: u64,
    next_leg: u64,
}

impl Ids {
    /// The ids a plain stream would give call number `call_index` on.
    pub(crate) fn from_call_index(call_index: u64) -> Ids {
        Ids { next_call: 1_000_000 + call_index, next_leg: 40_000_000 + 2 * call_index }
    }

    pub(crate) fn call(&mut self) -> u64 {
        self.next_call += 1;
        self.next_call - 1
    }

    pub(crate) fn leg(&mut self) -> u64 {
        self.next_leg += 1;
        self.next_leg - 1
    }
}

/// What a feature call needs beyond its base call: the organisation (for
/// the other extensions it involves), the mix's own random numbers and the
/// node's ids.
pub(crate) struct Draw<'a, 'o> {
    pub org: &'o Org,
    pub rng: &'a mut SmallRng,
    pub ids: &'a mut Ids,
}

/// One party of a feature call as its records show it.
#[derive(Debug, Clone)]
struct Party {
    number: String,
    device: String,
    ip: i32,
    /// Its index in [`Org::extensions`]; `None` for an outside party.
    extension: Option<usize>,
}

impl Party {
    fn phone(org: &Org, index: usize) -> Party {
        Party {
            number: org.extensions[index].clone(),
            device: phone_device(index),
            ip: phone_ip(index),
            extension: Some(index),
        }
    }

    fn outside(number: String) -> Party {
        Party { number, device: TRUNK_DEVICE.to_string(), ip: trunk_ip(), extension: None }
    }
}

/// A row from `from` to `to`; the caller fills what else the record says.
fn row(call_id: u64, legs: (u64, u64), from: &Party, to: &Party) -> Row {
    Row {
        call_id,
        orig_leg: legs.0,
        dest_leg: legs.1,
        orig_ip: from.ip,
        dest_ip: to.ip,
        calling: from.number.clone(),
        original_called: to.number.clone(),
        final_called: to.number.clone(),
        orig_device: from.device.clone(),
        dest_device: to.device.clone(),
        ..Row::default()
    }
}

/// Sets a row's times: from `origination`, connected at `connect`, ended
/// at `disconnect`.
fn times(row: &mut Row, origination: i64, connect: i64, disconnect: i64) {
    row.origination = origination;
    row.connect = connect;
    row.disconnect = disconnect;
}

impl Draw<'_, '_> {
    /// An extension other than those of `avoid` (an org of at least four
    /// extensions always has one).
    fn other_extension(&mut self, avoid: &[&Party]) -> Party {
        loop {
            let index = self.rng.random_range(0..self.org.extensions.len());
            if !avoid.iter().any(|p| p.extension == Some(index)) {
                return Party::phone(self.org, index);
            }
        }
    }

    /// The base call's extension.
    fn extension_of(&self, base: &Call) -> Party {
        Party::phone(self.org, base.extension_index)
    }

    /// The extension an internal base call dialled, unless it is `a`
    /// itself (the generator may draw the same extension twice).
    fn dialled_extension(&mut self, base: &Call, a: &Party) -> Party {
        match index_of(self.org, &base.dialled) {
            Some(index) if Some(index) != a.extension => Party::phone(self.org, index),
            _ => self.other_extension(&[a]),
        }
    }

    /// The talk time of the main conversation.
    fn talk_s(&mut self, base: &Call) -> i64 {
        i64::from(if base.answered { base.duration_s } else { talk_time(self.rng) })
    }

    fn seconds(&mut self, range: std::ops::RangeInclusive<i64>) -> i64 {
        self.rng.random_range(range)
    }

    /// Consultation transfer from the calling party (scenario
    /// `transfer_consult_outgoing_pstn.toml`): A calls P, puts P on hold,
    /// consults B and completes the transfer; P and B talk on. Three
    /// records: the original call and the consultation, both split by the
    /// transfer (causes 393216, terminated on behalf of 10), then the
    /// transferred call P → B on the original call id and the two remote
    /// legs, joinOnBehalfOf 10, lastRedirectDn A. P is the outside number
    /// of an outgoing call, the extension of an internal one, and a number
    /// A dials out for an incoming one (the called-party example of the
    /// guide contradicts itself and is not a scenario). Returns the
    /// transferor.
    pub(crate) fn consultation_transfer(&mut self, base: &Call, rows: &mut Vec<Row>) -> String {
        let a = self.extension_of(base);
        let p = match base.kind {
            CallKind::Outgoing => Party::outside(base.dialled.clone()),
            CallKind::Internal => self.dialled_extension(base, &a),
            CallKind::Incoming => Party::outside(external_number(self.rng)),
        };
        let b = self.other_extension(&[&a, &p]);
        let end = base.end.as_second();
        let after = self.talk_s(base);
        let consult_talk = self.seconds(5..=60);
        let consult_ring = self.seconds(2..=8);
        let before_hold = self.seconds(10..=120);
        let transfer = end - after;
        let consult = transfer - consult_talk - consult_ring;
        let connect = consult - before_hold;
        let start = connect - i64::from(base.ring_s);

        let original = self.ids.call();
        let (a_leg, p_leg) = (self.ids.leg(), self.ids.leg());
        let consultation = self.ids.call();
        let (a_consult_leg, b_leg) = (self.ids.leg(), self.ids.leg());

        let mut first = row(original, (a_leg, p_leg), &a, &p);
        times(&mut first, start, connect, transfer);
        first.last_redirect_dn = p.number.clone();
        split_by(&mut first, ON_BEHALF_OF_TRANSFER);

        let mut consult_row = row(consultation, (a_consult_leg, b_leg), &a, &b);
        times(&mut consult_row, consult, consult + consult_ring, transfer);
        consult_row.last_redirect_dn = b.number.clone();
        split_by(&mut consult_row, ON_BEHALF_OF_TRANSFER);

        let mut transferred = row(original, (p_leg, b_leg), &p, &b);
        times(&mut transferred, transfer, transfer, end);
        transferred.last_redirect_dn = a.number.clone();
        transferred.orig_cause = NORMAL_CLEARING;
        transferred.join = ON_BEHALF_OF_TRANSFER;

        rows.extend([first, consult_row, transferred]);
        a.number
    }

    /// Call forward all, no answer or busy, over one or two hops: one
    /// record, originalCalledPartyNumber the extension first called,
    /// finalCalledPartyNumber who answered, lastRedirectDn the last
    /// extension that forwarded it, OnBehalfOf 5 and the redirect reasons
    /// 15, 2 or 1 of the first and last hop. After the scenarios:
    /// - an incoming call forwarded to another extension
    ///   (`forward_cfa_incoming.toml`, `forward_cfna_cfb.toml`), or a
    ///   quarter of them to an outside mobile number, trunk to trunk
    ///   (`forward_incoming_to_pstn.toml`);
    /// - an outgoing call: another extension calls A, whose forward sends it
    ///   out to the outside number (`forward_to_pstn_internal_caller.toml`);
    /// - an internal call: the extension called forwards it to another.
    ///
    /// Returns the last forwarding extension.
    pub(crate) fn forward(&mut self, base: &Call, rows: &mut Vec<Row>) -> String {
        let a = self.extension_of(base);
        let (caller, first) = match base.kind {
            CallKind::Incoming => (Party::outside(base.calling.clone()), a),
            CallKind::Outgoing => (self.other_extension(&[&a]), a),
            CallKind::Internal => {
                let called = self.dialled_extension(base, &a);
                (a, called)
            }
        };
        let two_hops = self.rng.random_bool(0.2);
        let last = if two_hops { self.other_extension(&[&caller, &first]) } else { first.clone() };
        let target = match base.kind {
            CallKind::Outgoing => Party::outside(base.dialled.clone()),
            CallKind::Incoming if self.rng.random_bool(0.25) => {
                Party::outside(mobile_number(self.rng))
            }
            _ => self.other_extension(&[&caller, &first, &last]),
        };
        let first_reason = self.forward_reason();
        let last_reason = if two_hops { self.forward_reason() } else { first_reason };
        let no_answer_hops = [first_reason, last_reason][..if two_hops { 2 } else { 1 }]
            .iter()
            .filter(|r| **r == REASON_FORWARD_NO_ANSWER)
            .count() as i64;

        let end = base.end.as_second();
        let connect = end - self.talk_s(base);
        let start = connect - i64::from(base.ring_s) - NO_ANSWER_TIMER_S * no_answer_hops;
        let call_id = self.ids.call();
        let orig_leg = self.ids.leg();
        // A leg rang at each forwarding phone before the one that answered.
        for _ in 0..if two_hops { 2 } else { 1 } {
            self.ids.leg();
        }
        let dest_leg = self.ids.leg();

        let mut forwarded = row(call_id, (orig_leg, dest_leg), &caller, &target);
        times(&mut forwarded, start, connect, end);
        forwarded.original_called = first.number.clone();
        forwarded.last_redirect_dn = last.number.clone();
        // Either side may hang up.
        if self.rng.random_bool(0.5) {
            forwarded.orig_cause = NORMAL_CLEARING;
        } else {
            forwarded.dest_cause = NORMAL_CLEARING;
        }
        forwarded.orig_called_redirect = ON_BEHALF_OF_FORWARD;
        forwarded.last_redirect = ON_BEHALF_OF_FORWARD;
        forwarded.orig_called_reason = first_reason;
        forwarded.last_reason = last_reason;
        rows.push(forwarded);
        last.number
    }

    /// Half call forward all, 35 % no answer, 15 % busy.
    fn forward_reason(&mut self) -> u32 {
        let r: f64 = self.rng.random();
        if r < 0.5 {
            REASON_FORWARD_ALL
        } else if r < 0.85 {
            REASON_FORWARD_NO_ANSWER
        } else {
            REASON_FORWARD_BUSY
        }
    }

    /// Ad hoc conference (scenario `conference_adhoc_pstn.toml`): A calls
    /// the extension P, puts it on hold, calls the outside number Q and
    /// conferences the three; Q hangs up and A and P talk on. Six records:
    /// the original and the setup call, ended on behalf of the conference
    /// (4); the three parties' legs to the bridge (`b00…`), each on its own
    /// earlier leg id, sharing one destConversationId, joinOnBehalfOf 4,
    /// the controller in the comment (`ConfControllerDn`); the call A → P
    /// after Q left (reason 98). P is the extension of an internal call,
    /// else another extension; Q the outside number of an outgoing call,
    /// else one A dials. Returns the controller.
    pub(crate) fn adhoc_conference(&mut self, base: &Call, rows: &mut Vec<Row>) -> String {
        let a = self.extension_of(base);
        let p = match base.kind {
            CallKind::Internal => self.dialled_extension(base, &a),
            _ => self.other_extension(&[&a]),
        };
        let q = match base.kind {
            CallKind::Outgoing => Party::outside(base.dialled.clone()),
            _ => Party::outside(external_number(self.rng)),
        };
        let bridge = Party {
            number: format!("b0029901{:03}", self.rng.random_range(1..=999u32)),
            device: BRIDGE_DEVICE.to_string(),
            ip: le_ip(10, 3, 0, 2),
            extension: None,
        };
        let end = base.end.as_second();
        let after = self.seconds(5..=120);
        let together = self.talk_s(base);
        let setup_talk = self.seconds(5..=40);
        let setup_ring = self.seconds(3..=10);
        let before_hold = self.seconds(10..=120);
        let left = end - after;
        let joined = left - together;
        let setup = joined - setup_talk - setup_ring;
        let connect = setup - before_hold;
        let start = connect - i64::from(base.ring_s);

        let original = self.ids.call();
        let (a_leg, p_leg) = (self.ids.leg(), self.ids.leg());
        let setup_call = self.ids.call();
        let (a_setup_leg, q_leg) = (self.ids.leg(), self.ids.leg());
        let bridge_legs = [self.ids.leg(), self.ids.leg(), self.ids.leg()];
        let conversation = self.ids.leg();
        let comment =
            format!("ConfControllerDn={};ConfControllerDeviceName={}", a.number, a.device);

        let mut first = row(original, (a_leg, p_leg), &a, &p);
        times(&mut first, start, connect, joined);
        first.last_redirect_dn = a.number.clone();
        split_by(&mut first, ON_BEHALF_OF_CONFERENCE);

        let mut setup_row = row(setup_call, (a_setup_leg, q_leg), &a, &q);
        times(&mut setup_row, setup, setup + setup_ring, joined);
        setup_row.last_redirect_dn = q.number.clone();
        setup_row.orig_termination = ON_BEHALF_OF_CONFERENCE;
        setup_row.dest_termination = ON_BEHALF_OF_CONFERENCE;
        setup_row.comment = comment.clone();
        rows.extend([first, setup_row]);

        // Each party's leg into the bridge, on the leg id of its side of
        // the call it was on; the controller's ends normally when the
        // bridge lets go.
        let members = [(&a, a_leg), (&p, p_leg), (&q, q_leg)];
        for ((member, own_leg), bridge_leg) in members.into_iter().zip(bridge_legs) {
            let mut leg = row(original, (own_leg, bridge_leg), member, &bridge);
            times(&mut leg, joined, joined, left);
            leg.last_redirect_dn = bridge.number.clone();
            leg.orig_cause = if member.number == a.number { NORMAL_CLEARING } else { CALL_SPLIT };
            leg.dest_cause = CALL_SPLIT;
            if member.extension.is_some() {
                leg.orig_termination = ON_BEHALF_OF_CONFERENCE_DROP;
            } else {
                leg.orig_termination = ON_BEHALF_OF_CONFERENCE;
                leg.dest_termination = ON_BEHALF_OF_CONFERENCE;
            }
            leg.orig_called_redirect = ON_BEHALF_OF_CONFERENCE;
            leg.last_redirect = ON_BEHALF_OF_CONFERENCE;
            leg.dest_conversation = conversation;
            leg.join = ON_BEHALF_OF_CONFERENCE;
            leg.comment = comment.clone();
            rows.push(leg);
        }

        let mut rest = row(original, (a_leg, p_leg), &a, &p);
        times(&mut rest, left, left, end);
        rest.last_redirect_dn = bridge.number.clone();
        rest.orig_cause = NORMAL_CLEARING;
        rest.orig_termination = ON_BEHALF_OF_CONFERENCE_DROP;
        rest.dest_termination = ON_BEHALF_OF_CONFERENCE;
        rest.last_redirect = ON_BEHALF_OF_CONFERENCE;
        rest.last_reason = REASON_CONFERENCE;
        rest.join = ON_BEHALF_OF_CONFERENCE;
        rows.push(rest);
        a.number
    }
}

/// Marks a record split by a feature: both sides ended on its behalf.
fn split_by(row: &mut Row, on_behalf_of: u32) {
    row.orig_cause = CALL_SPLIT;
    row.dest_cause = CALL_SPLIT;
    row.orig_termination = on_behalf_of;
    row.dest_termination = on_behalf_of;
}

/// A mobile number as an extension dials it.
fn mobile_number(rng: &mut SmallRng) -> String {
    format!("0{}{:08}", rng.random_range(6..=7u32), rng.random_range(0..100_000_000u32))
}

/// The index of extension `number` in the org: its numbers run on from
/// the first, so the offset finds it (a search when it does not).
fn index_of(org: &Org, number: &str) -> Option<usize> {
    let first: u64 = org.extensions.first()?.parse().ok()?;
    let guess = number.parse::<u64>().ok()?.checked_sub(first).map(|d| d as usize);
    match guess {
        Some(i) if org.extensions.get(i).is_some_and(|e| e == number) => Some(i),
        _ => org.extensions.iter().position(|e| e == number),
    }
}
