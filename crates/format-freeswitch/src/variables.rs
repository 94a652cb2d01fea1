//! From FreeSWITCH channel variables to a [`Cdr`], shared by the CSV and
//! JSON parsers.
//!
//! | variable | `Cdr` field |
//! |---|---|
//! | `caller_id_number` (else `ani`) | `calling` |
//! | `destination_number` | `dialled` |
//! | `start_uepoch` › `start_epoch` › `start_stamp` | `start` (first one present wins; `*_stamp` is local time) |
//! | `answer_uepoch` › `answer_epoch` › `answer_stamp` | `answer` (`0` or empty: never answered) |
//! | `end_uepoch` › `end_epoch` › `end_stamp` | `end` |
//! | `billsec` | `duration_s` (talk time) |
//! | `duration` − `billsec` | `ring_s` |
//! | `hangup_cause` | `cause_dest` and `disposition` |
//! | `uuid` | `correlation.orig_leg_id`, identity |
//! | `call_uuid` (else `uuid`) | `correlation.global_call_id` |
//! | `bleg_uuid` › `last_bridge_to` › `bridge_uuid` › `signal_bond` | `correlation.dest_leg_id` |
//! | `accountcode` | `account_code` |
//! | `channel_name`, `bridge_channel` | `device_orig`, `device_dest` |
//! | `call_direction` | `direction` |
//!
//! Every other non-empty variable goes to `extras` under its own name. The
//! three spellings of one instant are one value: all of them are consumed,
//! the most precise present one is used.
//!
//! Disposition: a call with an answer time is `Answered` whatever the cause
//! (the cause says how it ended, the answer time that it was billable).
//! Without one: `NO_ANSWER`, `NO_USER_RESPONSE`, `ORIGINATOR_CANCEL`,
//! `NORMAL_CLEARING` or no cause at all → `NoAnswer`; `USER_BUSY` → `Busy`;
//! any other cause → `Failed`.
//!
//! Direction: FreeSWITCH's own `direction` is the channel's direction seen
//! from the switch (`inbound` = the leg came to FreeSWITCH, whether from a
//! desk phone or a carrier), so it says nothing about the call and stays an
//! extra. `call_direction`, which FusionPBX-style dialplans export as
//! `inbound`/`outbound`/`local` relative to the PBX's users, maps to
//! `Incoming`/`Outgoing`/`Internal`; anything else leaves `Unknown` for the
//! directory to decide.

use crate::stamp;
use cdr::text::{lossy, number, u32_field};
use cdr::{
    Cdr, Correlation, Direction, Disposition, IdentityHasher, ParseError, ParserContext, Text,
    Timestamp,
};
use std::borrow::Cow;

pub(crate) const FORMAT: &str = "freeswitch";

/// One channel variable as the record carries it.
pub(crate) struct Var<'a> {
    /// The variable's name, which decides its mapping.
    pub name: &'a str,
    /// The name used in errors and extras (differs when a value was taken
    /// from elsewhere in a JSON document, e.g. `callflow.times.created_time`).
    pub field: &'a str,
    pub value: Cow<'a, str>,
}

impl<'a> Var<'a> {
    pub fn new(name: &'a str, value: Cow<'a, str>) -> Self {
        Var { name, field: name, value }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    CallerIdNumber,
    Ani,
    DestinationNumber,
    StartUepoch,
    StartEpoch,
    StartStamp,
    AnswerUepoch,
    AnswerEpoch,
    AnswerStamp,
    EndUepoch,
    EndEpoch,
    EndStamp,
    Duration,
    Billsec,
    HangupCause,
    Uuid,
    CallUuid,
    BlegUuid,
    LastBridgeTo,
    BridgeUuid,
    SignalBond,
    Accountcode,
    ChannelName,
    BridgeChannel,
    CallDirection,
}

const SLOTS: usize = Slot::CallDirection as usize + 1;

fn slot_of(name: &str) -> Option<Slot> {
    Some(match name {
        "caller_id_number" => Slot::CallerIdNumber,
        "ani" => Slot::Ani,
        "destination_number" => Slot::DestinationNumber,
        "start_uepoch" => Slot::StartUepoch,
        "start_epoch" => Slot::StartEpoch,
        "start_stamp" => Slot::StartStamp,
        "answer_uepoch" => Slot::AnswerUepoch,
        "answer_epoch" => Slot::AnswerEpoch,
        "answer_stamp" => Slot::AnswerStamp,
        "end_uepoch" => Slot::EndUepoch,
        "end_epoch" => Slot::EndEpoch,
        "end_stamp" => Slot::EndStamp,
        "duration" => Slot::Duration,
        "billsec" => Slot::Billsec,
        "hangup_cause" => Slot::HangupCause,
        "uuid" => Slot::Uuid,
        "call_uuid" => Slot::CallUuid,
        "bleg_uuid" => Slot::BlegUuid,
        "last_bridge_to" => Slot::LastBridgeTo,
        "bridge_uuid" => Slot::BridgeUuid,
        "signal_bond" => Slot::SignalBond,
        "accountcode" => Slot::Accountcode,
        "channel_name" => Slot::ChannelName,
        "bridge_channel" => Slot::BridgeChannel,
        "call_direction" => Slot::CallDirection,
        _ => return None,
    })
}

/// Whether a record names an instant, and what it says.
enum Instant {
    /// None of the event's variables is in the record.
    Absent,
    /// Present but empty or `0`: the event never happened (field, value).
    Never(String, String),
    At(Timestamp),
}

/// Where each mapped variable sits in the record, and which were used.
struct Slots<'v, 'a> {
    vars: &'v [Var<'a>],
    at: [Option<usize>; SLOTS],
    used: [bool; SLOTS],
}

impl<'v, 'a> Slots<'v, 'a> {
    fn new(vars: &'v [Var<'a>]) -> Self {
        let mut at = [None; SLOTS];
        for (i, var) in vars.iter().enumerate() {
            if let Some(slot) = slot_of(var.name) {
                // The first occurrence wins; a JSON document appends its
                // fallbacks after the variables.
                at[slot as usize].get_or_insert(i);
            }
        }
        Slots { vars, at, used: [false; SLOTS] }
    }

    fn var(&self, slot: Slot) -> Option<&'v Var<'a>> {
        self.at[slot as usize].and_then(|i| self.vars.get(i))
    }

    /// The trimmed value of a variable, marking it used.
    fn take(&mut self, slot: Slot) -> Option<&'v str> {
        let var = self.var(slot)?;
        self.used[slot as usize] = true;
        Some(var.value.trim())
    }

    /// Like [`Self::take`], but only a non-empty value counts (and only
    /// then is the variable used).
    fn take_non_empty(&mut self, slot: Slot) -> Option<&'v str> {
        let value = self.var(slot)?.value.trim();
        if value.is_empty() {
            return None;
        }
        self.used[slot as usize] = true;
        Some(value)
    }

    fn field(&self, slot: Slot) -> &'v str {
        self.var(slot).map_or("", |v| v.field)
    }

    fn instant(
        &mut self,
        sources: [Slot; 3],
        zone: &jiff::tz::TimeZone,
    ) -> Result<Instant, ParseError> {
        let mut never = None;
        for (rank, slot) in sources.into_iter().enumerate() {
            let Some(value) = self.take(slot) else { continue };
            let field = self.field(slot);
            if value.is_empty() || value == "0" {
                never.get_or_insert_with(|| (field.to_string(), value.to_string()));
                continue;
            }
            let t = match rank {
                0 => stamp::uepoch(field, value)?,
                1 => stamp::epoch(field, value)?,
                _ => stamp::local_stamp(field, value, zone)?,
            };
            // The other spellings of the same instant are consumed too.
            for other in sources {
                if self.var(other).is_some() {
                    self.used[other as usize] = true;
                }
            }
            return Ok(Instant::At(t));
        }
        Ok(match never {
            Some((field, value)) => Instant::Never(field, value),
            None => Instant::Absent,
        })
    }
}

const START: [Slot; 3] = [Slot::StartUepoch, Slot::StartEpoch, Slot::StartStamp];
const ANSWER: [Slot; 3] = [Slot::AnswerUepoch, Slot::AnswerEpoch, Slot::AnswerStamp];
const END: [Slot; 3] = [Slot::EndUepoch, Slot::EndEpoch, Slot::EndStamp];

fn not_a_time(field: String, value: String) -> ParseError {
    ParseError::field(field, format!("not a time: {value:?}"))
}

fn whole_seconds(from: Timestamp, to: Timestamp) -> u32 {
    u32::try_from((to.as_second() - from.as_second()).max(0)).unwrap_or(u32::MAX)
}

/// Builds the CDR of one record. `extras` holds what the caller already
/// kept (JSON top-level values); unmapped variables are appended to it.
pub(crate) fn to_cdr(
    vars: &[Var<'_>],
    mut extras: Vec<(Text, Text)>,
    ctx: &ParserContext,
    raw: &[u8],
) -> Result<Cdr, ParseError> {
    let zone = &ctx.time_zone;
    let mut slots = Slots::new(vars);

    let end = match slots.instant(END, zone)? {
        Instant::At(t) => t,
        Instant::Never(field, value) => return Err(not_a_time(field, value)),
        Instant::Absent => {
            return Err(ParseError::record("no end time (end_stamp, end_epoch or end_uepoch)"));
        }
    };
    let duration = match slots.take(Slot::Duration) {
        Some(v) => Some(u32_field(slots.field(Slot::Duration), v)?),
        None => None,
    };
    let billsec = match slots.take(Slot::Billsec) {
        Some(v) => Some(u32_field(slots.field(Slot::Billsec), v)?),
        None => None,
    };
    let answer = match slots.instant(ANSWER, zone)? {
        Instant::At(t) => Some(t),
        Instant::Never(field, _) => {
            if let Some(talk) = billsec.filter(|s| *s > 0) {
                return Err(ParseError::field(
                    slots.field(Slot::Billsec),
                    format!("{talk} s of talk time, but {field} says the call was never answered"),
                ));
            }
            None
        }
        // A template without an answer time: billsec (end − answer) gives it.
        Instant::Absent => match billsec.filter(|s| *s > 0) {
            Some(talk) => {
                Some(end.checked_sub(jiff::SignedDuration::from_secs(i64::from(talk))).map_err(
                    |_| {
                        ParseError::field(
                            slots.field(Slot::Billsec),
                            format!("{talk} s of talk time ends before time began"),
                        )
                    },
                )?)
            }
            None => None,
        },
    };
    let (start, start_known) = match slots.instant(START, zone)? {
        Instant::At(t) => (t, true),
        Instant::Never(field, value) => return Err(not_a_time(field, value)),
        // Templates such as "opencdrrate" write no start: the call is taken
        // to start when it was answered (or ended), and its ringing is unknown.
        Instant::Absent => (answer.unwrap_or(end), false),
    };

    let duration_s = match (answer, billsec) {
        (None, _) => 0,
        (Some(_), Some(talk)) => talk,
        (Some(answered), None) => whole_seconds(answered, end),
    };
    let ring_s = match (duration, billsec) {
        // Both truncate the same hang-up time, so billsec never exceeds duration.
        (Some(total), Some(talk)) => Some(total.saturating_sub(talk)),
        _ if start_known => Some(whole_seconds(start, answer.unwrap_or(end))),
        _ => None,
    };

    let cause = match slots.take(Slot::HangupCause) {
        Some(c) if is_cause_name(c) => Some(c),
        Some(c) => {
            return Err(ParseError::field(
                slots.field(Slot::HangupCause),
                format!("not a hangup cause: {c:?}"),
            ));
        }
        None => None,
    };
    let disposition = match (answer, cause) {
        (Some(_), _) => Disposition::Answered,
        (None, None) => Disposition::NoAnswer,
        (
            None,
            Some("NO_ANSWER" | "NO_USER_RESPONSE" | "ORIGINATOR_CANCEL" | "NORMAL_CLEARING"),
        ) => Disposition::NoAnswer,
        (None, Some("USER_BUSY")) => Disposition::Busy,
        (None, Some(_)) => Disposition::Failed,
    };

    let direction = match slots.var(Slot::CallDirection).map(|v| v.value.trim()) {
        Some("inbound") => Direction::Incoming,
        Some("outbound") => Direction::Outgoing,
        Some("local") => Direction::Internal,
        _ => Direction::Unknown,
    };
    if direction != Direction::Unknown {
        slots.used[Slot::CallDirection as usize] = true;
    }

    let uuid = slots.take_non_empty(Slot::Uuid).map(Text::from).unwrap_or_default();
    let global_call_id =
        slots.take_non_empty(Slot::CallUuid).map(Text::from).unwrap_or_else(|| uuid.clone());
    let dest_leg_id = [Slot::BlegUuid, Slot::LastBridgeTo, Slot::BridgeUuid, Slot::SignalBond]
        .into_iter()
        .find_map(|s| slots.take_non_empty(s))
        .map(Text::from)
        .unwrap_or_default();
    let identity = if uuid.is_empty() {
        cdr::whole_record(FORMAT, raw)
    } else {
        IdentityHasher::new(FORMAT).field(uuid.as_bytes()).finish()
    };

    let text =
        |slots: &mut Slots, slot| slots.take(slot).map(|v| lossy(v.as_bytes())).unwrap_or_default();
    // ANI (the number the network delivered) stands in when a template
    // writes no caller id, as "opencdrrate" does.
    let calling = [Slot::CallerIdNumber, Slot::Ani]
        .into_iter()
        .find_map(|s| slots.take_non_empty(s))
        .map(|v| number(v.as_bytes()))
        .unwrap_or_default();
    let dialled =
        slots.take(Slot::DestinationNumber).map(|v| number(v.as_bytes())).unwrap_or_default();
    let account_code = text(&mut slots, Slot::Accountcode);
    let device_orig = text(&mut slots, Slot::ChannelName);
    let device_dest = text(&mut slots, Slot::BridgeChannel);

    for (i, var) in vars.iter().enumerate() {
        let used = slot_of(var.name)
            .is_some_and(|s| slots.used[s as usize] && slots.at[s as usize] == Some(i));
        let value = var.value.trim();
        if !used && !value.is_empty() {
            extras.push((Text::from(var.field), Text::from(value)));
        }
    }

    Ok(Cdr {
        identity,
        start,
        answer,
        end,
        duration_s,
        ring_s,
        direction,
        disposition,
        calling,
        dialled,
        account_code,
        device_orig,
        device_dest,
        cause_dest: cause.map(Text::from).unwrap_or_default(),
        correlation: Correlation {
            global_call_id,
            orig_leg_id: uuid,
            dest_leg_id,
            ..Correlation::default()
        },
        extras,
        ..Cdr::default()
    })
}

/// FreeSWITCH cause names (switch_channel_cause2str) are upper-case words
/// joined by `_`; the list grows between releases, so the shape is checked
/// rather than the name.
fn is_cause_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}
