use anyhow::{Result, anyhow, bail};
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Held records, oldest first.
    List {
        /// Include records already released by a retry.
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// One record with its raw bytes.
    Show { id: i64 },
    /// Parse held records again and store those that now pass.
    Retry {
        /// Records to retry (default: all held).
        ids: Vec<i64>,
        /// Use this format instead of the recorded one (e.g. a fixed
        /// definition file).
        #[arg(long)]
        format: Option<String>,
    },
}

fn when(s: i64) -> String {
    jiff::Timestamp::from_second(s).map(|t| t.to_string()).unwrap_or_default()
}

pub fn run(data_dir: &Path, cmd: Command) -> Result<ExitCode> {
    let mut store = store::Store::open(data_dir)?;
    match cmd {
        Command::List { all, limit } => {
            let entries = store.quarantine_list(all, limit)?;
            for e in &entries {
                let state = if e.released_at.is_some() { " (released)" } else { "" };
                println!(
                    "{:>6}  {}  {}: {}{state}",
                    e.id, e.item.pbx, e.item.location, e.item.reason
                );
            }
            println!("{} held", store.quarantine_count()?);
        }
        Command::Show { id } => {
            let Some(e) = store.quarantine_get(id)? else { bail!("no quarantined record {id}") };
            println!("id:          {}", e.id);
            println!("received:    {}", when(e.received_at));
            println!("pbx:         {}", e.item.pbx);
            println!("format:      {}", e.item.format);
            println!("location:    {}", e.item.location);
            println!("reason:      {}", e.item.reason);
            if let Some(r) = e.released_at {
                println!("released:    {}", when(r));
            }
            println!("raw:         {}", String::from_utf8_lossy(&e.item.raw).escape_debug());
        }
        Command::Retry { ids, format } => {
            let ids = if ids.is_empty() { None } else { Some(ids.as_slice()) };
            let o = ingest::retry(&mut store, ids, format.as_deref()).map_err(|e| anyhow!(e))?;
            println!(
                "{} stored, {} duplicates, {} still held",
                o.stored, o.duplicates, o.still_held
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
