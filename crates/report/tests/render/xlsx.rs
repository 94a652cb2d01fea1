//! XLSX: written, then read back with calamine (values) and from the zip
//! parts (number formats, frozen panes, bold rows).

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use jiff::civil::date;
use report::{Label, Lang, XlsxOptions};

use crate::fixture::{call_listing, department_summary, report_with};

struct Book {
    bytes: Vec<u8>,
    workbook: Xlsx<Cursor<Vec<u8>>>,
}

impl Book {
    fn new(bytes: Vec<u8>) -> Self {
        let workbook = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
        Book { bytes, workbook }
    }

    fn sheet_names(&self) -> Vec<String> {
        self.workbook.sheet_names()
    }

    fn sheet(&mut self, name: &str) -> calamine::Range<Data> {
        self.workbook.worksheet_range(name).unwrap()
    }

    /// A raw part of the package, e.g. `xl/styles.xml`.
    fn part(&self, name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(&self.bytes)).unwrap();
        let mut text = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
        text
    }

    /// Whether the cell at `reference` (e.g. `C16`) of `sheet_part` uses a bold font.
    fn is_bold(&self, sheet_part: &str, reference: &str) -> bool {
        let sheet = self.part(sheet_part);
        let start = sheet
            .find(&format!("<c r=\"{reference}\""))
            .unwrap_or_else(|| panic!("no cell {reference}"));
        let style: usize = attribute(&sheet[start..], "s").map_or(0, |s| s.parse().unwrap());
        let styles = self.part("xl/styles.xml");
        let xfs = between(&styles, "<cellXfs", "</cellXfs>");
        let xf = xfs.split("<xf ").nth(style + 1).unwrap();
        let font: usize = attribute(xf, "fontId").unwrap().parse().unwrap();
        let fonts = between(&styles, "<fonts", "</fonts>");
        fonts.split("<font>").nth(font + 1).unwrap().contains("<b/>")
    }
}

fn attribute<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let end = element.find('>')?;
    let head = &element[..end];
    let start = head.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = head[start..].find('"')?;
    Some(&head[start..start + len])
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).unwrap();
    let end = text[start..].find(close).unwrap();
    &text[start..start + end]
}

fn text(range: &calamine::Range<Data>, row: u32, col: u32) -> String {
    match range.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => panic!("({row}, {col}) is not text: {other:?}"),
    }
}

fn number(range: &calamine::Range<Data>, row: u32, col: u32) -> f64 {
    match range.get_value((row, col)) {
        Some(Data::Float(f)) => *f,
        Some(Data::Int(i)) => *i as f64,
        other => panic!("({row}, {col}) is not a number: {other:?}"),
    }
}

/// Seconds of a duration cell written as Excel time.
fn duration_s(range: &calamine::Range<Data>, row: u32, col: u32) -> u64 {
    match range.get_value((row, col)) {
        Some(Data::DateTime(t)) if t.is_duration() => (t.as_f64() * 86_400.0).round() as u64,
        other => panic!("({row}, {col}) is not a duration: {other:?}"),
    }
}

/// Department summary rows: title, 4 header lines, blank, 3 totals, blank.
const HEADER_ROW: u32 = 10;

#[test]
fn department_summary_reads_back() {
    let mut book = Book::new(crate::xlsx(&department_summary(), Lang::Zh, &XlsxOptions::default()));
    assert_eq!(book.sheet_names(), ["部门统计"]);
    let sheet = book.sheet("部门统计");
    let preamble: Vec<(String, String)> =
        (0..5).map(|row| (text(&sheet, row, 0), text(&sheet, row, 1))).collect();
    assert_eq!(
        preamble,
        [
            ("部门综合统计".into(), "".into()),
            (
                "时间范围".into(),
                "从 2000-10-09 00:00:00 UTC+0800 到 2012-11-09 23:59:59 UTC+0800".into()
            ),
            ("生成时间".into(), "2012-11-09 15:49:31 UTC+0800".into()),
            ("创建者".into(), "Company".into()),
            ("站点".into(), "Beijing".into()),
        ]
    );
    assert_eq!(text(&sheet, 6, 0), "呼叫总计");
    assert_eq!(number(&sheet, 6, 1), 19871.0);
    assert_eq!(text(&sheet, 7, 0), "话费总计");
    assert_eq!(number(&sheet, 7, 1), 7479.48);
    let headers: Vec<String> = (0..14).map(|c| text(&sheet, HEADER_ROW, c)).collect();
    assert_eq!(
        headers[..7],
        ["部门", "用户", "实际话费", "节省话费", "通话数", "累计时长", "部门累计"]
    );

    // First user row: Company\BDWADGCS 李强 74.25 0.00 291 0D 08:18:45 - 15.62 58.63 …
    let first = HEADER_ROW + 1;
    assert_eq!(text(&sheet, first, 0), "Company\\BDWADGCS");
    assert_eq!(text(&sheet, first, 1), "李强");
    assert_eq!(number(&sheet, first, 2), 74.25);
    assert_eq!(number(&sheet, first, 4), 291.0);
    assert_eq!(duration_s(&sheet, first, 5), 8 * 3600 + 18 * 60 + 45);
    assert_eq!(text(&sheet, first, 6), "");
    assert_eq!(number(&sheet, first, 8), 58.63);

    // Subtotal row 5 of the data, total row last, labelled.
    let subtotal = first + 4;
    assert_eq!(text(&sheet, subtotal, 0), "Company\\BDWADGCS");
    assert_eq!(number(&sheet, subtotal, 6), 334.05);
    let total = first + 25;
    assert_eq!(text(&sheet, total, 0), "总计");
    assert_eq!(duration_s(&sheet, total, 5), 18 * 86_400 + 4 * 3600 + 13 * 60 + 1);
    assert_eq!(sheet.end(), Some((total, 13)));
}

#[test]
fn number_formats_frozen_header_and_bold_rows() {
    let book = Book::new(crate::xlsx(&department_summary(), Lang::En, &XlsxOptions::default()));
    let styles = book.part("xl/styles.xml");
    assert!(styles.contains(r##"formatCode="#,##0.00 &quot;CNY&quot;""##), "{styles}");
    assert!(styles.contains(r#"formatCode="[h]:mm:ss""#));
    assert!(styles.contains(r##"formatCode="#,##0""##));

    let sheet = book.part("xl/worksheets/sheet1.xml");
    assert!(sheet.contains(r#"ySplit="11""#) && sheet.contains(r#"state="frozen""#), "{sheet}");
    // Header row (Excel row 11), a user row (12), a subtotal row (16), the total row (37).
    assert!(book.is_bold("xl/worksheets/sheet1.xml", "C11"));
    assert!(!book.is_bold("xl/worksheets/sheet1.xml", "C12"));
    assert!(book.is_bold("xl/worksheets/sheet1.xml", "G16"));
    assert!(book.is_bold("xl/worksheets/sheet1.xml", "A37"));
    // Column widths are set.
    assert!(sheet.contains("<cols>"));
}

#[test]
fn long_table_continues_on_further_sheets() {
    let report = department_summary();
    let all_rows = report.sections[0].rows.len() as u32;
    // 11 preamble and header rows leave 9 data rows per sheet: 9 + 9 + 8.
    let options = XlsxOptions { max_rows_per_sheet: 20 };
    let mut book = Book::new(crate::xlsx(&report, Lang::En, &options));
    let names = book.sheet_names();
    assert_eq!(names, ["Departments", "Departments (2)", "Departments (3)"]);
    let mut users = Vec::new();
    for name in &names {
        let sheet = book.sheet(name);
        assert!(sheet.end().unwrap().0 < 20, "{name} has too many rows");
        assert_eq!(text(&sheet, 0, 0), "Department summary");
        assert_eq!(text(&sheet, HEADER_ROW, 1), "User");
        for row in HEADER_ROW + 1..=sheet.end().unwrap().0 {
            users.push(text(&sheet, row, 1));
        }
    }
    assert_eq!(users.len() as u32, all_rows);
    assert_eq!(users[..2], ["李强", "魏伟"]);
    // Sheet 2 starts with the third Company\BDWALogistic user.
    assert_eq!(users[9], "王强");
}

#[test]
fn row_limit_must_leave_room_for_data() {
    let options = XlsxOptions { max_rows_per_sheet: 11 };
    let mut out = Vec::new();
    let error =
        report::write_xlsx(&department_summary(), Lang::En, &options, &mut out).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid report: 11 rows per sheet cannot hold the 10 preamble rows, the header row and a data row"
    );
}

#[test]
fn call_listing_times_percentages_and_sheet_names() {
    let mut table = call_listing();
    table.name = Label::same("Calls: 2024/03 [all sites] of the whole organisation");
    let mut report = report_with(table.clone());
    report.sections.push(table);
    let mut book = Book::new(crate::xlsx(&report, Lang::En, &XlsxOptions::default()));
    let names = book.sheet_names();
    assert_eq!(names, ["Calls_ 2024_03 _all sites_ of t", "Calls_ 2024_03 _all sites_ (2)"]);
    // title, generated, created by, blank, header
    let sheet = book.sheet(&names[0]);
    let first = 5;
    match sheet.get_value((first, 0)) {
        Some(Data::DateTime(t)) => {
            assert!(t.is_datetime());
            let days = (date(2024, 2, 29) - date(1899, 12, 30)).get_days() as f64;
            let expected = days + (23.0 * 3600.0 + 59.0 * 60.0 + 58.0) / 86_400.0;
            assert!((t.as_f64() - expected).abs() < 1e-9, "{}", t.as_f64());
        }
        other => panic!("not a time: {other:?}"),
    }
    assert_eq!(text(&sheet, first, 2), "Smith, \"Bob\"");
    assert_eq!(number(&sheet, first, 4), 0.25);
    assert_eq!(number(&sheet, first, 5), 1.01);
    assert_eq!(text(&sheet, first + 2, 1), "=SUM(A1:A9)");
    assert_eq!(number(&sheet, first + 3, 5), -1.5);
}
