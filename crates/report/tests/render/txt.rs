//! Plain text: CJK-aware alignment.

use expect_test::expect;
use report::{Cell, Column, Kind, Label, Lang, Row, Table};
use unicode_width::UnicodeWidthStr;

use crate::fixture::{department_summary, money, report_with};

#[test]
fn wide_characters_keep_columns_aligned() {
    let table = Table {
        name: Label::same(""),
        columns: vec![
            Column::new("user", "User", "用户", Kind::Text),
            Column::new("cost", "Cost", "话费", Kind::money("CNY")),
        ],
        rows: vec![
            Row::normal(vec![Cell::text("李外强 李斌"), Cell::Money(money("56.87"))]),
            Row::normal(vec![Cell::text("Bob"), Cell::Money(money("1198.48"))]),
            Row::subtotal(vec![Cell::Empty, Cell::Money(money("1255.35"))]),
        ],
    };
    let text = crate::txt(&report_with(table), Lang::Zh);
    expect![[r#"
        测试
        ====
        生成时间  2024-03-01 08:00:00 UTC+0800
        创建者    admin

        用户            话费
        -----------  -------
        李外强 李斌    56.87
        Bob          1198.48
        小计         1255.35
    "#]]
    .assert_eq(&text);
}

#[test]
fn every_table_line_of_the_department_summary_ends_on_a_column_edge() {
    // Lines are trimmed, so a subtotal line ends at its last filled column;
    // every line must still end exactly where some column of the rule ends.
    for lang in [Lang::En, Lang::Zh] {
        let text = crate::txt(&department_summary(), lang);
        let table: Vec<&str> = text.lines().skip_while(|line| !line.starts_with("---")).collect();
        let rule = table[0];
        let mut edges = Vec::new();
        let mut end = 0;
        for (index, dashes) in rule.split("  ").enumerate() {
            end += dashes.width() + if index == 0 { 0 } else { 2 };
            edges.push(end);
        }
        assert_eq!(edges.len(), 14);
        assert!(table.len() > 20);
        for line in &table {
            assert!(edges.contains(&line.width()), "{lang}: {line:?}");
        }
        let total = table.last().unwrap();
        assert_eq!(total.width(), rule.width(), "{lang}: {total:?}");
    }
}

#[test]
fn control_characters_become_spaces() {
    let table = Table {
        name: Label::same("t"),
        columns: vec![Column::new("note", "Note", "备注", Kind::Text)],
        rows: vec![Row::normal(vec![Cell::text("a\tb\nc")])],
    };
    let text = crate::txt(&report_with(table), Lang::En);
    assert!(text.ends_with("Note\n-----\na b c\n"), "{text:?}");
}
