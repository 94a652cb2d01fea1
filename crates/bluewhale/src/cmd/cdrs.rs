use crate::period;
use anyhow::Result;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use store::{CdrQuery, Store, StoredCall};

#[derive(Clone, Copy, clap::ValueEnum)]
enum Output {
    Table,
    Csv,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// First day (YYYY-MM-DD, UTC) or time (RFC 3339).
    #[arg(long)]
    from: String,
    /// Last day, included (YYYY-MM-DD, UTC) or end time (RFC 3339).
    #[arg(long)]
    to: String,
    /// Only calls billed to this extension number.
    #[arg(long)]
    extension: Option<String>,
    /// Only calls of this department and the ones below it
    /// (`Company\Sales`).
    #[arg(long)]
    department: Option<String>,
    /// Output format; `json` prints one JSON object per line.
    #[arg(long, value_enum, default_value = "table")]
    format: Output,
    #[arg(long)]
    limit: Option<u64>,
}

fn time(s: i64) -> String {
    jiff::Timestamp::from_second(s).map(|t| t.to_string()).unwrap_or_default()
}

fn opt_str(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { Value::String(s.to_string()) }
}

/// Vendor extras as a JSON object of strings.
fn pairs_json(pairs: &[(cdr::Text, cdr::Text)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect()
}

/// One call as a JSON object (the `--format json` line).
fn call_json(store: &Store, c: &StoredCall) -> Result<Value> {
    let r = &c.record;
    let d = r;
    let extras = pairs_json(&d.extras);
    let mut quality = Vec::new();
    if !r.global_call_id.is_empty() {
        for leg in [&d.orig_leg_id, &d.dest_leg_id] {
            if leg.is_empty() {
                continue;
            }
            for q in store.quality_of_leg(&r.global_call_id, leg)? {
                let q_extras = pairs_json(&q.extras().map_err(|e| anyhow::anyhow!(e))?);
                quality.push(json!({
                    "leg_id": q.leg_id, "time": time(q.ts), "directory_number": q.directory_number,
                    "device_name": q.device_name, "packets_sent": q.packets_sent,
                    "packets_received": q.packets_received, "packets_lost": q.packets_lost,
                    "jitter_ms": q.jitter_ms, "latency_ms": q.latency_ms, "metrics": q.metrics,
                    "extras": q_extras,
                }));
            }
        }
    }
    Ok(json!({
        "id": r.id(),
        "pbx": c.pbx,
        "kind": r.kind.as_str(),
        "start": time(r.start_s),
        "answer": r.answer_s.map(time),
        "end": time(r.end_s),
        "duration_s": r.duration_s,
        "ring_s": r.ring_s,
        "calling": r.calling.as_str(),
        "dialled": r.dialled.as_str(),
        "original_called": opt_str(&d.original_called),
        "final_called": opt_str(&r.final_called),
        "last_redirecting": opt_str(&d.last_redirecting),
        "direction": r.direction.as_str(),
        "disposition": r.disposition.as_str(),
        "extension": opt_str(&r.extension),
        "user": c.user,
        "department": c.department,
        "trunk_in": opt_str(&r.trunk_in),
        "trunk_out": opt_str(&r.trunk_out),
        "account_code": opt_str(&r.account_code),
        "auth_code": opt_str(&d.auth_code),
        "client_matter": opt_str(&d.client_matter),
        "device_orig": opt_str(&d.device_orig),
        "device_dest": opt_str(&d.device_dest),
        "cause_orig": opt_str(&d.cause_orig),
        "cause_dest": opt_str(&d.cause_dest),
        "global_call_id": opt_str(&r.global_call_id),
        "orig_leg_id": opt_str(&d.orig_leg_id),
        "dest_leg_id": opt_str(&d.dest_leg_id),
        "source": { "file": c.source, "line": r.source_pos },
        "extras": extras,
        "quality": quality,
        "charge": r.charge.as_ref().map(charge_json),
    }))
}

/// How the call was classified and priced.
fn charge_json(c: &store::Charge) -> Value {
    json!({
        "status": c.status.as_str(),
        "call_type": charging::call_type_of(c.call_type).as_str(),
        "e164": opt_str(&c.e164),
        "destination": opt_str(&c.destination),
        "cost": c.cost.to_string(),
        "reference": c.reference.to_string(),
        "savings": c.savings().to_string(),
        "currency": opt_str(&c.currency),
        "carrier": c.price.as_ref().map(|p| p.carrier.as_str()),
        "reason": opt_str(&c.reason),
    })
}

const COLUMNS: [&str; 12] = [
    "id",
    "start",
    "duration_s",
    "calling",
    "dialled",
    "direction",
    "disposition",
    "extension",
    "department",
    "pbx",
    "type",
    "cost",
];

fn columns(c: &StoredCall) -> [String; 12] {
    let r = &c.record;
    [
        r.id(),
        time(r.start_s),
        r.duration_s.to_string(),
        r.calling.to_string(),
        r.dialled.to_string(),
        r.direction.as_str().to_string(),
        r.disposition.as_str().to_string(),
        r.extension.to_string(),
        c.department.clone().unwrap_or_default(),
        c.pbx.clone(),
        r.charge.as_ref().map_or("", |ch| charging::call_type_of(ch.call_type).as_str()).into(),
        r.charge.as_ref().map_or(String::new(), |ch| match ch.status {
            store::ChargeStatus::Unrated => "unrated".into(),
            _ => ch.cost.to_string(),
        }),
    ]
}

pub fn run(data_dir: &Path, args: Args) -> Result<ExitCode> {
    let store = Store::open(data_dir)?;
    let (from_s, to_s) = period::period(&args.from, &args.to)?;
    let mut q = CdrQuery { from_s, to_s, limit: args.limit, ..Default::default() };
    if let Some(number) = &args.extension {
        let ids = store.extension_ids(number)?;
        if ids.is_empty() {
            // Not in the directory: calls may still be billed to the number.
            q.extension_number = Some(number.clone());
        } else {
            q.extension_ids = Some(ids);
        }
    }
    if let Some(dept) = &args.department {
        q.department_ids = Some(store.department_subtree(dept)?);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Output::Json => store.query_cdrs(&q, |c| {
            let line = call_json(&store, &c).map_err(|e| store::Error::Invalid(e.to_string()))?;
            writeln!(out, "{line}").map_err(|e| store::Error::Invalid(e.to_string()))
        })?,
        Output::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(COLUMNS)?;
            store.query_cdrs(&q, |c| {
                w.write_record(columns(&c)).map_err(|e| store::Error::Invalid(e.to_string()))
            })?;
            w.flush()?;
        }
        Output::Table => {
            let mut rows = Vec::new();
            store.query_cdrs(&q, |c| {
                rows.push(columns(&c));
                Ok(())
            })?;
            print_table(&mut out, &rows)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn print_table(out: &mut impl Write, rows: &[[String; 12]]) -> Result<()> {
    let mut widths = COLUMNS.map(str::len);
    for r in rows {
        for (w, v) in widths.iter_mut().zip(r) {
            *w = (*w).max(v.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: &[&str]| -> std::io::Result<()> {
        let text: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        writeln!(out, "{}", text.join("  ").trim_end())
    };
    line(out, &COLUMNS)?;
    for r in rows {
        line(out, &r.iter().map(String::as_str).collect::<Vec<_>>())?;
    }
    writeln!(out, "{} calls", rows.len())?;
    Ok(())
}
