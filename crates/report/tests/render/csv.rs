//! CSV: RFC 4180 quoting, BOM on and off, preamble, value styles.

use expect_test::expect;
use report::{CsvOptions, CsvStyle, Label, Lang, Table};

use crate::fixture::{call_listing, department_summary, report_with};

const BOM: &[u8] = b"\xef\xbb\xbf";

#[test]
fn bom_only_when_asked() {
    let report = department_summary();
    let plain = crate::csv_bytes(&report, Lang::Zh, &CsvOptions::default());
    assert!(plain.starts_with("部门,用户,".as_bytes()));
    let with_bom =
        crate::csv_bytes(&report, Lang::Zh, &CsvOptions { bom: true, ..CsvOptions::default() });
    assert!(with_bom.starts_with(BOM));
    assert_eq!(&with_bom[BOM.len()..], &plain[..]);
}

#[test]
fn machine_style_quotes_per_rfc_4180() {
    let text = crate::csv(&report_with(call_listing()), Lang::En, &CsvOptions::default());
    expect![[r#"
        Start,Caller,Note,Duration,Share,Cost
        2024-02-29T23:59:58+08:00,王强,"Smith, ""Bob""",59,0.25,1.005
        2024-03-01T00:00:01+08:00,<script>alert('x')</script> & co,"line one
        line two",86400,0.75,-2.50
        ,=SUM(A1:A9),,0,,
        ,,,86459,1,-1.495
    "#]]
    .assert_eq(&text.replace("\r\n", "\n"));
    // Every record ends in CRLF; the embedded line break stays a bare LF.
    assert_eq!(text.matches("\r\n").count(), 5);
    assert!(text.contains("line one\nline two"));
}

#[test]
fn human_style_defuses_formulas_and_labels_totals() {
    let mut table = call_listing();
    table.columns.swap(0, 1);
    for row in &mut table.rows {
        row.cells.swap(0, 1);
    }
    let options = CsvOptions { style: CsvStyle::Human, ..CsvOptions::default() };
    let text = crate::csv(&report_with(table), Lang::Zh, &options);
    expect![[r#"
        主叫,开始时间,备注,时长,占比,话费
        王强,2024-02-29 23:59:58 UTC+0800,"Smith, ""Bob""",0D 00:00:59,25.00%,1.01
        <script>alert('x')</script> & co,2024-03-01 00:00:01 UTC+0800,"line one
        line two",1D 00:00:00,75.00%,-2.50
        '=SUM(A1:A9),,,0D 00:00:00,,
        总计,,,1D 00:00:59,100.00%,-1.50
    "#]]
    .assert_eq(&text.replace("\r\n", "\n"));
}

#[test]
fn several_tables_are_separated_and_named() {
    let mut report = report_with(call_listing());
    report.sections.push(Table {
        name: Label::new("Empty", "空表"),
        columns: call_listing().columns,
        rows: vec![],
    });
    report.sections[0].rows.truncate(1);
    let text = crate::csv(&report, Lang::En, &CsvOptions::default());
    expect![[r#"
        Calls
        Start,Caller,Note,Duration,Share,Cost
        2024-02-29T23:59:58+08:00,王强,"Smith, ""Bob""",59,0.25,1.005

        Empty
        Start,Caller,Note,Duration,Share,Cost
    "#]]
    .assert_eq(&text.replace("\r\n", "\n"));
}

#[test]
fn written_csv_reads_back_with_the_csv_crate() {
    let report = department_summary();
    let bytes = crate::csv_bytes(&report, Lang::En, &CsvOptions::default());
    let mut reader = ::csv::Reader::from_reader(&bytes[..]);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(headers.len(), 14);
    assert_eq!(&headers[5], "Duration");
    let records: Vec<::csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), report.sections[0].rows.len());
    // First user row of the seed: 李强, 74.25, 291 calls, 0D 08:18:45.
    let first = &records[0];
    assert_eq!(
        first.iter().take(7).collect::<Vec<_>>(),
        ["Company\\BDWADGCS", "李强", "74.25", "0.00", "291", "29925", ""]
    );
}
