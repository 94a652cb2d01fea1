//! What the end-to-end tests share: a throw-away data directory and the
//! `bluewhale` binary run against it.

#![allow(dead_code)] // Each test binary uses its own part of it.

pub mod browser;
pub mod main_db;
pub mod server;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A file under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// [`fixture`] as a command-line argument.
pub fn fixture_arg(name: &str) -> String {
    arg(&fixture(name))
}

/// A path as a command-line argument.
pub fn arg(path: &Path) -> String {
    path.display().to_string()
}

/// The four counts of an import summary, "N files, R records: S stored,
/// D duplicates, Q quarantined in …": [R, S, D, Q].
pub fn import_counts(summary: &str) -> [u64; 4] {
    let nums: Vec<u64> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    [nums[1], nums[2], nums[3], nums[4]]
}

/// `bluewhale` with its own empty data directory.
pub struct Bw {
    pub data: tempfile::TempDir,
}

/// The password of the `admin` account of every test server.
pub const ADMIN_PASSWORD: &str = "test admin password";

impl Bw {
    pub fn new() -> Self {
        Bw { data: tempfile::tempdir().unwrap() }
    }

    /// A store holding the directory and the tariffs of two fixtures.
    pub fn with_directory_and_tariffs(directory: &str, tariffs: &str) -> Self {
        let bw = Bw::new();
        bw.ok(&["load", &fixture_arg(directory)]);
        bw.ok(&["tariff", "import", &fixture_arg(tariffs)]);
        bw
    }

    /// The command as a plain process, for tests that spawn or kill it.
    pub fn process(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("bluewhale"));
        cmd.arg("--data-dir").arg(self.data.path()).args(args);
        // A server's first run creates its administrator with this password.
        cmd.env("BLUEWHALE_ADMIN_PASSWORD", ADMIN_PASSWORD);
        cmd
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        Command::from_std(self.process(args))
    }

    /// Runs and expects success; returns standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        String::from_utf8(self.succeeds(args).stdout).unwrap()
    }

    /// Runs and expects success; returns standard error (notes, progress).
    pub fn ok_stderr(&self, args: &[&str]) -> String {
        String::from_utf8(self.succeeds(args).stderr).unwrap()
    }

    /// Runs and expects success; returns standard output parsed as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    /// Runs and expects failure; returns standard error.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        assert!(!out.status.success(), "bluewhale {args:?} should have failed");
        String::from_utf8(out.stderr).unwrap()
    }

    fn succeeds(&self, args: &[&str]) -> Output {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "bluewhale {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Imports `paths` (with options `extra` before them); returns the summary.
    pub fn import(&self, extra: &[&str], paths: &[PathBuf]) -> String {
        let paths: Vec<String> = paths.iter().map(|p| arg(p)).collect();
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        self.ok(&[&["import"], extra, &paths].concat())
    }

    /// Imports the calls of fixture `calls` as PBX `pbx-paris` sends them, in
    /// the format fixture `format`; returns the summary.
    pub fn import_paris_calls(&self, format: &str, calls: &str) -> String {
        self.import(&["--pbx", "pbx-paris", "--format", &fixture_arg(format)], &[fixture(calls)])
    }

    /// The stored calls of a period, as `cdrs --format json` prints them.
    pub fn calls(&self, from: &str, to: &str) -> Vec<Value> {
        self.calls_where(from, to, &[])
    }

    /// [`Bw::calls`] narrowed by `cdrs` options such as `--extension`.
    pub fn calls_where(&self, from: &str, to: &str, filters: &[&str]) -> Vec<Value> {
        let args = ["cdrs", "--from", from, "--to", to, "--format", "json"];
        self.ok(&[&args[..], filters].concat())
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// `report department --format json` for a period.
    pub fn department_report(&self, from: &str, to: &str) -> Value {
        self.json(&["report", "department", "--from", from, "--to", to, "--format", "json"])
    }

    /// The store itself, opened beside the binary's connections.
    pub fn store(&self) -> store::Store {
        store::Store::open(self.data.path()).unwrap()
    }
}
