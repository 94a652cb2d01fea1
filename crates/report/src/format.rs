//! Choosing a writer by name, for the command line and the REST API.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use crate::delimited::{CsvOptions, write_csv};
use crate::error::ReportError;
use crate::html::write_html;
use crate::json::write_json;
use crate::lang::Lang;
use crate::model::Report;
use crate::text::write_txt;
use crate::xlsx::{XlsxOptions, write_xlsx};

/// The output formats, named as users type them (`xlsx`, `html`, `csv`, `txt`, `json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    Xlsx,
    Html,
    Csv,
    Txt,
    Json,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 5] = [
        ReportFormat::Xlsx,
        ReportFormat::Html,
        ReportFormat::Csv,
        ReportFormat::Txt,
        ReportFormat::Json,
    ];

    /// File name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Html => "html",
            ReportFormat::Csv => "csv",
            ReportFormat::Txt => "txt",
            ReportFormat::Json => "json",
        }
    }

    /// The HTTP `Content-Type` to serve the format with.
    pub fn media_type(self) -> &'static str {
        match self {
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Txt => "text/plain; charset=utf-8",
            ReportFormat::Json => "application/json",
        }
    }

    /// Writes `report` in this format with each writer's default options.
    pub fn write(
        self,
        report: &Report,
        lang: Lang,
        out: impl Write + Send,
    ) -> Result<(), ReportError> {
        match self {
            ReportFormat::Xlsx => write_xlsx(report, lang, &XlsxOptions::default(), out),
            ReportFormat::Html => write_html(report, lang, out),
            ReportFormat::Csv => write_csv(report, lang, &CsvOptions::default(), out),
            ReportFormat::Txt => write_txt(report, lang, out),
            ReportFormat::Json => write_json(report, lang, out),
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for ReportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.to_ascii_lowercase();
        let wanted = match wanted.as_str() {
            "text" => "txt",
            "htm" => "html",
            "excel" => "xlsx",
            other => other,
        };
        ReportFormat::ALL.into_iter().find(|f| f.extension() == wanted).ok_or_else(|| {
            format!("unknown report format: {s:?} (expected xlsx, html, csv, txt or json)")
        })
    }
}
