//! The quarantine in-process: records put there through the store are
//! listed with their bytes; retried while their PBX is unknown they stay,
//! with the reason; once the directory has the PBX a retry stores them,
//! and the same call quarantined again is a duplicate. Retries are audited.

mod common;

use axum::http::{Method, StatusCode};
use base64::Engine;
use common::App;
use serde_json::Value;
use store::accounts::Role;
use store::{QuarantineItem, Store};

/// An Asterisk `cdr_csv` line of PBX `pbx-new`: 1001 calls 0033155512345
/// on 2026-12-02 at 10:00 (UTC), 60 s of talk.
const ASTERISK: &str = r#""","1001","0033155512345","from-internal","""1001"" <1001>","SIP/1001-00000000","SIP/pstn-00000001","Dial","SIP/pstn/0033155512345,60","2026-12-02 10:00:00","2026-12-02 10:00:05","2026-12-02 10:01:05",65,60,"ANSWERED","DOCUMENTATION","1796205600.0","""#;

fn quarantine(app: &App, items: &[(&str, &str, &[u8], u64)]) {
    let mut store = Store::open(app.dir.path()).unwrap();
    let batch = store.batch().unwrap();
    for (pbx, format, raw, line) in items {
        let item = QuarantineItem {
            pbx: pbx.to_string(),
            format: format.to_string(),
            location: cdr::Location {
                source: "Master.csv".into(),
                position: *line,
                is_offset: false,
            },
            reason: "unknown PBX \"pbx-new\": add it to the directory (bluewhale load) and retry"
                .into(),
            raw: raw.to_vec(),
            header: None,
        };
        assert!(batch.quarantine(&item, 1_796_205_700).unwrap());
    }
    batch.commit().unwrap();
}

async fn operator(app: &App, method: Method, path: &str) -> (StatusCode, Value) {
    app.as_role(Role::Operator, method, path, None).await
}

#[tokio::test]
async fn held_records_are_listed_and_stored_by_a_retry_once_the_directory_knows_their_pbx() {
    let app = App::new().await;
    let garbage: &[u8] = b"\xffnot a record";
    quarantine(
        &app,
        &[("pbx-new", "asterisk", ASTERISK.as_bytes(), 1), ("pbx-hq", "asterisk", garbage, 7)],
    );

    let (status, page) = operator(&app, Method::GET, "/quarantine").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["held"], 2);
    let first = &page["records"][0];
    assert_eq!(
        (first["pbx"].as_str(), first["format"].as_str()),
        (Some("pbx-new"), Some("asterisk"))
    );
    assert_eq!(
        (first["place"].as_str(), first["received_at"].as_str()),
        (Some("Master.csv:1"), Some("2026-12-02T10:01:40Z"))
    );
    assert_eq!(first["raw_text"], ASTERISK);
    assert_eq!(first["released"], false);
    let second = &page["records"][1];
    assert_eq!(second["raw_text"], "\u{fffd}not a record", "invalid UTF-8 replaced");
    let exact = base64::engine::general_purpose::STANDARD
        .decode(second["raw_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(exact, garbage);
    let (first_id, second_id) = (first["id"].as_i64().unwrap(), second["id"].as_i64().unwrap());
    let (_, page) = operator(&app, Method::GET, "/quarantine?pbx=pbx-hq").await;
    assert_eq!(page["records"].as_array().unwrap().len(), 1);
    let (_, page) = operator(&app, Method::GET, "/quarantine?limit=1").await;
    assert_eq!(page["records"].as_array().unwrap().len(), 1);
    assert_eq!(page["next"], first_id);
    let (_, page) = operator(&app, Method::GET, &format!("/quarantine?after={first_id}")).await;
    assert_eq!((page["records"][0]["id"].as_i64(), page["next"].as_i64()), (Some(second_id), None));
    let (status, one) = operator(&app, Method::GET, &format!("/quarantine/{second_id}")).await;
    assert_eq!((status, one["place"].as_str()), (StatusCode::OK, Some("Master.csv:7")));
    assert_eq!(operator(&app, Method::GET, "/quarantine/999").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.as_role(Role::Finance, Method::GET, "/quarantine", None).await.0,
        StatusCode::FORBIDDEN
    );

    // The PBX is still unknown: the record stays, with the reason now.
    let (status, result) =
        operator(&app, Method::POST, &format!("/quarantine/{first_id}/retry")).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!((result["stored"].as_u64(), result["still_bad"].as_u64()), (Some(0), Some(1)));
    assert_eq!(result["records"][0]["outcome"], "still_bad");
    assert!(
        result["records"][0]["reason"].as_str().unwrap().contains("unknown PBX \"pbx-new\""),
        "{result}"
    );

    // The directory gets the PBX; a retry of its records stores the call.
    let pbx = serde_json::json!({"name": "pbx-new", "format": "asterisk", "site_id": 1});
    let (status, _) = app.as_role(Role::Admin, Method::POST, "/directory/pbxs", Some(pbx)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, result) = operator(&app, Method::POST, "/quarantine/retry?pbx=pbx-new").await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(
        (result["stored"].as_u64(), result["duplicates"].as_u64(), result["still_bad"].as_u64()),
        (Some(1), Some(0), Some(0))
    );
    assert_eq!(
        result["records"],
        serde_json::json!([{"id": first_id, "outcome": "stored", "reason": null}])
    );
    assert_eq!(result["held"], 1);
    let (_, calls) =
        app.as_role(Role::Admin, Method::GET, "/calls?from=2026-12-02&to=2026-12-02", None).await;
    let calls = calls["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (calls[0]["pbx"].as_str(), calls[0]["extension"].as_str(), calls[0]["duration_s"].as_u64()),
        (Some("pbx-new"), Some("1001"), Some(60))
    );
    assert_eq!(calls[0]["department"], r"Company\Sales");

    let (status, body) =
        operator(&app, Method::POST, &format!("/quarantine/{first_id}/retry")).await;
    assert_eq!(status, StatusCode::CONFLICT, "already released: {body}");
    let (_, page) = operator(&app, Method::GET, "/quarantine?all=true").await;
    let records = page["records"].as_array().unwrap();
    assert_eq!((records.len(), page["held"].as_u64()), (2, Some(1)));
    assert_eq!(records[0]["released"], true);
    assert!(records[0]["released_at"].is_string());

    // The same call quarantined again, from another place: a duplicate.
    // The garbage stays bad, with its parser's reason; so does a record
    // whose format no longer exists, without holding up the others.
    quarantine(
        &app,
        &[("pbx-new", "asterisk", ASTERISK.as_bytes(), 9), ("pbx-new", "gone.toml", b"x", 10)],
    );
    let (status, result) = operator(&app, Method::POST, "/quarantine/retry").await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(
        (result["stored"].as_u64(), result["duplicates"].as_u64(), result["still_bad"].as_u64()),
        (Some(0), Some(1), Some(2))
    );
    let outcomes: Vec<(&str, bool)> = result["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["outcome"].as_str().unwrap(), r["reason"].is_string()))
        .collect();
    assert_eq!(outcomes, [("still_bad", true), ("duplicate", false), ("still_bad", true)]);
    let gone = result["records"][2]["reason"].as_str().unwrap();
    assert!(gone.contains("gone.toml"), "{gone}");
    assert_eq!(result["held"], 2);

    let log = app.audit_of("quarantine").await;
    let actions: Vec<(&str, Option<&str>)> =
        log.iter().map(|e| (e["action"].as_str().unwrap(), e["entity_id"].as_str())).collect();
    let first = first_id.to_string();
    assert_eq!(
        actions,
        [
            ("quarantine.retry", None),
            ("quarantine.retry", None),
            ("quarantine.retry", Some(first.as_str()))
        ]
    );
    assert_eq!(log[1]["after"]["pbx"], "pbx-new");
    assert_eq!(log[1]["after"]["stored"], 1);
    assert_eq!(log[2]["before"]["id"], first_id);
    assert_eq!(log[2]["after"]["still_bad"], 1);
}
