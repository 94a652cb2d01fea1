//! `bluewhale report NAME`: a report over local days of the reporting zone,
//! in any format and either language.

use crate::period::local_days;
use anyhow::{Context as _, Result};
use report::reports::ReportName;
use report::{Lang, ReportFormat};
use reporting::Request;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use store::Store;

#[derive(clap::Args)]
pub struct Args {
    /// department, extension, trunk, carrier, site, destination, top,
    /// traffic, inbound, savings or unknown-extensions.
    name: String,
    /// First day (YYYY-MM-DD, in the reporting time zone).
    #[arg(long)]
    from: String,
    /// Last day, included.
    #[arg(long)]
    to: String,
    /// Only this department and the ones below it (`Company\Sales`).
    #[arg(long)]
    department: Option<String>,
    /// Only this extension number (the `extension` report: whose calls).
    #[arg(long)]
    extension: Option<String>,
    /// xlsx, html, csv, txt or json.
    #[arg(long, default_value = "txt")]
    format: String,
    /// Output file; standard output when omitted (not for xlsx).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Headers in English or Chinese.
    #[arg(long, default_value = "en")]
    lang: String,
    /// Rows of each list of the `top` report.
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Who the report says created it.
    #[arg(long, env = "USER", default_value = "bluewhale")]
    created_by: String,
}

pub fn run(data_dir: &Path, args: Args) -> Result<ExitCode> {
    let name: ReportName = args
        .name
        .parse()
        .map_err(|_| anyhow::anyhow!("no report {:?}; reports: {}", args.name, names()))?;
    let format: ReportFormat = args.format.parse().map_err(|_| {
        anyhow::anyhow!("no format {:?}: xlsx, html, csv, txt or json", args.format)
    })?;
    let lang = match args.lang.as_str() {
        "en" => Lang::En,
        "zh" => Lang::Zh,
        other => anyhow::bail!("no language {other:?}: en or zh"),
    };
    let days = local_days(&args.from, &args.to)?;
    let store = Store::open(data_dir)?;
    let request = Request {
        name,
        first_day: *days.start(),
        last_day: *days.end(),
        department: args.department,
        extension: args.extension,
        created_by: args.created_by,
        top: args.top,
        json: matches!(format, ReportFormat::Json),
    };
    let built = reporting::build(&store, &request)?;
    let mut out: Box<dyn Write + Send> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None if matches!(format, ReportFormat::Xlsx) => {
            anyhow::bail!("xlsx needs an output file (-o FILE.xlsx)")
        }
        None => Box::new(std::io::stdout()),
    };
    match (&built.json, &built.report) {
        (Some(json), _) => {
            serde_json::to_writer_pretty(&mut out, json)?;
            writeln!(out)?;
        }
        (None, Some(report)) => format.write(report, lang, &mut out)?,
        (None, None) => anyhow::bail!("the report came out empty"),
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn names() -> String {
    ReportName::all().iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
}
