//! `bluewhale simulate` against a listener in the test (TCP) or a
//! directory: every record arrives, once, whole; faults are as asked.

mod common;

use common::{Bw, arg, import_counts};
use serde_json::Value;
use std::collections::HashSet;
use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// A TCP listener on 127.0.0.1 keeping what each connection sent.
struct Sink {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: JoinHandle<Vec<Vec<u8>>>,
}

impl Sink {
    fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let acceptor = std::thread::spawn(move || {
            let mut readers = Vec::new();
            loop {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        readers.push(std::thread::spawn(move || {
                            let mut bytes = Vec::new();
                            stream.read_to_end(&mut bytes).unwrap();
                            bytes
                        }));
                    }
                    // Connections still queued are taken before stopping.
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        if stopping.load(Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err(e) => panic!("accept: {e}"),
                }
            }
            readers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        Sink { address, stop, acceptor }
    }

    fn target(&self) -> String {
        format!("tcp://{}", self.address)
    }

    /// What each connection sent, once the simulator has exited.
    fn finish(self) -> Vec<Vec<u8>> {
        self.stop.store(true, Ordering::SeqCst);
        self.acceptor.join().unwrap()
    }
}

/// Runs `simulate` with `args` against a fresh sink; returns its JSON
/// summary and what each connection received.
fn simulate_tcp(args: &[&str]) -> (Value, Vec<Vec<u8>>) {
    let sink = Sink::start();
    let target = sink.target();
    let summary = Bw::new().json(&[&["simulate", "--target", &target, "--json"], args].concat());
    (summary, sink.finish())
}

/// The lines of one connection: whole ones (with their `\n`) and what
/// follows the last `\n` (a record cut short), if anything.
fn lines(bytes: &[u8]) -> (Vec<&[u8]>, &[u8]) {
    let mut whole: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    let tail = match whole.last() {
        Some(last) if !last.ends_with(b"\n") => whole.pop().unwrap(),
        _ => &[][..],
    };
    (whole, tail)
}

/// A customized 97-character Avaya line: 95 characters, CR LF; date and
/// time digits, condition code from the set the synthetic PBX writes.
fn is_avaya(line: &[u8]) -> bool {
    line.len() == 97
        && line.ends_with(b" \r\n")
        && line[..6].iter().all(u8::is_ascii_digit)
        && line[7..11].iter().all(u8::is_ascii_digit)
        && line[12..17].iter().all(u8::is_ascii_digit)
        && b"079HI".contains(&line[93])
        && line.is_ascii()
}

/// Every whole line of every connection, checked to be a distinct Avaya
/// record unless `garbage` says otherwise; returns the records and the
/// garbage lines.
fn avaya_records(received: &[Vec<u8>]) -> (HashSet<Vec<u8>>, usize) {
    let mut records = HashSet::new();
    let mut garbage = 0;
    for connection in received {
        for line in lines(connection).0 {
            if is_avaya(line) {
                assert!(records.insert(line.to_vec()), "sent twice: {:?}", lossy(line));
            } else {
                assert!(line.contains(&0), "neither a record nor garbage: {:?}", lossy(line));
                garbage += 1;
            }
        }
    }
    (records, garbage)
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_record_arrives_once_over_eight_connections() {
    let (summary, received) = simulate_tcp(&[
        "--format",
        "avaya",
        "--count",
        "2000",
        "--connections",
        "8",
        "--rate",
        "0",
    ]);
    assert_eq!(received.len(), 8);
    // Each connection is a PBX with its own share of the calls.
    assert!(received.iter().all(|c| !c.is_empty()));
    assert!(received.iter().all(|c| lines(c).1.is_empty()), "a line cut short");
    let (records, garbage) = avaya_records(&received);
    assert_eq!((records.len(), garbage), (2000, 0));
    assert_eq!(summary["records"], 2000);
    assert_eq!(summary["connections"], 8);
    assert_eq!(summary["reconnects"], 0);
}

#[test]
fn links_cut_mid_record_resend_the_record_whole() {
    let (summary, received) = simulate_tcp(&[
        "--format",
        "avaya",
        "--count",
        "2000",
        "--connections",
        "8",
        "--rate",
        "0",
        "--drop-every",
        "100",
    ]);
    let (records, garbage) = avaya_records(&received);
    assert_eq!((records.len(), garbage), (2000, 0));
    // Each cut leaves the first half of a record that arrives whole later.
    let tails: Vec<&[u8]> = received.iter().map(|c| lines(c).1).filter(|t| !t.is_empty()).collect();
    assert_eq!(tails.len(), 20);
    for tail in &tails {
        assert_eq!(tail.len(), 48);
        assert!(records.iter().any(|r| r.starts_with(tail)), "{:?} never whole", lossy(tail));
    }
    assert_eq!(received.len(), 8 + 20);
    assert_eq!((summary["cuts"].as_u64(), summary["reconnects"].as_u64()), (Some(20), Some(20)));
    assert_eq!(summary["records"], 2000);
}

#[test]
fn garbage_lines_come_every_fifty_records() {
    let (summary, received) = simulate_tcp(&[
        "--format",
        "avaya",
        "--count",
        "2000",
        "--connections",
        "8",
        "--rate",
        "0",
        "--garbage-every",
        "50",
    ]);
    let (records, garbage) = avaya_records(&received);
    // Before records 50, 100, … 1950: none after the last record.
    assert_eq!((records.len(), garbage), (2000, 39));
    assert_eq!(summary["garbage_lines"], 39);
}

#[test]
fn a_paced_run_holds_its_rate() {
    let (summary, received) =
        simulate_tcp(&["--format", "nec", "--count", "600", "--connections", "3", "--rate", "400"]);
    let total: usize = received.iter().map(|c| lines(c).0.len()).sum();
    assert_eq!(total, 600);
    // 600 records at 400/s cannot take less than about 1.5 s (the buckets
    // start empty).
    let seconds = summary["seconds"].as_f64().unwrap();
    assert!(seconds >= 1.4, "600 records at 400/s in {seconds} s");
}

/// The number a dropped file's name ends with (its last six digits).
fn file_number(name: &str) -> usize {
    let digits = name.rsplit(|c: char| !c.is_ascii_digit()).find(|d| d.len() == 6);
    digits.unwrap_or_else(|| panic!("{name}: no file number")).parse().unwrap()
}

/// Runs `simulate` for `total` records into `dir`, listing it all the
/// while: every file that appears under its final name holds all of its
/// records (`per_file`, fewer in the last file) when first read.
fn simulate_dir(dir: &Path, args: &[&str], total: usize, per_file: usize, header: usize) -> Value {
    let bw = Bw::new();
    let target = arg(dir);
    let mut child = bw
        .process(&[&["simulate", "--target", &target, "--json"], args].concat())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut checked = HashSet::new();
    loop {
        let running = child.try_wait().unwrap().is_none();
        // Listed once more after the exit, for files renamed just before.
        for entry in std::fs::read_dir(dir).into_iter().flatten() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") || checked.contains(&name) {
                continue;
            }
            let text = std::fs::read(dir.join(&name)).unwrap();
            let (whole, tail) = lines(&text);
            assert!(tail.is_empty(), "{name} ends in a partial line");
            let before = (file_number(&name) - 1) * per_file;
            let expected = per_file.min(total - before);
            // Garbage lines (with their NUL) are not records.
            let records = whole.iter().filter(|line| !line.contains(&0)).count() - header;
            assert_eq!(records, expected, "{name} was seen incomplete");
            checked.insert(name);
        }
        if !running {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `cdr_StandAloneCluster_01_YYYYMMDDHHMM_NNNNNN`.
fn is_cucm_file_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("cdr_StandAloneCluster_01_") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('_').collect();
    matches!(parts[..], [minute, number] if minute.len() == 12 && number.len() == 6
        && minute.bytes().chain(number.bytes()).all(|b| b.is_ascii_digit()))
}

#[test]
fn cucm_files_appear_whole_under_cucm_names() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("drop");
    let args = ["--format", "cucm", "--count", "2500", "--rate", "1000"];
    let summary = simulate_dir(&dir, &args, 2500, 1000, 2);
    assert_eq!((summary["records"].as_u64(), summary["files"].as_u64()), (Some(2500), Some(3)));
    let names = file_names(&dir);
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().all(|n| is_cucm_file_name(n)), "{names:?}");
    assert!(names[2].ends_with("_000003"));
    // The files are what `import` reads, every record of them.
    let bw = Bw::new();
    let summary = bw.import(&["--format", "cucm"], &[dir]);
    assert_eq!(import_counts(&summary), [2500, 2500, 0, 0], "{summary}");
}

#[test]
fn every_format_drops_files_that_import_cleanly() {
    let work = tempfile::tempdir().unwrap();
    for (format, first) in [
        ("avaya", "avaya-000001.txt"),
        ("asterisk", "Master-000001.csv"),
        ("nec", "nec-000001.smdr"),
    ] {
        let dir = work.path().join(format);
        let args = ["--format", format, "--count", "1500", "--rate", "0"];
        let summary = simulate_dir(&dir, &args, 1500, 1000, 0);
        assert_eq!(summary["records"], 1500);
        assert_eq!(file_names(&dir)[0], first);
        let bw = Bw::new();
        let summary = bw.import(&["--format", format], &[dir]);
        assert_eq!(import_counts(&summary), [1500, 1500, 0, 0], "{format}: {summary}");
    }
}

#[test]
fn garbage_in_files_is_quarantined_and_nothing_else() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("asterisk");
    let args = ["--format", "asterisk", "--count", "1200", "--rate", "0", "--garbage-every", "100"];
    let summary = simulate_dir(&dir, &args, 1200, 1000, 0);
    assert_eq!(summary["garbage_lines"], 11);
    let bw = Bw::new();
    let summary = bw.import(&["--format", "asterisk"], &[dir]);
    assert_eq!(import_counts(&summary), [1211, 1200, 0, 11], "{summary}");
}

#[test]
fn a_refusing_target_fails_the_run_clearly() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let target = format!("tcp://127.0.0.1:{port}");
    let args = [
        "simulate",
        "--target",
        &target,
        "--format",
        "avaya",
        "--count",
        "10",
        "--give-up-after",
        "1",
    ];
    let error = Bw::new().fails(&args);
    assert!(error.contains("refused for 1 s"), "{error}");
}

#[test]
fn cucm_is_not_streamed_over_tcp_nor_a_directory_cut() {
    let bw = Bw::new();
    let error = bw.fails(&[
        "simulate",
        "--target",
        "tcp://127.0.0.1:9",
        "--format",
        "cucm",
        "--count",
        "1",
    ]);
    assert!(error.contains("--format cucm cannot go to a tcp:// target"), "{error}");
    let dir = tempfile::tempdir().unwrap();
    let error = bw.fails(&[
        "simulate",
        "--target",
        &arg(dir.path()),
        "--format",
        "avaya",
        "--count",
        "1",
        "--drop-every",
        "5",
    ]);
    assert!(error.contains("--drop-every"), "{error}");
    let error =
        bw.fails(&["simulate", "--target", "rsp://127.0.0.1:9", "--format", "nec", "--count", "1"]);
    assert!(error.contains("--format nec cannot go to an rsp:// target"), "{error}");
}

/// The RSP connector in this process, with the journal stage emulated:
/// every item is kept and durable as soon as it arrives. Stopped, or
/// crashed (every task dropped at once, nothing said to the PBXs).
struct RspAdjunct {
    address: SocketAddr,
    runtime: tokio::runtime::Runtime,
    stopping: tokio::sync::watch::Sender<bool>,
    journal: tokio::task::JoinHandle<()>,
    /// The records handed on and kept, in order.
    kept: Arc<std::sync::Mutex<Vec<u8>>>,
}

impl RspAdjunct {
    fn start(address: &str) -> RspAdjunct {
        use connectors::What;
        use connectors::testing::TestFeed;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let address: SocketAddr = address.parse().unwrap();
        // Bound again right after a crash: retried while the port frees.
        let listener = runtime.block_on(async {
            for _ in 0..250 {
                if let Ok(listener) = connectors::rsp::bind(address).await {
                    return listener;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            panic!("cannot listen on {address}");
        });
        let address = listener.local_addr().unwrap();
        let TestFeed { mut feed, mut received, stopping, .. } = TestFeed::lines("cm", "rsp", 0, 64);
        feed.max_record = 4096;
        let kept = Arc::new(std::sync::Mutex::new(Vec::new()));
        let keeping = Arc::clone(&kept);
        let journal = runtime.spawn(async move {
            while let Some(item) = received.recv().await {
                // Kept before it is said durable, as the journal stage does.
                if let What::Records(bytes) = &item.what {
                    keeping.lock().unwrap().extend_from_slice(bytes);
                }
                if let Some(durable) = item.durable {
                    let _ = durable.send(());
                }
            }
        });
        runtime.spawn(connectors::rsp::serve(listener, feed));
        RspAdjunct { address, runtime, stopping, journal, kept }
    }

    fn target(&self) -> String {
        format!("rsp://{}", self.address)
    }

    /// Records kept so far.
    fn kept_lines(&self) -> usize {
        self.kept.lock().unwrap().iter().filter(|&&b| b == b'\n').count()
    }

    /// Stops cleanly; returns every record kept.
    fn finish(self) -> Vec<u8> {
        self.stopping.send(true).unwrap();
        self.runtime.block_on(self.journal).unwrap();
        self.runtime.shutdown_timeout(Duration::from_secs(5));
        std::mem::take(&mut *self.kept.lock().unwrap())
    }

    /// Dies at once, as under `kill -9`; returns every record kept.
    fn crash(self) -> Vec<u8> {
        self.runtime.shutdown_timeout(Duration::from_secs(5));
        std::mem::take(&mut *self.kept.lock().unwrap())
    }
}

#[test]
fn rsp_hands_every_record_on_once_through_cuts_and_garbage() {
    let adjunct = RspAdjunct::start("127.0.0.1:0");
    let target = adjunct.target();
    let summary = Bw::new().json(&[
        "simulate",
        "--target",
        &target,
        "--json",
        "--format",
        "avaya",
        "--count",
        "2000",
        "--connections",
        "4",
        "--rate",
        "0",
        "--drop-every",
        "100",
        "--garbage-every",
        "50",
    ]);
    let kept = adjunct.finish();
    assert!(kept.ends_with(b"\n"));
    // Resent blocks are acknowledged again, never handed on twice.
    let (records, garbage) = avaya_records(&[kept]);
    assert_eq!((records.len(), garbage), (2000, 39));
    assert_eq!(summary["records"], 2000);
    assert_eq!(summary["acknowledged"], 2000);
    assert_eq!(summary["garbage_lines"], 39);
    assert_eq!((summary["cuts"].as_u64(), summary["reconnects"].as_u64()), (Some(20), Some(20)));
}

#[test]
fn rsp_resends_what_was_not_acknowledged_when_the_adjunct_dies() {
    let first = RspAdjunct::start("127.0.0.1:0");
    let address = first.address.to_string();
    let target = first.target();
    let args = [
        "simulate",
        "--target",
        &target,
        "--json",
        "--format",
        "avaya",
        "--count",
        "3000",
        "--connections",
        "2",
        "--rate",
        "2000",
    ];
    let bw = Bw::new();
    let child = bw.process(&args).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let waited = std::time::Instant::now();
    while first.kept_lines() < 600 {
        assert!(waited.elapsed() < Duration::from_secs(60), "nothing arrives");
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut kept = first.crash();
    let second = RspAdjunct::start(&address);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    kept.extend(second.finish());
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Every record is acknowledged in the end, so every one was kept; those
    // the first adjunct had not acknowledged may be kept twice (the
    // pipeline's deduplication keeps one).
    assert_eq!(summary["acknowledged"], 3000);
    assert_eq!(summary["records"], 3000);
    assert!(summary["reconnects"].as_u64().unwrap() >= 2, "{summary}");
    let (whole, tail) = lines(&kept);
    assert!(tail.is_empty());
    assert!(whole.iter().all(|line| is_avaya(line)));
    let distinct: HashSet<&[u8]> = whole.iter().copied().collect();
    assert_eq!(distinct.len(), 3000);
}

#[test]
fn cucm_feature_mix_drops_whole_calls_that_correlate() {
    let error = Bw::new().fails(&[
        "simulate",
        "--target",
        "tcp://127.0.0.1:9",
        "--format",
        "avaya",
        "--mix",
        "features",
        "--count",
        "1",
    ]);
    assert!(error.contains("--mix features needs --format cucm"), "{error}");

    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("drop");
    let bw = Bw::new();
    let args = [
        "simulate",
        "--target",
        &arg(&dir),
        "--format",
        "cucm",
        "--mix",
        "features",
        "--count",
        "2000",
        "--rate",
        "0",
        "--extensions",
        "500",
        "--json",
    ];
    let summary = bw.json(&args);
    // The last call is sent whole: up to a conference's five records more.
    let records = summary["records"].as_u64().unwrap();
    assert!((2000..=2005).contains(&records), "{summary}");

    // What `correlate` makes of the files, with the organisation's
    // directory: every record in one call, every call counted once, the
    // features in the mix's proportions (per whole hundred calls, 10
    // transfers, 5 forwards, 2 conferences).
    let org = synth::Org::new(500);
    let directory = org.write_directory(&work.path().join("directory"), &[("cucm", "cucm")]);
    bw.ok(&["load", &arg(&directory.unwrap())]);
    let files: Vec<String> = file_names(&dir).iter().map(|n| arg(&dir.join(n))).collect();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let out = bw.ok(&[&["correlate", "--pbx", "cucm", "--json"], &files[..]].concat());
    let calls: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let legs: usize = calls.iter().map(|c| c["legs"].as_array().unwrap().len()).sum();
    assert_eq!(legs as u64, records);
    for call in &calls {
        let counted = call["legs"].as_array().unwrap().iter().filter(|l| l["counted"] == true);
        assert_eq!(counted.count(), 1, "{call}");
    }
    let hundreds = calls.len() / 100;
    for (feature, per_hundred) in [("transfer", 10), ("forward", 5), ("conference", 2)] {
        let with =
            calls.iter().filter(|c| c["features"].as_array().unwrap().contains(&feature.into()));
        let n = with.count();
        let least = hundreds * per_hundred;
        assert!((least..=least + per_hundred).contains(&n), "{feature}: {n} in {}", calls.len());
    }

    // And `import` stores every record.
    let summary = Bw::new().import(&["--format", "cucm"], &[dir]);
    assert_eq!(import_counts(&summary), [records, records, 0, 0], "{summary}");
}
