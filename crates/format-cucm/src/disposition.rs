//! How a call ended, from CUCM's call termination cause codes.
//!
//! A call whose `dateTimeConnect` is set was answered, whatever the causes
//! say. For the others both `origCause_value` and `destCause_value` are read
//! (CUCM puts the cause in the column of the side that cleared the call and
//! writes 0 in the other), using the "Call Termination Cause Codes" table of
//! Cisco's CDR Administration Guide:
//!
//! * Q.850 codes (0–127) are taken as they are.
//! * Cisco's SIP codes (0x01000000 and up, e.g. 1459617833 = 0x57000029,
//!   `CCM_SIP_503_SERVICE_UNAVAILABLE`) carry the SIP status in the high byte
//!   and the equivalent Q.850 cause in the low byte (503 → 41); the low byte
//!   is used.
//! * 393216 (0x60000, call split by transfer/conference) and 458752
//!   (0x70000, dropped from a conference) mean a feature ended the leg: no
//!   answer, no failure.
//! * Every other Cisco-specific code (conference full, preemption, CTI
//!   errors, out of bandwidth…) is a failure.
//!
//! The Q.850 cause then decides:
//!
//! | cause | meaning | disposition |
//! |---|---|---|
//! | 17 | user busy (also SIP 486, 600) | busy |
//! | 0 | no error: abandoned before anything happened | no answer |
//! | 16 | normal clearing: the caller hung up while it rang | no answer |
//! | 18, 19 | no user responding / no answer (user alerted) | no answer |
//! | 21 | call rejected: the called user declined (SIP 603) | no answer |
//! | 26 | non-selected user clearing: another device took the call | no answer |
//! | 31 | normal, unspecified (SIP 487 request terminated: caller cancelled) | no answer |
//! | any other | unallocated number, no route, out of order, congestion… | failed |
//!
//! Busy wins over everything, then any failure cause, else no answer.

use cdr::Disposition;

const USER_BUSY: u32 = 17;
const CALL_SPLIT: u32 = 0x6_0000;
const CONFERENCE_DROP_ANY_PARTY: u32 = 0x7_0000;
/// The first of Cisco's SIP-derived codes.
const SIP_CODES_START: u32 = 0x0100_0000;

/// What one cause code says about an unanswered call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CauseClass {
    Busy,
    NoAnswer,
    Failed,
}

fn classify(code: u32) -> CauseClass {
    let q850 = match code {
        0..=127 => code,
        CALL_SPLIT | CONFERENCE_DROP_ANY_PARTY => return CauseClass::NoAnswer,
        SIP_CODES_START.. => code & 0x7f,
        _ => return CauseClass::Failed,
    };
    match q850 {
        USER_BUSY => CauseClass::Busy,
        0 | 16 | 18 | 19 | 21 | 26 | 31 => CauseClass::NoAnswer,
        _ => CauseClass::Failed,
    }
}

/// The disposition of a call from whether it connected and its two causes.
pub(crate) fn disposition(answered: bool, orig_cause: u32, dest_cause: u32) -> Disposition {
    if answered {
        return Disposition::Answered;
    }
    let classes = [classify(orig_cause), classify(dest_cause)];
    if classes.contains(&CauseClass::Busy) {
        Disposition::Busy
    } else if classes.contains(&CauseClass::Failed) {
        Disposition::Failed
    } else {
        Disposition::NoAnswer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connected_calls_are_answered_whatever_the_cause() {
        assert_eq!(disposition(true, 16, 0), Disposition::Answered);
        assert_eq!(disposition(true, 0, 41), Disposition::Answered);
    }

    #[test]
    fn q850_causes() {
        assert_eq!(disposition(false, 0, 0), Disposition::NoAnswer);
        assert_eq!(disposition(false, 16, 0), Disposition::NoAnswer);
        assert_eq!(disposition(false, 0, 19), Disposition::NoAnswer);
        assert_eq!(disposition(false, 17, 0), Disposition::Busy);
        assert_eq!(disposition(false, 0, 17), Disposition::Busy);
        assert_eq!(disposition(false, 1, 0), Disposition::Failed);
        assert_eq!(disposition(false, 16, 27), Disposition::Failed);
    }

    #[test]
    fn cisco_specific_causes() {
        assert_eq!(disposition(false, 393_216, 0), Disposition::NoAnswer, "call split");
        assert_eq!(disposition(false, 262_144, 0), Disposition::Failed, "conference full");
        // CCM_SIP_486_BUSY_HERE, CCM_SIP_600_BUSY_EVERYWHERE
        assert_eq!(disposition(false, 0, 1_174_405_137), Disposition::Busy);
        assert_eq!(disposition(false, 0, 2_701_131_793), Disposition::Busy);
        // CCM_SIP_487_REQUEST_TERMINATED, CCM_SIP_603_DECLINE
        assert_eq!(disposition(false, 1_191_182_367, 0), Disposition::NoAnswer);
        assert_eq!(disposition(false, 0, 2_717_909_013), Disposition::NoAnswer);
        // CCM_SIP_503_SERVICE_UNAVAILABLE, CCM_SIP_404_NOT_FOUND
        assert_eq!(disposition(false, 0, 1_459_617_833), Disposition::Failed);
        assert_eq!(disposition(false, 83_886_081, 0), Disposition::Failed);
    }
}
