//! `bluewhale serve` when the disk fills up while PBXs send: the server
//! stops (it does not wait for space) with an error that names the file it
//! could not write and says the disk is full; it acknowledges nothing it
//! could not journal; and once space is freed and it is started again,
//! every record the PBXs were told was received is stored exactly once, in
//! a store SQLite finds sound. Three layouts: journal and store on one
//! small disk, the journal alone on one, the store alone on one.
//!
//! The small disks are tmpfs mounts, which needs root (or CAP_SYS_ADMIN).
//! Where mounting is not allowed the tests say so and pass, except on CI
//! (`CI=true`), where they fail.

mod common;

use common::Bw;
use common::server::{free_port, signal};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Records the PBXs send: about 10 MiB of journal, more than the small
/// disks hold.
const RECORDS: u64 = 100_000;
/// Size of a disk that fills up, and of the same disk once space is freed.
const SMALL_MB: u64 = 8;
const FREED_MB: u64 = 512;

/// A tmpfs mounted on a directory of its own, unmounted when dropped.
struct Tmpfs {
    dir: PathBuf,
    /// The directory made for the mount point, removed after unmounting.
    _made: Option<tempfile::TempDir>,
}

impl Tmpfs {
    /// A new tmpfs of `mb` MiB; `None` (said on standard error) where this
    /// machine does not let the test mount one.
    fn new(mb: u64) -> Option<Tmpfs> {
        let made = tempfile::tempdir().unwrap();
        let dir = made.path().to_path_buf();
        match mount_tmpfs(&dir, mb) {
            Ok(()) => Some(Tmpfs { dir, _made: Some(made) }),
            Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("cannot mount a small tmpfs for the full-disk tests on CI: {why}")
            }
            Err(why) => {
                eprintln!("SKIPPED: cannot mount a small tmpfs ({why}); the test needs root");
                None
            }
        }
    }

    /// A tmpfs of `mb` MiB mounted on `dir`, an existing directory.
    fn on(dir: &Path, mb: u64) -> Tmpfs {
        mount_tmpfs(dir, mb).unwrap();
        Tmpfs { dir: dir.to_path_buf(), _made: None }
    }

    /// Frees space: the same file system, made larger, files kept.
    fn grow(&self, mb: u64) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={mb}m")])
            .arg(&self.dir)
            .status()
            .unwrap();
        assert!(status.success(), "cannot grow the tmpfs on {}", self.dir.display());
    }

    fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: a process the test left behind cannot keep it mounted.
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

fn mount_tmpfs(dir: &Path, mb: u64) -> Result<(), String> {
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
        .arg(dir)
        .output()
        .map_err(|e| format!("cannot run mount: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// A `bluewhale` process and every line it prints on standard error.
struct Process {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Process {
    fn spawn(mut command: Command) -> Process {
        let mut child = command.stderr(Stdio::piped()).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let printed = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                printed.lock().unwrap().push(line);
            }
        });
        Process { child, lines }
    }

    fn printed(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Waits until a line contains `text`; false if it has not within
    /// `within`, or the process ended first.
    fn wait_for(&mut self, text: &str, within: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < within {
            if self.lines.lock().unwrap().iter().any(|l| l.contains(text)) {
                return true;
            }
            if self.child.try_wait().unwrap().is_some() {
                // Its last lines may still be on their way.
                std::thread::sleep(Duration::from_millis(200));
                return self.lines.lock().unwrap().iter().any(|l| l.contains(text));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// How it ended, if it did within `within`.
    fn ended(&mut self, within: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Its last lines may still be on their way.
                std::thread::sleep(Duration::from_millis(200));
                return Some(status);
            }
            if started.elapsed() >= within {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Process {
    /// A test that fails leaves no process behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The directory loaded into the store in `data`, and a server
/// configuration with one Avaya PBX speaking RSP (which acknowledges each
/// block of records once it is journaled) on the returned port.
fn prepare(data: tempfile::TempDir, journal: &str) -> (Bw, u16) {
    let bw = Bw { data };
    bw.ok(&["load", &common::fixture_arg("serve/directory.toml")]);
    let (port, http) = (free_port(), free_port());
    let config = format!(
        "[server]\nhttp = \"127.0.0.1:{http}\"\n\
         [journal]\n{journal}\n\
         [[pbx]]\nname = \"avaya-hq\"\nformat = \"avaya:avaya-97\"\n\
         connector = {{ kind = \"rsp\", listen = \"127.0.0.1:{port}\" }}\n"
    );
    std::fs::write(config_path(&bw), config).unwrap();
    (bw, port)
}

fn config_path(bw: &Bw) -> PathBuf {
    bw.data.path().join("server.toml")
}

fn serve(bw: &Bw) -> Process {
    let mut server =
        Process::spawn(bw.process(&["serve", "--config", &common::arg(&config_path(bw))]));
    assert!(
        server.wait_for("metrics and API on http://", Duration::from_secs(20)),
        "the server did not start: {}",
        server.printed()
    );
    server
}

/// The PBXs: `RECORDS` records over RSP, as fast as the server takes
/// them, reconnecting (for up to 40 s) while the server is down.
fn pbxs(bw: &Bw, port: u16) -> Process {
    let target = format!("rsp://127.0.0.1:{port}");
    let count = RECORDS.to_string();
    let mut command = bw.process(&[
        "simulate",
        "--target",
        &target,
        "--format",
        "avaya",
        "--rate",
        "0",
        "--count",
        &count,
        "--connections",
        "4",
        "--give-up-after",
        "40",
        "--json",
    ]);
    command.stdout(Stdio::piped());
    Process::spawn(command)
}

/// Sends until the disk is full; checks that the server stops with an
/// error naming a file under `full_dir` and the full disk; returns its
/// error line.
fn send_until_the_disk_is_full(bw: &Bw, port: u16, full_dir: &Path) -> (Process, String) {
    let mut server = serve(bw);
    let pbxs = pbxs(bw, port);
    let status = server.ended(Duration::from_secs(30));
    let printed = server.printed();
    let status = status.unwrap_or_else(|| {
        panic!(
            "the server neither stopped nor said the disk is full in 30 s: {printed}\n{}\n{}",
            metrics(&printed),
            files(bw.data.path())
        )
    });
    assert!(!status.success(), "the server stopped as if all were well: {printed}");
    let error = printed.lines().find(|l| l.starts_with("error:")).unwrap_or_default().to_string();
    assert!(
        error.contains("No space left on device") || error.contains("disk is full"),
        "the error does not say the disk is full: {printed}"
    );
    assert!(
        error.contains(&full_dir.display().to_string()),
        "the error does not name the file under {} it could not write: {printed}",
        full_dir.display()
    );
    // Nothing half-written left to hold on to the little space there is.
    let listing = files(bw.data.path());
    assert!(!listing.contains(".tmp\n"), "{listing}");
    (pbxs, error)
}

/// What the server at the address it `printed` says in `/metrics`.
fn metrics(printed: &str) -> String {
    let Some(address) = printed.lines().find_map(|l| l.split("http://").nth(1)) else {
        return String::new();
    };
    let mut body = String::new();
    if let Ok(mut stream) = std::net::TcpStream::connect(address) {
        use std::io::Write;
        let _ = write!(stream, "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        let _ = stream.read_to_string(&mut body);
    }
    let body = body.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    body.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n")
}

/// Every file under `dir` with its size.
fn files(dir: &Path) -> String {
    let mut listing = String::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                dirs.push(entry.path());
            } else {
                listing.push_str(&format!("{} {}\n", meta.len(), entry.path().display()));
            }
        }
    }
    listing
}

/// Restarted with space freed, the server takes what the PBXs resend;
/// then every record acknowledged is stored once and the store is sound.
/// `resent`: the disk filled while the PBXs were sending, so they had to
/// send again what was not acknowledged.
fn after_freeing_space_everything_acknowledged_is_stored_once(
    bw: &Bw,
    mut pbxs: Process,
    resent: bool,
) {
    let server = serve(bw);
    let status = pbxs.ended(Duration::from_secs(40));
    let mut out = String::new();
    pbxs.child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(status.is_some_and(|s| s.success()), "the PBXs failed: {out} {}", pbxs.printed());
    let sent: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sent["acknowledged"], RECORDS, "{sent}");
    if resent {
        assert!(sent["reconnects"].as_u64().unwrap() > 0, "the PBXs never lost the server: {sent}");
    }
    let summary = stop(server);
    let store = bw.store();
    // Blocks acknowledged before the disk filled are never sent again: had
    // one been acknowledged and not journaled, it would be missing here.
    assert_eq!(store.cdr_count().unwrap(), RECORDS, "{summary}");
    assert_eq!(store.quarantine_count().unwrap(), 0, "{summary}");
    let check: String =
        store.connection().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    drop(store);
    // The journal reads back whole, from its first entry to its last.
    let journal =
        journal::Journal::open(&bw.data.path().join("journal"), Default::default()).unwrap();
    let mut reader = journal.reader("avaya-hq", journal::Position::BEGIN).unwrap();
    let mut records = 0;
    while let Some(entry) = reader.next().unwrap() {
        if entry.kind == journal::EntryKind::Data {
            records += entry.payload.iter().filter(|&&b| b == b'\n').count() as u64;
        }
    }
    assert!(records >= RECORDS, "{records} records in the journal");
}

/// SIGTERM; the summary line of a clean stop.
fn stop(mut server: Process) -> String {
    signal(&server.child, "TERM");
    let status = server.ended(Duration::from_secs(30));
    let printed = server.printed();
    assert!(status.is_some_and(|s| s.success()), "the server did not stop cleanly: {printed}");
    printed.lines().find(|l| l.starts_with("stopped:")).unwrap_or_default().to_string()
}

#[test]
fn a_full_disk_stops_the_server_clearly_and_loses_nothing_acknowledged() {
    // Journal and store share one small disk, as they do by default.
    let Some(disk) = Tmpfs::new(SMALL_MB) else { return };
    let (bw, port) = prepare(tempfile::tempdir_in(disk.path()).unwrap(), "");
    let (pbxs, error) = send_until_the_disk_is_full(&bw, port, bw.data.path());
    eprintln!("{error}");
    disk.grow(FREED_MB);
    // Whichever filled it first: if the journal could not be written, the
    // PBXs had records not acknowledged to send again.
    let journal_failed = error.starts_with("error: journal of");
    after_freeing_space_everything_acknowledged_is_stored_once(&bw, pbxs, journal_failed);
}

#[test]
fn a_full_journal_disk_stops_the_server_clearly_and_loses_nothing_acknowledged() {
    // The journal alone on a small disk, in small segments, so that
    // rotation, side indexes and compression meet the full disk too:
    // records that cannot be journaled must not be acknowledged.
    let Some(big) = Tmpfs::new(FREED_MB) else { return };
    let (bw, port) = prepare(tempfile::tempdir_in(big.path()).unwrap(), "max_segment_mb = 1");
    let journal_dir = bw.data.path().join("journal");
    std::fs::create_dir(&journal_dir).unwrap();
    let disk = Tmpfs::on(&journal_dir, 2);
    let (pbxs, error) = send_until_the_disk_is_full(&bw, port, &journal_dir);
    eprintln!("{error}");
    disk.grow(FREED_MB);
    after_freeing_space_everything_acknowledged_is_stored_once(&bw, pbxs, true);
}

#[test]
fn a_full_store_disk_stops_the_server_clearly_and_loses_nothing_acknowledged() {
    // The store alone on a small disk, the journal on another: records
    // are journaled and acknowledged but cannot be stored; they are, from
    // the journal, once there is space.
    let Some(disk) = Tmpfs::new(SMALL_MB) else { return };
    let (bw, port) = prepare(tempfile::tempdir_in(disk.path()).unwrap(), "");
    let journal_dir = bw.data.path().join("journal");
    std::fs::create_dir(&journal_dir).unwrap();
    let _journal_disk = Tmpfs::on(&journal_dir, FREED_MB);
    let (pbxs, error) = send_until_the_disk_is_full(&bw, port, bw.data.path());
    eprintln!("{error}");
    assert!(error.contains("bluewhale.sqlite"), "{error}");
    disk.grow(FREED_MB);
    after_freeing_space_everything_acknowledged_is_stored_once(&bw, pbxs, false);
}
