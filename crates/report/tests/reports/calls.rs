//! Itemised calls of one extension, and the top lists, from
//! `fixtures/reports/calls.tsv`.
//!
//! The five calls: c2 08:05 5.125 (ref 8.00) 61 s; c1 09:15 0.60 (ref 0.90)
//! 125 s; c4 09:15 internal 30 s; c3 the next day, inbound 300 s; c5 no
//! answer. Sums: 516 s, cost 5.725, reference 8.90, savings 3.175.

use expect_test::expect_file;
use report::reports::{self, TopInput};
use report::{Cell, Lang, RowStyle};
use serde_json::json;

use crate::support::{
    calls, calls_with_legs, cell, context, json, money, owners, renders_everywhere, shanghai,
    texts, total, total_row, txt,
};

#[test]
fn extension_lists_calls_in_time_order_with_totals() {
    let report = reports::extension(&context(), "2001 Wang Li", &calls()).unwrap();
    assert_eq!(report.title.en, "Calls of 2001 Wang Li");
    assert_eq!(report.title.zh, "2001 Wang Li 通话明细");
    // c1 and c4 start at the same second; the id decides.
    assert_eq!(texts(&report, 0, "id"), ["c2", "c1", "c4", "c3", "c5"]);
    assert_eq!(total(&report, "calls"), &Cell::Integer(5));
    assert_eq!(total(&report, "duration_s"), &Cell::Duration(516));
    assert_eq!(total(&report, "cost"), &money("5.725"));
    assert_eq!(total(&report, "reference"), &money("8.90"));
    assert_eq!(total(&report, "savings"), &money("3.175"));

    let last = total_row(&report, 0);
    assert_eq!(cell(&report, 0, last, "department"), &Cell::Empty);
    assert_eq!(cell(&report, 0, last, "duration_s"), &Cell::Duration(516));
    assert_eq!(cell(&report, 0, last, "cost"), &money("5.725"));
    assert_eq!(cell(&report, 0, last, "savings"), &money("3.175"));
    assert_eq!(cell(&report, 0, last, "carrier"), &Cell::Empty);

    let first = &report.sections[0].rows[0];
    assert_eq!(cell(&report, 0, first, "start"), &Cell::DateTime(shanghai(2024, 3, 4, 8, 5, 10)));
    assert_eq!(cell(&report, 0, first, "savings"), &money("2.875"));
    assert_eq!(cell(&report, 0, first, "e164"), &Cell::text("+441632960001"));
}

#[test]
fn extension_json_cells_are_exact() {
    let report = reports::extension(&context(), "2001 Wang Li", &calls()).unwrap();
    let doc = json(&report, Lang::En);
    let rows = doc["sections"][0]["rows"].as_array().unwrap();
    assert_eq!(
        rows[0]["cells"],
        json!({
            "department": "Company\\Sales",
            "user": "Wang Li",
            "extension": "2001",
            "start": "2024-03-04T08:05:10+08:00",
            "direction": "outgoing",
            "number": "00441632960001",
            "e164": "+441632960001",
            "destination": "United Kingdom",
            "call_type": "international",
            "calls": 1,
            "duration_s": 61,
            "cost": "5.125",
            "reference": "8.00",
            "savings": "2.875",
            "carrier": "China Unicom",
            "trunk": "T2",
            "disposition": "answered",
            "leg": "",
            "id": "c2",
        })
    );
    assert_eq!(rows[5]["style"], "total");
    assert_eq!(rows[5]["cells"]["cost"], "5.725");
}

#[test]
fn extension_renders_everywhere() {
    let report = reports::extension(&context(), "2001 Wang Li", &calls()).unwrap();
    renders_everywhere(&report);
    expect_file!["../fixtures/snapshots/reports/extension.en.txt"]
        .assert_eq(&txt(&report, Lang::En));
    let empty = reports::extension(&context(), "2009", &[]).unwrap();
    assert_eq!(empty.sections[0].rows.len(), 1);
    renders_everywhere(&empty);
}

#[test]
fn a_logical_call_counts_once_and_every_leg_adds_its_duration_and_money() {
    // legs.tsv: a conference of three legs counted by the first, and a call
    // of its own.
    let report = reports::extension(&context(), "2001 Wang Li", &calls_with_legs()).unwrap();
    assert_eq!(texts(&report, 0, "id"), ["k1", "k2", "k3", "p1"]);
    assert_eq!(
        texts(&report, 0, "leg"),
        ["before_conference", "conference_leg", "conference_leg", ""]
    );
    let counted = crate::support::column(&report, 0, "calls", RowStyle::Normal);
    let [one, none] = [&Cell::Integer(1), &Cell::Integer(0)];
    assert_eq!(counted, [one, none, none, one]);
    assert_eq!(total(&report, "calls"), &Cell::Integer(2));
    assert_eq!(total(&report, "duration_s"), &Cell::Duration(780));
    assert_eq!(total(&report, "cost"), &money("3.20"));
    assert_eq!(total(&report, "reference"), &money("4.50"));
    let last = total_row(&report, 0);
    assert_eq!(cell(&report, 0, last, "calls"), &Cell::Integer(2));
    assert_eq!(cell(&report, 0, last, "leg"), &Cell::Empty);
    renders_everywhere(&report);
}

#[test]
fn a_call_with_an_unknown_direction_or_type_is_refused() {
    let mut input = calls();
    input[2].direction = "sideways".into();
    let error = reports::extension(&context(), "2001", &input).unwrap_err();
    assert_eq!(
        error.to_string(),
        "report input: call 3 (id \"c3\"): unknown direction \"sideways\" (expected one of \
         outgoing, incoming, internal, unknown)"
    );
    let mut input = calls();
    input[0].call_type = String::new();
    let top = TopInput { most_expensive: input, ..TopInput::default() };
    let error = reports::top(&context(), &top).unwrap_err();
    assert_eq!(
        error.to_string(),
        "report input: most expensive call 1 (id \"c1\"): unknown call type \"\" (expected one \
         of internal, onnet, local, national, mobile, international, free, inbound, unknown)"
    );
}

fn top_input() -> TopInput {
    TopInput { most_expensive: calls(), longest: calls(), top_callers: owners() }
}

#[test]
fn top_ranks_each_list() {
    let report = reports::top(&context(), &top_input()).unwrap();
    assert_eq!(report.sections.len(), 3);
    assert!(report.totals.is_empty());
    // Zero-cost calls keep time order.
    assert_eq!(texts(&report, 0, "id"), ["c2", "c1", "c4", "c3", "c5"]);
    assert_eq!(texts(&report, 1, "id"), ["c3", "c1", "c2", "c4", "c5"]);
    assert_eq!(texts(&report, 2, "user"), ["Alice", "Wang Li", "Bob", "Carl"]);
    let ranks: Vec<&Cell> = crate::support::column(&report, 2, "rank", RowStyle::Normal);
    assert_eq!(ranks, [&Cell::Integer(1), &Cell::Integer(2), &Cell::Integer(3), &Cell::Integer(4)]);
    let alice = &report.sections[2].rows[0];
    assert_eq!(
        alice.cells,
        [
            Cell::Integer(1),
            Cell::text("Company\\Sales"),
            Cell::text("Alice"),
            Cell::text("2002"),
            Cell::Integer(6),
            Cell::Duration(1020),
            money("12.34"),
            money("17.25"),
            money("4.91"),
        ]
    );
    let names: Vec<&str> = report.sections.iter().map(|t| t.name.zh.as_str()).collect();
    assert_eq!(names, ["话费最高的通话", "时长最长的通话", "话费最高的用户"]);
}

#[test]
fn top_renders_everywhere() {
    let report = reports::top(&context(), &top_input()).unwrap();
    renders_everywhere(&report);
    let empty = reports::top(&context(), &TopInput::default()).unwrap();
    renders_everywhere(&empty);
}
