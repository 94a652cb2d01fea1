//! Picking formats and languages by name; every format writes the fixture.

use std::str::FromStr;

use report::{Lang, ReportFormat};

use crate::fixture::department_summary;

#[test]
fn names_parse() {
    assert_eq!(ReportFormat::from_str("XLSX"), Ok(ReportFormat::Xlsx));
    assert_eq!(ReportFormat::from_str("text"), Ok(ReportFormat::Txt));
    assert_eq!(
        ReportFormat::from_str("pdf").unwrap_err(),
        "unknown report format: \"pdf\" (expected xlsx, html, csv, txt or json)"
    );
    assert_eq!(Lang::from_str("zh-CN"), Ok(Lang::Zh));
    assert_eq!(Lang::from_str("en"), Ok(Lang::En));
    assert_eq!(Lang::from_str("fr").unwrap_err(), "unknown language: \"fr\" (expected en or zh)");
}

#[test]
fn every_format_and_language_writes() {
    let report = department_summary();
    for format in ReportFormat::ALL {
        for lang in [Lang::En, Lang::Zh] {
            let mut out = Vec::new();
            format.write(&report, lang, &mut out).unwrap();
            assert!(out.len() > 1000, "{format} {lang}: {} bytes", out.len());
            if format == ReportFormat::Xlsx {
                assert!(out.starts_with(b"PK"), "xlsx is a zip package");
            } else {
                let text = String::from_utf8(out).unwrap();
                assert!(text.contains("BDWALogistic"), "{format} {lang}");
            }
        }
    }
}
