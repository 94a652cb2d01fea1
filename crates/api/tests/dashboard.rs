//! The dashboard's figures from the rollups and call starts, per scope.

mod common;

use axum::http::{Method, StatusCode};
use common::App;
use serde_json::Value;
use store::accounts::Role;

/// As of 2026-12-01 23:00 UTC, the day of the test calls (a Tuesday).
const AT: &str = "/dashboard?at=2026-12-01T23:00:00Z";

async fn dashboard(app: &App, role: Role) -> Value {
    let (status, body) = app.as_role(role, Method::GET, AT, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Sum of n × 0.10 over the test calls n in 0..30 whose owner index n % 3 is kept.
fn cost_of(keep: impl Fn(i64) -> bool) -> (i64, String) {
    let calls: Vec<i64> = (0..common::CALLS).filter(|n| keep(n % 3)).collect();
    let tenths: i64 = calls.iter().sum();
    (calls.len() as i64, format!("{}.{}0", tenths / 10, tenths % 10))
}

#[tokio::test]
async fn the_dashboard_adds_the_days_calls_per_scope() {
    let app = App::new().await;
    let all = dashboard(&app, Role::Finance).await;
    let (calls, cost) = cost_of(|_| true);
    assert_eq!((calls, cost.as_str()), (30, "43.50"));
    assert_eq!(all["today"]["calls"], calls);
    assert_eq!(all["today"]["cost"], cost.as_str());
    assert_eq!(all["month"]["cost"], cost.as_str());
    let days = all["cost_by_day"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(days[29]["day"], "2026-12-01");
    assert_eq!(days[29]["cost"], cost.as_str());
    assert_eq!(days[28]["calls"], 0);
    // Even calls international, odd ones mobile.
    let types: Vec<(&str, i64)> = all["cost_by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["call_type"].as_str().unwrap(), t["calls"].as_i64().unwrap()))
        .collect();
    assert_eq!(types, [("international", 15), ("mobile", 15)]);
    // Calls every 10 minutes from midnight: 6 an hour from 00:00 to 04:59, on a Tuesday.
    let grid = all["busy_hours"].as_array().unwrap();
    assert_eq!(grid.len(), 7);
    let tuesday: Vec<u64> =
        grid[1].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(&tuesday[..6], &[6, 6, 6, 6, 6, 0]);
    assert_eq!(tuesday.iter().sum::<u64>(), 30);
    assert!(grid[0].as_array().unwrap().iter().all(|v| v == 0));
    assert_eq!(all["top_departments"].as_array().unwrap().len(), 3);
    assert_eq!(
        all["top_callers"][0]["extension"], "3001",
        "the most expensive caller: 2.90 + 2.60 + …"
    );

    // A manager of Sales: Sales (n % 3 == 0) and EMEA (n % 3 == 1).
    let manager = dashboard(&app, Role::Manager).await;
    let (calls, cost) = cost_of(|i| i != 2);
    assert_eq!(manager["today"]["calls"], calls);
    assert_eq!(manager["today"]["cost"], cost.as_str());
    let departments: Vec<&str> = manager["top_departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["department"].as_str().unwrap())
        .collect();
    assert_eq!(departments.len(), 2);
    assert!(departments.iter().all(|d| d.starts_with(r"Company\Sales")), "{departments:?}");
    let busy: u64 =
        manager["busy_hours"][1].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(busy, calls as u64);

    // A user: its own extension (3001, n % 3 == 2).
    let user = dashboard(&app, Role::User).await;
    let (calls, cost) = cost_of(|i| i == 2);
    assert_eq!(
        (user["today"]["calls"].as_i64().unwrap(), user["today"]["cost"].as_str().unwrap()),
        (calls, cost.as_str())
    );
    assert_eq!(user["top_callers"].as_array().unwrap().len(), 1);
}
