//! What the end-to-end tests share: a throw-away data directory and the
//! `bluewhale` binary run against it.

#![allow(dead_code)] // Each test binary uses its own part of it.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// A file under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// [`fixture`] as a command-line argument.
pub fn fixture_arg(name: &str) -> String {
    fixture(name).display().to_string()
}

/// `bluewhale` with its own empty data directory.
pub struct Bw {
    pub data: tempfile::TempDir,
}

impl Bw {
    pub fn new() -> Self {
        Bw { data: tempfile::tempdir().unwrap() }
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("bluewhale").unwrap();
        cmd.arg("--data-dir").arg(self.data.path()).args(args);
        cmd
    }

    /// Runs and expects success; returns standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "bluewhale {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects success; returns standard error (notes, progress).
    pub fn ok_stderr(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "bluewhale {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    /// Runs and expects failure; returns standard error.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        assert!(!out.status.success(), "bluewhale {args:?} should have failed");
        String::from_utf8(out.stderr).unwrap()
    }

    /// The stored calls of a period, as `cdrs --format json` prints them.
    pub fn calls(&self, from: &str, to: &str) -> Vec<serde_json::Value> {
        self.ok(&["cdrs", "--from", from, "--to", to, "--format", "json"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}
