//! JSON: the machine contract (keys, kinds, value spellings).

use report::Lang;
use serde_json::{Value, json};

use crate::fixture::{call_listing, department_summary, report_with};

#[test]
fn department_summary_values_have_machine_types() {
    let doc: Value = serde_json::from_str(&crate::json(&department_summary(), Lang::Zh)).unwrap();
    assert_eq!(doc["format"], "bluewhale-report");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["lang"], "zh");
    assert_eq!(
        doc["header"]["period"],
        json!({
            "from": "2000-10-09T00:00:00+08:00",
            "to": "2012-11-09T23:59:59+08:00",
            "time_zone": "Asia/Shanghai",
        })
    );
    assert_eq!(
        doc["totals"][1],
        json!({"key": "cost", "label": "话费总计", "kind": "money", "currency": "CNY", "value": "7479.48"})
    );
    let section = &doc["sections"][0];
    assert_eq!(
        section["columns"][5],
        json!({"key": "duration_s", "header": "累计时长", "kind": "duration_s"})
    );
    let first = &section["rows"][0];
    assert_eq!(first["style"], "normal");
    assert_eq!(first["cells"]["cost"], "74.25");
    assert_eq!(first["cells"]["calls"], 291);
    assert_eq!(first["cells"]["duration_s"], 8 * 3600 + 18 * 60 + 45);
    assert_eq!(first["cells"]["department_cost"], Value::Null);
    let subtotal = &section["rows"][4];
    assert_eq!(subtotal["style"], "subtotal");
    assert_eq!(subtotal["cells"]["department_cost"], "334.05");
}

#[test]
fn cells_keep_column_order() {
    let text = crate::json(&department_summary(), Lang::En);
    let cells = &text[text.find("\"cells\"").unwrap()..];
    let cells = &cells[..cells.find('}').unwrap()];
    let position = |key: &str| cells.find(&format!("\"{key}\":")).unwrap();
    assert!(position("department") < position("user"));
    assert!(position("user") < position("cost"));
    assert!(position("cost") < position("calls"));
    assert!(position("onnet_intersite") < position("inbound"));
}

#[test]
fn keys_and_kinds_do_not_change_with_language() {
    let en: Value = serde_json::from_str(&crate::json(&department_summary(), Lang::En)).unwrap();
    let zh: Value = serde_json::from_str(&crate::json(&department_summary(), Lang::Zh)).unwrap();
    assert_eq!(en["sections"][0]["rows"], zh["sections"][0]["rows"]);
    assert_eq!(en["sections"][0]["columns"][2]["header"], "Cost");
    assert_eq!(zh["sections"][0]["columns"][2]["header"], "实际话费");
}

#[test]
fn call_listing_cells() {
    let doc: Value =
        serde_json::from_str(&crate::json(&report_with(call_listing()), Lang::En)).unwrap();
    assert_eq!(doc["header"]["period"], Value::Null);
    assert_eq!(
        doc["sections"][0]["rows"][0]["cells"],
        json!({
            "start": "2024-02-29T23:59:58+08:00",
            "caller": "王强",
            "note": "Smith, \"Bob\"",
            "duration_s": 59,
            "share": "0.25",
            "cost": "1.005",
        })
    );
    assert_eq!(doc["sections"][0]["rows"][3]["style"], "total");
    assert_eq!(doc["sections"][0]["rows"][3]["cells"]["caller"], Value::Null);
}
