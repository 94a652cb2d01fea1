//! A logical call: its legs, what was recognised in it, and who pays for
//! each leg under the [`Rules`], with the reason (for `bluewhale explain`).

use crate::leg::{Feature, Key, Leg, Part};
use crate::rules::{ConferenceRule, ForwardRule, Rules, TransferRule};
use cdr::Text;
use serde::Serialize;

/// Why a leg is billed to whom it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// An extension called: it pays.
    Caller,
    /// An outside party called an extension: the extension that answered.
    Answerer,
    /// No extension on the leg and nobody who caused it.
    NoExtension,
    /// Reached through a forward or divert: the forwarding extension.
    ForwardingParty,
    /// Reached through a forward or divert, billed to the caller (rule).
    ForwardCaller,
    /// After a transfer: the extension that completed it.
    Transferor,
    /// After a transfer: the extension left on the call (rule).
    Transferee,
    /// A conference leg: the conference's controller.
    Controller,
    /// The leg of an extension barging in.
    Barging,
    /// Continues a parked or picked-up call: billed as its first leg.
    AsFirstLeg,
    /// A leg of a barged call (cBarge): the barged call's payer.
    BargedCall,
    /// Rang while another member of a group answered: as the leg answered.
    AnsweredElsewhere,
    /// The other side of another leg (a B-leg): as that leg.
    OtherSide,
    /// Recording or monitoring: nobody.
    Observer,
}

/// Every reason, for reading a stored code back.
const REASONS: [Reason; 14] = [
    Reason::Caller,
    Reason::Answerer,
    Reason::NoExtension,
    Reason::ForwardingParty,
    Reason::ForwardCaller,
    Reason::Transferor,
    Reason::Transferee,
    Reason::Controller,
    Reason::Barging,
    Reason::AsFirstLeg,
    Reason::BargedCall,
    Reason::AnsweredElsewhere,
    Reason::OtherSide,
    Reason::Observer,
];

impl Reason {
    /// The reason as a short code, as the store keeps it (a sentence per
    /// leg would make each stored outcome several times larger).
    pub fn code(self) -> &'static str {
        match self {
            Reason::Caller => "caller",
            Reason::Answerer => "answerer",
            Reason::NoExtension => "no_extension",
            Reason::ForwardingParty => "forwarding_party",
            Reason::ForwardCaller => "forward_caller",
            Reason::Transferor => "transferor",
            Reason::Transferee => "transferee",
            Reason::Controller => "controller",
            Reason::Barging => "barging",
            Reason::AsFirstLeg => "as_first_leg",
            Reason::BargedCall => "barged_call",
            Reason::AnsweredElsewhere => "answered_elsewhere",
            Reason::OtherSide => "other_side",
            Reason::Observer => "observer",
        }
    }

    /// The reason whose [`Reason::code`] is `code`.
    pub fn from_code(code: &str) -> Option<Reason> {
        REASONS.into_iter().find(|r| r.code() == code)
    }

    /// A stored reason in a sentence: the sentence of its code, or the text
    /// itself when it is not a code (outcomes stored as sentences).
    pub fn describe_stored(stored: &str) -> &str {
        Reason::from_code(stored).map_or(stored, |r| r.describe())
    }

    /// The reason in a sentence, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Caller => "the calling extension pays",
            Reason::Answerer => "an outside caller: the extension that answered",
            Reason::NoExtension => "no extension on this leg: nobody",
            Reason::ForwardingParty => "forwarded: the extension whose forward sent it on",
            Reason::ForwardCaller => "forwarded: the calling extension (rule forward = caller)",
            Reason::Transferor => "after the transfer: the extension that transferred it",
            Reason::Transferee => {
                "after the transfer: the extension left on the call (rule transfer = transferee)"
            }
            Reason::Controller => "conference: the extension that set it up",
            Reason::Barging => "the extension that barged in",
            Reason::AsFirstLeg => "the parked or picked-up call goes on: as its first leg",
            Reason::BargedCall => "part of the barged call: as the barged call's first leg",
            Reason::AnsweredElsewhere => "rang while another leg answered: as the leg answered",
            Reason::OtherSide => "the other side of another leg of the call: as that leg",
            Reason::Observer => "recording or monitoring: nobody, not counted",
        }
    }
}

/// One leg of a logical call, and who pays for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegOutcome {
    /// The leg's id ([`Leg::id`]).
    pub leg: u64,
    /// When the leg started (with `leg`, the stored call's key).
    pub start: cdr::Timestamp,
    pub part: Part,
    /// The extension number that pays for this leg's cost; `None`: nobody.
    pub billed_to: Option<Text>,
    pub reason: Reason,
    /// The one leg reports count for the call.
    pub counted: bool,
}

/// The call that actually happened, made of one or more legs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogicalCall {
    /// The id of its first leg (earliest start, then smallest id): stable
    /// whatever order the legs came in.
    pub id: u64,
    /// The PBX its legs came from (keys are per PBX: a call never spans
    /// two).
    pub pbx: Text,
    pub features: Vec<Feature>,
    /// In start order.
    pub legs: Vec<LegOutcome>,
    /// No more legs are expected (see `Correlator::advance`).
    pub complete: bool,
}

/// Who pays for each of `legs` (the legs of one call, any order).
pub fn attribute(legs: &[&Leg], rules: &Rules) -> LogicalCall {
    let mut legs: Vec<&Leg> = legs.to_vec();
    legs.sort_by_key(|l| (l.start, l.id));
    if crate::infer::needed(&legs) {
        let mut inferred: Vec<Leg> = legs.iter().map(|l| (*l).clone()).collect();
        crate::infer::infer(&mut inferred);
        return attribute_sorted(&inferred.iter().collect::<Vec<_>>(), rules);
    }
    attribute_sorted(&legs, rules)
}

/// [`attribute`] of legs in start order, their parts known.
fn attribute_sorted(legs: &[&Leg], rules: &Rules) -> LogicalCall {
    let mut features: Vec<Feature> = legs.iter().flat_map(|l| l.sign.features.iter()).collect();
    features.sort();
    features.dedup();
    // A cBarge moves the barged call's parties to a bridge, which its
    // records show as a conference: it is the barge that happened.
    if features.contains(&Feature::Cbarge) {
        features.retain(|f| *f != Feature::Conference);
    }
    let context = Context::of(legs, features.contains(&Feature::Cbarge));
    let counted = legs.iter().find(|l| !l.sign.part.is_observer()).map(|l| l.id);
    let outcomes = legs
        .iter()
        .map(|leg| {
            let (billed_to, reason) = payer(leg, &context, rules);
            LegOutcome {
                leg: leg.id,
                start: leg.start,
                part: leg.sign.part,
                billed_to,
                reason,
                counted: Some(leg.id) == counted,
            }
        })
        .collect();
    LogicalCall {
        id: legs.first().map_or(0, |l| l.id),
        pbx: legs.first().map(|l| l.pbx.clone()).unwrap_or_default(),
        features,
        legs: outcomes,
        complete: false,
    }
}

/// What the whole call tells about its legs' payers.
struct Context<'a> {
    /// cBarge: the legs' keys, to find the barging leg (the one whose own
    /// side is on no other leg).
    cbarge: Option<Vec<Key>>,
    controller: Option<Text>,
    transferor: Option<Text>,
    /// The consultation's targets: extensions the transferor called.
    consulted: Vec<&'a Text>,
    first: Option<(Option<Text>, Reason)>,
    /// Who pays for the first leg answered (for legs that rang elsewhere).
    answered: Option<Text>,
    /// Legs by their origin key, for the other sides billed as them.
    by_origin: Vec<(Key, &'a Leg)>,
    /// Legs naming a controller: (their side keys, the controller).
    controllers: Vec<(&'a [Key], &'a Text)>,
}

impl<'a> Context<'a> {
    fn of(legs: &[&'a Leg], cbarge: bool) -> Context<'a> {
        let cbarge = cbarge.then(|| legs.iter().flat_map(|l| l.keys.iter().copied()).collect());
        let first = legs.iter().find(|l| !l.sign.part.is_observer()).map(|l| ordinary(l));
        let before_transfer: Vec<&&Leg> =
            legs.iter().filter(|l| l.sign.part == Part::BeforeTransfer).collect();
        let transferor = common_extension(&before_transfer).or_else(|| {
            // One leg ended by the transfer: its extension that is not on
            // the transferred leg.
            let after: Vec<&&Leg> =
                legs.iter().filter(|l| l.sign.part == Part::Transferred).collect();
            before_transfer
                .iter()
                .flat_map(|l| l.extensions())
                .find(|e| !after.iter().any(|a| a.has_party(e)))
                .cloned()
        });
        let consulted = before_transfer
            .iter()
            .filter(|l| transferor.as_ref().is_some_and(|t| l.calling.number == *t))
            .filter(|l| l.called.is_extension())
            .map(|l| &l.called.number)
            .collect();
        let controller = legs.iter().find_map(|l| l.sign.controller.clone()).or_else(|| {
            let before: Vec<&&Leg> =
                legs.iter().filter(|l| l.sign.part == Part::BeforeConference).collect();
            // Else whoever opened it: the first conference leg's caller.
            common_extension(&before).or_else(|| {
                legs.iter()
                    .find(|l| l.sign.part == Part::ConferenceLeg && l.calling.is_extension())
                    .map(|l| l.calling.number.clone())
            })
        });
        let controllers = legs
            .iter()
            .filter_map(|l| Some((l.side_keys(), l.sign.controller.as_ref()?)))
            .collect();
        let answered = legs
            .iter()
            .find(|l| {
                l.answered && !l.sign.part.is_observer() && l.sign.part != Part::RangElsewhere
            })
            .and_then(|l| ordinary(l).0);
        let by_origin = legs.iter().filter_map(|l| Some((l.origin?, *l))).collect();
        Context {
            cbarge,
            controller,
            transferor,
            consulted,
            first,
            answered,
            by_origin,
            controllers,
        }
    }
}

/// The extension on every one of `legs` (at least two), if one is.
fn common_extension(legs: &[&&Leg]) -> Option<Text> {
    if legs.len() < 2 {
        return None;
    }
    legs[0].extensions().find(|e| legs[1..].iter().all(|l| l.has_party(e))).cloned()
}

/// The controller a conference leg's record names, or the one named by the
/// first leg (in start order) sharing one of its sides.
fn own_controller<'c>(leg: &'c Leg, call: &'c Context<'_>) -> Option<&'c Text> {
    leg.sign.controller.as_ref().or_else(|| {
        call.controllers
            .iter()
            .find(|(other, _)| other.iter().any(|k| leg.side_keys().contains(k)))
            .map(|(_, controller)| *controller)
    })
}

/// Rule 1: who pays for a leg on its own.
fn ordinary(leg: &Leg) -> (Option<Text>, Reason) {
    if leg.calling.is_extension() {
        (Some(leg.calling.number.clone()), Reason::Caller)
    } else if leg.called.is_extension() {
        (Some(leg.called.number.clone()), Reason::Answerer)
    } else {
        (None, Reason::NoExtension)
    }
}

fn forwarding_party(leg: &Leg) -> Option<Text> {
    [&leg.redirecting, &leg.original_called]
        .into_iter()
        .find(|p| p.is_extension() && p.number != leg.called.number)
        .map(|p| p.number.clone())
}

fn payer(leg: &Leg, call: &Context<'_>, rules: &Rules) -> (Option<Text>, Reason) {
    match leg.sign.part {
        Part::Recording | Part::Monitoring => (None, Reason::Observer),
        Part::Forwarded | Part::Diverted => {
            let forwarding = forwarding_party(leg);
            match (rules.forward, forwarding) {
                (ForwardRule::Caller, _) if leg.calling.is_extension() => {
                    (Some(leg.calling.number.clone()), Reason::ForwardCaller)
                }
                (_, Some(party)) => (Some(party), Reason::ForwardingParty),
                (_, None) => ordinary(leg),
            }
        }
        // The link between two conferences' bridges: no extension on it.
        Part::Transferred if call.transferor.is_none() && leg.sign.controller.is_some() => {
            (leg.sign.controller.clone(), Reason::Controller)
        }
        Part::Transferred => match rules.transfer {
            TransferRule::Transferor => match &call.transferor {
                Some(t) => (Some(t.clone()), Reason::Transferor),
                None => ordinary(leg),
            },
            TransferRule::Transferee => {
                let stays =
                    call.consulted.iter().find(|e| leg.has_party(e)).map(|e| (*e).clone()).or_else(
                        || leg.extensions().find(|e| call.transferor.as_ref() != Some(*e)).cloned(),
                    );
                match stays {
                    Some(e) => (Some(e), Reason::Transferee),
                    None => ordinary(leg),
                }
            }
        },
        Part::ConferenceLeg | Part::BeforeConference if call.cbarge.is_some() => {
            let keys = call.cbarge.as_deref().unwrap_or_default();
            let own_side_alone =
                leg.origin.is_some_and(|o| keys.iter().filter(|k| **k == o).count() == 1);
            if own_side_alone && leg.calling.is_extension() {
                (Some(leg.calling.number.clone()), Reason::Barging)
            } else {
                match &call.first {
                    Some((Some(payer), _)) => (Some(payer.clone()), Reason::BargedCall),
                    _ => ordinary(leg),
                }
            }
        }
        Part::ConferenceLeg | Part::BeforeConference => {
            // Linked conferences have a controller each: a leg goes to the
            // one its own record names, else to the one named by a leg on
            // the same side (the call that became that conference).
            let controller = own_controller(leg, call).or(call.controller.as_ref());
            match (rules.conference, controller) {
                (ConferenceRule::Controller, Some(c)) => (Some(c.clone()), Reason::Controller),
                // An outside party's leg into the bridge: who brought it in.
                (ConferenceRule::Party, Some(c)) if ordinary(leg).0.is_none() => {
                    (Some(c.clone()), Reason::Controller)
                }
                _ => ordinary(leg),
            }
        }
        Part::Barge => match leg.calling.is_extension() {
            true => (Some(leg.calling.number.clone()), Reason::Barging),
            false => ordinary(leg),
        },
        Part::Retrieved | Part::PickedUp => match &call.first {
            Some((payer, _)) if payer.is_some() => (payer.clone(), Reason::AsFirstLeg),
            _ => ordinary(leg),
        },
        Part::OtherSide => {
            let of = leg.sign.other_side_of;
            let side = call.by_origin.iter().find(|(origin, _)| Some(*origin) == of);
            match side {
                Some((_, other)) if other.sign.part != Part::OtherSide => {
                    let (payer, _) = payer(other, call, rules);
                    (payer, Reason::OtherSide)
                }
                _ => ordinary(leg),
            }
        }
        Part::RangElsewhere => match &call.answered {
            Some(payer) => (Some(payer.clone()), Reason::AnsweredElsewhere),
            None => ordinary(leg),
        },
        Part::Ordinary | Part::BeforeTransfer | Part::Parked => ordinary(leg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back_from_its_code_which_is_its_json_name() {
        for reason in REASONS {
            assert_eq!(Reason::from_code(reason.code()), Some(reason));
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.code());
            assert_eq!(Reason::describe_stored(reason.code()), reason.describe());
        }
        // Outcomes stored as sentences read as they are.
        assert_eq!(
            Reason::describe_stored("the calling extension pays"),
            "the calling extension pays"
        );
        assert_eq!(Reason::from_code("nobody knows"), None);
    }
}
