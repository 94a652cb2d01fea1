//! The server's HTTP side: Prometheus metrics at `/metrics`, the POST
//! endpoints of `http` connectors (FreeSWITCH `mod_json_cdr`), and the REST
//! API under `/api/v1` (crate `api`), whose connector page reads the
//! connectors' states from here.

use crate::stats::{Observed, Stage};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use connectors::http_post::HttpIntake;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub fn router(
    observed: Arc<Observed>,
    intakes: Vec<(String, HttpIntake)>,
    api: api::ApiState,
) -> Router {
    let mut router = Router::new()
        .route("/metrics", get(metrics))
        .with_state(observed)
        .merge(api::router(api))
        .merge(webconsole::router())
        .layer(axum::middleware::map_request(client_identity));
    for (path, intake) in intakes {
        router = router.merge(Router::new().route(&path, post(receive)).with_state(intake));
    }
    router
}

/// A verified client certificate (HTTPS with `client_ca`), told to the API
/// as the identity it signs in with.
async fn client_identity(mut request: axum::extract::Request) -> axum::extract::Request {
    let subject =
        request.extensions().get::<https::ClientCertificate>().and_then(|c| c.subject_cn.clone());
    if let Some(subject_cn) = subject {
        request.extensions_mut().insert(api::ClientIdentity { subject_cn });
    }
    request
}

/// A POST to an `http` connector: answered once the record is journaled
/// (see `connectors::http_post`).
async fn receive(
    State(intake): State<HttpIntake>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let reply = intake
        .accept(&peer.to_string(), text(header::AUTHORIZATION), text(header::CONTENT_TYPE), &body)
        .await;
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match reply.challenge {
        Some(challenge) => {
            (status, [(header::WWW_AUTHENTICATE, challenge)], reply.text).into_response()
        }
        None => (status, reply.text).into_response(),
    }
}

/// The connectors' states as the API shows them.
pub fn connector_states(observed: Arc<Observed>) -> api::ConnectorStates {
    Arc::new(move || {
        let states: Vec<_> = observed.connectors.iter().map(|c| c.snapshot()).collect();
        serde_json::json!({ "connectors": states })
    })
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Pbx {
    pbx: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabel {
    stage: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

/// The metrics as they are now, in Prometheus' text format. Built afresh
/// at each scrape from the stages' counters and the connectors' states.
async fn metrics(State(observed): State<Arc<Observed>>) -> Response {
    let mut registry = Registry::default();
    connector_metrics(&mut registry, &observed);
    pipeline_metrics(&mut registry, &observed);
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, &registry) {
        Ok(()) => {
            let kind = "application/openmetrics-text; version=1.0.0; charset=utf-8";
            ([(header::CONTENT_TYPE, kind)], text).into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn connector_metrics(registry: &mut Registry, observed: &Observed) {
    let counter = |registry: &mut Registry, name: &str, help: &str| {
        let family = Family::<Pbx, Counter>::default();
        registry.register(name, help, family.clone());
        family
    };
    let gauge = |registry: &mut Registry, name: &str, help: &str| {
        let family = Family::<Pbx, Gauge>::default();
        registry.register(name, help, family.clone());
        family
    };
    let records = counter(registry, "bluewhale_connector_records", "Whole records received");
    let bytes = counter(registry, "bluewhale_connector_bytes", "Bytes of whole records received");
    let errors = counter(registry, "bluewhale_connector_errors", "Connection and read errors");
    let connections = gauge(registry, "bluewhale_connector_connections", "Connections open");
    let silent = gauge(registry, "bluewhale_connector_silent", "1 when silent past its limit");
    let last =
        gauge(registry, "bluewhale_connector_last_record_seconds", "Unix time of the last record");
    for state in &observed.connectors {
        let s = state.snapshot();
        let label = Pbx { pbx: s.pbx.clone() };
        records.get_or_create(&label).inc_by(s.records);
        bytes.get_or_create(&label).inc_by(s.bytes);
        errors.get_or_create(&label).inc_by(s.errors);
        connections.get_or_create(&label).set(s.connections);
        silent.get_or_create(&label).set(i64::from(s.silent));
        last.get_or_create(&label).set(s.last_record_s.unwrap_or(0));
    }
}

fn pipeline_metrics(registry: &mut Registry, observed: &Observed) {
    let stats = &observed.stats;
    let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let plain = |registry: &mut Registry, name: &str, help: &str, value: u64| {
        let counter = Counter::<u64>::default();
        counter.inc_by(value);
        registry.register(name, help, counter);
    };
    let counters = [
        ("bluewhale_journal_entries", "Raw journal entries written", &stats.journal_entries),
        ("bluewhale_journal_bytes", "Raw journal payload bytes written", &stats.journal_bytes),
        ("bluewhale_journal_syncs", "Raw journal syncs (group commits)", &stats.journal_syncs),
        ("bluewhale_store_transactions", "Store transactions committed", &stats.transactions),
    ];
    for (name, help, value) in counters {
        plain(registry, name, help, read(value));
    }
    let gauge = |registry: &mut Registry, name: &str, help: &str, value: u64| {
        let gauge = Gauge::<i64>::default();
        gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
        registry.register(name, help, gauge);
    };
    if observed.main_database {
        let up = "1 while the main database answers";
        let batches = "Batches waiting in the offline store for the main database";
        let calls = "Calls waiting in the offline store for the main database";
        let gauges = [
            ("bluewhale_main_database_up", up, &stats.main_up),
            ("bluewhale_offline_backlog_batches", batches, &stats.offline_batches),
            ("bluewhale_offline_backlog_calls", calls, &stats.offline_calls),
        ];
        for (name, help, value) in gauges {
            gauge(registry, name, help, read(value));
        }
        let failures = "Times the main database could not be reached";
        plain(registry, "bluewhale_main_database_failures", failures, read(&stats.main_failures));
    }
    let queued = Family::<StageLabel, Gauge>::default();
    registry.register(
        "bluewhale_queue_depth",
        "Items waiting in front of each stage of the pipeline",
        queued.clone(),
    );
    for stage in Stage::ALL {
        let depth = read(&stats.queued[stage as usize]);
        queued.get_or_create(&StageLabel { stage: stage.name() }).set(depth as i64);
    }
    let records = Family::<Outcome, Counter>::default();
    registry.register(
        "bluewhale_records",
        "Records read from the journal, by outcome",
        records.clone(),
    );
    for (outcome, counter) in [
        ("stored", &stats.stored),
        ("duplicate", &stats.duplicates),
        ("quarantined", &stats.quarantined),
    ] {
        records.get_or_create(&Outcome { outcome }).inc_by(read(counter));
    }
}
