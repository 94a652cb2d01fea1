//! Rendering tests: one binary, one module per concern. Snapshots of whole
//! documents live in `tests/fixtures/snapshots/` (update with
//! `UPDATE_EXPECT=1 cargo test -p report`).

mod csv;
mod fixture;
mod formats;
mod html;
mod json;
mod snapshots;
mod txt;
mod validation;
mod values;
mod xlsx;

use report::{CsvOptions, Lang, Report, XlsxOptions};

pub fn txt(report: &Report, lang: Lang) -> String {
    let mut out = Vec::new();
    report::write_txt(report, lang, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

pub fn html(report: &Report, lang: Lang) -> String {
    let mut out = Vec::new();
    report::write_html(report, lang, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

pub fn json(report: &Report, lang: Lang) -> String {
    let mut out = Vec::new();
    report::write_json(report, lang, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

pub fn csv_bytes(report: &Report, lang: Lang, options: &CsvOptions) -> Vec<u8> {
    let mut out = Vec::new();
    report::write_csv(report, lang, options, &mut out).unwrap();
    out
}

pub fn csv(report: &Report, lang: Lang, options: &CsvOptions) -> String {
    String::from_utf8(csv_bytes(report, lang, options)).unwrap()
}

pub fn xlsx(report: &Report, lang: Lang, options: &XlsxOptions) -> Vec<u8> {
    let mut out = Vec::new();
    report::write_xlsx(report, lang, options, &mut out).unwrap();
    out
}
