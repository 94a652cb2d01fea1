//! A PostgreSQL server of a test's own ([`ThrowawayPostgres`]): a fresh
//! cluster in a temporary directory, on a free port of 127.0.0.1, that a
//! test may stop and start again (to see how writes behave while the
//! database is away) and that is removed when dropped.
//!
//! It needs the server's programs (`initdb`, `pg_ctl`): from
//! `BLUEWHALE_PG_BIN` if set, else the newest `/usr/lib/postgresql/*/bin`
//! (Debian's layout), else the `PATH`. PostgreSQL refuses to run as root;
//! as root, the cluster belongs to the `postgres` user and its programs run
//! through `runuser`.

use std::io;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// User the cluster runs as when the test runs as root.
const SERVICE_USER: &str = "postgres";
/// How long `pg_ctl` waits for a start or stop, in seconds: a hang guard
/// for a loaded machine, not an expectation.
const WAIT_S: &str = "120";

/// A PostgreSQL cluster that lives as long as the value. Its superuser is
/// `postgres`, with trust authentication.
#[derive(Debug)]
pub struct ThrowawayPostgres {
    /// Holds the cluster (`data`), the server's socket and its log.
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// The user programs run as (through `runuser`), when not ourselves.
    run_as: Option<&'static str>,
    running: bool,
}

impl ThrowawayPostgres {
    /// Creates a cluster and starts it.
    pub fn start_new() -> io::Result<ThrowawayPostgres> {
        let bin = find_bin()?;
        let run_as = if running_as_root() { Some(SERVICE_USER) } else { None };
        let dir = tempfile::Builder::new().prefix("bluewhale-pg-").tempdir()?;
        if let Some(user) = run_as {
            let (uid, gid) = (id_of(user, "-u")?, id_of(user, "-g")?);
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))?;
        }
        let mut pg = ThrowawayPostgres { dir, bin, port: 0, run_as, running: false };
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        // A free port may be taken between asking and binding: try a few.
        let mut last = None;
        for _ in 0..3 {
            pg.port = free_port()?;
            match pg.start() {
                Ok(()) => return Ok(pg),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("PostgreSQL did not start")))
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the server again (same cluster, same port).
    pub fn start(&mut self) -> io::Result<()> {
        if self.running {
            return Ok(());
        }
        let options = format!(
            "-p {} -k '{}' -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let (data, log) = (self.data(), self.dir.path().join("log"));
        self.run(
            "pg_ctl",
            &[
                "start".as_ref(),
                "-w".as_ref(),
                "-t".as_ref(),
                WAIT_S.as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
            ],
        )
        .map_err(|e| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            io::Error::other(format!("{e}\nserver log:\n{log}"))
        })?;
        self.running = true;
        Ok(())
    }

    /// Stops the server the way an administrator's fast shutdown does:
    /// sessions are ended (`57P01`), the cluster is kept.
    pub fn stop(&mut self) -> io::Result<()> {
        self.pg_ctl_stop("fast")?;
        self.running = false;
        Ok(())
    }

    fn pg_ctl_stop(&self, mode: &str) -> io::Result<()> {
        let data = self.data();
        self.run(
            "pg_ctl",
            &[
                "stop".as_ref(),
                "-w".as_ref(),
                "-t".as_ref(),
                WAIT_S.as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                mode.as_ref(),
            ],
        )
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs one of the server's programs, as the cluster's user.
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> io::Result<()> {
        let path = self.bin.join(program);
        let mut command = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        // The cluster's directory as the working directory: the user it
        // runs as may not be allowed into ours.
        let output = command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        if output.status.success() {
            return Ok(());
        }
        Err(io::Error::other(format!(
            "{} {}: {}\n{}{}",
            path.display(),
            args.first().map(|a| a.to_string_lossy()).unwrap_or_default(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        if self.running {
            // Nothing to keep: the quickest stop. The directory goes with
            // `dir`.
            let _ = self.pg_ctl_stop("immediate");
        }
    }
}

/// The directory of `initdb` and `pg_ctl`.
fn find_bin() -> io::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("BLUEWHALE_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let has_programs = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    // Debian: /usr/lib/postgresql/<major>/bin; the newest major.
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            has_programs(&bin).then_some((major, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|dir| has_programs(dir))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "initdb and pg_ctl not found (in /usr/lib/postgresql/*/bin, the PATH or \
                 BLUEWHALE_PG_BIN)",
            )
        })
}

/// Whether this process runs as root (`/proc/self` belongs to its user).
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// `id -u USER` or `id -g USER`.
fn id_of(user: &str, which: &str) -> io::Result<u32> {
    let output = Command::new("id").args([which, user]).output()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().map_err(|_| {
        io::Error::other(format!(
            "running as root, PostgreSQL needs the user {user} to run as: `id {which} {user}` \
             says {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    })
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
