//! `bluewhale bench serve`: the live server end to end, as BENCHMARKS.md
//! ("Serve, end to end over TCP") describes it, in one command.
//!
//! A fresh data directory gets the synthetic directory and tariffs (loaded
//! as `bench import` loads them) and a configuration with one Avaya CM
//! streaming its lines to a `tcp-listen` connector (`--no-correlation`
//! stores every record as a call of its own). The server runs as a
//! child process (`bluewhale serve`, this same program), and so does the
//! simulator (`bluewhale simulate`), whose connections all feed that one
//! PBX. The run is timed from the simulator's start until the server's
//! `/metrics` count every record sent as stored, duplicate or quarantined
//! (the server commits a transaction at the latest 2 s after its first
//! record, so the end of a short run is rounded up to that); the server is
//! then stopped with SIGTERM. With `--stop-when-sent`, the server is told
//! to stop as soon as the simulator is done and the run is timed until it
//! exits, as the first figures in BENCHMARKS.md were. Meanwhile the server's resident
//! memory is sampled every second (`/proc/PID/status`) and its CPU time
//! read from `/proc/PID/stat`. The run fails unless every record sent is
//! stored once, none quarantined, and the store (or the main database)
//! holds exactly that many calls.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The one PBX of the run, as the directory and the configuration name it.
const PBX: &str = "avaya-hq";
const FORMAT: &str = "avaya:avaya-97";
/// Records sent when neither `--count` nor `--duration` is given.
const DEFAULT_COUNT: u64 = 2_000_000;
/// How often the server's memory and CPU time are read.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);
/// How often the processes and, once the simulator is done, `/metrics`
/// are looked at.
const POLL_EVERY: Duration = Duration::from_millis(20);
/// A progress line this often (not with `--json`).
const PROGRESS_EVERY: Duration = Duration::from_secs(10);
/// The run fails when the simulator is done and the server then counts no
/// more records for this long.
const STALL_LIMIT: Duration = Duration::from_secs(60);
/// How long the server may take to start listening, and to stop once told.
const START_LIMIT: Duration = Duration::from_secs(300);
const STOP_LIMIT: Duration = Duration::from_secs(300);
/// Lines of a child's standard error kept to explain a failure.
const TAIL: usize = 20;
/// Clock ticks a second in `/proc/PID/stat` (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

#[derive(clap::Args)]
pub struct Args {
    /// Records to send [default: 2,000,000 unless --duration is given].
    #[arg(long, conflicts_with = "duration")]
    count: Option<u64>,
    /// Send for this many seconds instead: a sustained run (see --rate).
    #[arg(long)]
    duration: Option<u64>,
    /// Records a second over all connections; 0: as fast as possible.
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// Simulator TCP connections, all to the one PBX connector.
    #[arg(long, default_value_t = 200)]
    connections: usize,
    /// Extensions in the synthetic directory.
    #[arg(long, default_value_t = 100_000)]
    extensions: usize,
    /// Store calls in this main database (postgres://… or mysql://…),
    /// which must hold none yet; default: the embedded store.
    #[arg(long)]
    storage_url: Option<String>,
    /// Where the directory, the configuration and the data directory
    /// (`data`, which must not exist) go; default: a temporary directory,
    /// removed afterwards. Its disk is the one the journal syncs to.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Stop the server (SIGTERM) as soon as the simulator is done and time
    /// the run until it exits: it stores what it holds at once instead of
    /// up to 2 s later.
    #[arg(long)]
    stop_when_sent: bool,
    /// Store every record as a call of its own (correlation off).
    #[arg(long)]
    no_correlation: bool,
    /// Run the server this many times with correlation on and as many
    /// with it off, alternated, each a fresh server and data directory,
    /// and report the medians and what correlation costs (the server's
    /// processor time and peak memory, the throughput).
    /// (Not with a main database: each run needs one that holds no calls.)
    #[arg(
        long,
        value_name = "PAIRS",
        conflicts_with_all = ["no_correlation", "work_dir", "storage_url"]
    )]
    compare_correlation: Option<usize>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.extensions == 0 {
        bail!("--extensions must be at least 1");
    }
    if args.connections == 0 {
        bail!("--connections must be at least 1");
    }
    let count = match args.duration {
        Some(0) => bail!("--duration must be at least 1 second"),
        Some(_) => None,
        None => Some(args.count.unwrap_or(DEFAULT_COUNT)),
    };
    if count == Some(0) {
        bail!("--count must be at least 1");
    }
    if let Some(pairs) = args.compare_correlation {
        return compare(&args, pairs);
    }
    let json = args.json;
    let say = |m: &str| {
        if !json {
            eprintln!("bench serve: {m}");
        }
    };
    let storage = match &args.storage_url {
        Some(url) => empty_main_database(url)?,
        None => "embedded store (SQLite)".to_owned(),
    };
    let (work, _temp) = super::bench::work_directory(args.work_dir.clone())?;
    let data = work.join("data");
    if data.exists() {
        bail!("{} exists; the benchmark needs a fresh data directory", data.display());
    }
    say(&format!("writing a directory of {} extensions in {}", args.extensions, work.display()));
    let org = synth::Org::new(args.extensions);
    let dir_file = org.write_directory(&work, &[(PBX, FORMAT)])?;
    let loading = Instant::now();
    drop(super::bench::load_synthetic(&work, &data, &dir_file)?);
    say(&format!("directory and tariffs loaded in {:.2} s", loading.elapsed().as_secs_f64()));

    let (port, http) = free_ports()?;
    let correlate = !args.no_correlation;
    let config = write_config(&work, port, http, args.storage_url.as_deref(), correlate)?;
    let exe = std::env::current_exe().context("cannot find this program to run the server")?;
    let mut serve = Command::new(&exe);
    serve.arg("--data-dir").arg(&data).arg("serve").arg("--config").arg(&config);
    serve.stdout(Stdio::null());
    let mut server = Proc::spawn("the server", serve)?;
    server.wait_for("metrics and API on http://", START_LIMIT)?;
    let http = SocketAddr::from(([127, 0, 0, 1], http));
    let idle_rss = memory(server.pid()).map(|m| m.rss_kib);
    let cpu_at_start = cpu_seconds(server.pid()).map_or(0.0, |(_, s)| s);
    say(&format!(
        "server {} listening on 127.0.0.1:{port}, storing into the {storage}; sending {}",
        server.pid(),
        match (count, args.duration) {
            (Some(n), _) => format!("{n} records"),
            (None, Some(s)) => format!("for {s} s"),
            (None, None) => String::new(),
        }
    ));

    let started = Instant::now();
    let mut simulate = Command::new(&exe);
    simulate
        .arg("simulate")
        .args(["--target", &format!("tcp://127.0.0.1:{port}"), "--format", "avaya"])
        .args(["--rate", &args.rate.to_string()])
        .args(["--connections", &args.connections.to_string()])
        .args(["--extensions", &args.extensions.to_string()])
        .arg("--json");
    match (count, args.duration) {
        (Some(n), _) => simulate.args(["--count", &n.to_string()]),
        (None, Some(s)) => simulate.args(["--duration", &s.to_string()]),
        (None, None) => &mut simulate,
    };
    simulate.stdout(Stdio::piped());
    let mut simulator = Proc::spawn("the simulator", simulate)?;

    let mut memory_samples = MemorySamples::default();
    let mut server_cpu = cpu_at_start;
    let mut simulator_cpu = 0.0;
    let mut sent_so_far = 0;
    let mut sent: Option<Sent> = None;
    let mut counted = Outcomes::default();
    let mut last_change = started;
    let mut next_sample = started;
    let mut next_progress = started + PROGRESS_EVERY;
    // When every record sent was counted (not with --stop-when-sent).
    let all_stored = loop {
        let now = Instant::now();
        if server.exited()?.is_some() {
            return Err(server.failure("stopped during the run"));
        }
        if now >= next_sample {
            memory_samples.take(server.pid(), started);
            if let Some((_, seconds)) = cpu_seconds(server.pid()) {
                server_cpu = seconds;
            }
            next_sample = after(next_sample, SAMPLE_EVERY, now);
        }
        for line in simulator.drain().iter().rev() {
            if let Some(n) = records_sent(line) {
                sent_so_far = n;
                break;
            }
        }
        server.drain();
        if sent.is_none() {
            if let Some((_, seconds)) = cpu_seconds(simulator.pid()) {
                simulator_cpu = seconds;
            }
            if let Some(status) = simulator.exited()? {
                if !status.success() {
                    return Err(simulator.failure(&format!("failed ({status})")));
                }
                let done = simulator.summary(now)?;
                sent_so_far = done.records;
                sent = Some(done);
                last_change = now;
            }
        }
        if let Some(done) = &sent {
            if args.stop_when_sent {
                break None;
            }
            let outcomes = outcomes(http)?;
            if outcomes != counted {
                counted = outcomes;
                last_change = now;
            }
            if counted.total() >= done.records {
                break Some(Instant::now());
            }
            if now - last_change > STALL_LIMIT {
                bail!(
                    "the server counted no more records for {} s: {} of {} sent ({} stored, {} \
                     duplicates, {} quarantined)",
                    STALL_LIMIT.as_secs(),
                    counted.total(),
                    done.records,
                    counted.stored,
                    counted.duplicates,
                    counted.quarantined
                );
            }
        }
        if !json && now >= next_progress {
            let stored = outcomes(http).map(|o| o.stored).unwrap_or(counted.stored);
            eprintln!(
                "bench serve: {:.0} s: {sent_so_far} sent, {stored} stored; server RSS {:.0} MiB",
                (now - started).as_secs_f64(),
                memory_samples.last_mib()
            );
            next_progress = after(next_progress, PROGRESS_EVERY, now);
        }
        std::thread::sleep(POLL_EVERY);
    };
    let Some(sent) = sent else {
        bail!("the run ended before the simulator did");
    };

    // Everything is stored (or sent, with --stop-when-sent): stop the
    // server as an operator would.
    let stopping = Instant::now();
    signal_terminate(server.pid())?;
    let status = loop {
        if let Some((_, seconds)) = cpu_seconds(server.pid()) {
            server_cpu = seconds;
        }
        if let Some(status) = server.exited()? {
            break status;
        }
        let now = Instant::now();
        if now >= next_sample {
            memory_samples.take(server.pid(), started);
            next_sample = after(next_sample, SAMPLE_EVERY, now);
        }
        if stopping.elapsed() > STOP_LIMIT {
            return Err(server
                .failure(&format!("did not stop within {} s of SIGTERM", STOP_LIMIT.as_secs())));
        }
        std::thread::sleep(POLL_EVERY);
    };
    let stopped = Instant::now();
    let stopped_line = server.rest().into_iter().find(|l| l.starts_with("stopped:"));
    if !status.success() {
        return Err(server.failure(&format!("exited with {status} after SIGTERM")));
    }
    if all_stored.is_none() {
        // The server's own count, as it stopped.
        counted = stopped_line.as_deref().and_then(stopped_counts).ok_or_else(|| {
            anyhow!("the server did not say what it stored as it stopped ({stopped_line:?})")
        })?;
    }
    let end = all_stored.unwrap_or(stopped);

    let rows = match &args.storage_url {
        Some(url) => mainstore::MainStore::connect(url)?.cdr_count()?,
        None => store::Store::open(&data)?.cdr_count()?,
    };
    let seconds = (end - started).as_secs_f64();
    let rendering = ((sent.exited_at - started).as_secs_f64() - sent.seconds).max(0.0);
    let per_second = |n: u64, s: f64| if s > 0.0 { (n as f64 / s).round() } else { 0.0 };
    let server_cpu = server_cpu - cpu_at_start;
    let rss = memory_samples.summary();
    let mib = |kib: Option<u64>| kib.map(|k| (k as f64 / 1024.0).round());
    let result = json!({
        "format": "avaya",
        "correlation": correlate,
        "storage": storage,
        "connections": args.connections,
        "rate": args.rate,
        "extensions": args.extensions,
        "timed_until": if all_stored.is_some() { "all stored" } else { "server stopped" },
        "sent": sent.records,
        "stored": counted.stored,
        "duplicates": counted.duplicates,
        "quarantined": counted.quarantined,
        "rows": rows,
        "seconds": round3(seconds),
        "cdr_per_s": per_second(counted.stored, seconds),
        "rendering_seconds": round3(rendering),
        "cdr_per_s_after_rendering": per_second(counted.stored, seconds - rendering),
        "simulator_seconds": round3(sent.seconds),
        "stop_seconds": round3((stopped - stopping).as_secs_f64()),
        "rss_idle_mib": mib(idle_rss),
        "rss_first_minute_max_mib": mib(rss.first_minute_max),
        "rss_last_minute_max_mib": mib(rss.last_minute_max),
        "rss_max_mib": mib(rss.max),
        "rss_peak_mib": mib(rss.peak),
        "rss_samples": rss.samples,
        "server_cpu_seconds": round3(server_cpu),
        "simulator_cpu_seconds": round3(simulator_cpu),
    });

    let mut problems = Vec::new();
    if counted.stored != sent.records {
        problems.push(format!("{} sent but {} stored", sent.records, counted.stored));
    }
    if counted.duplicates != 0 {
        problems.push(format!("{} duplicates", counted.duplicates));
    }
    if counted.quarantined != 0 {
        problems.push(format!("{} quarantined", counted.quarantined));
    }
    if rows != sent.records {
        problems.push(format!("{} sent but {rows} calls in the {storage}", sent.records));
    }
    if !problems.is_empty() {
        bail!("the run is not valid: {}; figures: {result}", problems.join(", "));
    }

    if json {
        println!("{result}");
    } else {
        let wall = (stopped - started).as_secs_f64();
        println!(
            "{} Avaya records over {} connections into the {storage}: {} in {seconds:.2} s = \
             {:.0} CDR/s ({rendering:.2} s of it rendering records ahead: {:.0} CDR/s after)",
            sent.records,
            args.connections,
            if all_stored.is_some() { "all stored" } else { "all stored and the server stopped" },
            per_second(counted.stored, seconds),
            per_second(counted.stored, seconds - rendering),
        );
        println!(
            "  {} stored, 0 duplicates, 0 quarantined; {rows} calls in the {}; the simulator \
             sent for {:.2} s",
            counted.stored,
            if args.storage_url.is_some() { "main database" } else { "embedded store" },
            sent.seconds
        );
        let show = |kib: Option<u64>| mib(kib).map_or("?".to_owned(), |m| format!("{m:.0}"));
        println!(
            "  server RSS (MiB): {} idle, {} max in the first minute, {} max in the last, {} max \
             ({} samples; kernel peak {})",
            show(idle_rss),
            show(rss.first_minute_max),
            show(rss.last_minute_max),
            show(rss.max),
            rss.samples,
            show(rss.peak)
        );
        println!(
            "  server CPU {server_cpu:.1} s ({:.2} cores over {wall:.1} s); simulator CPU \
             {simulator_cpu:.1} s; stopped {:.2} s after SIGTERM",
            if wall > 0.0 { server_cpu / wall } else { 0.0 },
            (stopped - stopping).as_secs_f64()
        );
        if let Some(line) = stopped_line {
            println!("  server: {line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The first of `due`, `due + every`, `due + 2 × every`… that is later
/// than `now`: a late sample is not followed by others to catch up.
fn after(mut due: Instant, every: Duration, now: Instant) -> Instant {
    while due <= now {
        due += every;
    }
    due
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Checks that the main database at `url` holds no calls, quarantined
/// records or journal position of the benchmark's PBX; returns how it is
/// named (without a password).
fn empty_main_database(url: &str) -> Result<String> {
    let mut main = mainstore::MainStore::connect(url)?;
    let target = main.target().to_owned();
    if main.schema_version()? == 0 {
        return Ok(format!("main database {target}"));
    }
    let calls = main.cdr_count()?;
    let quarantined = main.quarantine_count()?;
    let position = main.journal_position(PBX)?;
    if calls > 0 || quarantined > 0 || position.is_some() {
        bail!(
            "the main database {target} is not empty ({calls} calls, {quarantined} quarantined \
             records{}): the benchmark counts what it stores there; give the URL of an empty \
             database",
            if position.is_some() {
                format!(", a journal position for {PBX:?}")
            } else {
                "".into()
            }
        );
    }
    Ok(format!("main database {target}"))
}

/// Two free TCP ports on 127.0.0.1: the PBX connector's and the HTTP side's.
fn free_ports() -> Result<(u16, u16)> {
    let bind = || {
        std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port on 127.0.0.1")
    };
    let (a, b) = (bind()?, bind()?);
    Ok((a.local_addr()?.port(), b.local_addr()?.port()))
}

/// Writes `server.toml` in `work`: metrics on `http`, the PBX on `port`,
/// calls into `url` if given, correlated or not. Returns its path.
fn write_config(
    work: &Path,
    port: u16,
    http: u16,
    url: Option<&str>,
    correlate: bool,
) -> Result<PathBuf> {
    let mut text = format!("[server]\nhttp = \"127.0.0.1:{http}\"\n\n");
    text.push_str(&format!("[correlation]\nenabled = {correlate}\n\n"));
    if let Some(url) = url {
        // A JSON string is a TOML basic string.
        text.push_str(&format!("[storage]\nurl = {}\n\n", serde_json::to_string(url)?));
    }
    text.push_str(&format!(
        "[[pbx]]\nname = \"{PBX}\"\nformat = \"{FORMAT}\"\n\
         connector = {{ kind = \"tcp-listen\", listen = \"127.0.0.1:{port}\" }}\n"
    ));
    server::ServerConfig::parse(&text).map_err(|e| anyhow!("the server configuration: {e}"))?;
    let path = work.join("server.toml");
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// What the simulator says it sent.
struct Sent {
    records: u64,
    /// Its own clock: from the first record sent (after rendering) to the
    /// last.
    seconds: f64,
    /// When it was seen to have exited.
    exited_at: Instant,
}

/// `N` in the simulator's progress line "simulate: N records sent, …".
fn records_sent(line: &str) -> Option<u64> {
    line.strip_prefix("simulate: ")?.split_once(" records sent")?.0.parse().ok()
}

/// The counts in the server's last line, "stopped: … R records read: S
/// stored, D duplicates, Q quarantined".
fn stopped_counts(line: &str) -> Option<Outcomes> {
    let counts = line.split_once("records read: ")?.1;
    let mut numbers = counts.split(", ").map(|part| part.split_whitespace().next()?.parse().ok());
    Some(Outcomes {
        stored: numbers.next()??,
        duplicates: numbers.next()??,
        quarantined: numbers.next()??,
    })
}

/// The server's count of records read from the journal, by outcome.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Outcomes {
    stored: u64,
    duplicates: u64,
    quarantined: u64,
}

impl Outcomes {
    fn total(&self) -> u64 {
        self.stored + self.duplicates + self.quarantined
    }
}

/// The outcomes in the server's `/metrics`.
fn outcomes(http: SocketAddr) -> Result<Outcomes> {
    let metrics = get(http, "/metrics")?;
    let value = |outcome: &str| {
        let name = format!("bluewhale_records_total{{outcome=\"{outcome}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name.as_str()))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map_or(0, |v| v as u64)
    };
    Ok(Outcomes {
        stored: value("stored"),
        duplicates: value("duplicate"),
        quarantined: value("quarantined"),
    })
}

/// The body of a GET to the server's HTTP side.
fn get(http: SocketAddr, path: &str) -> Result<String> {
    let fail = |e: std::io::Error| anyhow!("GET http://{http}{path}: {e}");
    let mut stream = TcpStream::connect_timeout(&http, Duration::from_secs(5)).map_err(fail)?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(fail)?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {http}\r\nConnection: close\r\n\r\n")
        .map_err(fail)?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(fail)?;
    let Some((head, body)) = response.split_once("\r\n\r\n") else {
        bail!("GET http://{http}{path}: no response");
    };
    if !head.starts_with("HTTP/1.1 200") {
        bail!("GET http://{http}{path}: {}", head.lines().next().unwrap_or_default());
    }
    Ok(body.to_owned())
}

/// Sends SIGTERM to `pid`: the clean stop of `bluewhale serve`.
fn signal_terminate(pid: u32) -> Result<()> {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .context("cannot run kill to stop the server")?;
    if !status.success() {
        bail!("kill -TERM {pid} failed ({status})");
    }
    Ok(())
}

/// Resident memory of a process, from `/proc/PID/status`.
struct Memory {
    rss_kib: u64,
    /// The most it has been resident (VmHWM).
    peak_kib: u64,
}

fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].split_whitespace().next()?.parse().ok()
    };
    Some(Memory { rss_kib: field("VmRSS:")?, peak_kib: field("VmHWM:")? })
}

/// `--compare-correlation PAIRS`: this benchmark's runs, as they are
/// given, each in a process of its own, correlation on and off alternated.
fn compare(args: &Args, pairs: usize) -> Result<ExitCode> {
    let mut given: Vec<OsString> = ["bench", "serve", "--json"].map(OsString::from).into();
    let mut option = |name: &str, value: String| given.extend([name.into(), value.into()]);
    match (args.count, args.duration) {
        (_, Some(seconds)) => option("--duration", seconds.to_string()),
        (count, None) => option("--count", count.unwrap_or(DEFAULT_COUNT).to_string()),
    }
    option("--rate", args.rate.to_string());
    option("--connections", args.connections.to_string());
    option("--extensions", args.extensions.to_string());
    if args.stop_when_sent {
        given.push("--stop-when-sent".into());
    }
    let figures = super::bench_compare::Figures {
        cdr_per_s: "cdr_per_s",
        cpu_seconds: "server_cpu_seconds",
        peak_rss_mib: "rss_peak_mib",
    };
    super::bench_compare::alternate(pairs, args.json, |correlate| {
        let mut run = given.clone();
        if !correlate {
            run.push("--no-correlation".into());
        }
        super::bench_compare::run_child(&run, &figures)
    })
}

/// A process's state letter and CPU time so far (user and system, all
/// threads), from `/proc/PID/stat`.
pub(crate) fn cpu_seconds(pid: u32) -> Option<(char, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After "PID (COMMAND) ": field 3 (state) onwards; utime and stime are
    // fields 14 and 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((state, (utime + stime) as f64 / TICKS_PER_SECOND))
}

/// The server's resident memory, once a second from the simulator's start.
#[derive(Default)]
struct MemorySamples {
    /// Seconds since the start, resident KiB.
    samples: Vec<(f64, u64)>,
    peak_kib: Option<u64>,
}

struct MemorySummary {
    first_minute_max: Option<u64>,
    last_minute_max: Option<u64>,
    max: Option<u64>,
    peak: Option<u64>,
    samples: usize,
}

impl MemorySamples {
    fn take(&mut self, pid: u32, started: Instant) {
        if let Some(m) = memory(pid) {
            self.samples.push((started.elapsed().as_secs_f64(), m.rss_kib));
            self.peak_kib = Some(m.peak_kib);
        }
    }

    fn last_mib(&self) -> f64 {
        self.samples.last().map_or(0.0, |&(_, kib)| kib as f64 / 1024.0)
    }

    /// Maxima over the first minute, the last minute and the whole run
    /// (the first and last minute overlap in a run shorter than two).
    fn summary(&self) -> MemorySummary {
        let end = self.samples.last().map_or(0.0, |&(t, _)| t);
        let max_where = |keep: &dyn Fn(f64) -> bool| {
            self.samples.iter().filter(|&&(t, _)| keep(t)).map(|&(_, kib)| kib).max()
        };
        MemorySummary {
            first_minute_max: max_where(&|t| t <= 60.0),
            last_minute_max: max_where(&|t| t >= end - 60.0),
            max: max_where(&|_| true),
            peak: self.peak_kib,
            samples: self.samples.len(),
        }
    }
}

/// A child process of the run (this same program): its standard error
/// read line by line, the last lines kept to explain a failure. Killed if
/// the run ends before it does.
struct Proc {
    name: &'static str,
    child: Child,
    lines: mpsc::Receiver<String>,
    tail: VecDeque<String>,
    status: Option<ExitStatus>,
}

impl Proc {
    fn spawn(name: &'static str, mut command: Command) -> Result<Proc> {
        command.stdin(Stdio::null()).stderr(Stdio::piped());
        let mut child = command.spawn().with_context(|| format!("cannot start {name}"))?;
        let stderr = child.stderr.take().ok_or_else(|| anyhow!("{name}: no standard error"))?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr);
            let mut line = Vec::new();
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                        if tx.send(text).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Ok(Proc { name, child, lines, tail: VecDeque::new(), status: None })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn keep(&mut self, line: &str) {
        if self.tail.len() == TAIL {
            self.tail.pop_front();
        }
        self.tail.push_back(line.to_owned());
    }

    /// The lines printed since the last call.
    fn drain(&mut self) -> Vec<String> {
        let lines: Vec<String> = self.lines.try_iter().collect();
        for line in &lines {
            self.keep(line);
        }
        lines
    }

    /// The lines printed until it closed its standard error (it has
    /// exited).
    fn rest(&mut self) -> Vec<String> {
        let mut lines = self.drain();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.keep(&line);
            lines.push(line);
        }
        lines
    }

    /// Waits until it prints a line containing `text`.
    fn wait_for(&mut self, text: &str, limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            match self.lines.recv_timeout(POLL_EVERY * 5) {
                Ok(line) => {
                    self.keep(&line);
                    if line.contains(text) {
                        return Ok(());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(status) = self.exited()? {
                        return Err(self.failure(&format!("exited ({status}) before it was ready")));
                    }
                    if Instant::now() >= deadline {
                        return Err(
                            self.failure(&format!("was not ready within {} s", limit.as_secs()))
                        );
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait()?;
                    self.status = Some(status);
                    return Err(self.failure(&format!("exited ({status}) before it was ready")));
                }
            }
        }
    }

    /// Its exit status, once it has exited.
    fn exited(&mut self) -> Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status =
                self.child.try_wait().with_context(|| format!("waiting for {}", self.name))?;
        }
        Ok(self.status)
    }

    /// The summary the simulator printed (`--json`) as it exited at `now`.
    fn summary(&mut self, now: Instant) -> Result<Sent> {
        let mut out = String::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            stdout.read_to_string(&mut out).context("reading the simulator's summary")?;
        }
        let summary: Value = serde_json::from_str(out.trim())
            .with_context(|| format!("the simulator's summary is not JSON: {out:?}"))?;
        let records = summary["records"]
            .as_u64()
            .ok_or_else(|| anyhow!("no record count in the simulator's summary: {summary}"))?;
        let seconds = summary["seconds"]
            .as_f64()
            .ok_or_else(|| anyhow!("no seconds in the simulator's summary: {summary}"))?;
        Ok(Sent { records, seconds, exited_at: now })
    }

    /// An error saying what went wrong with it, and what it printed last.
    fn failure(&mut self, what: &str) -> anyhow::Error {
        self.drain();
        let mut message = format!("{} {what}", self.name);
        if !self.tail.is_empty() {
            message.push_str("; it printed last:");
            for line in &self.tail {
                message.push_str("\n  ");
                message.push_str(line);
            }
        }
        anyhow!(message)
    }
}

impl Drop for Proc {
    /// A run that fails leaves no process behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_of_the_simulator_give_the_records_sent() {
        let line = "simulate: 123456 records sent, 50000 records/s, 8/8 connections up";
        assert_eq!(records_sent(line), Some(123456));
        assert_eq!(records_sent("bluewhale serve: data in /tmp"), None);
    }

    #[test]
    fn the_counts_are_read_from_the_line_the_server_stops_with() {
        let line = "stopped: 56 journal entries (1940232 bytes) written; 20000 records read: \
                    19990 stored, 4 duplicates, 6 quarantined";
        let counts = Outcomes { stored: 19990, duplicates: 4, quarantined: 6 };
        assert_eq!(stopped_counts(line), Some(counts));
        assert_eq!(stopped_counts("stopped: nothing"), None);
    }

    #[test]
    fn memory_maxima_cover_the_first_and_the_last_minute() {
        let samples = MemorySamples {
            samples: (0..180u64).map(|t| (t as f64, if t == 30 { 900 } else { 100 + t })).collect(),
            peak_kib: Some(1000),
        };
        let s = samples.summary();
        assert_eq!(s.first_minute_max, Some(900));
        assert_eq!(s.last_minute_max, Some(279));
        assert_eq!(s.max, Some(900));
        assert_eq!(s.samples, 180);
    }

    #[test]
    fn cpu_time_of_this_process_is_read() {
        let (state, seconds) = cpu_seconds(std::process::id()).unwrap();
        // The state of the main thread, which may be waiting for this one.
        assert!(matches!(state, 'R' | 'S'), "{state}");
        assert!(seconds >= 0.0);
    }
}
