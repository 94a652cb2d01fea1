//! The API in-process, shared by the test files: a store with a small
//! directory (departments, people, extensions) and 30 priced calls, an
//! account and an API token per role, and requests to the router.
#![allow(dead_code)]

use api::bootstrap::{FirstAdmin, ensure_admin};
use api::{ApiState, AuthSettings, Db};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use store::accounts::{AccountFields, AuditEntry, Role};
use store::{Amount, CdrRow, Charge, ChargeStatus, Store};
use tower::ServiceExt;

/// Departments: 1 Company, 2 Company\Sales, 3 Company\Sales\EMEA, 4 Company\Finance.
/// People: 1 Ann (Sales, extension 1001), 2 Bob (EMEA, 2001), 3 Cid (Finance, 3001).
const DIRECTORY: &str = "
    INSERT INTO site (id, name, time_zone) VALUES (1, 'HQ', 'UTC');
    INSERT INTO pbx (id, name, format, site_id) VALUES (1, 'pbx-hq', 'avaya', 1);
    INSERT INTO department (id, parent_id, name, path) VALUES
      (1, NULL, 'Company', 'Company'), (2, 1, 'Sales', 'Company\\Sales'),
      (3, 2, 'EMEA', 'Company\\Sales\\EMEA'), (4, 1, 'Finance', 'Company\\Finance');
    INSERT INTO person (id, key, name, department_id) VALUES
      (1, 'ann', 'Ann', 2), (2, 'bob', 'Bob', 3), (3, 'cid', 'Cid', 4);
    INSERT INTO extension (id, site_id, number, person_id, department_id, valid_from, site_key) VALUES
      (1, 1, '1001', 1, 2, 0, 1), (2, 1, '2001', 2, 3, 0, 1), (3, 1, '3001', 3, 4, 0, 1);
";

/// 2026-12-01T00:00:00Z.
pub const DAY: i64 = 1_796_083_200;

/// (extension id, number, department id)
const OWNERS: [(i64, &str, i64); 3] = [(1, "1001", 2), (2, "2001", 3), (3, "3001", 4)];

pub fn call(n: i64) -> CdrRow {
    let (ext_id, number, dept) = OWNERS[(n % 3) as usize];
    let start = DAY + 600 * n;
    let dialled = format!("0033{:07}", 1_000_000 + n);
    let cdr = cdr::Cdr {
        start: cdr::Timestamp::from_second(start).unwrap(),
        end: cdr::Timestamp::from_second(start + 30 + n).unwrap(),
        duration_s: (30 + n) as u32,
        calling: number.into(),
        dialled: dialled.as_str().into(),
        ..Default::default()
    };
    let a = directory::Attribution {
        extension: number.into(),
        extension_id: Some(ext_id),
        department_id: Some(dept),
        ..Default::default()
    };
    let mut row = CdrRow::new(&cdr, 1000 + n, 1, 1, &a);
    row.set_day(DAY / 86_400, 0);
    let charge = Charge {
        status: ChargeStatus::Rated,
        // international for even calls, mobile for odd ones
        call_type: if n % 2 == 0 { 5 } else { 4 },
        carrier_id: 1 + n % 2,
        // n × 0.10
        cost: Amount(n * 10_000_000),
        currency: "EUR".into(),
        ..Default::default()
    };
    row.set_charge(&charge, cdr.duration_s);
    row
}

pub const CALLS: i64 = 30;

pub struct App {
    pub dir: tempfile::TempDir,
    pub router: Router,
    pub db: Db,
    /// The live feed the router publishes from.
    pub live: api::live::LiveFeed,
    /// A bearer token per role.
    pub tokens: HashMap<Role, String>,
}

pub fn account(username: &str, role: Role) -> AccountFields {
    let mut f = AccountFields { username: username.into(), role: Some(role), ..Default::default() };
    match role {
        Role::Manager => f.department_ids = vec![2],
        Role::User => f.person_id = Some(3),
        _ => {}
    }
    f
}

impl App {
    pub async fn new() -> App {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.connection().execute_batch(DIRECTORY).unwrap();
        let rows: Vec<CdrRow> = (0..CALLS).map(call).collect();
        let refs: Vec<&CdrRow> = rows.iter().collect();
        let mut batch = store.batch().unwrap();
        batch.insert_new_cdrs(&refs).unwrap();
        batch.commit().unwrap();
        assert_eq!(
            ensure_admin(&store, Some("first admin password".into())).unwrap(),
            FirstAdmin::FromEnvironment
        );
        let hash = api::secret::hash_password("a long password");
        let mut tokens = HashMap::new();
        for role in Role::ALL {
            let name = format!("{}-1", role.as_str());
            let entry = AuditEntry { actor: "test".into(), ..Default::default() };
            let (secret, prefix) = api::secret::new_token();
            store
                .audited(entry, |w, _, _| {
                    let id = w.create(&account(&name, role), &hash, 0)?;
                    w.create_token(id, "test", &api::secret::digest(&secret), &prefix, 0, None)
                })
                .unwrap();
            tokens.insert(role, secret);
        }
        drop(store);
        let db = Db::new(dir.path());
        let connectors: api::ConnectorStates = Arc::new(|| json!({"connectors": []}));
        let state = ApiState::new(db.clone(), connectors, AuthSettings::default());
        let live = state.live.clone();
        let router = api::router(state);
        App { dir, router, db, live, tokens }
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let response = self.router.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        // An event stream never ends: its body is read by the tests that want it.
        if headers.get(header::CONTENT_TYPE).is_some_and(|t| t == "text/event-stream") {
            return (status, headers, Vec::new());
        }
        let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, headers, body)
    }

    /// A request as `role` (its API token).
    pub async fn as_role(
        &self,
        role: Role,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let bearer = format!("Bearer {}", self.tokens[&role]);
        let (status, _, body) = self
            .send(request(method, path, body, &[(header::AUTHORIZATION.as_str(), &bearer)]))
            .await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
}

pub fn request(
    method: Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(format!("/api/v1{path}"));
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    match body {
        Some(v) => {
            b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string()))
        }
        None => b.body(Body::empty()),
    }
    .unwrap()
}

pub fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)))
}

/// Signs in; returns (cookie header value, csrf token).
pub async fn sign_in(app: &App, username: &str, password: &str) -> (String, String) {
    let (status, headers, body) = app
        .send(request(
            Method::POST,
            "/session",
            Some(json!({"username": username, "password": password})),
            &[],
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let set = headers[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let cookie = set.split(';').next().unwrap().to_string();
    (cookie, json_of(&body)["csrf"].as_str().unwrap().to_string())
}

impl App {
    /// A request as `role` with a body of `content_type` (a file upload);
    /// the raw answer.
    pub async fn upload_as(
        &self,
        role: Role,
        method: Method,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let bearer = format!("Bearer {}", self.tokens[&role]);
        let request = Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"))
            .header(header::AUTHORIZATION, bearer)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(request).await
    }

    /// The audit log's entries about `entity`, newest first.
    pub async fn audit_of(&self, entity: &str) -> Vec<Value> {
        let (status, log) =
            self.as_role(Role::Admin, Method::GET, &format!("/audit?entity={entity}"), None).await;
        assert_eq!(status, StatusCode::OK, "{log}");
        log.as_array().unwrap().clone()
    }
}
