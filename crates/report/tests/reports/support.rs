//! Inputs and helpers shared by the report builder tests.

use std::str::FromStr;

use jiff::Zoned;
use jiff::civil::{DateTime, date};
use report::reports::{CallLine, OwnerTotals, ReportContext, Tally};
use report::{Cell, Filter, Label, Lang, Period, Report, ReportFormat, Row, RowStyle};
use rust_decimal::Decimal;

const OWNERS: &str = include_str!("../fixtures/reports/owners.tsv");
const CALLS: &str = include_str!("../fixtures/reports/calls.tsv");

pub fn shanghai(year: i16, month: i8, day: i8, hour: i8, minute: i8, second: i8) -> Zoned {
    date(year, month, day)
        .at(hour, minute, second, 0)
        .in_tz("Asia/Shanghai")
        .expect("Asia/Shanghai is in the bundled database")
}

pub fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("test amounts are decimals")
}

pub fn money(text: &str) -> Cell {
    Cell::Money(dec(text))
}

/// March 2024 in Shanghai, shown with an inclusive end as the seed does.
pub fn context() -> ReportContext {
    ReportContext {
        period: Period {
            from: shanghai(2024, 3, 1, 0, 0, 0),
            to: shanghai(2024, 3, 31, 23, 59, 59),
        },
        generated_at: shanghai(2024, 4, 1, 9, 30, 0),
        created_by: "admin".to_owned(),
        filters: vec![Filter { name: Label::new("Site", "站点"), value: "Beijing".to_owned() }],
        currency: "CNY".to_owned(),
    }
}

pub fn tally(calls: u64, duration_s: u64, cost: &str, reference: &str) -> Tally {
    Tally { calls, duration_s, cost: dec(cost), reference: dec(reference) }
}

fn data_lines(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| line.split('\t').collect())
}

/// `fixtures/reports/owners.tsv`: lines of one call type each, merged into
/// one [`OwnerTotals`] per department × user × extension, in first-seen order.
pub fn owners() -> Vec<OwnerTotals> {
    let mut owners: Vec<OwnerTotals> = Vec::new();
    for fields in data_lines(OWNERS) {
        let [department, user, extension, call_type, calls, duration, cost, reference] = fields[..]
        else {
            panic!("owners.tsv line {fields:?}");
        };
        let position = owners
            .iter()
            .position(|o| o.department == department && o.user == user && o.extension == extension);
        let index = position.unwrap_or_else(|| {
            owners.push(OwnerTotals {
                department: department.to_owned(),
                user: user.to_owned(),
                extension: extension.to_owned(),
                by_type: Default::default(),
            });
            owners.len() - 1
        });
        let tally = tally(calls.parse().unwrap(), duration.parse().unwrap(), cost, reference);
        owners[index].by_type.insert(call_type.to_owned(), tally);
    }
    owners
}

/// `fixtures/reports/calls.tsv`.
pub fn calls() -> Vec<CallLine> {
    calls_of(CALLS)
}

/// `fixtures/reports/legs.tsv`: a conference's legs among plain calls.
pub fn calls_with_legs() -> Vec<CallLine> {
    calls_of(include_str!("../fixtures/reports/legs.tsv"))
}

/// Call lines of a calls TSV: 16 columns, then optionally the leg's part
/// and whether it is counted (`yes`/`no`); without them, a call of its own.
fn calls_of(text: &str) -> Vec<CallLine> {
    data_lines(text)
        .map(|fields| {
            let (call, leg) = fields.split_at(fields.len().min(16));
            let [
                id,
                start,
                extension,
                user,
                department,
                direction,
                number,
                e164,
                destination,
                call_type,
                duration,
                cost,
                reference,
                carrier,
                trunk,
                disposition,
            ] = call[..]
            else {
                panic!("calls line {fields:?}");
            };
            let (leg, counted) = match leg {
                [] => ("", true),
                [part, counted] => (*part, *counted == "yes"),
                _ => panic!("calls line {fields:?}: leg and counted, or neither"),
            };
            CallLine {
                id: id.to_owned(),
                start: DateTime::from_str(start).unwrap().in_tz("Asia/Shanghai").unwrap(),
                extension: extension.to_owned(),
                user: user.to_owned(),
                department: department.to_owned(),
                direction: direction.to_owned(),
                number: number.to_owned(),
                e164: e164.to_owned(),
                destination: destination.to_owned(),
                call_type: call_type.to_owned(),
                duration_s: duration.parse().unwrap(),
                cost: dec(cost),
                reference: dec(reference),
                carrier: carrier.to_owned(),
                trunk: trunk.to_owned(),
                disposition: disposition.to_owned(),
                leg: leg.to_owned(),
                counted,
            }
        })
        .collect()
}

/// The value of the total keyed `key`.
pub fn total<'a>(report: &'a Report, key: &str) -> &'a Cell {
    &report
        .totals
        .iter()
        .find(|total| total.key == key)
        .unwrap_or_else(|| panic!("no total {key:?}"))
        .value
}

/// The cell of `row` under the column keyed `key` in section `section`.
pub fn cell<'a>(report: &'a Report, section: usize, row: &'a Row, key: &str) -> &'a Cell {
    let columns = &report.sections[section].columns;
    let index = columns
        .iter()
        .position(|column| column.key == key)
        .unwrap_or_else(|| panic!("no column {key:?}"));
    &row.cells[index]
}

/// One column of section `section` for the rows of `style`.
pub fn column<'a>(report: &'a Report, section: usize, key: &str, style: RowStyle) -> Vec<&'a Cell> {
    report.sections[section]
        .rows
        .iter()
        .filter(|row| row.style == style)
        .map(|row| cell(report, section, row, key))
        .collect()
}

/// The text cells of one column, for checking order.
pub fn texts(report: &Report, section: usize, key: &str) -> Vec<String> {
    column(report, section, key, RowStyle::Normal)
        .into_iter()
        .map(|cell| match cell {
            Cell::Text(text) => text.clone(),
            other => panic!("not text: {other:?}"),
        })
        .collect()
}

/// Sum of a money column over the normal rows.
pub fn money_sum(report: &Report, section: usize, key: &str) -> Decimal {
    column(report, section, key, RowStyle::Normal)
        .into_iter()
        .map(|cell| match cell {
            Cell::Money(amount) => *amount,
            other => panic!("not money: {other:?}"),
        })
        .sum()
}

/// The report's last row, which every report with a total row ends with.
pub fn total_row(report: &Report, section: usize) -> &Row {
    let row = report.sections[section].rows.last().expect("a total row");
    assert_eq!(row.style, RowStyle::Total);
    row
}

/// Writes `report` in every format and language; the formats that print the
/// title (all but plain CSV, which is one table) must name it.
pub fn renders_everywhere(report: &Report) {
    for format in ReportFormat::ALL {
        for lang in [Lang::En, Lang::Zh] {
            let mut out = Vec::new();
            format
                .write(report, lang, &mut out)
                .unwrap_or_else(|error| panic!("{format} {lang}: {error}"));
            if format == ReportFormat::Xlsx {
                assert!(out.starts_with(b"PK"), "xlsx is a zip package");
            } else {
                let text = String::from_utf8(out).unwrap();
                let expected = match format {
                    ReportFormat::Csv => report.sections[0].columns[0].header.get(lang),
                    _ => report.title.get(lang),
                };
                assert!(text.contains(expected), "{format} {lang}: {text}");
            }
        }
    }
}

pub fn txt(report: &Report, lang: Lang) -> String {
    let mut out = Vec::new();
    report::write_txt(report, lang, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

pub fn json(report: &Report, lang: Lang) -> serde_json::Value {
    let mut out = Vec::new();
    report::write_json(report, lang, &mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}
