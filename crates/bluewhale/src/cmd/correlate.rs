//! `bluewhale correlate --pbx NAME FILE…`: the logical calls a PBX's
//! records make — which records are legs of one call (a transfer, a
//! forward, a conference…), which extension pays for each leg and why,
//! and which leg the call is counted by — under the attribution rules
//! given. Reads the files and the stored directory; writes nothing.

use anyhow::{Result, anyhow};
use cdr::{Parsed, ParserContext};
use correlate::{
    ConferenceRule, Config, Correlator, ForwardRule, Leg, LogicalCall, Rules, TransferRule, Vendor,
    leg_of,
};
use directory::DirectoryIndex;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The PBX the records come from, as the directory names it (its site
    /// tells extensions from outside numbers).
    #[arg(long, required_unless_present = "save")]
    pbx: Option<String>,
    /// The records' format (else the PBX's in the directory).
    #[arg(long)]
    format: Option<String>,
    /// Who pays for a forwarded leg: forwarding_party (default) or caller.
    #[arg(long, value_parser = ["forwarding_party", "caller"])]
    forward: Option<String>,
    /// Who pays after a transfer: transferor (default) or transferee.
    #[arg(long, value_parser = ["transferor", "transferee"])]
    transfer: Option<String>,
    /// Who pays for a conference's legs: controller (default) or party.
    #[arg(long, value_parser = ["controller", "party"])]
    conference: Option<String>,
    /// One JSON object per call instead of text.
    #[arg(long)]
    json: bool,
    /// Store these rules (the ones given, the others at their defaults) as
    /// those imports and the server bill stored calls by.
    #[arg(long)]
    save: bool,
    /// With --save: store calls leg by leg, uncorrelated.
    #[arg(long, requires = "save", conflicts_with_all = ["forward", "transfer", "conference"])]
    off: bool,
    /// CDR files.
    #[arg(required_unless_present = "save")]
    files: Vec<PathBuf>,
}

/// The rules given, the others as `base` has them.
fn rules(args: &Args, base: Rules) -> Rules {
    Rules {
        forward: match args.forward.as_deref() {
            Some("caller") => ForwardRule::Caller,
            Some(_) => ForwardRule::ForwardingParty,
            None => base.forward,
        },
        transfer: match args.transfer.as_deref() {
            Some("transferee") => TransferRule::Transferee,
            Some(_) => TransferRule::Transferor,
            None => base.transfer,
        },
        conference: match args.conference.as_deref() {
            Some("party") => ConferenceRule::Party,
            Some(_) => ConferenceRule::Controller,
            None => base.conference,
        },
    }
}

pub fn run(data_dir: &Path, args: Args) -> Result<ExitCode> {
    let store = store::Store::open(data_dir)?;
    if args.save {
        let rules = (!args.off).then(|| rules(&args, Rules::default()));
        ingest::save_correlation_setting(&store, rules).map_err(|e| anyhow!(e))?;
        match rules {
            Some(r) => eprintln!(
                "stored calls are correlated: forward = {}, transfer = {}, conference = {}",
                r.forward.as_str(),
                r.transfer.as_str(),
                r.conference.as_str()
            ),
            None => eprintln!("stored calls are not correlated"),
        }
        if args.files.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
    }
    let index = DirectoryIndex::build(&store.directory()?);
    let pbx_name = args.pbx.as_deref().ok_or_else(|| anyhow!("--pbx is needed with files"))?;
    let pbx = index
        .pbx(pbx_name)
        .ok_or_else(|| anyhow!("no PBX {pbx_name:?} in the directory (bluewhale load)"))?;
    // Unnamed rules: as stored calls are billed.
    let stored = ingest::correlation_setting(&store).map_err(|e| anyhow!(e))?;
    let format_name = args.format.clone().unwrap_or_else(|| pbx.format.clone());
    let format = parsers::Format::by_name(&format_name).map_err(|e| anyhow!(e))?;
    let vendor = Vendor::of_format(&format_name);
    let mut correlator =
        Correlator::new(rules(&args, stored.unwrap_or_default()), Config::default());
    let mut legs: Vec<(Leg, String)> = Vec::new();
    let mut unreadable = 0;
    // As an import reads them: directories walked, gzip read as it is.
    let files = ingest::input::expand(&args.files)?;
    for path in &files {
        let file = ingest::input::open(path, Default::default())?;
        let received = std::fs::metadata(path)?.modified().ok();
        let received = received
            .and_then(|t| jiff::Timestamp::try_from(t).ok())
            .unwrap_or_else(jiff::Timestamp::now);
        let context = ParserContext { time_zone: pbx.time_zone.clone(), received };
        let mut parser = format.parser(&context);
        let mut reader = parsers::RecordReader::new(file, parser.framing());
        let mut raw = Vec::new();
        while let Some(line) = reader.next_record(&mut raw)? {
            match parser.parse(&raw) {
                Ok(Parsed::Cdr(mut cdr)) => {
                    cdr.pbx = pbx_name.into();
                    let at = cdr.start.as_second();
                    let is_extension = |n: &str| index.is_extension_at(pbx.site_id, n, at);
                    let leg = leg_of(&cdr, vendor, legs.len() as u64 + 1, &is_extension);
                    correlator.add(leg.clone());
                    legs.push((leg, format!("{}:{line}", path.display())));
                }
                Ok(Parsed::Quality(_) | Parsed::NotARecord) => {}
                Err(e) => {
                    unreadable += 1;
                    eprintln!("{}:{line}: {e}", path.display());
                }
            }
            reader.set_framing(parser.framing());
        }
    }
    let mut calls: BTreeMap<(jiff::Timestamp, u64), LogicalCall> = BTreeMap::new();
    for (leg, _) in &legs {
        if let Some(call) = correlator.call_of(leg.id) {
            let first = legs[call.id as usize - 1].0.start;
            calls.entry((first, call.id)).or_insert(call);
        }
    }
    for call in calls.values() {
        if args.json {
            println!("{}", call_json(call, &legs));
        } else {
            print_call(call, &legs, pbx);
        }
    }
    let counted = calls.values().filter(|c| c.legs.iter().any(|l| l.counted)).count();
    eprintln!(
        "{} records: {} calls, {counted} counted{}",
        legs.len(),
        calls.len(),
        if unreadable > 0 { format!(", {unreadable} unreadable") } else { String::new() }
    );
    Ok(if unreadable > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn call_json(call: &LogicalCall, legs: &[(Leg, String)]) -> serde_json::Value {
    json!({
        "call": call.id,
        "features": call.features.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "legs": call.legs.iter().map(|outcome| {
            let (leg, place) = &legs[outcome.leg as usize - 1];
            json!({
                "record": place,
                "start": leg.start.to_string(),
                "end": leg.end.to_string(),
                "calling": leg.calling.number.as_str(),
                "called": leg.called.number.as_str(),
                "part": outcome.part.as_str(),
                "billed_to": outcome.billed_to.as_deref(),
                "reason": outcome.reason.describe(),
                "counted": outcome.counted,
            })
        }).collect::<Vec<_>>(),
    })
}

fn print_call(call: &LogicalCall, legs: &[(Leg, String)], pbx: &directory::PbxInfo) {
    let features: Vec<&str> = call.features.iter().map(|f| f.as_str()).collect();
    let what = if features.is_empty() { "ordinary".to_string() } else { features.join(", ") };
    let plural = if call.legs.len() == 1 { "" } else { "s" };
    println!("call of {} leg{plural}: {what}", call.legs.len());
    let local =
        |t: jiff::Timestamp, format| t.to_zoned(pbx.time_zone.clone()).strftime(format).to_string();
    for outcome in &call.legs {
        let (leg, place) = &legs[outcome.leg as usize - 1];
        let pays = outcome.billed_to.as_deref().unwrap_or("nobody");
        let counted = if outcome.counted { ", counted" } else { "" };
        println!(
            "  {} – {}  {} → {}  {}: {pays} pays ({}){counted}  [{place}]",
            local(leg.start, "%F %T"),
            local(leg.end, "%T"),
            or_dash(&leg.calling.number),
            or_dash(&leg.called.number),
            outcome.part.as_str().replace('_', " "),
            outcome.reason.describe(),
        );
    }
}

fn or_dash(number: &str) -> &str {
    if number.is_empty() { "-" } else { number }
}
