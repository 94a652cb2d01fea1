use anyhow::{Result, bail};
use directory::DirectoryFile;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A directory file (`.toml`) or an extension CSV (`.csv`, columns
    /// number, site, user, department, valid_from, valid_to).
    file: PathBuf,
}

pub fn run(data_dir: &Path, args: Args) -> Result<ExitCode> {
    let mut store = store::Store::open(data_dir)?;
    let started = std::time::Instant::now();
    match args.file.extension().and_then(|e| e.to_str()) {
        Some("toml") => {
            let file = DirectoryFile::read(&args.file)?;
            let s = store.load_directory(&file, &args.file)?;
            println!(
                "loaded {} sites, {} PBXs, {} trunks, {} departments, {} users, {} extensions in {:.2} s",
                s.sites,
                s.pbxs,
                s.trunks,
                s.departments,
                s.users,
                s.extensions,
                started.elapsed().as_secs_f64()
            );
        }
        Some("csv") => {
            let n = store.load_extensions_csv(&args.file)?;
            println!("loaded {n} extensions in {:.2} s", started.elapsed().as_secs_f64());
        }
        _ => bail!(
            "{}: expected a .toml directory file or a .csv extension file",
            args.file.display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}
