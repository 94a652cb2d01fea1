//! Builds the department summary report from `fixtures/department_summary.tsv`.

use std::str::FromStr;

use jiff::Zoned;
use jiff::civil::date;
use report::{Cell, Column, Filter, Header, Kind, Label, Period, Report, Row, Table, Total};
use rust_decimal::Decimal;

const DEPARTMENT_SUMMARY: &str = include_str!("../fixtures/department_summary.tsv");

pub fn shanghai(year: i16, month: i8, day: i8, hour: i8, minute: i8, second: i8) -> Zoned {
    date(year, month, day)
        .at(hour, minute, second, 0)
        .in_tz("Asia/Shanghai")
        .expect("Asia/Shanghai is in the bundled database")
}

pub fn money(text: &str) -> Decimal {
    Decimal::from_str(text).expect("fixture amounts are decimals")
}

/// `0D 08:18:45` back to seconds, the inverse of the report's spelling.
pub fn seconds(text: &str) -> u64 {
    let (days, clock) = text.split_once("D ").expect("duration has a day part");
    let parts: Vec<u64> = clock.split(':').map(|p| p.parse().unwrap()).collect();
    days.parse::<u64>().unwrap() * 86_400 + parts[0] * 3600 + parts[1] * 60 + parts[2]
}

/// The seed report's columns: who, how much, then cost per call type.
pub fn department_columns() -> Vec<Column> {
    let cny = || Kind::money("CNY");
    vec![
        Column::new("department", "Department", "部门", Kind::Text),
        Column::new("user", "User", "用户", Kind::Text),
        Column::new("cost", "Cost", "实际话费", cny()),
        Column::new("savings", "Savings", "节省话费", cny()),
        Column::new("calls", "Calls", "通话数", Kind::Integer),
        Column::new("duration_s", "Duration", "累计时长", Kind::Duration),
        Column::new("department_cost", "Department total", "部门累计", cny()),
        Column::new("local", "Local", "市内通话", cny()),
        Column::new("national", "National", "国内长途", cny()),
        Column::new("international", "International", "国际长途", cny()),
        Column::new("free", "Free", "免费通话", cny()),
        Column::new("internal", "Internal", "同城同址", cny()),
        Column::new("onnet_intersite", "On-net inter-site", "分机国内", cny()),
        Column::new("inbound", "Inbound", "呼入通话", cny()),
    ]
}

pub fn department_rows() -> Vec<Row> {
    let columns = department_columns();
    DEPARTMENT_SUMMARY
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let mut fields = line.split('\t');
            let style = fields.next().unwrap();
            let cells: Vec<Cell> = columns
                .iter()
                .zip(fields)
                .map(|(column, field)| cell(&column.kind, field))
                .collect();
            assert_eq!(cells.len(), columns.len(), "fixture line {line:?}");
            match style {
                "user" => Row::normal(cells),
                "subtotal" => Row::subtotal(cells),
                "total" => Row::total(cells),
                other => panic!("unknown row style {other:?}"),
            }
        })
        .collect()
}

fn cell(kind: &Kind, field: &str) -> Cell {
    if field.is_empty() || field == "-" {
        return Cell::Empty;
    }
    match kind {
        Kind::Text => Cell::text(field),
        Kind::Integer => Cell::Integer(field.parse().unwrap()),
        Kind::Money { .. } => Cell::Money(money(field)),
        Kind::Duration => Cell::Duration(seconds(field)),
        other => panic!("fixture has no {other:?} columns"),
    }
}

pub fn header() -> Header {
    Header {
        period: Some(Period {
            from: shanghai(2000, 10, 9, 0, 0, 0),
            to: shanghai(2012, 11, 9, 23, 59, 59),
        }),
        generated_at: shanghai(2012, 11, 9, 15, 49, 31),
        created_by: "Company".to_owned(),
        filters: vec![Filter { name: Label::new("Site", "站点"), value: "Beijing".to_owned() }],
    }
}

/// The department summary with its grand totals computed from the user rows.
pub fn department_summary() -> Report {
    let rows = department_rows();
    let users = || rows.iter().filter(|r| r.style == report::RowStyle::Normal);
    let calls: i64 = users()
        .map(|r| match r.cells[4] {
            Cell::Integer(n) => n,
            _ => 0,
        })
        .sum();
    let sum_money = |index: usize| -> Decimal {
        users()
            .map(|r| match r.cells[index] {
                Cell::Money(m) => m,
                _ => Decimal::ZERO,
            })
            .sum()
    };
    Report {
        title: Label::new("Department summary", "部门综合统计"),
        header: header(),
        totals: vec![
            Total {
                key: "calls".into(),
                label: Label::new("Total calls", "呼叫总计"),
                kind: Kind::Integer,
                value: Cell::Integer(calls),
            },
            Total {
                key: "cost".into(),
                label: Label::new("Total cost", "话费总计"),
                kind: Kind::money("CNY"),
                value: Cell::Money(sum_money(2)),
            },
            Total {
                key: "savings".into(),
                label: Label::new("Total savings", "总计节省"),
                kind: Kind::money("CNY"),
                value: Cell::Money(sum_money(3)),
            },
        ],
        sections: vec![Table {
            name: Label::new("Departments", "部门统计"),
            columns: department_columns(),
            rows,
        }],
    }
}

/// A one-table report around `table`, for focused tests.
pub fn report_with(table: Table) -> Report {
    Report {
        title: Label::new("Test", "测试"),
        header: Header {
            period: None,
            generated_at: shanghai(2024, 3, 1, 8, 0, 0),
            created_by: "admin".to_owned(),
            filters: vec![],
        },
        totals: vec![],
        sections: vec![table],
    }
}

/// A call listing with every remaining kind and text that needs quoting or
/// escaping somewhere: comma, quote, line break, markup, a formula, CJK.
pub fn call_listing() -> Table {
    Table {
        name: Label::new("Calls", "通话明细"),
        columns: vec![
            Column::new("start", "Start", "开始时间", Kind::DateTime),
            Column::new("caller", "Caller", "主叫", Kind::Text),
            Column::new("note", "Note", "备注", Kind::Text),
            Column::new("duration_s", "Duration", "时长", Kind::Duration),
            Column::new("share", "Share", "占比", Kind::Percent),
            Column::new("cost", "Cost", "话费", Kind::money("USD")),
        ],
        rows: vec![
            Row::normal(vec![
                Cell::DateTime(shanghai(2024, 2, 29, 23, 59, 58)),
                Cell::text("王强"),
                Cell::text("Smith, \"Bob\""),
                Cell::Duration(59),
                Cell::Percent(money("0.25")),
                Cell::Money(money("1.005")),
            ]),
            Row::normal(vec![
                Cell::DateTime(shanghai(2024, 3, 1, 0, 0, 1)),
                Cell::text("<script>alert('x')</script> & co"),
                Cell::text("line one\nline two"),
                Cell::Duration(86_400),
                Cell::Percent(money("0.75")),
                Cell::Money(money("-2.5")),
            ]),
            Row::normal(vec![
                Cell::Empty,
                Cell::text("=SUM(A1:A9)"),
                Cell::Empty,
                Cell::Duration(0),
                Cell::Empty,
                Cell::Empty,
            ]),
            Row::total(vec![
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Duration(86_459),
                Cell::Percent(money("1")),
                Cell::Money(money("-1.495")),
            ]),
        ],
    }
}
