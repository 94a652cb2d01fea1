//! `bluewhale bench search`: call searches through the REST API over a
//! large store, timed one by one: the console's question "this extension's
//! (or department's) calls this month, newest first", its next page, and
//! one call by id. The store is the one `bench report` fills (20,000,000
//! calls by default), reused from `--work-dir` when it is there.

use anyhow::{Context, Result, bail};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use store::accounts::{AccountFields, AuditEntry, Role};
use tower::ServiceExt;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value_t = 20_000_000)]
    count: u64,
    #[arg(long, default_value_t = 100_000)]
    extensions: usize,
    /// The month searched (YYYY-MM).
    #[arg(long, default_value = "2025-03")]
    month: String,
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Searches of each kind.
    #[arg(long, default_value_t = 200)]
    queries: usize,
}

/// A bearer token of an administrator of the store (created on first use).
fn token(store: &store::Store) -> Result<String> {
    let (secret, prefix) = api::secret::new_token();
    let entry =
        AuditEntry { actor: "bench".into(), action: "token.create".into(), ..Default::default() };
    let existing = store.account_by_username("bench")?;
    store.audited(entry, |w, _, _| {
        let id = match &existing {
            Some(a) => a.id,
            None => {
                let f = AccountFields {
                    username: "bench".into(),
                    role: Some(Role::Admin),
                    ..Default::default()
                };
                w.create(&f, &api::secret::hash_password("bench password never used"), 0)?
            }
        };
        w.create_token(id, "bench", &api::secret::digest(&secret), &prefix, 0, None)
    })?;
    Ok(secret)
}

/// `n` values of the first column of `sql`, spread over its rows.
fn sample(store: &store::Store, sql: &str, n: usize) -> Result<Vec<String>> {
    let mut stmt = store.connection().prepare(sql)?;
    let all: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    if all.is_empty() {
        bail!("nothing to search for: {sql}");
    }
    let step = (all.len() / n.max(1)).max(1);
    Ok(all.iter().step_by(step).take(n).cloned().collect())
}

struct Timings {
    name: &'static str,
    times: Vec<Duration>,
    results: usize,
}

impl Timings {
    fn print(&mut self) {
        self.times.sort();
        let at = |q: f64| self.times[((self.times.len() - 1) as f64 * q).round() as usize];
        println!(
            "{:<44} {:>4} searches: p50 {:>7.2} ms, p99 {:>7.2} ms, max {:>7.2} ms ({} calls returned in all)",
            self.name,
            self.times.len(),
            at(0.5).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            at(1.0).as_secs_f64() * 1e3,
            self.results
        );
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (work, _temp) = super::bench::work_directory(args.work_dir)?;
    let data = work.join("data");
    if !data.exists() {
        super::bench::fill(args.count, args.extensions, &work)?;
    }
    let store = store::Store::open(&data)?;
    let calls = store.cdr_count()?;
    let secret = token(&store)?;
    let extensions = sample(&store, "SELECT number FROM extension ORDER BY id", args.queries)?;
    // Departments without sub-departments: a team's calls.
    let departments = sample(
        &store,
        "SELECT CAST(id AS TEXT) FROM department d WHERE NOT EXISTS (SELECT 1 FROM department c WHERE c.parent_id = d.id) ORDER BY id",
        args.queries,
    )?;
    drop(store);
    let first: jiff::civil::Date = format!("{}-01", args.month)
        .parse()
        .with_context(|| format!("not a month: {:?}", args.month))?;
    let period = format!("from={first}&to={}", first.last_of_month());

    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let state = api::ApiState::new(
        api::Db::new(&data),
        std::sync::Arc::new(|| serde_json::json!({"connectors": []})),
        api::AuthSettings::default(),
    );
    let router = api::router(state);
    let get = |path: String| {
        let router = router.clone();
        let bearer = format!("Bearer {secret}");
        async move {
            let req = Request::get(format!("/api/v1{path}"))
                .header(header::AUTHORIZATION, bearer)
                .body(Body::empty())?;
            let started = Instant::now();
            let response = router.oneshot(req).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            let took = started.elapsed();
            if status != StatusCode::OK {
                bail!("{path}: {status} {}", String::from_utf8_lossy(&body));
            }
            let page: serde_json::Value = serde_json::from_slice(&body)?;
            anyhow::Ok((took, page))
        }
    };
    println!(
        "{calls} calls in the store; searches over {} through the API (in-process, JSON included)",
        args.month
    );
    runtime.block_on(async {
        // Warm the connection pool and the page cache as a console would be.
        get(format!("/calls?{period}&extension={}", extensions[0])).await?;
        let mut by_extension =
            Timings { name: "extension, newest first, 50 a page", times: vec![], results: 0 };
        let mut next_page =
            Timings { name: "  … its next page (cursor)", times: vec![], results: 0 };
        let mut one = Timings { name: "one call by id", times: vec![], results: 0 };
        let mut ids = Vec::new();
        for number in &extensions {
            let (took, page) = get(format!("/calls?{period}&extension={number}")).await?;
            by_extension.times.push(took);
            let calls = page["calls"].as_array().map_or(0, Vec::len);
            by_extension.results += calls;
            if let Some(id) = page["calls"][0]["id"].as_str() {
                ids.push(id.to_string());
            }
            if let Some(cursor) = page["next"].as_str() {
                let (took, page) =
                    get(format!("/calls?{period}&extension={number}&cursor={cursor}")).await?;
                next_page.times.push(took);
                next_page.results += page["calls"].as_array().map_or(0, Vec::len);
            }
        }
        let mut by_department = Timings {
            name: "department (a team), newest first, 50 a page",
            times: vec![],
            results: 0,
        };
        for id in &departments {
            let (took, page) = get(format!("/calls?{period}&department={id}")).await?;
            by_department.times.push(took);
            by_department.results += page["calls"].as_array().map_or(0, Vec::len);
        }
        for id in &ids {
            let (took, _) = get(format!("/calls/{id}")).await?;
            one.times.push(took);
            one.results += 1;
        }
        for t in [&mut by_extension, &mut next_page, &mut by_department, &mut one] {
            if !t.times.is_empty() {
                t.print();
            }
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
