//! Turns one customized record into a [`Cdr`].

use crate::condition::{Condition, Measures};
use crate::data_item::DataItem;
use crate::layout::{Layout, Slot, Slots};
use crate::when::{DateOrder, EndClock, hmmt, seconds};
use cdr::text::{local_to_utc, lossy, number, trim};
use cdr::{Cdr, Disposition, Framing, ParseError, Parsed, ParserContext, RecordParser, Text};
use jiff::SignedDuration;
use jiff::tz::TimeZone;

const FORMAT: &str = "avaya";

/// Reads Communication Manager CDR lines in one administered customized
/// layout.
///
/// Mapping: `calling-num` → calling (or `clg-num/in-tac` when the layout has
/// no `calling-num` or it is blank, unless that value is just the incoming
/// trunk access code); `dialed-num` → dialled; `auth-code`, `acct-code` →
/// auth and account code; `in-trk-code`/`in-crt-id` → `trunk_in` as
/// `0123/001` (the code alone when no circuit is written);
/// `code-used`/`out-crt-id` → `trunk_out`; `cond-code` → `cause_orig` and,
/// through [`crate::condition`], direction, disposition and kind. `time`
/// is when the call ended, in the PBX's zone; start = end − duration. Other
/// data items go to extras under their Avaya names.
pub struct AvayaParser {
    layout: Layout,
    slots: Slots,
    clock: EndClock,
    zone: TimeZone,
    /// Layouts that pad records with `null` after `line-feed` leave those
    /// NULs at the start of the next line.
    skip_leading_nulls: bool,
}

impl AvayaParser {
    pub fn new(layout: Layout, date_order: DateOrder, ctx: ParserContext) -> Self {
        let slots = layout.slots();
        let clock = EndClock::new(date_order, ctx.received, &ctx.time_zone);
        let skip_leading_nulls =
            layout.items().first().is_some_and(|(item, _)| *item != DataItem::Null);
        AvayaParser { layout, slots, clock, zone: ctx.time_zone, skip_leading_nulls }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    fn build(&self, line: &[u8]) -> Result<Cdr, ParseError> {
        let s = &self.slots;
        let get =
            |slot: Option<Slot>| slot.and_then(|(from, to)| line.get(from..to)).unwrap_or(b"");

        let end_local = self.clock.end(get(s.date), get(s.time))?;
        let end = local_to_utc(&self.zone, end_local)?;
        let measured = match (s.sec_dur, s.duration) {
            (Some(sec_dur), _) => seconds(get(Some(sec_dur)))?,
            (None, Some(duration)) => hmmt(get(Some(duration)))?,
            (None, None) => 0,
        };
        let (condition, cause) = match s.cond_code {
            Some(slot) => {
                let written = get(Some(slot));
                let condition = written
                    .first()
                    .and_then(|code| Condition::from_code(*code))
                    .ok_or_else(|| {
                        ParseError::field(
                            "cond-code",
                            format!(
                                "unknown condition code: {:?}",
                                String::from_utf8_lossy(written)
                            ),
                        )
                    })?;
                (condition, lossy(written))
            }
            None => (Condition::UNRECORDED, Text::default()),
        };

        let mut extras = Vec::with_capacity(s.extras.len() + 2);
        let in_code = trim(get(s.in_trk_code));
        let in_circuit = trim(get(s.in_crt_id));
        let out_code = trim(get(s.code_used));
        let out_circuit = trim(get(s.out_crt_id));
        let trunk_in = trunk(in_code, in_circuit, DataItem::InCrtId, &mut extras);
        let trunk_out = trunk(out_code, out_circuit, DataItem::OutCrtId, &mut extras);
        let direction = condition.direction(
            !in_code.is_empty() || !in_circuit.is_empty(),
            !out_code.is_empty() || !out_circuit.is_empty(),
        );

        let mut calling = number(get(s.calling_num));
        let clg_num_in_tac = trim(get(s.clg_num_in_tac));
        if calling.is_empty() && !clg_num_in_tac.is_empty() && clg_num_in_tac != in_code {
            calling = number(clg_num_in_tac);
        } else if !clg_num_in_tac.is_empty() {
            extras.push((Text::const_new(DataItem::ClgNumInTac.name()), lossy(clg_num_in_tac)));
        }
        if s.sec_dur.is_some() {
            push_extra(&mut extras, DataItem::Duration, get(s.duration));
        }
        for &(item, slot) in &s.extras {
            push_extra(&mut extras, item, get(Some(slot)));
        }

        let start = end
            .checked_sub(SignedDuration::from_secs(i64::from(measured)))
            .map_err(|_| ParseError::record("call start out of range"))?;
        let answered = condition.disposition == Disposition::Answered;
        let (answer, duration_s, ring_s) = match condition.measures {
            Measures::TalkTime => (Some(start), measured, None),
            Measures::RingTime => (answered.then_some(end), 0, Some(measured)),
            Measures::NoTalk => (None, 0, None),
        };

        Ok(Cdr {
            kind: condition.kind,
            identity: cdr::whole_record(FORMAT, trim(line)),
            start,
            answer,
            end,
            duration_s,
            ring_s,
            direction,
            disposition: condition.disposition,
            calling,
            dialled: number(get(s.dialed_num)),
            account_code: lossy(get(s.acct_code)),
            auth_code: lossy(get(s.auth_code)),
            trunk_in,
            trunk_out,
            cause_orig: cause,
            extras,
            ..Cdr::default()
        })
    }
}

impl RecordParser for AvayaParser {
    fn parse(&mut self, raw: &[u8]) -> Result<Parsed, ParseError> {
        let mut line = raw;
        while let [rest @ .., b'\r' | b'\n'] = line {
            line = rest;
        }
        while let ([0, rest @ ..], true) = (line, self.skip_leading_nulls) {
            line = rest;
        }
        if trim(line).is_empty() {
            return Ok(Parsed::NotARecord);
        }
        if line.len() != self.slots.line_len {
            let terminator = self.slots.record_len - self.slots.line_len;
            return Err(ParseError::record(format!(
                "expected {} characters, got {}",
                self.slots.record_len,
                line.len() + terminator
            )));
        }
        self.build(line).map(|cdr| Parsed::Cdr(Box::new(cdr)))
    }

    fn framing(&self) -> Framing {
        Framing::Lines
    }
}

/// `code/circuit`, or the code alone; a circuit without a code has no
/// trunk to belong to and is kept as an extra.
fn trunk(
    code: &[u8],
    circuit: &[u8],
    circuit_item: DataItem,
    extras: &mut Vec<(Text, Text)>,
) -> Text {
    if code.is_empty() {
        push_extra(extras, circuit_item, circuit);
        return Text::default();
    }
    let mut trunk = lossy(code);
    if !circuit.is_empty() {
        trunk.push('/');
        trunk.push_str(&lossy(circuit));
    }
    trunk
}

fn push_extra(extras: &mut Vec<(Text, Text)>, item: DataItem, value: &[u8]) {
    let value = trim(value);
    if !value.is_empty() {
        extras.push((Text::const_new(item.name()), lossy(value)));
    }
}
