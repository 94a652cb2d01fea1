use crate::template::CsvTemplate;
use crate::variables::{Var, to_cdr};
use cdr::{Framing, ParseError, Parsed, ParserContext, RecordParser};

/// Parses mod_cdr_csv lines written with one template (each PBX's
/// `cdr_csv.conf.xml` chooses its own; see [`CsvTemplate::preset`]).
pub struct FreeswitchCsvParser {
    template: CsvTemplate,
    ctx: ParserContext,
}

impl FreeswitchCsvParser {
    /// `*_stamp` times are read in `ctx.time_zone`, the switch's zone.
    pub fn new(template: CsvTemplate, ctx: ParserContext) -> Self {
        FreeswitchCsvParser { template, ctx }
    }
}

impl RecordParser for FreeswitchCsvParser {
    fn parse(&mut self, raw: &[u8]) -> Result<Parsed, ParseError> {
        let record = raw.strip_suffix(b"\r").unwrap_or(raw);
        if cdr::text::trim(record).is_empty() {
            return Ok(Parsed::NotARecord);
        }
        let values = self.template.split(record).map_err(ParseError::record)?;
        let vars: Vec<Var<'_>> = self
            .template
            .variables()
            .iter()
            .zip(values)
            .map(|(name, value)| Var::new(name, String::from_utf8_lossy(value)))
            .collect();
        to_cdr(&vars, Vec::new(), &self.ctx, raw).map(|cdr| Parsed::Cdr(Box::new(cdr)))
    }

    fn framing(&self) -> Framing {
        Framing::QuotedLines
    }
}
