//! Condition codes: what kind of call a record describes.
//!
//! From Avaya's condition code table (Communication Manager administration,
//! "Call detail recording"):
//!
//! | code | Avaya's meaning | direction | disposition | kind | duration item holds |
//! |---|---|---|---|---|---|
//! | `0` | intraswitch call | internal | answered | call | talk time |
//! | `1` | attendant-handled or attendant-assisted call | from trunks | answered | call | talk time |
//! | `4` | extremely long call: written after each 10 hours, duration 9:59.x | from trunks | answered | intermediate | talk time so far |
//! | `6` | not recorded for lack of resources, or ISDN call refused at the far end | from trunks | failed | call | outage time |
//! | `7` | AAR/ARS call | outgoing | answered | call | talk time |
//! | `8` | served later by ringback queuing | outgoing | answered | call | talk time |
//! | `9` | incoming or tandem call | incoming | answered | call | talk time |
//! | `A` | outgoing call (trunk access code) | outgoing | answered | call | talk time |
//! | `B` | adjunct-placed outgoing call | outgoing | answered | call | talk time |
//! | `C` | conference: one record per trunk of the conference | from trunks | answered | leg | talk time |
//! | `E` | ineffective call: facilities unavailable or caller not authorized | from trunks | failed | call | — |
//! | `F` | ineffective call (not completed) | from trunks | failed | call | — |
//! | `G` | incoming call answered (ring record, trunk group "CDR Reports: ring") | incoming | answered | leg | ring time |
//! | `H` | incoming call abandoned while ringing | incoming | no answer | call | ring time |
//! | `I` | incoming call to a busy station | incoming | busy | call | 0 |
//! | `J` | incoming trunk call that is a new connection (ANF-PR path replacement, DCS reroute) | incoming | answered | leg | talk time |
//! | `K` | outgoing trunk call that is a new connection (ANF-PR, DCS reroute) | outgoing | answered | leg | talk time |
//! | `M` | trunk call recorded for a trunk-to-trunk connection | from trunks | answered | call | talk time |
//! | `T` | call redirected off the switch ("Condition Code 'T' For Redirected Calls") | from trunks | answered | call | talk time |
//!
//! "From trunks": tandem when the record names both an incoming and an
//! outgoing trunk, incoming or outgoing when it names one, internal when it
//! names none. An outgoing or incoming code becomes tandem when the other
//! trunk is present too. Any other character is an error: a layout pointing
//! `cond-code` at the wrong column shows up at once instead of mislabelling
//! every call.

use cdr::{Direction, Disposition, RecordKind};

/// What the duration item of a record measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measures {
    /// Answer to end: the call's talk time.
    TalkTime,
    /// Start of ringing to answer or abandon.
    RingTime,
    /// Not a conversation (failed calls, outages).
    NoTalk,
}

/// Which way a code points before the trunks are looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Internal,
    Incoming,
    Outgoing,
    FromTrunks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Condition {
    way: Way,
    pub disposition: Disposition,
    pub kind: RecordKind,
    pub measures: Measures,
}

impl Condition {
    /// For layouts without `cond-code`: an answered call whose direction
    /// the trunks tell.
    pub const UNRECORDED: Condition = Condition {
        way: Way::FromTrunks,
        disposition: Disposition::Answered,
        kind: RecordKind::Call,
        measures: Measures::TalkTime,
    };

    /// The meaning of a condition code, or `None` when Avaya defines none.
    pub fn from_code(code: u8) -> Option<Condition> {
        use Disposition::*;
        use Measures::*;
        use RecordKind::*;
        let c = |way, disposition, kind, measures| Condition { way, disposition, kind, measures };
        Some(match code {
            b'0' => c(Way::Internal, Answered, Call, TalkTime),
            b'1' | b'M' | b'T' => c(Way::FromTrunks, Answered, Call, TalkTime),
            b'4' => c(Way::FromTrunks, Answered, Intermediate, TalkTime),
            b'6' | b'E' | b'F' => c(Way::FromTrunks, Failed, Call, NoTalk),
            b'7' | b'8' | b'A' | b'B' => c(Way::Outgoing, Answered, Call, TalkTime),
            b'9' => c(Way::Incoming, Answered, Call, TalkTime),
            b'C' => c(Way::FromTrunks, Answered, Leg, TalkTime),
            b'G' => c(Way::Incoming, Answered, Leg, RingTime),
            b'H' => c(Way::Incoming, NoAnswer, Call, RingTime),
            b'I' => c(Way::Incoming, Busy, Call, RingTime),
            b'J' => c(Way::Incoming, Answered, Leg, TalkTime),
            b'K' => c(Way::Outgoing, Answered, Leg, TalkTime),
            _ => return None,
        })
    }

    /// The call's direction given which trunks the record names.
    pub fn direction(self, incoming_trunk: bool, outgoing_trunk: bool) -> Direction {
        let from_trunks = match (incoming_trunk, outgoing_trunk) {
            (true, true) => Direction::Tandem,
            (true, false) => Direction::Incoming,
            (false, true) => Direction::Outgoing,
            (false, false) => Direction::Internal,
        };
        match self.way {
            Way::Internal => Direction::Internal,
            Way::Incoming if outgoing_trunk => Direction::Tandem,
            Way::Incoming => Direction::Incoming,
            Way::Outgoing if incoming_trunk => Direction::Tandem,
            Way::Outgoing => Direction::Outgoing,
            Way::FromTrunks => from_trunks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunks_decide_when_the_code_does_not() {
        let conference = Condition::from_code(b'C').unwrap();
        assert_eq!(conference.direction(true, false), Direction::Incoming);
        assert_eq!(conference.direction(false, true), Direction::Outgoing);
        assert_eq!(conference.direction(true, true), Direction::Tandem);
        assert_eq!(conference.direction(false, false), Direction::Internal);
        let ars = Condition::from_code(b'7').unwrap();
        assert_eq!(ars.direction(false, false), Direction::Outgoing);
        assert_eq!(ars.direction(true, true), Direction::Tandem);
        assert!(Condition::from_code(b'Z').is_none());
        assert!(Condition::from_code(b' ').is_none());
    }
}
