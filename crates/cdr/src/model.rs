use compact_str::CompactString;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A short string that stays inline (no allocation) up to 24 bytes, which
/// covers phone numbers, trunk ids and codes.
pub type Text = CompactString;

/// What a parser makes of one raw record.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// A call (or call leg) record.
    Cdr(Box<Cdr>),
    /// A call-quality record (Cisco CMR) that belongs to a leg of a CDR.
    Quality(Box<QualityRecord>),
    /// Framing that carries no call: a header line, a type line, a blank
    /// line, a keep-alive. Not counted as a record.
    NotARecord,
}

/// What kind of record the PBX wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// An ordinary end-of-call record.
    #[default]
    Call,
    /// An intermediate record of a long call (written before the call ends).
    Intermediate,
    /// A record the PBX marks as a call leg of a larger call (conference,
    /// transfer, recording…): correlation decides how it is billed.
    Leg,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Call => "call",
            RecordKind::Intermediate => "intermediate",
            RecordKind::Leg => "leg",
        }
    }
    pub fn code(self) -> u8 {
        self as u8
    }
    pub fn from_code(c: u8) -> Self {
        match c {
            1 => RecordKind::Intermediate,
            2 => RecordKind::Leg,
            _ => RecordKind::Call,
        }
    }
}

/// Which way the call went, seen from the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Outgoing,
    Incoming,
    Internal,
    /// Trunk to trunk through the PBX.
    Tandem,
    /// The record does not say; enrichment decides with the directory.
    #[default]
    Unknown,
}

impl Direction {
    pub const ALL: [Direction; 5] = [
        Direction::Outgoing,
        Direction::Incoming,
        Direction::Internal,
        Direction::Tandem,
        Direction::Unknown,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Outgoing => "outgoing",
            Direction::Incoming => "incoming",
            Direction::Internal => "internal",
            Direction::Tandem => "tandem",
            Direction::Unknown => "unknown",
        }
    }
    pub fn code(self) -> u8 {
        self as u8
    }
    pub fn from_code(c: u8) -> Self {
        Self::ALL.get(c as usize).copied().unwrap_or(Direction::Unknown)
    }
}

/// How the call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    #[default]
    Answered,
    NoAnswer,
    Busy,
    Failed,
}

impl Disposition {
    pub const ALL: [Disposition; 4] =
        [Disposition::Answered, Disposition::NoAnswer, Disposition::Busy, Disposition::Failed];
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Answered => "answered",
            Disposition::NoAnswer => "no_answer",
            Disposition::Busy => "busy",
            Disposition::Failed => "failed",
        }
    }
    pub fn code(self) -> u8 {
        self as u8
    }
    pub fn from_code(c: u8) -> Self {
        Self::ALL.get(c as usize).copied().unwrap_or(Disposition::Failed)
    }
}

/// Ids that let correlation join the legs of one call.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Correlation {
    /// Groups the legs of one call (CUCM `ClusterID:callManagerId:callId`,
    /// Asterisk `linkedid`, FreeSWITCH call uuid).
    pub global_call_id: Text,
    /// Id of the originating leg (CUCM `origLegCallIdentifier`, Asterisk
    /// `uniqueid`, FreeSWITCH `uuid`).
    pub orig_leg_id: Text,
    /// Id of the terminating leg (CUCM `destLegIdentifier`, FreeSWITCH
    /// `bleg_uuid`).
    pub dest_leg_id: Text,
    /// Conversation ids (CUCM `origConversationId`, `destConversationId`).
    pub orig_conversation_id: Text,
    pub dest_conversation_id: Text,
}

impl Correlation {
    pub fn is_empty(&self) -> bool {
        self.global_call_id.is_empty()
            && self.orig_leg_id.is_empty()
            && self.dest_leg_id.is_empty()
            && self.orig_conversation_id.is_empty()
            && self.dest_conversation_id.is_empty()
    }
}

/// Where a raw record came from: a file and line, or a journal offset.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Location {
    /// File path or stream name (`pbx-name@journal`).
    pub source: String,
    /// 1-based line number in a file, or byte offset in a journal.
    pub position: u64,
    /// True when `position` is a byte offset rather than a line number.
    pub is_offset: bool,
}

impl Location {
    pub fn line(source: impl Into<String>, line: u64) -> Self {
        Location { source: source.into(), position: line, is_offset: false }
    }
    pub fn offset(source: impl Into<String>, offset: u64) -> Self {
        Location { source: source.into(), position: offset, is_offset: true }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_offset {
            write!(f, "{}@{}", self.source, self.position)
        } else {
            write!(f, "{}:{}", self.source, self.position)
        }
    }
}

/// One call detail record, whatever PBX wrote it.
///
/// Times are UTC. Numbers are kept as the PBX wrote them (digits, `+`, `*`,
/// `#`); classification normalises them later. Anything the source carries
/// that has no field here goes into `extras`, so nothing is thrown away.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cdr {
    /// Name of the PBX the record came from (set by the pipeline).
    pub pbx: Text,
    pub kind: RecordKind,
    /// Hash of the fields that identify this record at its PBX (see
    /// [`crate::IdentityHasher`]); with `start` it is the dedup key.
    pub identity: u64,
    /// Seizure / origination time.
    pub start: Timestamp,
    /// Connect time; `None` when the call was never answered.
    pub answer: Option<Timestamp>,
    pub end: Timestamp,
    /// Talk time in whole seconds (answer → end).
    pub duration_s: u32,
    /// Ringing time in seconds (start → answer), when known.
    pub ring_s: Option<u32>,
    pub direction: Direction,
    pub disposition: Disposition,

    pub calling: Text,
    pub dialled: Text,
    pub original_called: Text,
    pub final_called: Text,
    pub last_redirecting: Text,

    pub account_code: Text,
    pub auth_code: Text,
    pub client_matter: Text,

    /// Incoming trunk / circuit id (`trunk` or `trunk/circuit`).
    pub trunk_in: Text,
    /// Outgoing trunk / circuit id.
    pub trunk_out: Text,
    pub device_orig: Text,
    pub device_dest: Text,
    /// Cause / condition codes as the PBX writes them.
    pub cause_orig: Text,
    pub cause_dest: Text,

    pub correlation: Correlation,
    pub location: Location,
    /// Vendor-specific fields without a place above, in source order.
    pub extras: Vec<(Text, Text)>,
}

impl Cdr {
    /// The value of a vendor extra, if present.
    pub fn extra(&self, key: &str) -> Option<&str> {
        self.extras.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Checks the invariants every stored CDR must satisfy; a violation
    /// sends the record to quarantine with the returned reason.
    pub fn check_consistency(&self) -> Result<(), String> {
        if self.end < self.start {
            return Err(format!("end {} is before start {}", self.end, self.start));
        }
        if let Some(answer) = self.answer {
            if answer < self.start {
                return Err(format!("answer {answer} is before start {}", self.start));
            }
            if answer > self.end {
                return Err(format!("answer {answer} is after end {}", self.end));
            }
        }
        // A week-long call is not a call; PBXs split long calls far sooner.
        const MAX_CALL_S: u32 = 7 * 24 * 3600;
        if self.duration_s > MAX_CALL_S {
            return Err(format!("impossible duration {} s", self.duration_s));
        }
        let span = self.end.as_second() - self.start.as_second();
        // Durations may be rounded up by the PBX, allow a minute of slack.
        if i64::from(self.duration_s) > span + 60 {
            return Err(format!(
                "duration {} s is longer than the call's span of {} s",
                self.duration_s, span
            ));
        }
        // The numbers are text columns in every store, and PostgreSQL's
        // text cannot hold NUL: such a call would be refused there with
        // its whole batch. A NUL in a number is line noise, not a number.
        for (name, number) in [("calling", &self.calling), ("dialled", &self.dialled)] {
            if number.as_bytes().contains(&0) {
                return Err(format!("the {name} number {:?} holds a NUL byte", number.as_str()));
            }
        }
        Ok(())
    }
}

/// Voice-quality metrics of one leg (Cisco CMR), attached to the CDR whose
/// `orig_leg_id` or `dest_leg_id` equals `leg_id` within `global_call_id`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QualityRecord {
    pub pbx: Text,
    pub identity: u64,
    pub global_call_id: Text,
    pub leg_id: Text,
    pub timestamp: Timestamp,
    pub directory_number: Text,
    pub device_name: Text,
    pub packets_sent: Option<u64>,
    pub packets_received: Option<u64>,
    pub packets_lost: Option<u64>,
    /// Jitter in milliseconds.
    pub jitter_ms: Option<u32>,
    /// Latency in milliseconds.
    pub latency_ms: Option<u32>,
    /// `varVQMetrics` as key/value pairs (`CCR`, `ICR`, `MOSLQK`…), verbatim.
    pub metrics: Vec<(Text, Text)>,
    /// Vendor fields without a place above, in source order.
    pub extras: Vec<(Text, Text)>,
    pub location: Location,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(start: i64, answer: Option<i64>, end: i64, duration_s: u32) -> Cdr {
        let t = |s| Timestamp::from_second(s).unwrap();
        Cdr {
            start: t(start),
            answer: answer.map(t),
            end: t(end),
            duration_s,
            ..Default::default()
        }
    }

    #[test]
    fn consistent_calls_pass() {
        assert_eq!(call(100, Some(110), 170, 60).check_consistency(), Ok(()));
        assert_eq!(call(100, None, 130, 0).check_consistency(), Ok(()));
        // PBXs round durations up: a little slack is allowed.
        assert_eq!(call(100, Some(100), 160, 90).check_consistency(), Ok(()));
    }

    #[test]
    fn inconsistent_calls_say_why() {
        let cases = [
            (
                call(200, None, 100, 0),
                "end 1970-01-01T00:01:40Z is before start 1970-01-01T00:03:20Z",
            ),
            (
                call(100, Some(90), 170, 60),
                "answer 1970-01-01T00:01:30Z is before start 1970-01-01T00:01:40Z",
            ),
            (
                call(100, Some(200), 170, 0),
                "answer 1970-01-01T00:03:20Z is after end 1970-01-01T00:02:50Z",
            ),
            (call(0, Some(0), 700_000, 700_000), "impossible duration 700000 s"),
            (
                call(100, Some(100), 160, 600),
                "duration 600 s is longer than the call's span of 60 s",
            ),
            (
                Cdr { calling: "20\u{0}1".into(), ..call(100, None, 130, 0) },
                "the calling number \"20\\01\" holds a NUL byte",
            ),
            (
                Cdr { dialled: "\u{0}".into(), ..call(100, None, 130, 0) },
                "the dialled number \"\\0\" holds a NUL byte",
            ),
        ];
        for (cdr, reason) in cases {
            assert_eq!(cdr.check_consistency(), Err(reason.to_string()));
        }
    }
}
