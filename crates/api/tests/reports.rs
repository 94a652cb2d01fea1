//! Reports through the API: the catalogue, runs in every format with
//! totals that are the stored costs' sums, a manager's runs narrowed to its
//! departments, runs seen by their owner only, previews and bad input.

mod common;

use axum::http::{HeaderMap, Method, StatusCode, header};
use common::{App, CALLS, json_of, request};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;
use std::time::Duration;
use store::accounts::Role;

/// Sum of the stored costs of the fixture's calls whose department is in `departments`.
fn cost_of(departments: &[i64]) -> Decimal {
    (0..CALLS)
        .map(|n| common::call(n).decode().unwrap())
        .filter(|c| c.department_id.is_some_and(|d| departments.contains(&d)))
        .map(|c| c.charge.unwrap().cost.to_decimal())
        .sum()
}

const ALL: [i64; 3] = [2, 3, 4];

fn decimal(s: &str) -> Decimal {
    Decimal::from_str(s.trim()).unwrap_or_else(|_| panic!("not a decimal: {s:?}"))
}

/// `POST /reports/runs` with the fixture's day and `extra` fields.
async fn start(app: &App, role: Role, extra: Value) -> (StatusCode, HeaderMap, Value) {
    let mut body = json!({"report": "department", "from": "2026-12-01", "to": "2026-12-01"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let bearer = format!("Bearer {}", app.tokens[&role]);
    let (status, headers, body) = app
        .send(request(Method::POST, "/reports/runs", Some(body), &[("authorization", &bearer)]))
        .await;
    (status, headers, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// Polls the run until it is finished.
async fn finished(app: &App, role: Role, id: &str) -> Value {
    for _ in 0..1000 {
        let (status, run) =
            app.as_role(role, Method::GET, &format!("/reports/runs/{id}"), None).await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let progress = run["progress"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&progress), "{run}");
        match run["state"].as_str().unwrap() {
            "done" | "failed" => return run,
            "queued" | "running" => tokio::time::sleep(Duration::from_millis(10)).await,
            other => panic!("state {other}"),
        }
    }
    panic!("run {id} did not finish");
}

/// Starts a run, waits for it, checks it went well; the run.
async fn run(app: &App, role: Role, extra: Value) -> Value {
    let (status, headers, started) = start(app, role, extra).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let id = started["id"].as_str().unwrap();
    assert_eq!(headers[header::LOCATION], format!("/api/v1/reports/runs/{id}").as_str());
    assert!(matches!(started["state"].as_str(), Some("queued")), "{started}");
    let done = finished(app, role, id).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["progress"], 1.0);
    done
}

async fn get(app: &App, role: Role, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let bearer = format!("Bearer {}", app.tokens[&role]);
    app.send(request(Method::GET, path, None, &[("authorization", &bearer)])).await
}

async fn download(app: &App, role: Role, run: &Value) -> (HeaderMap, Vec<u8>) {
    let path = format!("/reports/runs/{}/download", run["id"].as_str().unwrap());
    let (status, headers, body) = get(app, role, &path).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        headers[header::CONTENT_LENGTH].to_str().unwrap(),
        run["size_bytes"].to_string(),
        "the size the run gives"
    );
    (headers, body)
}

fn content(headers: &HeaderMap, name: header::HeaderName) -> String {
    headers[name].to_str().unwrap().to_string()
}

#[tokio::test]
async fn the_catalogue_lists_every_report_with_its_titles_needs_and_formats() {
    let app = App::new().await;
    let (status, list) = app.as_role(Role::Manager, Method::GET, "/reports", None).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "department",
            "extension",
            "trunk",
            "carrier",
            "site",
            "destination",
            "top",
            "traffic",
            "inbound",
            "savings",
            "unknown-extensions"
        ]
    );
    let department = &list[0];
    assert_eq!(department["title"], json!({"en": "Department summary", "zh": "部门综合统计"}));
    assert_eq!(
        department["needs"],
        json!({"period": "required", "department": "optional", "extension": "optional", "top": "unused"})
    );
    assert_eq!(department["formats"], json!(["xlsx", "html", "csv", "txt", "json"]));
    assert_eq!(department["languages"], json!(["en", "zh"]));
    assert_eq!(
        (department["from_rollups"].clone(), department["default_top"].clone()),
        (json!(true), Value::Null)
    );
    let top = list.iter().find(|r| r["name"] == "top").unwrap();
    assert_eq!(
        (top["needs"]["top"].clone(), top["default_top"].clone()),
        (json!("optional"), json!(20))
    );
    assert_eq!(top["from_rollups"], false);
    for report in list {
        assert!(!report["title"]["en"].as_str().unwrap().is_empty(), "{report}");
        assert!(!report["title"]["zh"].as_str().unwrap().is_empty(), "{report}");
    }
    let (status, _) = app.as_role(Role::User, Method::GET, "/reports", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_department_report_comes_in_every_format_with_the_stored_costs_as_totals() {
    let app = App::new().await;
    let expected = cost_of(&ALL);
    assert!(expected > Decimal::ZERO);

    let xlsx = run(&app, Role::Finance, json!({"format": "xlsx"})).await;
    assert_eq!(xlsx["filename"], "department-2026-12-01-2026-12-01.xlsx");
    let (headers, body) = download(&app, Role::Finance, &xlsx).await;
    assert!(body.starts_with(b"PK"), "a ZIP container");
    assert_eq!(
        content(&headers, header::CONTENT_TYPE),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        content(&headers, header::CONTENT_DISPOSITION),
        "attachment; filename=\"department-2026-12-01-2026-12-01.xlsx\""
    );

    let html = run(&app, Role::Finance, json!({"format": "html"})).await;
    let (headers, body) = download(&app, Role::Finance, &html).await;
    assert_eq!(content(&headers, header::CONTENT_TYPE), "text/html; charset=utf-8");
    let page = String::from_utf8(body).unwrap();
    for name in ["Company\\Sales", "Company\\Sales\\EMEA", "Company\\Finance", "Department summary"]
    {
        assert!(page.contains(name), "{name} in the page");
    }

    let csv = run(&app, Role::Finance, json!({"format": "csv"})).await;
    let (headers, body) = download(&app, Role::Finance, &csv).await;
    assert_eq!(content(&headers, header::CONTENT_TYPE), "text/csv; charset=utf-8");
    let mut reader = csv::Reader::from_reader(body.as_slice());
    let columns = reader.headers().unwrap().clone();
    let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
    let (cost, user, extension) = (at("Cost"), at("User"), at("Extension"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let owners: Decimal = rows
        .iter()
        .filter(|r| !r[user].is_empty() || !r[extension].is_empty())
        .map(|r| decimal(&r[cost]))
        .sum();
    assert_eq!(owners, expected, "the owners' rows");
    assert_eq!(decimal(&rows.last().unwrap()[cost]), expected, "the total row");

    let txt = run(&app, Role::Finance, json!({"format": "txt"})).await;
    let (headers, body) = download(&app, Role::Finance, &txt).await;
    assert_eq!(content(&headers, header::CONTENT_TYPE), "text/plain; charset=utf-8");
    let text = String::from_utf8(body).unwrap();
    let total = text.lines().find(|l| l.starts_with("Total cost")).expect("a total cost line");
    assert_eq!(decimal(total.split_whitespace().last().unwrap()), expected.round_dp(2));

    let json = run(&app, Role::Finance, json!({"format": "json"})).await;
    let (headers, body) = download(&app, Role::Finance, &json).await;
    assert_eq!(content(&headers, header::CONTENT_TYPE), "application/json");
    let doc = json_of(&body);
    assert_eq!(decimal(doc["totals"]["cost"].as_str().unwrap()), expected);
    let rows: Decimal =
        doc["rows"].as_array().unwrap().iter().map(|r| decimal(r["cost"].as_str().unwrap())).sum();
    assert_eq!(rows, expected);
    assert_eq!(doc["totals"]["calls"], CALLS);
}

#[tokio::test]
async fn a_report_in_chinese_says_so() {
    let app = App::new().await;
    let done = run(&app, Role::Operator, json!({"format": "html", "language": "zh"})).await;
    assert_eq!(done["language"], "zh");
    let (_, body) = download(&app, Role::Operator, &done).await;
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("部门综合统计") && page.contains("lang=\"zh-CN\""));
}

#[tokio::test]
async fn the_preview_is_the_html_page_or_the_json_document_of_the_run() {
    let app = App::new().await;
    let csv = run(&app, Role::Finance, json!({"format": "csv", "report": "extension"})).await;
    let (status, headers, body) =
        get(&app, Role::Finance, csv["preview"].as_str().unwrap().trim_start_matches("/api/v1"))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content(&headers, header::CONTENT_TYPE), "text/html; charset=utf-8");
    assert!(content(&headers, header::CONTENT_SECURITY_POLICY).contains("sandbox"));
    let page = String::from_utf8(body).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    // The itemised calls: every call's dialled number is on the page.
    for n in 0..CALLS {
        let dialled = common::call(n).decode().unwrap().dialled.to_string();
        assert!(page.contains(&dialled), "{dialled}");
    }

    let json = run(&app, Role::Finance, json!({"format": "json", "report": "carrier"})).await;
    let (status, headers, body) = get(
        &app,
        Role::Finance,
        &format!("/reports/runs/{}/preview", json["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content(&headers, header::CONTENT_TYPE), "application/json");
    let doc = json_of(&body);
    assert_eq!(doc["format"], "bluewhale-report");
    let total = doc["totals"].as_array().unwrap().iter().find(|t| t["key"] == "cost").unwrap();
    assert_eq!(decimal(total["value"].as_str().unwrap()), cost_of(&ALL));
}

#[tokio::test]
async fn a_manager_reports_on_its_departments_only() {
    let app = App::new().await;
    // The manager's department is Sales (2), with EMEA (3) below it.
    let done = run(&app, Role::Manager, json!({"format": "json"})).await;
    let (_, body) = download(&app, Role::Manager, &done).await;
    let doc = json_of(&body);
    let departments: Vec<&str> = doc["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["department"].as_str().unwrap())
        .collect();
    assert_eq!(departments, ["Company\\Sales", "Company\\Sales\\EMEA"]);
    assert_eq!(decimal(doc["totals"]["cost"].as_str().unwrap()), cost_of(&[2, 3]));
    assert!(cost_of(&[2, 3]) < cost_of(&ALL));

    // Itemised: only the calls of Sales and EMEA, and the header says whose.
    let done = run(&app, Role::Manager, json!({"format": "json", "report": "extension"})).await;
    let (_, body) = download(&app, Role::Manager, &done).await;
    let doc = json_of(&body);
    let filters = doc["header"]["filters"].to_string();
    assert!(filters.contains("Company\\\\Sales"), "{filters}");
    let rows = doc["sections"][0]["rows"].as_array().unwrap();
    let calls: Vec<&Value> = rows.iter().filter(|r| r["style"] == "normal").collect();
    let expected = (0..CALLS).filter(|n| n % 3 != 2).count();
    assert_eq!(calls.len(), expected);
    for call in calls {
        let department = call["cells"]["department"].as_str().unwrap();
        assert!(department.starts_with("Company\\Sales"), "{department}");
    }

    // EMEA, inside: allowed, by path; Finance, outside: refused, by id or path.
    let done =
        run(&app, Role::Manager, json!({"format": "json", "department": "Company\\Sales\\EMEA"}))
            .await;
    assert_eq!(done["department"], "Company\\Sales\\EMEA");
    let (_, body) = download(&app, Role::Manager, &done).await;
    assert_eq!(decimal(json_of(&body)["totals"]["cost"].as_str().unwrap()), cost_of(&[3]));
    for department in [json!(4), json!("Company\\Finance"), json!(1)] {
        let (status, _, body) =
            start(&app, Role::Manager, json!({"format": "csv", "department": department})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "forbidden");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("outside your departments"),
            "{body}"
        );
    }
    // Finance, for someone who sees everything: allowed.
    let done = run(&app, Role::Finance, json!({"format": "json", "department": 4})).await;
    assert_eq!(done["department"], "Company\\Finance");
    let (_, body) = download(&app, Role::Finance, &done).await;
    assert_eq!(decimal(json_of(&body)["totals"]["cost"].as_str().unwrap()), cost_of(&[4]));
}

#[tokio::test]
async fn a_run_is_seen_by_its_owner_and_administrators_only() {
    let app = App::new().await;
    let done = run(&app, Role::Finance, json!({"format": "csv"})).await;
    let id = done["id"].as_str().unwrap();
    for what in ["", "/download", "/preview"] {
        let path = format!("/reports/runs/{id}{what}");
        for other in [Role::Manager, Role::Operator] {
            let (status, _, body) = get(&app, other, &path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path} as {other:?}");
            assert_eq!(json_of(&body)["error"]["code"], "not_found");
        }
        assert_eq!(get(&app, Role::Admin, &path).await.0, StatusCode::OK, "{path} as admin");
        assert_eq!(get(&app, Role::Finance, &path).await.0, StatusCode::OK, "{path} as owner");
    }
    let (_, mine) = app.as_role(Role::Finance, Method::GET, "/reports/runs", None).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (_, theirs) = app.as_role(Role::Operator, Method::GET, "/reports/runs", None).await;
    assert!(theirs.as_array().unwrap().is_empty());
    let (_, all) = app.as_role(Role::Admin, Method::GET, "/reports/runs", None).await;
    assert_eq!(all[0]["id"], id);
    let (status, _, _) = get(&app, Role::Finance, "/reports/runs/no-such-run/download").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_runs_are_refused_naming_the_field() {
    let app = App::new().await;
    let cases = [
        (json!({"format": "pdf"}), "format:"),
        (json!({"format": "csv", "report": "payroll"}), "report:"),
        (json!({"format": "csv", "from": "2026-13-01"}), "from:"),
        (json!({"format": "csv", "to": "2026-11-30"}), "to:"),
        (json!({"format": "csv", "language": "fr"}), "language:"),
        (json!({"format": "csv", "department": 99}), "department: no department 99"),
        (json!({"format": "csv", "department": "Company\\Nowhere"}), "department: no department"),
        (json!({"format": "csv", "top": 5}), "top:"),
        (json!({"format": "csv", "report": "top", "top": 0}), "top:"),
    ];
    for (extra, message) in cases {
        let (status, _, body) = start(&app, Role::Finance, extra.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{extra}: {body}");
        let said = body["error"]["message"].as_str().unwrap();
        assert!(said.starts_with(message), "{extra}: {said}");
    }
    let (status, _, body) =
        start(&app, Role::Finance, json!({"format": "csv", "lang": "zh"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown field: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("lang"), "{body}");
    // A user cannot run reports, whatever it sends.
    let (status, _, _) = start(&app, Role::User, json!({"format": "csv"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_report_runs_for_the_fixture_day() {
    let app = App::new().await;
    let (_, list) = app.as_role(Role::Admin, Method::GET, "/reports", None).await;
    for report in list.as_array().unwrap() {
        let done = run(&app, Role::Admin, json!({"format": "txt", "report": report["name"]})).await;
        assert!(done["size_bytes"].as_u64().unwrap() > 0, "{done}");
    }
}
