//! The file-drop connector against a real directory, with the test in the
//! journal stage's place: it receives what the connector hands on and
//! fires each item's durable signal (or holds it back, or drops it, as a
//! journal that is slow or has crashed would).

use connectors::file_drop::{self, Prepared};
use connectors::testing::TestFeed;
use connectors::{ConnectorState, Received, What};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Only a guard against hanging: nothing waits this long when it works.
const HANG: Duration = Duration::from_secs(30);

/// Short times so that tests do not wait for the production defaults.
fn quick(prepared: Prepared) -> Prepared {
    prepared
        .with_settle(Duration::from_millis(100))
        .with_poll(Duration::from_millis(20))
        .with_retry(Duration::from_millis(100))
}

struct Running {
    received: mpsc::Receiver<Received>,
    stopping: watch::Sender<bool>,
    state: Arc<ConnectorState>,
    task: JoinHandle<()>,
}

/// One file as the connector handed it on.
#[derive(Debug, Default)]
struct FileSeen {
    peer: String,
    /// Each `Records` item.
    chunks: Vec<Vec<u8>>,
    partial: Vec<u8>,
    reason: String,
}

impl FileSeen {
    fn records(&self) -> Vec<u8> {
        self.chunks.concat()
    }
}

async fn start(dir: &Path, pattern: Option<&str>, tune: fn(Prepared) -> Prepared) -> Running {
    let prepared = tune(quick(file_drop::prepare(dir, pattern).await.unwrap()));
    let TestFeed { mut feed, received, stopping, state } =
        TestFeed::lines("cucm", "file-drop", 3, 16);
    feed.max_record = 4096;
    let task = tokio::spawn(file_drop::serve(prepared, feed));
    Running { received, stopping, state, task }
}

impl Running {
    async fn receive(&mut self) -> Option<Received> {
        tokio::time::timeout(HANG, self.received.recv()).await.expect("the connector hangs")
    }

    /// The next file, everything acknowledged as durable as it comes.
    async fn file(&mut self) -> FileSeen {
        let mut seen = FileSeen::default();
        let mut connection = None;
        loop {
            let mut r = self.receive().await.expect("the connector ended");
            assert_eq!(r.source, 3);
            assert_eq!(*connection.get_or_insert(r.connection), r.connection);
            if let Some(durable) = r.durable.take() {
                let _ = durable.send(());
            }
            match r.what {
                What::Opened { peer } => seen.peer = peer,
                What::Records(records) => seen.chunks.push(records),
                What::Closed { partial, reason } => {
                    seen.partial = partial;
                    seen.reason = reason;
                    return seen;
                }
            }
        }
    }

    /// Stops the connector and waits until it has returned; whatever it
    /// still hands on is dropped unacknowledged.
    async fn stop(mut self) {
        self.stopping.send(true).unwrap();
        while self.receive().await.is_some() {}
        tokio::time::timeout(HANG, self.task).await.expect("the connector hangs").unwrap();
    }
}

/// Writes a file with a given modification time (seconds after an
/// arbitrary base), so that "oldest first" does not depend on timing.
fn drop_file(dir: &Path, name: &str, content: &[u8], age_s: u64) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    let mtime = UNIX_EPOCH + Duration::from_secs(1_700_000_000 + age_s);
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(mtime).unwrap();
    path
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + HANG;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn lines(prefix: &str, count: usize) -> Vec<u8> {
    (0..count)
        .map(|i| format!("{prefix},{i:05},0001,0002,some more fields\n"))
        .collect::<String>()
        .into()
}

#[tokio::test]
async fn files_dropped_before_and_after_start_are_read_oldest_first_and_moved_to_done() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    drop_file(dir, "cdr_a", b"a1\na2\n", 20);
    drop_file(dir, "cdr_b", b"b1\n", 10);
    let mut running = start(dir, None, |p| p).await;
    for (peer, records) in [("cdr_b", "b1\n"), ("cdr_a", "a1\na2\n")] {
        let seen = running.file().await;
        assert_eq!(seen.peer, peer);
        assert_eq!(seen.records(), records.as_bytes());
        assert_eq!((seen.partial.as_slice(), seen.reason.as_str()), (&b""[..], "end of file"));
    }
    std::fs::write(dir.join("cdr_c"), "c1\n").unwrap();
    let seen = running.file().await;
    assert_eq!((seen.peer.as_str(), seen.records()), ("cdr_c", b"c1\n".to_vec()));
    for name in ["cdr_a", "cdr_b", "cdr_c"] {
        wait_for(name, || dir.join("done").join(name).exists()).await;
        assert!(!dir.join(name).exists(), "{name} left in place");
    }
    let snapshot = running.state.snapshot();
    assert_eq!((snapshot.records, snapshot.errors, snapshot.connections), (4, 0, 0));
    running.stop().await;
}

#[tokio::test]
async fn a_file_still_being_written_is_not_taken_until_it_settles() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // The production settle time, against a writer that pauses far less.
    let mut running = start(dir, None, |p| p.with_settle(file_drop::SETTLE)).await;
    let mut file = std::fs::File::create(dir.join("Master.csv")).unwrap();
    let content = lines("slow", 20);
    for part in content.chunks(37) {
        std::io::Write::write_all(&mut file, part).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(running.received.try_recv().is_err(), "taken while being written");
    }
    drop(file);
    let seen = running.file().await;
    assert_eq!(seen.records(), content);
    assert!(seen.partial.is_empty());
    running.stop().await;
}

#[tokio::test]
async fn a_big_file_arrives_in_several_chunks_of_whole_records() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let content = lines("big", 500);
    drop_file(dir, "cdr_big", &content, 0);
    let mut running = start(dir, None, |p| p.with_chunk(1000)).await;
    let seen = running.file().await;
    assert!(seen.chunks.len() >= content.len() / 1000, "{} chunks", seen.chunks.len());
    for chunk in &seen.chunks {
        assert!(chunk.ends_with(b"\n") && chunk.len() <= 1000 + 4096);
    }
    assert_eq!(seen.records(), content);
    assert_eq!(running.state.snapshot().records, 500);
    running.stop().await;
}

#[tokio::test]
async fn a_file_is_moved_to_done_only_once_everything_from_it_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let path = drop_file(dir, "cdr_1", b"r1\nr2\ntail", 0);
    let mut running = start(dir, None, |p| p).await;
    let mut held = Vec::new();
    loop {
        let mut r = running.receive().await.unwrap();
        held.extend(r.durable.take());
        if matches!(r.what, What::Closed { .. }) {
            break;
        }
    }
    // Records and the close: both wait for the journal.
    assert_eq!(held.len(), 2);
    let closed = held.pop().unwrap();
    held.pop().unwrap().send(()).unwrap();
    // The connector is waiting for the close to be durable: whenever this
    // runs, the file must still be where it was.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(path.exists() && !dir.join("done/cdr_1").exists());
    closed.send(()).unwrap();
    wait_for("moved to done", || dir.join("done/cdr_1").exists()).await;
    assert!(!path.exists());
    running.stop().await;
}

/// A file of a header and records, read until three chunks are durable;
/// then the server stops and the journal loses what was in flight.
/// Returns the file and how many bytes were durable.
async fn interrupted_run(dir: &Path) -> (Vec<u8>, usize) {
    let mut content = b"h1,header\nh2,types\n".to_vec();
    content.extend(lines("cdr", 200));
    drop_file(dir, "cdr_big", &content, 0);
    let mut running = start(dir, None, |p| p.with_chunk(256)).await;
    let opened = running.receive().await.unwrap();
    assert!(matches!(opened.what, What::Opened { .. }));
    let mut durable = 0;
    for _ in 0..3 {
        let mut r = running.receive().await.unwrap();
        let What::Records(records) = &r.what else { panic!("{:?}", r.what) };
        durable += records.len();
        r.durable.take().unwrap().send(()).unwrap();
    }
    // Chunks sent after these are never acknowledged: their durable
    // signals are dropped as `stop` receives them.
    running.stop().await;
    assert!(dir.join("cdr_big").exists());
    (content, durable)
}

#[tokio::test]
async fn a_restarted_drop_resumes_where_the_journal_had_the_file_after_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (content, durable) = interrupted_run(dir).await;
    let mut running = start(dir, None, |p| p).await;
    let seen = running.file().await;
    assert_eq!(seen.peer, "cdr_big");
    // The first records again (a header the parser needs), then the rest.
    assert_eq!(seen.chunks[0], b"h1,header\nh2,types\n");
    assert_eq!(seen.chunks[1..].concat(), &content[durable..]);
    assert_eq!(seen.reason, "end of file");
    wait_for("moved to done", || dir.join("done/cdr_big").exists()).await;
    running.stop().await;
}

#[tokio::test]
async fn a_file_changed_since_its_progress_was_recorded_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (mut content, _) = interrupted_run(dir).await;
    content.extend(lines("more", 3));
    drop_file(dir, "cdr_big", &content, 0);
    let mut running = start(dir, None, |p| p).await;
    let seen = running.file().await;
    assert_eq!(seen.records(), content);
    running.stop().await;
}

#[tokio::test]
async fn only_files_matching_the_pattern_are_taken() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // Older than the file that matches: had they been taken, they would
    // have come first.
    drop_file(dir, "cmr_1", b"cmr\n", 1);
    drop_file(dir, ".cdr_0.part", b"upload in progress\n", 2);
    std::fs::create_dir(dir.join("cdr_dir")).unwrap();
    drop_file(dir, "cdr_1", b"cdr\n", 3);
    let mut running = start(dir, Some("cdr_*"), |p| p).await;
    assert_eq!(running.file().await.peer, "cdr_1");
    drop_file(dir, "cdr_2", b"cdr\n", 4);
    assert_eq!(running.file().await.peer, "cdr_2");
    running.stop().await;
    for left in ["cmr_1", ".cdr_0.part", "cdr_dir"] {
        assert!(dir.join(left).exists(), "{left}");
    }
}

#[tokio::test]
async fn a_name_already_in_done_is_kept_and_the_new_file_gets_a_suffix() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::create_dir(dir.join("done")).unwrap();
    std::fs::write(dir.join("done/cdr_1"), "old\n").unwrap();
    drop_file(dir, "cdr_1", b"new\n", 0);
    let mut running = start(dir, None, |p| p).await;
    assert_eq!(running.file().await.records(), b"new\n");
    wait_for("moved to done", || dir.join("done/cdr_1.1").exists()).await;
    assert_eq!(std::fs::read_to_string(dir.join("done/cdr_1")).unwrap(), "old\n");
    assert_eq!(std::fs::read_to_string(dir.join("done/cdr_1.1")).unwrap(), "new\n");
    running.stop().await;
}

#[tokio::test]
async fn an_unterminated_last_record_arrives_as_the_partial_of_the_close() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // (content, records, partial)
    let cases: [(&str, &str, &str); 4] = [
        ("a\nb\n", "a\nb\n", ""),
        ("a\nb\ntail", "a\nb\n", "tail"),
        ("", "", ""),
        ("no newline at all", "", "no newline at all"),
    ];
    for (i, (content, _, _)) in cases.iter().enumerate() {
        drop_file(dir, &format!("cdr_{i}"), content.as_bytes(), i as u64);
    }
    let mut running = start(dir, None, |p| p).await;
    for (i, (_, records, partial)) in cases.iter().enumerate() {
        let seen = running.file().await;
        assert_eq!(seen.peer, format!("cdr_{i}"));
        assert_eq!(seen.records(), records.as_bytes(), "{i}");
        assert_eq!(seen.partial, partial.as_bytes(), "{i}");
        assert_eq!(seen.reason, "end of file");
    }
    running.stop().await;
}

#[tokio::test]
async fn an_unreadable_file_is_reported_left_in_place_and_read_once_readable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let path = drop_file(dir, "cdr_locked", b"r1\n", 0);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&path).is_ok() {
        eprintln!("skipped: this user reads files whatever their permissions");
        return;
    }
    let mut running = start(dir, None, |p| p).await;
    let state = running.state.clone();
    wait_for("the error reported", || state.snapshot().errors > 0).await;
    let error = state.snapshot().last_error.unwrap();
    assert!(error.contains("cdr_locked"), "{error}");
    assert!(path.exists());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(running.file().await.records(), b"r1\n");
    wait_for("moved to done", || dir.join("done/cdr_locked").exists()).await;
    running.stop().await;
}

#[tokio::test]
async fn preparing_creates_the_directories_and_names_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let drop_dir = dir.path().join("new/drop");
    let prepared = file_drop::prepare(&drop_dir, Some("cdr_*")).await.unwrap();
    assert_eq!(prepared.dir(), drop_dir);
    assert!(drop_dir.join("done").is_dir());
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    let cases = [
        (not_a_dir.clone(), None, not_a_dir.display().to_string()),
        (not_a_dir.join("below"), None, not_a_dir.display().to_string()),
        (drop_dir.clone(), Some("cdr_[0-9"), "cdr_[0-9".to_string()),
    ];
    for (path, pattern, named) in cases {
        let error = file_drop::prepare(&path, pattern).await.unwrap_err();
        assert!(error.contains(&named), "{error}");
    }
}

#[tokio::test]
async fn stopping_an_idle_drop_returns_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), None, |p| p.with_poll(Duration::from_secs(3600))).await;
    running.stop().await;
}

#[cfg(feature = "ftp")]
mod ftp {
    use super::*;
    use connectors::file_drop::ftp::{bind_ftp, serve_ftp};
    use suppaftp::FtpStream;

    /// A client session, retried until the server listens.
    fn connect(address: std::net::SocketAddr) -> FtpStream {
        let deadline = std::time::Instant::now() + HANG;
        loop {
            match FtpStream::connect(address) {
                Ok(client) => return client,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("cannot connect to {address}: {e}"),
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_upload_lands_whole_under_its_name_and_the_drop_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().to_path_buf();
        let mut running = start(&dir, Some("cdr_*"), |p| p).await;
        let address = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let (stopping, stop) = watch::channel(false);
        let server =
            tokio::spawn(serve_ftp(address, dir.clone(), "cucm".into(), "s3cret".into(), stop));
        let name = "cdr_StandAloneCluster_01_202401010000_1";
        let content = lines("cdr", 50);
        let (upload, length) = (content.clone(), content.len() as u64);
        tokio::task::spawn_blocking(move || {
            let mut wrong = connect(address);
            assert!(wrong.login("cucm", "guess").is_err());
            let mut client = connect(address);
            client.login("cucm", "s3cret").unwrap();
            client.cwd("/").unwrap();
            client.transfer_type(suppaftp::types::FileType::Binary).unwrap();
            let sent = client.put_file(name, &mut std::io::Cursor::new(upload)).unwrap();
            assert_eq!(sent, length);
            // Nothing waiting in the directory can be taken away.
            assert!(client.rm(name).is_err());
            assert!(client.rename(name, "elsewhere").is_err());
            assert!(client.put_file("done/x", &mut std::io::Cursor::new(b"x")).is_err());
            client.quit().unwrap();
        })
        .await
        .unwrap();
        let seen = running.file().await;
        assert_eq!(seen.peer, name);
        assert_eq!(seen.records(), content);
        wait_for("moved to done", || dir.join("done").join(name).exists()).await;
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".part") || n == "x")
            .collect();
        assert!(left.is_empty(), "{left:?}");
        stopping.send(true).unwrap();
        let served = tokio::time::timeout(HANG, server).await.expect("FTP server hangs").unwrap();
        assert_eq!(served, Ok(()));
        running.stop().await;
    }

    #[tokio::test]
    async fn a_missing_directory_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let (_stopping, stop) = watch::channel(false);
        let address = "127.0.0.1:0".parse().unwrap();
        let error =
            serve_ftp(address, missing.clone(), "u".into(), "p".into(), stop).await.unwrap_err();
        assert!(error.contains(&missing.display().to_string()), "{error}");
    }

    #[tokio::test]
    async fn a_taken_port_is_refused_before_serving_naming_the_address() {
        let dir = tempfile::tempdir().unwrap();
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap();
        let (_stopping, stop) = watch::channel(false);
        let bound = bind_ftp(address, dir.path().to_path_buf(), "u".into(), "p".into(), stop).await;
        let error = bound.err().expect("a taken port is refused");
        assert!(error.contains(&format!("FTP receiver: cannot listen on {address}")), "{error}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_address_is_held_from_the_check_and_served() {
        let dir = tempfile::tempdir().unwrap();
        let (stopping, stop) = watch::channel(false);
        let any_port = "127.0.0.1:0".parse().unwrap();
        let receiver = bind_ftp(any_port, dir.path().to_path_buf(), "u".into(), "pw".into(), stop)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let address = receiver.local_addr();
        assert_ne!(address.port(), 0);
        // Nobody else can listen there between the check and serving.
        assert!(std::net::TcpListener::bind(address).is_err());
        let server = tokio::spawn(receiver.serve());
        tokio::task::spawn_blocking(move || {
            let mut client = connect(address);
            client.login("u", "pw").unwrap();
            client.quit().unwrap();
        })
        .await
        .unwrap();
        stopping.send(true).unwrap();
        let served = tokio::time::timeout(HANG, server).await.expect("FTP server hangs").unwrap();
        assert_eq!(served, Ok(()));
    }

    #[tokio::test]
    async fn an_empty_password_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (_stopping, stop) = watch::channel(false);
        let address = "127.0.0.1:0".parse().unwrap();
        let bound = bind_ftp(address, dir.path().to_path_buf(), "u".into(), String::new(), stop);
        let error = bound.await.err().expect("an empty password is refused");
        assert!(error.contains("the password is empty"), "{error}");
        let (_stopping, stop) = watch::channel(false);
        let served = serve_ftp(address, dir.path().to_path_buf(), "u".into(), String::new(), stop);
        assert!(served.await.unwrap_err().contains("the password is empty"));
    }
}
