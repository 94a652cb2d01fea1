//! `bluewhale serve --demo`: the server with built-in simulated PBXs, so
//! that a newcomer sees calls arrive, get priced and stored at once.
//!
//! The demonstration organisation has two sites on two carriers (Paris on
//! Orange Business, Lyon on SFR Business, both compared with the PSTN
//! reference) and four PBXs of four vendors: an Avaya CM and a Cisco UCM
//! in Paris, an Asterisk and an NEC in Lyon. Their calls end in real
//! time, a few a second, each written as its vendor writes it. The Avaya,
//! the Asterisk and the NEC stream each call over TCP to their own
//! listener as it ends. The Cisco UCM, like a real one (which pushes CDR
//! files to billing servers by FTP or SFTP, and streams nothing), writes a
//! CDR file of the calls ended every few seconds into a `file-drop`
//! directory in the data directory (`demo-drop/paris-cucm`), as `bluewhale
//! simulate --format cucm --target DIR` does: named as CUCM names them,
//! its header first, under a dotted name until complete. The directory
//! and the tariffs are loaded into the store the first time; the
//! demonstration refuses a store that already holds another
//! organisation's PBXs.

use super::simulate::files::{FileNames, write_whole};
use anyhow::{Context, Result, anyhow, bail};
use connectors::{ConnectorConfig, PbxConfig};
use server::ServerConfig;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use synth::{CallGenerator, Org, RecordFormat, RecordStream};
use tokio::io::AsyncWriteExt;

/// One simulated PBX of the demonstration.
struct DemoPbx {
    name: &'static str,
    /// The format name the directory and the connector use.
    format: &'static str,
    record: RecordFormat,
    site: &'static str,
    first_extension: u32,
    /// Calls ending per second, on average.
    rate: f64,
    /// How the PBX hands its calls over.
    sends: Sends,
}

/// How a demonstration PBX hands its calls over.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sends {
    /// Each call over TCP as it ends, to a `tcp-listen` connector.
    Stream,
    /// A CDR file every [`FILE_EVERY_S`] seconds, into a `file-drop`
    /// directory.
    Files,
}

/// Where one demonstration PBX sends its calls, in [`PBXS`] order.
pub enum Link {
    /// The address of its TCP listener.
    Tcp(SocketAddr),
    /// Its drop directory.
    Files(PathBuf),
}

/// Seconds between two CDR files of the CUCM (a real one closes a file
/// every minute by default; shorter here so that calls show at once).
const FILE_EVERY_S: i64 = 5;
/// Where the CUCM's files go, under the data directory.
const DROP_DIR: &str = "demo-drop";

const EXTENSIONS_PER_PBX: usize = 400;

const PBXS: [DemoPbx; 4] = [
    DemoPbx {
        name: "paris-avaya",
        format: "avaya:avaya-97",
        record: RecordFormat::Avaya,
        site: "Paris",
        first_extension: 200_000,
        rate: 3.0,
        sends: Sends::Stream,
    },
    DemoPbx {
        name: "paris-cucm",
        format: "cucm",
        record: RecordFormat::Cucm,
        site: "Paris",
        first_extension: 300_000,
        rate: 2.0,
        sends: Sends::Files,
    },
    DemoPbx {
        name: "lyon-asterisk",
        format: "asterisk",
        record: RecordFormat::Asterisk,
        site: "Lyon",
        first_extension: 400_000,
        rate: 1.5,
        sends: Sends::Stream,
    },
    DemoPbx {
        name: "lyon-nec",
        format: "nec",
        record: RecordFormat::Nec,
        site: "Lyon",
        first_extension: 500_000,
        rate: 1.0,
        sends: Sends::Stream,
    },
];

/// Loads the demonstration directory and tariffs into the store in
/// `data_dir` unless they are there already.
pub fn prepare(data_dir: &Path) -> Result<()> {
    // Refused at once if a server runs on the directory (the lock is let go
    // before the server takes it again).
    drop(server::lock_data_dir(data_dir, "bluewhale serve --demo").map_err(|e| anyhow!(e))?);
    let mut store = store::Store::open(data_dir)?;
    let directory = store.directory()?;
    let known = |name: &str| directory.pbxs.iter().any(|p| p.name == name);
    if PBXS.iter().all(|p| known(p.name)) {
        return Ok(());
    }
    if !directory.pbxs.is_empty() {
        bail!(
            "the store in {} already holds another organisation's PBXs; run the demonstration \
             in its own data directory (bluewhale --data-dir ./bluewhale-demo serve --demo)",
            data_dir.display()
        );
    }
    let setup = data_dir.join("demo-setup");
    let toml = write_directory(&setup)?;
    let file = directory::DirectoryFile::read(&toml)?;
    store.load_directory(&file, &toml)?;
    let tariffs = synth::tariffs::write_tariffs_with_second_carrier(&setup)?;
    let book = crate::cmd::tariff::load_tariff_file(&tariffs)?;
    charging::tariffs::import(&mut store, &book, None)?;
    eprintln!(
        "demo: loaded 2 sites, {} PBXs and {} extensions, carriers {}, {} and {}",
        PBXS.len(),
        PBXS.len() * EXTENSIONS_PER_PBX,
        synth::tariffs::CARRIER,
        synth::tariffs::SECOND_CARRIER,
        synth::tariffs::REFERENCE
    );
    Ok(())
}

/// Writes the demonstration's directory file and extension list.
fn write_directory(dir: &Path) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    let path = dir.join("directory.toml");
    let mut t = std::io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(t, "extensions_csv = [\"extensions.csv\"]\n")?;
    writeln!(
        t,
        "[organisation]\ntime_zone = \"{zone}\"\nreference_carrier = \"{reference}\"\n\n\
         [[site]]\nname = \"Paris\"\ntime_zone = \"{zone}\"\ncountry_code = \"33\"\n\
         area_code = \"1\"\ncarrier = \"{paris}\"\n\n\
         [[site]]\nname = \"Lyon\"\ntime_zone = \"{zone}\"\ncountry_code = \"33\"\n\
         area_code = \"4\"\ncarrier = \"{lyon}\"\n",
        zone = synth::AVAYA_ZONE,
        reference = synth::tariffs::REFERENCE,
        paris = synth::tariffs::CARRIER,
        lyon = synth::tariffs::SECOND_CARRIER,
    )?;
    for p in &PBXS {
        writeln!(
            t,
            "[[pbx]]\nname = \"{}\"\nformat = \"{}\"\nsite = \"{}\"\n",
            p.name, p.format, p.site
        )?;
    }
    let departments = Org::new(0).departments;
    for d in &departments {
        writeln!(t, "[[department]]\npath = '{d}'\n")?;
    }
    t.flush()?;
    let mut c = std::io::BufWriter::new(std::fs::File::create(dir.join("extensions.csv"))?);
    writeln!(c, "number,site,department,valid_from")?;
    for p in &PBXS {
        let org = Org::numbered_from(p.first_extension, EXTENSIONS_PER_PBX);
        for (i, e) in org.extensions.iter().enumerate() {
            writeln!(c, "{e},{},{},2020-01-01", p.site, org.department_of(i))?;
        }
    }
    c.flush()?;
    Ok(path)
}

/// Adds each demonstration PBX's connector: a TCP listener on a free
/// local port for those that stream, a file drop on
/// `<data_dir>/demo-drop/<PBX>` for the CUCM. Returns where each PBX
/// sends, in [`PBXS`] order.
pub fn add_connectors(config: &mut ServerConfig, data_dir: &Path) -> Result<Vec<Link>> {
    let mut links = Vec::new();
    for p in &PBXS {
        let (connector, link) = match p.sends {
            Sends::Stream => {
                // The port is free now; the server binds it a moment later.
                let probe =
                    std::net::TcpListener::bind("127.0.0.1:0").context("no free local port")?;
                let listen = probe.local_addr()?;
                drop(probe);
                (ConnectorConfig::TcpListen { listen, peers: Vec::new() }, Link::Tcp(listen))
            }
            Sends::Files => {
                let dir = data_dir.join(DROP_DIR).join(p.name);
                let connector = ConnectorConfig::FileDrop {
                    dir: dir.clone(),
                    pattern: Some("cdr_*".to_string()),
                    // Files are renamed into place whole: no need to wait long.
                    settle: Some(Duration::from_secs(1)),
                    ftp: None,
                };
                (connector, Link::Files(dir))
            }
        };
        config.pbx.push(PbxConfig {
            name: p.name.to_string(),
            format: p.format.to_string(),
            silent_after: Some(Duration::from_secs(60)),
            connector,
        });
        links.push(link);
    }
    Ok(links)
}

/// Starts the simulated PBXs on their own thread; they send until the
/// process ends.
pub fn start_pbxs(links: Vec<Link>) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the demonstration's PBXs")?;
    std::thread::Builder::new().name("demo-pbxs".into()).spawn(move || {
        runtime.block_on(async {
            let mut pbxs = tokio::task::JoinSet::new();
            for (i, (p, link)) in PBXS.iter().zip(links).enumerate() {
                match link {
                    Link::Tcp(address) => pbxs.spawn(send_calls(p, address, i as u64)),
                    Link::Files(dir) => pbxs.spawn(write_call_files(p, dir, i as u64)),
                };
            }
            while pbxs.join_next().await.is_some() {}
        })
    })?;
    Ok(())
}

/// The calls of one PBX as its vendor writes them, ending in real time.
fn call_stream<'o>(pbx: &DemoPbx, org: &'o Org, index: u64) -> RecordStream<'o> {
    let now = jiff::Timestamp::now().as_second();
    let calls = CallGenerator::starting_at(org, now as u64 ^ (index << 32), now, pbx.rate);
    RecordStream::of_calls(calls, pbx.record, now as u64 + index)
}

/// Sleeps until the Unix time `at_s`.
async fn sleep_until_s(at_s: i64) {
    let wait = at_s - jiff::Timestamp::now().as_second();
    if wait > 0 {
        tokio::time::sleep(Duration::from_secs(wait as u64)).await;
    }
}

/// One PBX: each call is sent as it ends; the link is made again when it
/// breaks (the server restarting), with the call in hand sent first.
async fn send_calls(pbx: &'static DemoPbx, address: SocketAddr, index: u64) {
    let org = Org::numbered_from(pbx.first_extension, EXTENSIONS_PER_PBX);
    let mut stream = call_stream(pbx, &org, index);
    let mut record = Vec::new();
    let mut link: Option<tokio::net::TcpStream> = None;
    loop {
        if record.is_empty() {
            stream.next_record(&mut record);
            sleep_until_s(stream.clock_s()).await;
        }
        let connected = match link.as_mut() {
            Some(connected) => connected,
            None => match tokio::net::TcpStream::connect(address).await {
                // None of the streaming formats has a header line (the
                // CUCM's, which has, writes files).
                Ok(connected) => link.insert(connected),
                Err(_) => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        match connected.write_all(&record).await {
            Ok(()) => record.clear(),
            Err(_) => link = None,
        }
    }
}

/// One PBX that writes CDR files: every [`FILE_EVERY_S`] seconds, the
/// calls ended since the last file go into a new one in `dir`, its header
/// first, written under a dotted name and renamed when complete (as
/// `bluewhale simulate` writes a directory target). A file that cannot be
/// written is reported and its calls go into the next.
async fn write_call_files(pbx: &'static DemoPbx, dir: PathBuf, index: u64) {
    let org = Org::numbered_from(pbx.first_extension, EXTENSIONS_PER_PBX);
    let mut stream = call_stream(pbx, &org, index);
    let header = stream.file_header();
    let names = std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))
        .and_then(|()| FileNames::new(&dir, RecordFormat::Cucm));
    let mut names = match names {
        Ok(names) => names,
        Err(e) => {
            eprintln!("demo: {}: {e:#}", pbx.name);
            return;
        }
    };
    let mut calls = Vec::new();
    let mut record = Vec::new();
    let mut close_at = jiff::Timestamp::now().as_second() + FILE_EVERY_S;
    loop {
        record.clear();
        stream.next_record(&mut record);
        // The files closed before this call ends go first.
        while stream.clock_s() >= close_at {
            sleep_until_s(close_at).await;
            if !calls.is_empty() {
                let path = dir.join(names.next());
                let mut bytes = header.clone();
                bytes.extend_from_slice(&calls);
                let written = tokio::task::spawn_blocking(move || write_whole(&path, &bytes));
                match written.await.map_err(|e| anyhow!(e)).and_then(|r| r) {
                    Ok(()) => calls.clear(),
                    Err(e) => eprintln!("demo: {}: {e:#}", pbx.name),
                }
            }
            close_at += FILE_EVERY_S;
        }
        sleep_until_s(stream.clock_s()).await;
        calls.extend_from_slice(&record);
    }
}

/// Prints, every few seconds, what the store received and the last calls
/// priced, until the process ends.
pub fn start_reporter(data_dir: &Path) -> Result<()> {
    let data_dir = data_dir.to_path_buf();
    std::thread::Builder::new().name("demo-report".into()).spawn(move || {
        let mut last = 0;
        loop {
            std::thread::sleep(Duration::from_secs(5));
            if let Err(e) = report(&data_dir, &mut last) {
                eprintln!("demo: {e}");
            }
        }
    })?;
    Ok(())
}

/// Calls looked at for the last report.
const REPORT_WINDOW_S: i64 = 3600;

fn report(data_dir: &Path, last: &mut u64) -> Result<()> {
    let store = store::Store::open(data_dir)?;
    let total = store.cdr_count()?;
    let now = jiff::Timestamp::now().as_second();
    let query =
        store::CdrQuery { from_s: now - REPORT_WINDOW_S, to_s: now + 1, ..Default::default() };
    let (mut calls, mut cost, mut reference) =
        (0u64, store::Amount::default(), store::Amount::default());
    let mut currency = String::new();
    let mut latest = std::collections::VecDeque::new();
    store.query_cdrs(&query, |call: store::StoredCall| {
        calls += 1;
        let Some(charge) = call.record.charge.as_ref().filter(|c| !c.cost.is_zero()) else {
            return Ok(());
        };
        cost = cost + charge.cost;
        reference = reference + charge.reference;
        currency = charge.currency.as_str().to_string();
        if latest.len() == 3 {
            latest.pop_front();
        }
        latest.push_back(call);
        Ok(())
    })?;
    println!(
        "demo: {total} calls stored (+{} since the last report); in the last hour {calls} calls \
         cost {cost} {currency} (the PSTN would have charged {reference}); the latest paid:",
        total.saturating_sub(*last)
    );
    *last = total;
    for call in latest {
        let r = &call.record;
        let (cost, destination) = r.charge.as_ref().map_or((String::new(), ""), |c| {
            (format!("{} {}", c.cost, c.currency), c.destination.as_str())
        });
        println!(
            "  {:<14} {:>11} -> {:<16} {:<24} {:>5} s  {cost}",
            call.pbx,
            r.calling.as_str(),
            r.dialled.as_str(),
            destination,
            r.duration_s,
        );
    }
    Ok(())
}
