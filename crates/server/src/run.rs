//! Starting and stopping the server: the store and its context (kept
//! current by the reloader, see `reference`), the raw journal, the
//! connectors on a tokio runtime, the journal stage on its own thread and
//! the processing stage on this one. SIGTERM or Ctrl-C
//! stops the connectors; the journal stage then syncs what they handed
//! on, and the processing stage stores everything durable before the
//! server exits: a clean stop leaves nothing unprocessed.

use crate::config::ServerConfig;
use crate::journaling::{self, DurableEnds, Journaled};
use crate::processing::{self, Source};
use crate::reference::{self, Current, Reference};
use crate::stats::{Observed, Stats};
use connectors::http_post::HttpIntake;
use connectors::{
    ConnectionIds, ConnectorConfig, ConnectorState, Feed, StreamFraming, file_drop, rsp, serial,
    tcp_connect, tcp_listen,
};
use directory::{DirectoryIndex, PbxInfo};
use ingest::{Context, Counts};
use journal::{Journal, JournalConfig};
use parsers::Format;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// Received items waiting for the journal stage, at most.
const QUEUE: usize = 1024;
/// Longest record a connector accepts before handing it on unended.
const MAX_RECORD: usize = 64 * 1024;

/// What a run of the server did.
#[derive(Debug, Clone, Copy)]
pub struct Served {
    pub journaled: Journaled,
    pub counts: Counts,
}

/// Runs the server until SIGTERM or Ctrl-C, or until `stop` turns true.
/// `ready` hears each connector's description once it listens.
pub fn serve(
    data_dir: &Path,
    config: &ServerConfig,
    stop: Option<watch::Receiver<bool>>,
    ready: &mut dyn FnMut(&str),
) -> Result<Served, String> {
    let err = |e: store::Error| e.to_string();
    let _lock = crate::lock::lock_data_dir(data_dir, "bluewhale serve")?;
    let mut store = store::Store::open(data_dir).map_err(err)?;
    first_admin(&store, ready)?;
    if let Some(correlation) = &config.correlation {
        ingest::save_correlation_setting(&store, correlation.rules())?;
    }
    // Read before what it stands for: a change made meanwhile shows as a
    // newer generation, and the reloader puts it in force.
    let generation = store.reference_generation().map_err(err)?;
    let index = DirectoryIndex::build(&store.directory().map_err(err)?);
    let (sources, pbxs) = sources(&store, &index, config)?;
    let context = Context::with_index(&store, index)?;
    let reference = Reference::new(Current { generation, context, pbxs });
    let stats = Arc::new(Stats::default());
    let mut sink = crate::sink::open(config.storage.url.as_deref(), data_dir, &mut store, &stats)?;
    let journal = Journal::open(&data_dir.join("journal"), journal_config(config)?)
        .map_err(|e| format!("journal: {e}"))?;
    for repaired in journal.recovered() {
        ready(&format!("journal repaired after a crash: {repaired:?}"));
    }
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let writers = journaling::writers(&journal, &names)?;
    let ends = names
        .iter()
        .map(|n| journal.end(n).map_err(|e| format!("journal of {n:?}: {e}")))
        .collect::<Result<Vec<_>, String>>()?;
    let ends = DurableEnds::new(ends);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let (to_journal, mut received) = mpsc::channel(QUEUE);
    let (stopping, stopped) = watch::channel(false);
    let stopping = Arc::new(stopping);
    // Installed before anything is announced, so a SIGTERM sent as soon as
    // the server says it listens is a clean stop, not the default death.
    let terminate = runtime.block_on(async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    });
    let terminate = terminate.map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
    runtime.spawn(stop_on_signal(terminate, stopping.clone(), stop));
    let started =
        runtime.block_on(start_connectors(config, &sources, &to_journal, &stopped, ready))?;
    // The journal stage ends when every sender is gone: the connectors
    // drop theirs when they stop, and this one goes at the stop signal, so
    // a server with no PBX yet (the console alone) runs until told to stop.
    let mut until_stop = stopped.clone();
    runtime.spawn(async move {
        let _ = until_stop.wait_for(|s| *s).await;
        drop(to_journal);
    });
    let observed = Arc::new(Observed {
        stats: stats.clone(),
        main_database: config.storage.url.is_some(),
        connectors: started.states,
    });
    let live = api::live::LiveFeed::default();
    runtime.block_on(start_http(
        data_dir,
        config,
        &live,
        observed.clone(),
        started.intakes,
        &stopped,
        ready,
    ))?;
    runtime.spawn(watch_silence(observed));
    runtime.spawn(keep_retention(journal.clone(), stopped.clone()));
    std::thread::scope(|scope| {
        // Stops when `stop_reloading` goes, at the end of this scope.
        let (stop_reloading, reloading_stopped) = crossbeam_channel::bounded::<()>(0);
        let (reference, sources) = (&reference, &sources);
        let reloader = std::thread::Builder::new()
            .name("reference".into())
            .spawn_scoped(scope, move || {
                let log = |line: &str| eprintln!("{line}");
                reference::keep_current(data_dir, reference, sources, &reloading_stopped, &log)
            })
            .map_err(|e| format!("cannot start the reference reloader: {e}"))?;
        let journaling = std::thread::Builder::new()
            .name("journal-write".into())
            .spawn_scoped(scope, || journaling::run(&mut received, writers, &ends, &stats))
            .map_err(|e| format!("cannot start the journal stage: {e}"))?;
        let counts =
            processing::run(sink.as_mut(), reference, &journal, sources, &ends, &stats, &live);
        drop(stop_reloading);
        let _ = reloader.join();
        if counts.is_err() {
            // Nothing more can be stored: stop receiving what cannot be.
            let _ = stopping.send(true);
        }
        let journaled = journaling.join().map_err(|_| "the journal stage failed".to_string())?;
        runtime.shutdown_timeout(std::time::Duration::from_secs(5));
        match (journaled, counts) {
            (Ok(journaled), Ok(counts)) => Ok(Served { journaled, counts }),
            (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
            // Both stages failed (a full disk stops both): say both.
            (Err(journal), Err(store)) => Err(format!("{store}; and {journal}")),
        }
    })
}

/// The configured PBXs, checked against the directory and the formats,
/// and their directory entries.
fn sources(
    store: &store::Store,
    index: &DirectoryIndex,
    config: &ServerConfig,
) -> Result<(Vec<Source>, Vec<PbxInfo>), String> {
    config
        .pbx
        .iter()
        .map(|p| {
            let pbx = index.pbx(&p.name).cloned().ok_or_else(|| {
                format!(
                    "[[pbx]] {:?}: no PBX of that name in the directory; add it (bluewhale \
                     load) first",
                    p.name
                )
            })?;
            let format =
                Format::by_name(&p.format).map_err(|e| format!("[[pbx]] {:?}: {e}", p.name))?;
            let source_id =
                store.source_id(&format!("{}@live", p.name)).map_err(|e| e.to_string())?;
            Ok((Source { name: p.name.clone(), format, source_id }, pbx))
        })
        .collect::<Result<Vec<_>, String>>()
        .map(|both| both.into_iter().unzip())
}

fn journal_config(config: &ServerConfig) -> Result<JournalConfig, String> {
    Ok(JournalConfig {
        max_segment_bytes: config.journal.max_segment_mb << 20,
        max_segment_age: config.journal.max_segment_age()?,
        retention: config.journal.retention()?,
        compress: true,
    })
}

/// On the first run (no account yet), creates the administrator `admin`
/// and says how to sign in.
fn first_admin(store: &store::Store, ready: &mut dyn FnMut(&str)) -> Result<(), String> {
    use api::bootstrap::{ADMIN_PASSWORD_ENV, FirstAdmin, ensure_admin};
    match ensure_admin(store, std::env::var(ADMIN_PASSWORD_ENV).ok())? {
        FirstAdmin::Existing => {}
        FirstAdmin::FromEnvironment => ready(&format!(
            "first run: account \"admin\" created with the password in {ADMIN_PASSWORD_ENV}"
        )),
        FirstAdmin::Generated(password) => ready(&format!(
            "first run: account \"admin\" created with password {password} \
             (shown this once: sign in and change it, or set {ADMIN_PASSWORD_ENV} before the first run)"
        )),
    }
    Ok(())
}

/// Serves the console, the API and `/metrics` (over HTTPS with
/// `[server.tls]`) until the server stops.
async fn start_http(
    data_dir: &Path,
    config: &ServerConfig,
    live: &api::live::LiveFeed,
    observed: Arc<Observed>,
    intakes: Vec<(String, HttpIntake)>,
    stopped: &watch::Receiver<bool>,
    ready: &mut dyn FnMut(&str),
) -> Result<(), String> {
    let address = config.server.http;
    let tls = match &config.server.tls {
        Some(settings) => Some(https::server_tls(settings, data_dir)?),
        None => None,
    };
    let auth = api::AuthSettings { secure_cookies: tls.is_some(), ..Default::default() };
    let mut api = api::ApiState::new(
        api::Db::new(data_dir),
        crate::http::connector_states(observed.clone()),
        auth,
    );
    api.live = live.clone();
    let router = crate::http::router(observed, intakes, api);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("[server] http: cannot listen on {address}: {e}"))?;
    let mut stop = stopped.clone();
    let shutdown = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    match tls {
        Some(tls) => {
            tokio::spawn(https::serve(listener, tls.config, router, shutdown));
            let kind = if tls.self_signed { "self-signed" } else { "certificate" };
            ready(&format!(
                "console, metrics and API on https://{address} ({kind} {}, SHA-256 {})",
                tls.certificate.display(),
                tls.fingerprint_sha256
            ));
        }
        None => {
            let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
            let server = axum::serve(listener, service).with_graceful_shutdown(shutdown);
            tokio::spawn(async move {
                let _ = server.await;
            });
            ready(&format!("console, metrics and API on http://{address}"));
        }
    }
    Ok(())
}

/// How often the journal's retention is applied (and once at the start).
const RETENTION_CHECK: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes the journal's closed segments once they are older than
/// `[journal] retention` and stored (see `Journal::enforce_retention`).
async fn keep_retention(journal: Journal, mut stopped: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(RETENTION_CHECK);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
        let journal = journal.clone();
        let applied = tokio::task::spawn_blocking(move || {
            journal.enforce_retention(std::time::SystemTime::now())
        });
        match applied.await {
            Ok(Ok(report)) if report.segments_deleted > 0 => eprintln!(
                "journal retention: {} segments past retention deleted ({} bytes)",
                report.segments_deleted, report.bytes_freed
            ),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => eprintln!("journal retention: {e}"),
            Err(e) => eprintln!("journal retention: {e}"),
        }
    }
}

/// How often connectors are checked for silence.
const SILENCE_CHECK: std::time::Duration = std::time::Duration::from_secs(10);

/// Reports on standard error when a connector falls silent past its
/// `silent_after`, and when it sends again (also visible in `/metrics`).
async fn watch_silence(observed: Arc<Observed>) {
    let mut watch = connectors::SilenceWatch::default();
    let mut ticks = tokio::time::interval(SILENCE_CHECK);
    loop {
        ticks.tick().await;
        let states: Vec<_> = observed.connectors.iter().map(|c| c.snapshot()).collect();
        for message in watch.check(&states) {
            eprintln!("{message}");
        }
    }
}

/// The connectors as started: their states, and the HTTP intakes to
/// mount on the server's HTTP side.
struct Started {
    states: Vec<Arc<ConnectorState>>,
    intakes: Vec<(String, HttpIntake)>,
}

/// Binds every connector and starts it on the runtime. What can be wrong
/// in the configuration (a port taken, a token not set) fails the start.
async fn start_connectors(
    config: &ServerConfig,
    sources: &[Source],
    to_journal: &mpsc::Sender<connectors::Received>,
    stopped: &watch::Receiver<bool>,
    ready: &mut dyn FnMut(&str),
) -> Result<Started, String> {
    let ids = Arc::new(ConnectionIds::new());
    let mut started = Started { states: Vec::new(), intakes: Vec::new() };
    for (i, (pbx, source)) in config.pbx.iter().zip(sources).enumerate() {
        let kind = pbx.connector.kind();
        let state = Arc::new(ConnectorState::new(&pbx.name, kind, pbx.silent_after));
        started.states.push(state.clone());
        let framing = match source.format.parser(&Default::default()).framing() {
            cdr::Framing::QuotedLines => StreamFraming::QuotedLines,
            cdr::Framing::Lines | cdr::Framing::Document => StreamFraming::Lines,
        };
        let feed = Feed {
            source: i as u32,
            framing,
            max_record: MAX_RECORD,
            state,
            ids: ids.clone(),
            out: to_journal.clone(),
            stop: stopped.clone(),
        };
        let named = |e: String| format!("[[pbx]] {:?}: {e}", pbx.name);
        let what = match &pbx.connector {
            ConnectorConfig::TcpListen { listen, peers } => {
                let listener = tcp_listen::bind(*listen).await.map_err(named)?;
                let listening = tcp_listen::Listening { feed, peers: peers.clone() };
                tokio::spawn(tcp_listen::serve(listener, listening));
                format!("listening on {listen} (tcp)")
            }
            ConnectorConfig::TcpConnect { connect, protocol, device } => {
                let mut options = tcp_connect::Options::default();
                options.nec.device = *device;
                tokio::spawn(tcp_connect::serve_with(connect.clone(), *protocol, feed, options));
                format!("connecting to {connect} (tcp client, {protocol:?})")
            }
            ConnectorConfig::Serial { port, baud, parity, flow_control, data_bits, stop_bits } => {
                let line = serial::SerialLine {
                    port: port.clone(),
                    baud: *baud,
                    parity: *parity,
                    flow_control: *flow_control,
                    data_bits: *data_bits,
                    stop_bits: *stop_bits,
                };
                tokio::spawn(serial::serve(line, feed));
                format!("reading serial port {} at {baud} baud", port.display())
            }
            ConnectorConfig::Http { path, token_env } => {
                if !path.starts_with('/') || path.starts_with("/api/") || path == "/metrics" {
                    return Err(named(format!(
                        "http path {path:?} must start with / and not be /metrics or under /api/"
                    )));
                }
                let intake = HttpIntake::new(feed, token_env).map_err(named)?;
                let releasing = intake.clone();
                tokio::spawn(async move { releasing.release_on_stop().await });
                started.intakes.push((path.clone(), intake));
                format!("receiving POSTs on {path} (http)")
            }
            ConnectorConfig::FileDrop { dir, pattern, settle, ftp } => {
                let mut prepared =
                    file_drop::prepare(dir, pattern.as_deref()).await.map_err(named)?;
                if let Some(settle) = settle {
                    prepared = prepared.with_settle(*settle);
                }
                // The FTP receiver's password and address are checked
                // before anything of this entry starts.
                let receiver = match ftp {
                    Some(ftp) => {
                        let password =
                            file_drop::ftp::password_from_env(&ftp.password_env).map_err(named)?;
                        let (dir, user) = (dir.clone(), ftp.user.clone());
                        let bound = file_drop::ftp::bind_ftp(
                            ftp.listen,
                            dir,
                            user,
                            password,
                            stopped.clone(),
                        );
                        Some(bound.await.map_err(named)?)
                    }
                    None => None,
                };
                tokio::spawn(file_drop::serve(prepared, feed));
                let mut what = format!("watching {} (file drop)", dir.display());
                if let Some(receiver) = receiver {
                    let listen = receiver.local_addr();
                    let state = started.states.last().cloned();
                    tokio::spawn(async move {
                        if let (Err(e), Some(state)) = (receiver.serve().await, state) {
                            state.error(format!("FTP receiver: {e}"));
                        }
                    });
                    what.push_str(&format!(", FTP receiver on {listen}"));
                }
                what
            }
            ConnectorConfig::Rsp { listen } => {
                let listener = rsp::bind(*listen).await.map_err(named)?;
                tokio::spawn(rsp::serve(listener, feed));
                format!("listening on {listen} (Avaya RSP)")
            }
        };
        ready(&format!("{}: {what}, {}", pbx.name, pbx.format));
    }
    Ok(started)
}

/// Turns `stopping` true on SIGTERM, Ctrl-C or `stop`.
async fn stop_on_signal(
    mut terminate: tokio::signal::unix::Signal,
    stopping: Arc<watch::Sender<bool>>,
    stop: Option<watch::Receiver<bool>>,
) {
    let asked = async {
        match stop {
            Some(mut stop) => {
                let _ = stop.wait_for(|s| *s).await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = asked => {}
    }
    let _ = stopping.send(true);
}
