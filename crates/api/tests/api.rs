//! The API in-process: sign-in, sessions and CSRF, tokens, lockout and
//! rate limiting, the role × endpoint matrix, call scopes, search, paging
//! and export, the audit log and the OpenAPI document.

mod common;

use axum::http::{Method, StatusCode, header};
use common::{App, CALLS, json_of, request, sign_in};
use serde_json::{Value, json};
use store::accounts::Role;

#[tokio::test]
async fn a_console_session_needs_its_csrf_token_for_changes_and_ends_at_sign_out() {
    let app = App::new().await;
    let (cookie, csrf) = sign_in(&app, "admin", "first admin password").await;
    let (status, _, body) =
        app.send(request(Method::GET, "/session", None, &[("cookie", &cookie)])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&body)["account"]["role"], "admin");
    assert_eq!(json_of(&body)["csrf"], csrf.as_str());

    let token = Some(json!({"name": "erp"}));
    let (status, _, body) =
        app.send(request(Method::POST, "/tokens", token.clone(), &[("cookie", &cookie)])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(json_of(&body)["error"]["code"], "csrf");
    let wrong = &[("cookie", cookie.as_str()), ("x-csrf-token", "nope")];
    assert_eq!(
        app.send(request(Method::POST, "/tokens", token.clone(), wrong)).await.0,
        StatusCode::FORBIDDEN
    );
    let right = &[("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let (status, _, body) = app.send(request(Method::POST, "/tokens", token, right)).await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = json_of(&body)["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("bw_"));

    let (status, headers, _) = app.send(request(Method::DELETE, "/session", None, right)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    let (status, _, body) =
        app.send(request(Method::GET, "/session", None, &[("cookie", &cookie)])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(json_of(&body)["error"]["code"], "unauthenticated");
    // The token made in the session outlives it.
    let bearer = format!("Bearer {secret}");
    let auth = &[("authorization", bearer.as_str())];
    assert_eq!(app.send(request(Method::GET, "/calls", None, auth)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_and_many_attempts_are_throttled() {
    let app = App::new().await;
    let attempt = |user: &str, password: &str| {
        request(
            Method::POST,
            "/session",
            Some(json!({"username": user, "password": password})),
            &[],
        )
    };
    for _ in 0..4 {
        let (status, _, body) = app.send(attempt("admin", "wrong password")).await;
        assert_eq!(
            (status, json_of(&body)["error"]["code"].clone()),
            (StatusCode::UNAUTHORIZED, json!("bad_credentials"))
        );
    }
    let (status, headers, body) = app.send(attempt("admin", "wrong password")).await;
    assert_eq!(status, StatusCode::LOCKED, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body)["error"]["code"], "account_locked");
    assert!(headers.contains_key(header::RETRY_AFTER));
    // Locked: the right password does not open it now.
    assert_eq!(app.send(attempt("admin", "first admin password")).await.0, StatusCode::LOCKED);
    // An unknown user is told the same as a wrong password.
    let (status, _, body) = app.send(attempt("nobody", "x")).await;
    assert_eq!(
        (status, json_of(&body)["error"]["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!("bad_credentials"))
    );
    // Ten attempts a minute from one address, whatever the accounts.
    for _ in 0..3 {
        app.send(attempt("nobody", "x")).await;
    }
    let (status, headers, body) = app.send(attempt("operator-1", "a long password")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(json_of(&body)["error"]["code"], "too_many_attempts");
    assert!(headers[header::RETRY_AFTER].to_str().unwrap().parse::<u64>().unwrap() > 0);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Allowed,
    Refused,
    Public,
}

/// (method, path, access per role in `Role::ALL` order)
fn matrix() -> Vec<(Method, String, [Access; 5])> {
    include_str!("fixtures/role_matrix.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 7, "{l}");
            let allowed = std::array::from_fn(|i| match f[2 + i] {
                "Y" => Access::Allowed,
                "N" => Access::Refused,
                "P" => Access::Public,
                other => panic!("{l}: {other} is not Y, N or P"),
            });
            (f[0].parse().unwrap(), f[1].to_string(), allowed)
        })
        .collect()
}

#[tokio::test]
async fn every_endpoint_is_in_the_role_matrix_and_each_role_gets_what_it_says() {
    let app = App::new().await;
    let doc = serde_json::to_value(api::openapi()).unwrap();
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    let mut listed: Vec<String> = matrix().iter().map(|(m, p, _)| format!("{m} {p}")).collect();
    documented.sort();
    listed.sort();
    assert_eq!(documented, listed, "the matrix and the OpenAPI document disagree");

    for (method, path, allowed) in matrix() {
        // Ids that exist for nobody: an allowed caller gets 404 (or 400), never 403.
        let path = path.replace("{id}", "987654");
        for (role, access) in Role::ALL.into_iter().zip(allowed) {
            let (status, body) = app.as_role(role, method.clone(), &path, None).await;
            let what = format!("{} {method} {path}: {status} {body}", role.as_str());
            match access {
                Access::Allowed => assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                    "{what}"
                ),
                Access::Refused => {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
                    assert_eq!(body["error"]["code"], "forbidden", "{what}");
                }
                Access::Public => assert_ne!(status, StatusCode::FORBIDDEN, "{what}"),
            }
        }
    }
}

async fn all_calls(app: &App, role: Role, query: &str) -> Vec<Value> {
    let mut calls = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/calls?from=2026-12-01&to=2026-12-01&limit=7{query}{cursor}");
        let (status, page) = app.as_role(role, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        calls.extend(page["calls"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return calls,
        }
    }
}

fn starts(calls: &[Value]) -> Vec<String> {
    calls.iter().map(|c| c["start"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn pages_of_calls_hold_each_call_once_in_the_order_asked() {
    let app = App::new().await;
    let newest_first = all_calls(&app, Role::Finance, "").await;
    assert_eq!(newest_first.len(), CALLS as usize);
    let mut sorted = starts(&newest_first);
    sorted.sort();
    sorted.reverse();
    assert_eq!(starts(&newest_first), sorted);
    let oldest_first = all_calls(&app, Role::Finance, "&sort=start").await;
    sorted.reverse();
    assert_eq!(starts(&oldest_first), sorted);
    // Through the owners' rows, both ways.
    for (query, calls) in [("&department=2", 20), ("&extension=2001", 10)] {
        let mut down = starts(&all_calls(&app, Role::Finance, query).await);
        assert_eq!(down.len(), calls, "{query}");
        let up = starts(&all_calls(&app, Role::Finance, &format!("{query}&sort=start")).await);
        assert!(up.windows(2).all(|w| w[0] < w[1]), "{query}: {up:?}");
        down.reverse();
        assert_eq!(down, up, "{query}");
    }
    // A month with calls on its first day only: newest first skips the empty weeks.
    let (status, page) = app
        .as_role(Role::Finance, Method::GET, "/calls?from=2026-12-01&to=2026-12-31&limit=5", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["calls"][0]["start"], "2026-12-01T04:50:00Z");
    let by_cost = all_calls(&app, Role::Finance, "&sort=-cost").await;
    let costs: Vec<&str> = by_cost.iter().map(|c| c["cost"].as_str().unwrap()).collect();
    assert_eq!(costs.len(), CALLS as usize);
    assert_eq!((costs[0], costs[29]), ("2.90", "0.00"));
    let c = &newest_first[0];
    assert_eq!(
        (c["currency"].as_str(), c["status"].as_str(), c["pbx"].as_str()),
        (Some("EUR"), Some("rated"), Some("pbx-hq"))
    );
}

#[tokio::test]
async fn filters_narrow_the_calls() {
    let app = App::new().await;
    let count = |q: &'static str| {
        let app = &app;
        async move { all_calls(app, Role::Admin, q).await.len() }
    };
    assert_eq!(count("&extension=1001").await, 10);
    assert_eq!(count("&department=2").await, 20, "Sales with EMEA below it");
    assert_eq!(count("&department=3").await, 10);
    assert_eq!(count("&call_type=mobile").await, 15);
    assert_eq!(count("&carrier=1").await, 15);
    assert_eq!(count("&number=0033100001").await, 10, "dialled 0033 1000010 … 1000019");
    assert_eq!(count("&cost_min=1&cost_max=1.5").await, 6, "1.00 … 1.50");
    let (status, body) =
        app.as_role(Role::Admin, Method::GET, "/calls?call_type=cheap", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().unwrap().contains("international"), "{body}");
    let (status, body) = app.as_role(Role::Admin, Method::GET, "/calls?from=yesterday", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
}

#[tokio::test]
async fn managers_and_users_see_only_their_calls_in_lists_details_and_exports() {
    let app = App::new().await;
    let manager = all_calls(&app, Role::Manager, "").await;
    assert_eq!(manager.len(), 20, "Sales and EMEA");
    assert!(
        manager.iter().all(|c| c["department"].as_str().unwrap().starts_with(r"Company\Sales"))
    );
    assert!(all_calls(&app, Role::Manager, "&department=4").await.is_empty());
    let user = all_calls(&app, Role::User, "").await;
    assert_eq!(user.len(), 10);
    assert!(user.iter().all(|c| c["extension"] == "3001"));

    let finance_call = user[0]["id"].as_str().unwrap().to_string();
    let (status, _) =
        app.as_role(Role::Manager, Method::GET, &format!("/calls/{finance_call}"), None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another department's call does not exist for a manager"
    );
    let (status, detail) =
        app.as_role(Role::User, Method::GET, &format!("/calls/{finance_call}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["id"], finance_call.as_str());

    let bearer = format!("Bearer {}", app.tokens[&Role::Manager]);
    let (status, headers, body) = app
        .send(request(
            Method::GET,
            "/calls/export?from=2026-12-01&to=2026-12-01",
            None,
            &[("authorization", &bearer)],
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let text = String::from_utf8(body).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("id,start,answer,end,duration_s"));
    assert_eq!(lines.count(), 20);
}

#[tokio::test]
async fn account_changes_are_audited_and_the_last_admin_stays() {
    let app = App::new().await;
    let body = json!({"username": "eve", "role": "finance", "display_name": "Eve"});
    let (status, created) = app.as_role(Role::Admin, Method::POST, "/accounts", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let password = created["password"].as_str().unwrap();
    assert_eq!(password.len(), 20);
    let id = created["account"]["id"].as_i64().unwrap();
    sign_in(&app, "eve", password).await;

    let change = json!({"username": "eve", "role": "manager", "department_ids": [4]});
    let (status, updated) =
        app.as_role(Role::Admin, Method::PUT, &format!("/accounts/{id}"), Some(change)).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["role"], "manager");

    let (status, log) =
        app.as_role(Role::Operator, Method::GET, "/audit?entity=account", None).await;
    assert_eq!(status, StatusCode::OK);
    let update = &log[0];
    assert_eq!(
        (update["action"].as_str(), update["actor"].as_str()),
        (Some("account.update"), Some("admin-1"))
    );
    assert_eq!(update["before"]["role"], "finance");
    assert_eq!(update["after"]["role"], "manager");
    assert_eq!(log[1]["action"], "account.create");
    assert_eq!(log[1]["after"]["username"], "eve");

    // Demoting every administrator is refused.
    let admins = app.db.run(|s| Ok(s.accounts()?)).await.unwrap();
    for a in admins.iter().filter(|a| a.role == Role::Admin) {
        let demote = json!({"username": a.username, "role": "finance"});
        let (status, body) = app
            .as_role(Role::Admin, Method::PUT, &format!("/accounts/{}", a.id), Some(demote))
            .await;
        if a.username == "admin" {
            assert_eq!(status, StatusCode::OK, "{body}");
        } else {
            assert_eq!(status, StatusCode::CONFLICT, "{body}");
        }
    }
}

#[tokio::test]
async fn errors_are_json_with_a_code_and_the_openapi_document_is_served() {
    let app = App::new().await;
    let (status, body) =
        app.as_role(Role::Admin, Method::POST, "/accounts", Some(json!({"user": 1}))).await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(body["error"]["code"], "bad_request", "{body}");
    let (status, body) = app.as_role(Role::Admin, Method::GET, "/nothing-here", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _, body) = app.send(request(Method::GET, "/openapi.json", None, &[])).await;
    assert_eq!(status, StatusCode::OK);
    let doc = json_of(&body);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/calls"]["get"]["parameters"].as_array().unwrap().len() >= 10);
}

/// Bills calls 0, 1 and 2 of the fixture (of 1001, 2001 and 3001) as one
/// conference set up by 1001, which pays for every leg; call 0 counts it.
fn bill_a_conference(app: &App) -> [String; 3] {
    let mut store = store::Store::open(app.dir.path()).unwrap();
    let zone = store.reporting_zone().unwrap();
    let keys = [0, 1, 2].map(|n| {
        let call = common::call(n);
        (call.start_s, call.dedup)
    });
    let mut batch = store.batch().unwrap();
    for (index, key) in keys.iter().enumerate() {
        let leg = store::LegBilling {
            start_s: key.0,
            dedup: key.1,
            call: keys[0],
            part: if index == 0 { "before_conference" } else { "conference_leg" }.into(),
            features: "conference".into(),
            payer: Some((1, Some(2))),
            counted: index == 0,
            reason: "the conference's controller".into(),
        };
        batch.bill_leg(&leg, &zone).unwrap();
    }
    batch.commit().unwrap();
    keys.map(|(s, d)| store::call_id(s, d))
}

#[tokio::test]
async fn a_call_detail_shows_the_legs_of_its_logical_call_and_who_pays_for_each() {
    let app = App::new().await;
    let ids = bill_a_conference(&app);
    let (status, detail) =
        app.as_role(Role::Admin, Method::GET, &format!("/calls/{}", ids[1]), None).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["logical_call"], ids[0].as_str());
    assert_eq!(detail["features"], json!(["conference"]));
    let legs = detail["legs"].as_array().unwrap();
    let field = |name: &str| legs.iter().map(|l| l[name].clone()).collect::<Vec<Value>>();
    assert_eq!(field("id"), ids.iter().map(|id| json!(id)).collect::<Vec<_>>());
    assert_eq!(
        field("part"),
        [json!("before_conference"), json!("conference_leg"), json!("conference_leg")]
    );
    assert_eq!(field("counted"), [json!(true), json!(false), json!(false)]);
    assert_eq!(field("this_call"), [json!(false), json!(true), json!(false)]);
    let payer = json!({"extension_id": 1, "extension": "1001", "department_id": 2});
    assert_eq!(field("payer"), [payer.clone(), payer.clone(), payer]);
    assert_eq!(
        (legs[2]["calling"].as_str(), legs[2]["dialled"].as_str()),
        (Some("3001"), Some("00331000002"))
    );
    assert_eq!(legs[0]["reason"], "the conference's controller");
    assert_eq!(legs[0]["start"], "2026-12-01T00:00:00Z");

    // A call of its own.
    let own = common::call(3);
    let id = store::call_id(own.start_s, own.dedup);
    let (status, detail) =
        app.as_role(Role::Admin, Method::GET, &format!("/calls/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((&detail["logical_call"], &detail["legs"]), (&Value::Null, &json!([])));

    // The legs belong to 1001 (Sales), who pays: its lists hold them, the
    // user of 3001 (Finance) no longer sees the one it was on.
    assert_eq!(all_calls(&app, Role::Admin, "&extension=1001").await.len(), 12);
    assert_eq!(all_calls(&app, Role::Admin, "&extension=3001").await.len(), 9);
    assert_eq!(all_calls(&app, Role::Manager, "").await.len(), 21, "Sales, with 3001's leg");
    assert_eq!(all_calls(&app, Role::User, "").await.len(), 9);
    let path = format!("/calls/{}", ids[2]);
    let (status, _) = app.as_role(Role::User, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, detail) = app.as_role(Role::Manager, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["legs"].as_array().unwrap().len(), 3);

    // The dashboard counts the conference once, and its cost as 1001's.
    let busy_calls = |dashboard: &Value| -> u64 {
        let grid = dashboard["busy_hours"].as_array().unwrap();
        grid.iter().flat_map(|day| day.as_array().unwrap()).map(|n| n.as_u64().unwrap()).sum()
    };
    let at = "/dashboard?at=2026-12-01T23:00:00Z";
    let (_, all) = app.as_role(Role::Admin, Method::GET, at, None).await;
    assert_eq!((busy_calls(&all), &all["today"]["calls"]), (CALLS as u64 - 2, &json!(CALLS - 2)));
    let (_, user) = app.as_role(Role::User, Method::GET, at, None).await;
    assert_eq!((busy_calls(&user), &user["today"]["calls"]), (9, &json!(9)));

    let (_, _, body) = app.send(request(Method::GET, "/openapi.json", None, &[])).await;
    let doc = json_of(&body);
    let schemas = &doc["components"]["schemas"];
    // The detail flattens the call's view: its own fields are the second part.
    let detail = &schemas["CallDetail"]["allOf"][1]["properties"];
    assert_eq!(detail["legs"]["items"]["$ref"], "#/components/schemas/LegView", "{detail}");
    assert!(schemas["LegView"]["properties"]["payer"].is_object(), "{}", schemas["LegView"]);
}
