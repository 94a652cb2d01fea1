//! Carriers and tariffs in-process: importing a tariff (TOML alone, or
//! with its CSV prefix list as JSON files), the book and its files, the
//! carriers, refused imports, and the price of a made-up call checked by
//! hand against the tariff's rates.

mod common;

use axum::http::{Method, StatusCode, header};
use common::{App, json_of};
use serde_json::{Value, json};
use store::accounts::Role;

/// Acme: France fixed 0.05 to connect, the first 30 s for 0.10, then
/// 0.02 per 6 s. PSTN (the reference): 0.50 a minute, per minute.
const TARIFF: &str = r#"
format = 1

[[carrier]]
name = "Acme"

[[carrier.version]]
id = "2026"
valid_from = 2026-01-01
currency = "EUR"
time_zone = "Europe/Paris"
crossing = "start"
rounding = { at = "per_call", mode = "half_up", decimals = 2 }

[[carrier.version.band]]
name = "standard"

[[carrier.version.destination]]
name = "France fixed"
prefixes = ["331", "332"]
rates.all = { connect_fee = "0.05", first_seconds = 30, first_price = "0.10", increment_seconds = 6, increment_price = "0.02" }

[[carrier]]
name = "PSTN"

[[carrier.version]]
id = "list"
valid_from = 2025-01-01
currency = "EUR"
time_zone = "Europe/Paris"
crossing = "start"
rounding = { at = "per_call", mode = "half_up", decimals = 2 }

[[carrier.version.band]]
name = "standard"

[[carrier.version.destination]]
name = "France"
prefixes = ["33"]
rates.all = { first_seconds = 60, first_price = "0.50", increment_seconds = 60, increment_price = "0.50" }
"#;

async fn import(app: &App, query: &str, content_type: &str, body: &str) -> (StatusCode, Value) {
    let path = format!("/tariffs/import{query}");
    let (status, _, body) =
        app.upload_as(Role::Operator, Method::POST, &path, content_type, body).await;
    (status, json_of(&body))
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_else(|| panic!("not an error: {body}"))
}

#[tokio::test]
async fn an_imported_tariff_shows_in_the_book_the_carriers_and_the_files() {
    let app = App::new().await;
    let (status, summary) = import(&app, "", "application/toml", TARIFF).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(
        summary["carriers"],
        json!([{"name": "Acme", "replaced": false}, {"name": "PSTN", "replaced": false}])
    );
    assert_eq!(
        (summary["total_carriers"].as_u64(), summary["prefixes"].as_u64()),
        (Some(2), Some(3))
    );
    let log = app.audit_of("tariffs").await;
    assert_eq!(
        (log[0]["action"].as_str(), log[0]["actor"].as_str()),
        (Some("tariffs.import"), Some("operator-1"))
    );
    assert_eq!(log[0]["before"], json!([]));
    assert_eq!(log[0]["after"]["total_carriers"], 2);

    let (status, book) = app.as_role(Role::Finance, Method::GET, "/tariffs", None).await;
    assert_eq!(status, StatusCode::OK, "{book}");
    let acme = &book["carriers"][0];
    assert_eq!(acme["name"], "Acme");
    assert!(acme["carrier_id"].as_i64().is_some());
    let version = &acme["versions"][0];
    assert_eq!(version["id"], "2026");
    assert_eq!(version["valid_from"], "2025-12-31T23:00:00Z");
    assert_eq!(version["valid_from_local"], "2026-01-01T00:00:00+01:00");
    assert_eq!(
        (version["currency"].as_str(), version["crossing"].as_str()),
        (Some("EUR"), Some("start"))
    );
    assert_eq!(version["rounding"], json!({"at": "per_call", "mode": "half_up", "decimals": 2}));
    assert_eq!(
        (version["destinations"].as_u64(), version["prefixes"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(version["bands"], json!(["standard"]));
    assert_eq!(book["prefixes"], 3);

    let (status, carriers) = app.as_role(Role::Finance, Method::GET, "/carriers", None).await;
    assert_eq!(status, StatusCode::OK);
    let acme_carrier = carriers.as_array().unwrap().iter().find(|c| c["name"] == "Acme").unwrap();
    assert_eq!(acme_carrier["currency"], "EUR");
    assert_eq!(acme_carrier["has_tariff"], true);
    assert_eq!(acme_carrier["id"], acme["carrier_id"]);

    // A new version of Acme, with its prefixes in a CSV, as JSON files:
    // it replaces Acme; PSTN stays.
    let files = json!({"files": {
        "tariffs.toml": TARIFF.split("[[carrier]]\nname = \"PSTN\"").next().unwrap()
            .replace("id = \"2026\"", "id = \"2027\"")
            .replace("prefixes = [\"331\", \"332\"]", "prefixes = []\n")
            .replace("rounding = {", "prefixes_csv = \"acme/france.csv\"\nrounding = {"),
        "acme/france.csv": "prefix,destination\n331,France fixed\n333,France fixed\n334,France fixed\n",
    }});
    let (status, summary) = import(&app, "", "application/json", &files.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["carriers"], json!([{"name": "Acme", "replaced": true}]));
    assert_eq!(
        (summary["total_carriers"].as_u64(), summary["prefixes"].as_u64()),
        (Some(2), Some(4))
    );
    assert_eq!(
        app.audit_of("tariffs").await[0]["before"],
        json!([
            {"carrier": "Acme", "versions": ["2026"]}, {"carrier": "PSTN", "versions": ["list"]}
        ])
    );

    let (status, export) = app.as_role(Role::Finance, Method::GET, "/tariffs/export", None).await;
    assert_eq!(status, StatusCode::OK);
    // Short prefix lists are written inline: the book is one file.
    let names: Vec<&String> = export["files"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["tariffs.toml"]);
    let toml = export["files"]["tariffs.toml"].as_str().unwrap();
    assert!(
        toml.contains("\"2027\"") && toml.contains("\"334\"") && toml.contains("PSTN"),
        "{toml}"
    );
    let bearer = format!("Bearer {}", app.tokens[&Role::Finance]);
    let (status, headers, body) = app
        .send(common::request(
            Method::GET,
            "/tariffs/export?file=tariffs.toml",
            None,
            &[("authorization", &bearer)],
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("tariffs.toml"));
    assert_eq!(String::from_utf8(body).unwrap(), toml);
    // The export is what an import takes back: nothing changes.
    let (status, again) = import(&app, "", "application/json", &export.to_string()).await;
    assert_eq!((status, again["prefixes"].as_u64()), (StatusCode::OK, Some(4)));
    let (_, export_again) = app.as_role(Role::Finance, Method::GET, "/tariffs/export", None).await;
    assert_eq!(export_again, export);
    let (status, _) =
        app.as_role(Role::Finance, Method::GET, "/tariffs/export?file=nope.csv", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_tariffs_are_refused_with_the_file_and_line() {
    let app = App::new().await;
    let bad = TARIFF.replace("rates.all = { connect_fee", "rates.peak = { connect_fee");
    let (status, body) = import(&app, "", "application/toml", &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let why = message(&body);
    assert!(why.starts_with("tariffs.toml:") && why.contains("peak"), "{why}");
    assert!(!why.contains("/tmp"), "the upload's temporary folder is not shown: {why}");
    let (status, body) =
        import(&app, "", "application/json", r#"{"files": {"../x.toml": ""}}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("files: "), "{body}");
    let (status, body) =
        import(&app, "?format=cgrates", "application/json", r#"{"files": {}}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("currency: "), "{body}");
    let (status, body) = import(&app, "?carrier=Nobody", "application/toml", TARIFF).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).contains("Nobody"), "{body}");
    let (status, _) = import(&app, "", "text/plain", TARIFF).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Nothing was stored, nothing audited.
    let (_, book) = app.as_role(Role::Admin, Method::GET, "/tariffs", None).await;
    assert_eq!(book["carriers"], json!([]));
    assert!(app.audit_of("tariffs").await.is_empty());
    let (status, _, _) = app
        .upload_as(Role::Finance, Method::POST, "/tariffs/import", "application/toml", TARIFF)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_made_up_call_is_priced_as_the_tariff_says() {
    let app = App::new().await;
    assert_eq!(import(&app, "", "application/toml", TARIFF).await.0, StatusCode::OK);
    let paris = json!({"name": "Paris", "time_zone": "Europe/Paris", "country_code": "33",
        "area_code": "1", "carrier": "Acme", "reference_carrier": "PSTN"});
    let (status, site) =
        app.as_role(Role::Admin, Method::POST, "/directory/sites", Some(paris)).await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    let site = site["id"].as_i64().unwrap();

    let path = format!(
        "/tariffs/price?number=0155512345&at=2026-12-02T10:00:00Z&duration_s=95&site={site}"
    );
    let (status, quote) = app.as_role(Role::Finance, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{quote}");
    // 95 s: the first 30 s, then ⌈65 / 6⌉ = 11 increments: 12 units,
    // 30 + 66 = 96 s billed; 0.05 + 0.10 + 11 × 0.02 = 0.37.
    // Reference: 2 minutes at 0.50 = 1.00; saved 0.63.
    assert_eq!(
        (quote["cost"].as_str(), quote["reference"].as_str(), quote["savings"].as_str()),
        (Some("0.37"), Some("1.00"), Some("0.63"))
    );
    assert_eq!(
        (quote["status"].as_str(), quote["currency"].as_str()),
        (Some("rated"), Some("EUR"))
    );
    assert_eq!(
        (quote["carrier"].as_str(), quote["e164"].as_str()),
        (Some("Acme"), Some("+33155512345"))
    );
    assert_eq!(quote["destination"], "France / Île-de-France", "as the dial plan names it");
    assert_eq!(quote["call_type"], "local", "the site's region, area code 1");
    assert_eq!(quote["site_id"], site);
    let price = &quote["price"];
    assert_eq!((price["version"].as_str(), price["prefix"].as_str()), (Some("2026"), Some("331")));
    assert_eq!(price["destination"], "France fixed", "as the tariff names it");
    assert_eq!((price["units"].as_u64(), price["billed_s"].as_u64()), (Some(12), Some(96)));
    assert_eq!(price["bands"], json!([{"band": "standard", "seconds": 96, "units": 12}]));
    assert_eq!(quote["reference_price"]["carrier"], "PSTN");
    assert_eq!(quote["reference_price"]["units"], 2);
    assert!(!quote["explanation"].as_array().unwrap().is_empty(), "{quote}");

    // 30 s or less: the first unit only.
    let path = format!(
        "/tariffs/price?number=%2B33155512345&at=2026-12-02T10:00:00Z&duration_s=30&site={site}"
    );
    let (_, quote) = app.as_role(Role::Operator, Method::GET, &path, None).await;
    assert_eq!(quote["cost"], "0.15", "{quote}");

    // Before Acme's first version there is no price: unrated, with why.
    let path = format!(
        "/tariffs/price?number=0155512345&at=2025-06-01T10:00:00Z&duration_s=95&site={site}"
    );
    let (_, quote) = app.as_role(Role::Admin, Method::GET, &path, None).await;
    assert_eq!((quote["status"].as_str(), quote["cost"].as_str()), (Some("unrated"), Some("0.00")));
    assert!(!quote["reason"].as_str().unwrap().is_empty());

    // From an extension: its site as of the call. HQ names no carrier.
    let path =
        "/tariffs/price?number=0155512345&at=2026-12-02T10:00:00Z&duration_s=95&extension=1001";
    let (status, quote) = app.as_role(Role::Admin, Method::GET, path, None).await;
    assert_eq!((status, quote["site_id"].as_i64()), (StatusCode::OK, Some(1)), "{quote}");
    assert_eq!(quote["status"], "unrated");

    for (query, field) in [
        ("at=2026-12-02T10:00:00Z&duration_s=95", "number: "),
        ("number=0155&at=tomorrow&duration_s=95", "at: "),
        ("number=0155&at=2026-12-02T10:00:00Z&duration_s=-1", "duration_s: "),
        ("number=0155&at=2026-12-02T10:00:00Z&duration_s=9&site=99", "site: "),
        ("number=0155&at=2026-12-02T10:00:00Z&duration_s=9&extension=9999", "extension: "),
    ] {
        let (status, body) =
            app.as_role(Role::Admin, Method::GET, &format!("/tariffs/price?{query}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(message(&body).starts_with(field), "{query}: {body}");
    }
    let (status, _) =
        app.as_role(Role::Manager, Method::GET, "/tariffs/price?number=1", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_cgrates_plan_is_imported_from_its_files() {
    let app = App::new().await;
    let plan = json!({"files": {
        "Destinations.csv": "#Id,Prefix\nDST_FR,33\n",
        "Rates.csv": "#Id,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart\nRT_FR,0,0.06,60s,60s,0s\n",
        "DestinationRates.csv": "#Id,DestinationId,RatesTag,RoundingMethod,RoundingDecimals,MaxCost,MaxCostStrategy\nDR_FR,DST_FR,RT_FR,*up,2,0,\n",
        "RatingPlans.csv": "#Id,DestinationRatesId,TimingTag,Weight\nRP_FR,DR_FR,*any,10\n",
        "RatingProfiles.csv": "#Tenant,Category,Subject,ActivationTime,RatingPlanId,RatesFallbackSubject\nexample.org,call,acme,2020-01-01T00:00:00Z,RP_FR,\n",
    }});
    let (status, summary) = import(
        &app,
        "?format=cgrates&currency=EUR&carrier=CG",
        "application/json",
        &plan.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["carriers"], json!([{"name": "CG", "replaced": false}]));
    let (_, book) = app.as_role(Role::Admin, Method::GET, "/tariffs", None).await;
    let version = &book["carriers"][0]["versions"][0];
    assert_eq!(
        (book["carriers"][0]["name"].as_str(), version["currency"].as_str()),
        (Some("CG"), Some("EUR"))
    );
    assert_eq!(version["prefixes"], 1);

    let broken = plan.to_string().replace("RT_FR,0,0.06", "RT_FR,0,lots");
    let (status, body) =
        import(&app, "?format=cgrates&currency=EUR", "application/json", &broken).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).contains("Rates.csv:2"), "{body}");
}
