use crate::fields::FieldSplitter;
use crate::layout::{AUTO_COUNTS, CsvLayout};
use crate::time::cdr_time;
use cdr::text::{lossy, number, u32_field, utf8};
use cdr::{
    Cdr, Correlation, Direction, Disposition, Framing, IdentityHasher, ParseError, Parsed,
    ParserContext, RecordParser, Text,
};

const FORMAT: &str = "asterisk";

// Positions of the fixed columns, as cdr_csv's build_csv_record writes them.
const ACCOUNTCODE: usize = 0;
const SRC: usize = 1;
const DST: usize = 2;
const DCONTEXT: usize = 3;
const CLID: usize = 4;
const CHANNEL: usize = 5;
const DSTCHANNEL: usize = 6;
const LASTAPP: usize = 7;
const LASTDATA: usize = 8;
const START: usize = 9;
const ANSWER: usize = 10;
const END: usize = 11;
const DURATION: usize = 12;
const BILLSEC: usize = 13;
const DISPOSITION: usize = 14;
const AMAFLAGS: usize = 15;

/// Parses Asterisk `cdr_csv` lines (see the crate documentation for the
/// column layouts).
pub struct AsteriskParser {
    ctx: ParserContext,
    utc: bool,
    layout: Option<CsvLayout>,
    fields: FieldSplitter,
}

impl AsteriskParser {
    /// `utc` is cdr.conf's `usegmtime`: times are UTC rather than the PBX's
    /// local time (`ctx.time_zone`).
    pub fn new(ctx: ParserContext, utc: bool) -> Self {
        AsteriskParser { ctx, utc, layout: None, fields: FieldSplitter::new() }
    }

    /// Fixes the optional columns to those the PBX's cdr.conf turns on,
    /// instead of inferring them from each line's column count. Needed when
    /// `loguserfield` is on but `loguniqueid` is off.
    pub fn with_layout(mut self, layout: CsvLayout) -> Self {
        self.layout = Some(layout);
        self
    }

    fn layout_for(&self, count: usize) -> Result<CsvLayout, ParseError> {
        match self.layout {
            Some(layout) if layout.column_count() == count => Ok(layout),
            Some(layout) => Err(ParseError::record(format!(
                "expected {} columns, got {count}",
                layout.column_count()
            ))),
            None => CsvLayout::from_column_count(count).ok_or_else(|| {
                ParseError::record(format!("expected {AUTO_COUNTS} columns, got {count}"))
            }),
        }
    }

    fn build(&self, raw: &[u8], layout: CsvLayout) -> Result<Cdr, ParseError> {
        let f = |i| self.fields.get(i);
        let zone = &self.ctx.time_zone;
        let optional = layout.positions();
        let opt = |pos: Option<usize>| pos.map_or(&[][..], f);

        let start = cdr_time("start", f(START), self.utc, zone)?;
        let answer = match cdr::text::trim(f(ANSWER)) {
            [] => None,
            written => Some(cdr_time("answer", written, self.utc, zone)?),
        };
        let end = cdr_time("end", f(END), self.utc, zone)?;
        let duration = u32_field("duration", utf8("duration", f(DURATION))?)?;
        let billsec = u32_field("billsec", utf8("billsec", f(BILLSEC))?)?;
        let disposition = disposition(utf8("disposition", f(DISPOSITION))?)?;
        if disposition == Disposition::Answered && answer.is_none() {
            return Err(ParseError::field("answer", "empty, but disposition is \"ANSWERED\""));
        }

        let uniqueid = lossy(opt(optional.uniqueid));
        let linkedid = lossy(opt(optional.linkedid));
        let identity = if uniqueid.is_empty() {
            cdr::whole_record(FORMAT, raw)
        } else {
            IdentityHasher::new(FORMAT)
                .field(uniqueid.as_bytes())
                .field(f(START))
                .field(f(DST))
                .field(f(DSTCHANNEL))
                .finish()
        };
        let global_call_id = if linkedid.is_empty() { uniqueid.clone() } else { linkedid };

        let mut extras = Vec::new();
        let mut extra = |name: &str, bytes: &[u8]| {
            let value = lossy(bytes);
            if !value.is_empty() {
                extras.push((Text::from(name), value));
            }
        };
        extra("dcontext", f(DCONTEXT));
        extra("clid", f(CLID));
        extra("lastapp", f(LASTAPP));
        extra("lastdata", f(LASTDATA));
        extra("amaflags", f(AMAFLAGS));
        extra("userfield", opt(optional.userfield));
        extra("peeraccount", opt(optional.peeraccount));
        extra("sequence", opt(optional.sequence));

        Ok(Cdr {
            identity,
            start,
            answer,
            end,
            duration_s: billsec,
            // billsec can exceed duration by a second when cdr.conf's
            // initiatedseconds rounds billsec up; then there was no ringing.
            ring_s: Some(duration.saturating_sub(billsec)),
            direction: Direction::Unknown,
            disposition,
            calling: number(f(SRC)),
            dialled: number(f(DST)),
            account_code: lossy(f(ACCOUNTCODE)),
            device_orig: lossy(f(CHANNEL)),
            device_dest: lossy(f(DSTCHANNEL)),
            correlation: Correlation {
                global_call_id,
                orig_leg_id: uniqueid,
                ..Correlation::default()
            },
            extras,
            ..Cdr::default()
        })
    }
}

/// cdr_csv's disposition words (ast_cdr_disp2str).
fn disposition(s: &str) -> Result<Disposition, ParseError> {
    match s {
        "ANSWERED" => Ok(Disposition::Answered),
        "NO ANSWER" => Ok(Disposition::NoAnswer),
        "BUSY" => Ok(Disposition::Busy),
        "FAILED" | "CONGESTION" => Ok(Disposition::Failed),
        other => Err(ParseError::field("disposition", format!("unknown disposition: {other:?}"))),
    }
}

impl RecordParser for AsteriskParser {
    fn parse(&mut self, raw: &[u8]) -> Result<Parsed, ParseError> {
        if cdr::text::trim(raw).is_empty() {
            return Ok(Parsed::NotARecord);
        }
        let count = self.fields.split(raw)?;
        let layout = self.layout_for(count)?;
        self.build(raw, layout).map(|cdr| Parsed::Cdr(Box::new(cdr)))
    }

    fn framing(&self) -> Framing {
        Framing::QuotedLines
    }
}
