//! Every record format bluewhale reads, behind one name: the registry that
//! turns a format name (`cucm`, `avaya`, a preset, a definition file) into
//! a parser, recognises files by their first bytes (`--format auto`), and
//! frames byte streams into records.

mod detect;
mod framing;

pub use detect::{DETECTABLE, detect};
pub use framing::RecordReader;

use cdr::{ParserContext, RecordParser};
use format_avaya::{AvayaParser, DateOrder, Layout};
use format_custom::CustomFormat;
use format_freeswitch::{CsvTemplate, FreeswitchCsvParser, FreeswitchJsonParser};
use std::path::Path;

/// Names of the shipped presets of the definition language.
pub fn custom_presets() -> &'static [&'static str] {
    format_custom::preset_names()
}

/// A record format, ready to make parsers.
#[derive(Debug, Clone)]
pub enum Format {
    Cucm,
    Avaya {
        spec: String,
        layout: Layout,
        date_order: DateOrder,
    },
    Nec,
    Asterisk {
        utc: bool,
    },
    FreeswitchCsv {
        template_name: String,
        template: CsvTemplate,
    },
    FreeswitchJson,
    /// An administrator-defined format: a shipped preset or a definition file.
    Custom {
        name: String,
        format: CustomFormat,
    },
}

/// The names `Format::by_name` knows besides custom presets and files.
pub const BUILT_IN: &[&str] = &[
    "cucm",
    "avaya (= avaya:avaya-97), avaya:<layout or preset>, avaya-dm:<layout or preset>",
    "nec",
    "asterisk",
    "asterisk-utc",
    "freeswitch-csv (= freeswitch-csv:example), freeswitch-csv:<template preset>",
    "freeswitch-json",
];

impl Format {
    /// Resolves a format name:
    /// - `cucm`, `nec`, `asterisk`, `asterisk-utc`, `freeswitch-json`;
    /// - `avaya` (the 97-character preset), `avaya:<preset or layout>`, and
    ///   `avaya-dm:…` for day/month dates; a layout is written as on the
    ///   `system-parameters cdr` form (`date 6, space 1, time 4, …`);
    /// - `freeswitch-csv[:<template preset>]`;
    /// - a preset of the definition language (`avaya-ip-office-smdr`…);
    /// - a path to a definition file (`*.toml`).
    pub fn by_name(name: &str) -> Result<Format, String> {
        let name = name.trim();
        let (head, arg) = match name.split_once(':') {
            Some((h, a)) => (h, Some(a.trim())),
            None => (name, None),
        };
        match (head, arg) {
            ("cucm", None) => Ok(Format::Cucm),
            ("nec", None) => Ok(Format::Nec),
            ("asterisk", None) => Ok(Format::Asterisk { utc: false }),
            ("asterisk-utc", None) => Ok(Format::Asterisk { utc: true }),
            ("freeswitch-json", None) => Ok(Format::FreeswitchJson),
            ("avaya" | "avaya-dm", _) => {
                let spec = arg.unwrap_or("avaya-97");
                let layout = if spec.contains(' ') || spec.contains(',') {
                    Layout::parse(spec)
                } else {
                    Layout::preset(spec)
                }
                .map_err(|e| format!("format {name}: {e}"))?;
                let date_order =
                    if head == "avaya-dm" { DateOrder::DayMonth } else { DateOrder::MonthDay };
                Ok(Format::Avaya { spec: spec.to_string(), layout, date_order })
            }
            ("freeswitch-csv" | "freeswitch", _) => {
                let template_name = arg.unwrap_or("example").to_string();
                let template = CsvTemplate::preset(&template_name).ok_or_else(|| {
                    let known: Vec<_> = CsvTemplate::preset_names().collect();
                    format!(
                        "unknown FreeSWITCH CSV template {template_name:?} (known: {})",
                        known.join(", ")
                    )
                })?;
                Ok(Format::FreeswitchCsv { template_name, template })
            }
            _ if name.ends_with(".toml") => Self::from_definition_file(Path::new(name)),
            _ => match format_custom::preset(name) {
                Some(format) => Ok(Format::Custom { name: name.to_string(), format }),
                None => Err(format!(
                    "unknown format {name:?}; known: {}, {}, or a definition file (*.toml)",
                    BUILT_IN.join(", "),
                    format_custom::preset_names().join(", ")
                )),
            },
        }
    }

    /// A format from an administrator's definition file.
    pub fn from_definition_file(path: &Path) -> Result<Format, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read format definition {}: {e}", path.display()))?;
        let format =
            CustomFormat::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Format::Custom { name: path.display().to_string(), format })
    }

    /// The name that resolves back to this format.
    pub fn name(&self) -> String {
        match self {
            Format::Cucm => "cucm".into(),
            Format::Nec => "nec".into(),
            Format::Asterisk { utc: false } => "asterisk".into(),
            Format::Asterisk { utc: true } => "asterisk-utc".into(),
            Format::FreeswitchJson => "freeswitch-json".into(),
            Format::Avaya { spec, date_order: DateOrder::MonthDay, .. } => format!("avaya:{spec}"),
            Format::Avaya { spec, date_order: DateOrder::DayMonth, .. } => {
                format!("avaya-dm:{spec}")
            }
            Format::FreeswitchCsv { template_name, .. } => {
                format!("freeswitch-csv:{template_name}")
            }
            Format::Custom { name, .. } => name.clone(),
        }
    }

    /// A new parser for one input (file or connection).
    pub fn parser(&self, ctx: &ParserContext) -> Box<dyn RecordParser> {
        match self {
            Format::Cucm => Box::new(format_cucm::CucmParser::new()),
            Format::Nec => Box::new(format_nec::NecParser::new(ctx.clone())),
            Format::Asterisk { utc } => {
                Box::new(format_asterisk::AsteriskParser::new(ctx.clone(), *utc))
            }
            Format::FreeswitchJson => Box::new(FreeswitchJsonParser::new(ctx.clone())),
            Format::Avaya { layout, date_order, .. } => {
                Box::new(AvayaParser::new(layout.clone(), *date_order, ctx.clone()))
            }
            Format::FreeswitchCsv { template, .. } => {
                Box::new(FreeswitchCsvParser::new(template.clone(), ctx.clone()))
            }
            Format::Custom { format, .. } => Box::new(format.parser(ctx)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_and_round_trip() {
        for name in [
            "cucm",
            "nec",
            "asterisk",
            "asterisk-utc",
            "freeswitch-json",
            "avaya:avaya-97",
            "avaya-dm:avaya-97",
            "freeswitch-csv:example",
            "avaya-ip-office-smdr",
        ] {
            let f = Format::by_name(name).unwrap();
            assert_eq!(f.name(), name);
        }
        assert_eq!(Format::by_name("avaya").unwrap().name(), "avaya:avaya-97");
        let custom = Format::by_name("avaya:date 6, space 1, time 4, space 1, sec-dur 5").unwrap();
        assert_eq!(custom.name(), "avaya:date 6, space 1, time 4, space 1, sec-dur 5");
    }

    #[test]
    fn unknown_names_list_what_is_known() {
        let e = Format::by_name("siemens").unwrap_err();
        assert!(e.starts_with("unknown format \"siemens\"; known: cucm"), "{e}");
        assert!(e.contains("avaya-ip-office-smdr"), "{e}");
        assert!(Format::by_name("freeswitch-csv:nope").unwrap_err().contains("example"));
    }
}
