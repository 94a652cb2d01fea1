//! Cisco UCM: legs are tied by the global call id
//! (`ClusterID:callManagerId:callId`), by call leg identifiers (a
//! transfer's or conference's later records reuse the earlier legs' ids)
//! and by conversation ids (a conference's parties, chained conferences);
//! what a record is part of comes from its OnBehalfOf codes and redirect
//! reasons, as the "CDR Examples" chapter of Cisco's Call Detail Records
//! Administration Guide shows them.

use super::Ties;
use crate::leg::{Feature, Features, Part, Sign};
use cdr::{Cdr, Text};

// OnBehalfOf codes.
const PARK: u32 = 3;
const CONFERENCE: u32 = 4;
const FORWARD: u32 = 5;
const MEET_ME: u32 = 6;
const TRANSFER: u32 = 10;
/// SIP transfers: REFER, and INVITE with Replaces.
const REFER: u32 = 17;
const REPLACES: u32 = 18;
const IMMEDIATE_DIVERT: u32 = 14;
const BARGE: u32 = 15;
const PICKUP: u32 = 16;
const DIRECTED_PARK: u32 = 26;
const RECORDING: u32 = 27;
const MONITORING: u32 = 28;

// Redirect reasons.
const REASON_CONFERENCE: u32 = 98;
const REASON_BARGE: u32 = 114;
const REASON_IMMEDIATE_DIVERT: u32 = 50;
const REASON_RECORDING: u32 = 354;
const REASON_MONITORING: u32 = 370;

/// The codes of one record.
struct Codes {
    join: u32,
    orig_termination: u32,
    dest_termination: u32,
    orig_called_redirect: u32,
    last_redirect: u32,
    orig_called_reason: u32,
    last_reason: u32,
}

impl Codes {
    /// The codes, read in one pass over the extras (a CUCM record has
    /// dozens; a search per code cost more than the rest of correlation).
    fn of(cdr: &Cdr) -> (Codes, Option<&str>) {
        let mut codes = Codes {
            join: 0,
            orig_termination: 0,
            dest_termination: 0,
            orig_called_redirect: 0,
            last_redirect: 0,
            orig_called_reason: 0,
            last_reason: 0,
        };
        let mut comment = None;
        for (name, value) in &cdr.extras {
            let slot = match name.len() {
                7 if name.eq_ignore_ascii_case("comment") => {
                    comment = Some(value.as_str());
                    continue;
                }
                14 if name.eq_ignore_ascii_case("joinOnBehalfOf") => &mut codes.join,
                29 if name.eq_ignore_ascii_case("origCallTerminationOnBehalfOf") => {
                    &mut codes.orig_termination
                }
                29 if name.eq_ignore_ascii_case("destCallTerminationOnBehalfOf") => {
                    &mut codes.dest_termination
                }
                33 if name.eq_ignore_ascii_case("origCalledPartyRedirectOnBehalfOf") => {
                    &mut codes.orig_called_redirect
                }
                30 if name.eq_ignore_ascii_case("lastRedirectRedirectOnBehalfOf") => {
                    &mut codes.last_redirect
                }
                29 if name.eq_ignore_ascii_case("origCalledPartyRedirectReason") => {
                    &mut codes.orig_called_reason
                }
                26 if name.eq_ignore_ascii_case("lastRedirectRedirectReason") => {
                    &mut codes.last_reason
                }
                _ => continue,
            };
            *slot = value.trim().parse().unwrap_or(0);
        }
        (codes, comment)
    }

    fn redirected_by(&self, code: u32) -> bool {
        self.orig_called_redirect == code || self.last_redirect == code
    }

    fn reason(&self, reason: u32) -> bool {
        self.orig_called_reason == reason || self.last_reason == reason
    }

    fn terminated_by(&self, code: u32) -> bool {
        self.orig_termination == code || self.dest_termination == code
    }
}

pub(crate) fn keys(cdr: &Cdr, keys: &mut Ties) {
    let ids = &cdr.correlation;
    keys.add("g", &ids.global_call_id);
    // Leg and conversation ids are call leg identifiers of the cluster.
    let cluster = ids.global_call_id.split(':').next().unwrap_or_default();
    keys.add_origin_scoped(super::LEG, cluster, &ids.orig_leg_id);
    for id in [&ids.dest_leg_id, &ids.orig_conversation_id, &ids.dest_conversation_id] {
        keys.add_scoped(super::LEG, cluster, id);
    }
}

pub(crate) fn sign(cdr: &Cdr) -> Sign {
    let (codes, comment) = Codes::of(cdr);
    let mut features = Features::default();
    let mut continues = false;
    let to_bridge = cdr.final_called.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("b00"));
    let part = if codes.redirected_by(RECORDING) || codes.reason(REASON_RECORDING) {
        features.push(Feature::Recording);
        Part::Recording
    } else if codes.redirected_by(MONITORING) || codes.reason(REASON_MONITORING) {
        features.push(Feature::Monitoring);
        Part::Monitoring
    } else if codes.redirected_by(BARGE) || codes.reason(REASON_BARGE) {
        features.push(Feature::Barge);
        Part::Barge
    } else if to_bridge
        && codes.orig_called_redirect == CONFERENCE
        && codes.orig_called_reason == REASON_CONFERENCE
    {
        // cBarge: the barged call's parties are moved to a shared bridge
        // they never dialled, so even the original called party shows the
        // conference reason (98); an ad hoc conference's bridge legs carry
        // none there, a linked conference's only on the last redirect.
        features.push(Feature::Cbarge);
        Part::ConferenceLeg
    } else if [TRANSFER, REFER, REPLACES].contains(&codes.join) {
        features.push(Feature::Transfer);
        Part::Transferred
    } else if codes.join == CONFERENCE
        || codes.redirected_by(CONFERENCE)
        || codes.redirected_by(MEET_ME)
        || to_bridge
    {
        features.push(Feature::Conference);
        Part::ConferenceLeg
    } else if [TRANSFER, REFER, REPLACES].iter().any(|c| codes.terminated_by(*c)) {
        features.push(Feature::Transfer);
        continues = true;
        Part::BeforeTransfer
    } else if codes.terminated_by(CONFERENCE) {
        features.push(Feature::Conference);
        continues = true;
        Part::BeforeConference
    } else if codes.terminated_by(PARK) || codes.terminated_by(DIRECTED_PARK) {
        features.push(Feature::Park);
        continues = true;
        Part::Parked
    } else if codes.redirected_by(PARK) || codes.redirected_by(DIRECTED_PARK) {
        features.push(Feature::Park);
        Part::Retrieved
    } else if codes.redirected_by(PICKUP) {
        features.push(Feature::Pickup);
        Part::PickedUp
    } else if codes.redirected_by(IMMEDIATE_DIVERT) || codes.reason(REASON_IMMEDIATE_DIVERT) {
        features.push(Feature::Divert);
        Part::Diverted
    } else if codes.redirected_by(FORWARD) {
        features.push(Feature::Forward);
        Part::Forwarded
    } else {
        Part::Ordinary
    };
    Sign {
        part,
        features,
        controller: comment.and_then(controller),
        continues,
        explicit: true,
        ..Sign::default()
    }
}

/// The conference controller's number from the `comment` column
/// (`ConfControllerDn=1003;ConfControllerDeviceName=…`), read tolerantly:
/// any case, separators `;`, `&`, `,` or spaces, surrounding spaces.
fn controller(comment: &str) -> Option<Text> {
    const TAG: &str = "confcontrollerdn";
    let lower = comment.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(TAG) {
        let after = from + at + TAG.len();
        let rest = comment[after..].trim_start();
        if let Some(value) = rest.strip_prefix('=').or_else(|| rest.strip_prefix(':')) {
            let value = value.trim_start();
            let end = value.find([';', '&', ',', ' ', '\t']).unwrap_or(value.len());
            let number = value[..end].trim_matches('"');
            if !number.is_empty() {
                return Some(Text::from(number));
            }
        }
        from = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_controller_is_read_from_the_comment_whatever_its_spelling() {
        let cases = [
            ("ConfControllerDn=1003;ConfControllerDeviceName=SEP003094C2B08A", Some("1003")),
            ("ConfRequestorDn=1004; confcontrollerdn = 1003 ;ConfDeviceName=CFB_2", Some("1003")),
            ("ConfControllerDn=\"2001\"&ConfRequestorDn=2002", Some("2001")),
            ("ConfControllerDn=;ConfControllerDn=2001", Some("2001")),
            ("ConfRequestorDn=1004", None),
            ("", None),
        ];
        for (comment, expected) in cases {
            assert_eq!(controller(comment).as_deref(), expected, "{comment}");
        }
    }
}
