//! The live feed: stored batches published to `GET /live` subscribers as
//! server-sent events, summed and sampled, in each caller's scope.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::App;
use http_body_util::BodyExt;
use serde_json::Value;
use std::time::Duration;
use store::accounts::Role;
use tower::ServiceExt;

/// Opens the feed as `role`; returns the body to read events from.
async fn open(app: &App, role: Role, query: &str) -> Body {
    let req = Request::builder()
        .method(Method::GET)
        .uri(format!("/api/v1/live?interval_ms=250{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", app.tokens[&role]))
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
    response.into_body()
}

/// The next `calls` event with calls in it.
async fn next_calls(body: &mut Body) -> Value {
    let mut text = String::new();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .expect("an event within 10 s")
            .expect("the stream goes on")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else { continue };
            let value: Value = serde_json::from_str(data).unwrap();
            if value["calls"].as_u64().unwrap() > 0 {
                return value;
            }
        }
    }
}

fn publish(app: &App, live: &api::live::LiveFeed, calls: std::ops::Range<i64>) {
    let _ = app;
    let rows: Vec<store::CdrRow> = calls.map(common::call).collect();
    live.publish(&rows);
}

#[tokio::test]
async fn stored_calls_reach_each_watcher_summed_sampled_and_in_scope() {
    let app = App::new().await;
    let live = app.live.clone();
    assert!(!live.watched(), "nobody watches yet: publishing builds nothing");
    let mut finance = open(&app, Role::Finance, "").await;
    let mut manager = open(&app, Role::Manager, "").await;
    let mut mobile = open(&app, Role::Admin, "&call_type=mobile").await;
    assert!(live.watched());
    // 300 calls: more than a batch's sample and an event's list.
    publish(&app, &live, 0..300);

    let all = next_calls(&mut finance).await;
    assert_eq!(all["calls"], 300);
    // Sum of n × 0.10 for n in 0..300.
    assert_eq!(all["cost"], "4485.00");
    assert_eq!(all["newest"].as_array().unwrap().len(), 50);
    assert_eq!(all["sampled"], true);
    assert_eq!(all["newest"][0]["start"], "2026-12-03T01:50:00Z", "the newest first: call 299");

    let sales = next_calls(&mut manager).await;
    assert_eq!(sales["calls"], 200, "Sales and EMEA: two calls in three");
    assert!(
        sales["newest"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["department"].as_str().unwrap().starts_with(r"Company\Sales")),
        "{sales}"
    );
    let odd = next_calls(&mut mobile).await;
    assert_eq!(odd["calls"], 150);
    assert!(odd["newest"].as_array().unwrap().iter().all(|c| c["call_type"] == "mobile"));
}
