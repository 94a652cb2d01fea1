//! The directory endpoints in-process: the whole directory, each kind of
//! change with its audit entry, refused changes, a number changing hands,
//! bulk import of a directory file and an extension CSV, and the export.

mod common;

use axum::http::{Method, StatusCode, header};
use common::{App, json_of};
use serde_json::{Value, json};
use store::accounts::Role;

async fn admin(app: &App, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    app.as_role(Role::Admin, method, path, body).await
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_else(|| panic!("not an error: {body}"))
}

#[tokio::test]
async fn the_whole_directory_comes_with_paths_and_validity() {
    let app = App::new().await;
    let (status, d) = app.as_role(Role::Finance, Method::GET, "/directory", None).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["organisation"]["time_zone"], "UTC");
    assert_eq!(d["sites"][0]["name"], "HQ");
    assert_eq!(d["pbxs"][0]["name"], "pbx-hq");
    assert_eq!(d["pbxs"][0]["site_id"], 1);
    let paths: Vec<&str> =
        d["departments"].as_array().unwrap().iter().map(|x| x["path"].as_str().unwrap()).collect();
    assert_eq!(paths, [r"Company", r"Company\Sales", r"Company\Sales\EMEA", r"Company\Finance"]);
    assert_eq!(d["departments"][2]["parent_id"], 2);
    assert_eq!(d["users"][1]["key"], "bob");
    let ext = &d["extensions"][1];
    assert_eq!(
        (ext["number"].as_str(), ext["user_id"].as_i64(), ext["department_id"].as_i64()),
        (Some("2001"), Some(2), Some(3))
    );
    assert!(ext["valid_from"].is_null() && ext["valid_to"].is_null(), "always valid: {ext}");
    let (status, _) = app.as_role(Role::Manager, Method::GET, "/directory", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        app.as_role(Role::Finance, Method::POST, "/directory/sites", Some(json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "finance reads the directory, may not change it");
}

#[tokio::test]
async fn sites_pbxs_trunks_and_users_change_with_their_audit_entries() {
    let app = App::new().await;
    let paris = json!({"name": "Paris", "time_zone": "Europe/Paris", "country_code": "33",
        "area_code": "1", "carrier": "Acme"});
    let (status, site) = admin(&app, Method::POST, "/directory/sites", Some(paris)).await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    let id = site["id"].as_i64().unwrap();
    assert_eq!((site["name"].as_str(), site["carrier"].as_str()), (Some("Paris"), Some("Acme")));
    let moved = json!({"name": "Paris La Défense", "time_zone": "Europe/Paris",
        "country_code": "33", "area_code": "1", "carrier": "Orange"});
    let (status, site) =
        admin(&app, Method::PUT, &format!("/directory/sites/{id}"), Some(moved)).await;
    assert_eq!(status, StatusCode::OK, "{site}");
    let log = app.audit_of("site").await;
    assert_eq!(log[0]["action"], "site.update");
    assert_eq!(log[0]["entity_id"], id.to_string());
    assert_eq!(
        (log[0]["before"]["name"].as_str(), log[0]["before"]["carrier"].as_str()),
        (Some("Paris"), Some("Acme"))
    );
    assert_eq!(log[0]["after"]["carrier"], "Orange");
    assert_eq!(
        (log[1]["action"].as_str(), log[1]["after"]["name"].as_str()),
        (Some("site.create"), Some("Paris"))
    );
    assert!(log[1]["before"].is_null());

    // Refused: bad fields (named), unknown ids, taken names.
    let bad_zone = json!({"name": "Mars", "time_zone": "Mars/Olympus"});
    let (status, body) = admin(&app, Method::POST, "/directory/sites", Some(bad_zone)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("time_zone: "), "{body}");
    let unpriceable = json!({"name": "Lyon", "time_zone": "Europe/Paris", "country_code": "33",
        "area_code": "4a"});
    let (status, body) = admin(&app, Method::POST, "/directory/sites", Some(unpriceable)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        message(&body).starts_with("dial plans: ") && message(&body).contains("Lyon"),
        "{body}"
    );
    let taken = json!({"name": "HQ", "time_zone": "UTC"});
    let (status, body) = admin(&app, Method::POST, "/directory/sites", Some(taken.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = admin(&app, Method::PUT, "/directory/sites/999", Some(taken)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        admin(&app, Method::GET, "/directory/sites/999", None).await.0,
        StatusCode::NOT_FOUND
    );

    let pbx =
        |format: &str, site: i64| json!({"name": "cucm-paris", "format": format, "site_id": site});
    let (status, body) = admin(&app, Method::POST, "/directory/pbxs", Some(pbx("cucmx", id))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("format: "), "{body}");
    let (status, body) = admin(&app, Method::POST, "/directory/pbxs", Some(pbx("cucm", 999))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "site_id: no site 999");
    let (status, created) =
        admin(&app, Method::POST, "/directory/pbxs", Some(pbx("cucm", id))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let pbx_id = created["id"].as_i64().unwrap();
    let trunk = json!({"pbx_id": pbx_id, "code": "T1", "carrier": "Orange"});
    let (status, trunk) = admin(&app, Method::POST, "/directory/trunks", Some(trunk)).await;
    assert_eq!(status, StatusCode::CREATED, "{trunk}");
    let trunk_id = trunk["id"].as_i64().unwrap();
    let renamed = json!({"pbx_id": pbx_id, "code": "T1", "name": "SIP trunk", "carrier": "Free"});
    let (status, trunk) =
        admin(&app, Method::PUT, &format!("/directory/trunks/{trunk_id}"), Some(renamed)).await;
    assert_eq!((status, trunk["carrier"].as_str()), (StatusCode::OK, Some("Free")));

    // What still refers to an entity keeps it.
    let (status, body) = admin(&app, Method::DELETE, &format!("/directory/sites/{id}"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(message(&body).contains("PBXs: 1 (cucm-paris)"), "{body}");
    let (status, body) =
        admin(&app, Method::DELETE, &format!("/directory/pbxs/{pbx_id}"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(message(&body).contains("trunks: 1 (T1)"), "{body}");
    let (status, body) = admin(&app, Method::DELETE, "/directory/pbxs/1", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "pbx-hq's calls are stored: {body}");
    assert!(message(&body).contains("stored calls"), "{body}");
    for path in [
        format!("/directory/trunks/{trunk_id}"),
        format!("/directory/pbxs/{pbx_id}"),
        format!("/directory/sites/{id}"),
    ] {
        assert_eq!(
            admin(&app, Method::DELETE, &path, None).await.0,
            StatusCode::NO_CONTENT,
            "{path}"
        );
        assert_eq!(admin(&app, Method::GET, &path, None).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let log = app.audit_of("pbx").await;
    assert_eq!(
        (log[0]["action"].as_str(), log[0]["before"]["name"].as_str()),
        (Some("pbx.delete"), Some("cucm-paris"))
    );
    assert!(log[0]["after"].is_null());

    let dan = json!({"key": "dan", "name": "Dan", "department_id": 4});
    let (status, user) = admin(&app, Method::POST, "/directory/users", Some(dan)).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let dan_id = user["id"].as_i64().unwrap();
    let moved = json!({"key": "dan", "name": "Dan Smith", "department_id": 2});
    let (status, user) =
        admin(&app, Method::PUT, &format!("/directory/users/{dan_id}"), Some(moved)).await;
    assert_eq!((status, user["department_id"].as_i64()), (StatusCode::OK, Some(2)));
    let nobody = json!({"key": "eve", "name": "Eve", "department_id": 99});
    let (status, body) = admin(&app, Method::POST, "/directory/users", Some(nobody)).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::BAD_REQUEST, "department_id: no department 99")
    );
    let (status, body) = admin(&app, Method::DELETE, "/directory/users/1", None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(message(&body).contains("extension periods: 1 (1001)"), "{body}");
    let (status, body) = admin(&app, Method::DELETE, "/directory/users/3", None).await;
    assert!(message(&body).contains("accounts: 1 (user-1)"), "{status} {body}");
    assert_eq!(
        admin(&app, Method::DELETE, &format!("/directory/users/{dan_id}"), None).await.0,
        StatusCode::NO_CONTENT
    );
    let log = app.audit_of("user").await;
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["user.delete", "user.update", "user.create"]);
    assert_eq!(
        (log[1]["before"]["department_id"].as_i64(), log[1]["after"]["department_id"].as_i64()),
        (Some(4), Some(2))
    );
}

#[tokio::test]
async fn departments_carry_their_subtree_and_go_only_when_nothing_refers_to_them() {
    let app = App::new().await;
    let rename = json!({"name": "Sales & Marketing", "parent_id": 1});
    let (status, sales) = admin(&app, Method::PUT, "/directory/departments/2", Some(rename)).await;
    assert_eq!(
        (status, sales["path"].as_str()),
        (StatusCode::OK, Some(r"Company\Sales & Marketing"))
    );
    let (_, emea) = admin(&app, Method::GET, "/directory/departments/3", None).await;
    assert_eq!(emea["path"], r"Company\Sales & Marketing\EMEA");
    let log = app.audit_of("department").await;
    assert_eq!(
        (log[0]["before"]["path"].as_str(), log[0]["after"]["path"].as_str()),
        (Some(r"Company\Sales"), Some(r"Company\Sales & Marketing"))
    );

    let (status, body) = admin(
        &app,
        Method::PUT,
        "/directory/departments/2",
        Some(json!({"name": "Sales", "parent_id": 3})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("parent_id: "), "{body}");
    let (status, body) =
        admin(&app, Method::POST, "/directory/departments", Some(json!({"name": r"A\B"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("name: "), "{body}");
    let (status, _) = admin(
        &app,
        Method::POST,
        "/directory/departments",
        Some(json!({"name": "Finance", "parent_id": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "Company\\Finance exists");

    let (status, body) = admin(&app, Method::DELETE, "/directory/departments/2", None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let why = message(&body);
    for part in [
        r"departments below it: 1 (Company\Sales & Marketing\EMEA)",
        "users: 1 (ann)",
        "extension periods: 1 (1001)",
        "manager accounts: 1 (manager-1)",
        "stored calls",
    ] {
        assert!(why.contains(part), "{part} not in {why}");
    }
    let (status, temp) = admin(
        &app,
        Method::POST,
        "/directory/departments",
        Some(json!({"name": "Temp", "parent_id": 4})),
    )
    .await;
    assert_eq!(
        (status, temp["path"].as_str()),
        (StatusCode::CREATED, Some(r"Company\Finance\Temp"))
    );
    let path = format!("/directory/departments/{}", temp["id"]);
    assert_eq!(admin(&app, Method::DELETE, &path, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(admin(&app, Method::DELETE, &path, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_of("department").await[0]["action"], "department.delete");
}

#[tokio::test]
async fn a_number_changes_hands_by_a_new_period_and_stored_calls_keep_their_owner() {
    let app = App::new().await;
    let to_bob = json!({"number": "1001", "site_id": 1, "user_id": 2, "owner_from": "2027-01-01"});
    let (status, change) = admin(&app, Method::PUT, "/directory/extensions/1", Some(to_bob)).await;
    assert_eq!(status, StatusCode::OK, "{change}");
    let (ended, now) = (&change["ended"], &change["extension"]);
    assert_eq!((ended["id"].as_i64(), ended["user_id"].as_i64()), (Some(1), Some(1)));
    assert_eq!(ended["valid_to"], "2027-01-01T00:00:00Z");
    assert!(ended["valid_from"].is_null());
    assert_eq!(now["valid_from"], "2027-01-01T00:00:00Z");
    assert!(now["valid_to"].is_null());
    assert_eq!(
        (now["user_id"].as_i64(), now["department_id"].as_i64()),
        (Some(2), Some(3)),
        "Bob's department"
    );
    let log = app.audit_of("extension").await;
    assert_eq!(log[0]["action"], "extension.reassign");
    assert_eq!(log[0]["before"]["user_id"], 1);
    assert!(log[0]["before"]["valid_to"].is_null());
    assert_eq!(log[0]["after"]["ended"]["valid_to"], "2027-01-01T00:00:00Z");
    assert_eq!(log[0]["after"]["extension"]["user_id"], 2);

    // The calls of December stay Ann's, in Sales.
    let (status, page) = app
        .as_role(
            Role::Admin,
            Method::GET,
            "/calls?from=2026-12-01&to=2026-12-01&extension=1001",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page["calls"].as_array().unwrap().iter().all(|c| c["department"] == r"Company\Sales"));

    // Same owner: the period itself changes (here it gets an end).
    let id = now["id"].as_i64().unwrap();
    let end = json!({"number": "1001", "site_id": 1, "user_id": 2, "department_id": 3,
        "valid_from": "2027-01-01", "valid_to": "2027-07-01"});
    let (status, change) =
        admin(&app, Method::PUT, &format!("/directory/extensions/{id}"), Some(end)).await;
    assert_eq!(status, StatusCode::OK, "{change}");
    assert!(change["ended"].is_null());
    assert_eq!(change["extension"]["valid_to"], "2027-07-01T00:00:00Z");
    assert_eq!(app.audit_of("extension").await[0]["action"], "extension.update");

    // Refused: overlapping periods, owner changes that also move the
    // number, a day outside the period, bad dates.
    let overlap = json!({"number": "1001", "site_id": 1, "user_id": 3, "valid_from": "2027-03-01"});
    let (status, body) = admin(&app, Method::POST, "/directory/extensions", Some(overlap)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let moved = json!({"number": "1002", "site_id": 1, "user_id": 3, "owner_from": "2027-02-01"});
    let (status, body) =
        admin(&app, Method::PUT, &format!("/directory/extensions/{id}"), Some(moved)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("number, site_id, valid_from: "), "{body}");
    let late = json!({"number": "1001", "site_id": 1, "user_id": 3, "valid_from": "2027-01-01",
        "valid_to": "2027-07-01", "owner_from": "2027-09-01"});
    let (status, body) =
        admin(&app, Method::PUT, &format!("/directory/extensions/{id}"), Some(late)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("owner_from: "), "{body}");
    let bad = json!({"number": "4001", "site_id": 1, "valid_from": "2027-02-30"});
    let (status, body) = admin(&app, Method::POST, "/directory/extensions", Some(bad)).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::BAD_REQUEST, "valid_from: not a date (YYYY-MM-DD): \"2027-02-30\"")
    );

    // A period calls belong to cannot be deleted; a new one can.
    let (status, body) = admin(&app, Method::DELETE, "/directory/extensions/1", None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(message(&body).contains("stored calls"), "{body}");
    assert_eq!(
        admin(&app, Method::DELETE, &format!("/directory/extensions/{id}"), None).await.0,
        StatusCode::NO_CONTENT
    );
}

const DIRECTORY_TOML: &str = r#"
[[site]]
name = "Paris"
time_zone = "Europe/Paris"
country_code = "33"
area_code = "1"

[[pbx]]
name = "cucm-paris"
format = "cucm"
site = "Paris"

[[trunk]]
pbx = "cucm-paris"
code = "T1"
carrier = "Orange"

[[department]]
path = 'Company\Ops\Night'

[[user]]
key = "dan"
name = "Dan"
department = 'Company\Ops'

[[extension]]
number = "5001"
site = "Paris"
user = "dan"
valid_from = "2026-06-01"

[[extension]]
number = "5002"
site = "Paris"
department = 'Company\Ops\Night'
"#;

async fn import(app: &App, content_type: &str, body: &str) -> (StatusCode, Value) {
    let (status, _, body) =
        app.upload_as(Role::Operator, Method::POST, "/directory/import", content_type, body).await;
    (status, json_of(&body))
}

#[tokio::test]
async fn a_directory_file_and_an_extension_csv_load_in_bulk() {
    let app = App::new().await;
    let (status, summary) = import(&app, "application/toml", DIRECTORY_TOML).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let counts = |s: &Value| {
        ["sites", "pbxs", "trunks", "departments", "users", "extensions"]
            .map(|k| s[k].as_u64().unwrap())
    };
    assert_eq!(counts(&summary), [1, 1, 1, 1, 1, 2]);
    assert_eq!(summary["format"], "toml");
    assert!(summary["warning"].is_null(), "{summary}");
    let (_, before) = admin(&app, Method::GET, "/directory", None).await;
    assert_eq!(before["departments"].as_array().unwrap().len(), 6, "Company\\Ops made on the way");
    let ext = before["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["number"] == "5001")
        .unwrap()
        .clone();
    assert_eq!(ext["valid_from"], "2026-05-31T22:00:00Z", "midnight in Paris");
    // Loading the same file again changes nothing.
    assert_eq!(import(&app, "application/toml", DIRECTORY_TOML).await.0, StatusCode::OK);
    assert_eq!(admin(&app, Method::GET, "/directory", None).await.1, before);
    let log = app.audit_of("directory").await;
    assert_eq!(
        (log[0]["action"].as_str(), log[0]["actor"].as_str()),
        (Some("directory.import"), Some("operator-1"))
    );
    assert_eq!(log[0]["after"]["extensions"], 2);

    let csv = "number,site,user,department,valid_from,valid_to\n\
               5003,Paris,dan,,2026-01-01,\n\
               5004,Paris,,Company\\Finance,,2027-01-01\n";
    let (status, summary) = import(&app, "text/csv", csv).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(
        (summary["format"].as_str(), summary["extensions"].as_u64()),
        (Some("csv"), Some(2))
    );
    let (_, d) = admin(&app, Method::GET, "/directory", None).await;
    let e5004 =
        d["extensions"].as_array().unwrap().iter().find(|e| e["number"] == "5004").unwrap().clone();
    assert_eq!(
        (e5004["department_id"].as_i64(), e5004["valid_to"].as_str()),
        (Some(4), Some("2026-12-31T23:00:00Z"))
    );

    // Errors name the place and store nothing.
    let bad_csv = "number,site,user\n5005,Paris,dan\n5006,Lyon,dan\n";
    let (status, body) = import(&app, "text/csv; charset=utf-8", bad_csv).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "extensions.csv: line 3: unknown site \"Lyon\"");
    let (_, d) = admin(&app, Method::GET, "/directory", None).await;
    assert!(
        !d["extensions"].as_array().unwrap().iter().any(|e| e["number"] == "5005"),
        "the whole CSV is refused"
    );
    let (status, body) =
        import(&app, "application/toml", "[[site]]\nname = \"Lyon\"\ntime_zone = 7\n").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        message(&body).starts_with("directory.toml: ") && message(&body).contains("line 3"),
        "{body}"
    );
    let (status, body) =
        import(&app, "application/toml", "extensions_csv = [\"more.csv\"]\n").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).contains("extensions_csv"), "{body}");
    let unknown = "[[pbx]]\nname = \"x\"\nformat = \"cucm\"\nsite = \"Nowhere\"\n";
    let (status, body) = import(&app, "application/toml", unknown).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::BAD_REQUEST, "directory.toml: unknown site \"Nowhere\"")
    );
    let (status, body) = import(&app, "application/json", "{}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).contains("format"), "{body}");
    let (status, _, _) =
        app.upload_as(Role::Finance, Method::POST, "/directory/import", "text/csv", csv).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_export_loads_back_as_the_same_directory() {
    let app = App::new().await;
    assert_eq!(import(&app, "application/toml", DIRECTORY_TOML).await.0, StatusCode::OK);
    let bearer = format!("Bearer {}", app.tokens[&Role::Finance]);
    let auth = [("authorization", bearer.as_str())];
    let (status, headers, body) =
        app.send(common::request(Method::GET, "/directory/export", None, &auth)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/toml"));
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("directory.toml"));
    let toml = String::from_utf8(body).unwrap();
    assert!(toml.contains("valid_from = \"2026-06-01\""), "{toml}");
    let (_, before) = admin(&app, Method::GET, "/directory", None).await;
    let (status, summary) = import(&app, "application/toml", &toml).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["extensions"], 5);
    assert_eq!(admin(&app, Method::GET, "/directory", None).await.1, before);

    let (status, _, body) =
        app.send(common::request(Method::GET, "/directory/export?format=csv", None, &auth)).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(body).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "number,site,user,department,valid_from,valid_to");
    assert_eq!(lines.len(), 6);
    assert!(lines.contains(&r"5001,Paris,dan,Company\Ops,2026-06-01,"), "{csv}");
    assert!(lines.contains(&r"1001,HQ,ann,Company\Sales,,"), "{csv}");
    let (status, summary) = import(&app, "text/csv", &csv).await;
    assert_eq!((status, summary["extensions"].as_u64()), (StatusCode::OK, Some(5)));
    assert_eq!(admin(&app, Method::GET, "/directory", None).await.1, before);
    let (status, _) =
        app.as_role(Role::Admin, Method::GET, "/directory/export?format=xml", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
