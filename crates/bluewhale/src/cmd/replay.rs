//! `bluewhale replay`: what a PBX sent in a period, fed back from the raw
//! journal through the pipeline (see `server::replay`). The server must be
//! stopped: it and the replay would both write the store.

use crate::period::bound;
use anyhow::{Result, anyhow};
use server::ServerConfig;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, UNIX_EPOCH};

#[derive(clap::Args)]
pub struct Args {
    /// The PBX, as named in the server configuration and the directory.
    #[arg(long)]
    pbx: String,
    /// Received from (a date, `today`, or an RFC 3339 time).
    #[arg(long)]
    from: String,
    /// Received until (a date includes that whole day).
    #[arg(long)]
    to: String,
    /// The server configuration, for the PBX's format (else the
    /// directory's) and the main database (else the embedded store).
    #[arg(long)]
    config: Option<PathBuf>,
}

pub fn run(data_dir: &Path, args: Args) -> Result<ExitCode> {
    let at = |s: i64| UNIX_EPOCH + Duration::from_secs(s.max(0) as u64);
    let (from, to) = (bound(&args.from, false)?, bound(&args.to, true)?);
    if to <= from {
        anyhow::bail!("--to {} is not after --from {}", args.to, args.from);
    }
    let (format, storage_url) = match &args.config {
        Some(path) => {
            let config = ServerConfig::read(path).map_err(|e| anyhow!(e))?;
            let pbx =
                config.pbx.iter().find(|p| p.name == args.pbx).ok_or_else(|| {
                    anyhow!("{}: no [[pbx]] named {:?}", path.display(), args.pbx)
                })?;
            (Some(pbx.format.clone()), config.storage.url.clone())
        }
        None => (None, None),
    };
    let _lock = server::lock_data_dir(data_dir, "bluewhale replay").map_err(|e| anyhow!(e))?;
    let (format, storage_url) = (format.as_deref(), storage_url.as_deref());
    let done = server::replay(data_dir, &args.pbx, format, storage_url, at(from), at(to))
        .map_err(|e| anyhow!(e))?;
    let c = done.counts;
    println!(
        "replayed {} journal entries of {}: {} records read: {} stored, {} duplicates, {} \
         quarantined",
        done.entries, args.pbx, c.records, c.stored, c.duplicates, c.quarantined
    );
    Ok(ExitCode::SUCCESS)
}
