//! Reports: the catalogue; runs, built in the background a few at a time
//! and polled for progress; the finished file in the format asked for, and
//! a preview for the console. A run covers only what the caller's scope
//! sees, and belongs to the account that started it (an administrator sees
//! every run). Running a report changes nothing, so it is not audited.

mod job;
pub mod runs;
mod spec;

pub use runs::{Limits, Runs};
pub use spec::{About, DepartmentInput, RunInput};

use crate::caller::{Allowed, Caller, need};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json as JsonBody, Path};
use crate::roles::{Permission, allowed};
use crate::state::ApiState;
use crate::views::time;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use job::Job;
use report::ReportFormat;
use reporting::catalogue::{DEFAULT_TOP, catalogue};
use runs::{Output, Run, Viewer};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The runs the API keeps.
pub type ReportRuns = Runs<About>;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_reports))
        .routes(routes!(list_runs, start_run))
        .routes(routes!(get_run))
        .routes(routes!(download))
        .routes(routes!(preview))
}

/// A text in both report languages.
#[derive(Debug, Serialize, ToSchema)]
pub struct Title {
    pub en: String,
    pub zh: String,
}

/// How a report uses each field of a run: `required`, `optional` or
/// `unused` (a run that gives an unused field is refused).
#[derive(Debug, Serialize, ToSchema)]
pub struct Needs {
    /// `from` and `to`.
    pub period: String,
    pub department: String,
    pub extension: String,
    pub top: String,
}

/// One report of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportEntry {
    /// What `report` of a run names it by.
    pub name: String,
    pub title: Title,
    pub needs: Needs,
    /// The `top` report: rows of each list when `top` is not given.
    pub default_top: Option<usize>,
    /// Read from the rollups alone: quick whatever the period, and its
    /// progress goes from 0 to 1 at once. The others read each call of the
    /// period, and their progress moves day by day.
    pub from_rollups: bool,
    /// `xlsx`, `html`, `csv`, `txt`, `json`.
    pub formats: Vec<String>,
    /// `en`, `zh`.
    pub languages: Vec<String>,
}

/// A report run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    pub id: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// While running: `reading` (the period's calls or rollups), then
    /// `writing` (the file).
    pub phase: Option<String>,
    /// The share of the period read, 0 to 1, told as each day of it is
    /// passed (reports from the rollups: 0, then 1 once read); writing the
    /// file is not counted. 1 when done.
    pub progress: f64,
    /// Why it failed.
    pub error: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// When a finished run (and its file) is forgotten.
    pub expires_at: Option<String>,
    pub report: String,
    pub format: String,
    /// `en` or `zh`.
    pub language: String,
    /// First and last day (included), `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    /// The department's path.
    pub department: Option<String>,
    pub extension: Option<String>,
    pub top: Option<usize>,
    /// The file's size, once done.
    pub size_bytes: Option<u64>,
    /// The download's file name.
    pub filename: String,
    /// Once done: where to download the file.
    pub download: Option<String>,
    /// Once done: where to get its preview.
    pub preview: Option<String>,
}

impl RunView {
    fn of(run: &Run<About>) -> RunView {
        let a = &run.about;
        let done = run.output.is_some();
        let link =
            |what: &str| done.then(|| format!("{}/reports/runs/{}/{what}", crate::BASE, run.id));
        RunView {
            id: run.id.clone(),
            state: run.state.as_str().to_string(),
            phase: run.phase.map(|p| p.as_str().to_string()),
            progress: run.progress,
            error: run.error.clone(),
            created_at: time(run.created_at),
            started_at: run.started_at.map(time),
            finished_at: run.finished_at.map(time),
            expires_at: run.expires_at.map(time),
            report: a.report.to_string(),
            format: a.format.to_string(),
            language: a.lang.code().to_string(),
            from: a.from.to_string(),
            to: a.to.to_string(),
            department: a.department.clone(),
            extension: a.extension.clone(),
            top: a.top,
            size_bytes: run.output.as_ref().map(|o| o.size_bytes),
            filename: a.filename(),
            download: link("download"),
            preview: link("preview"),
        }
    }
}

fn viewer(caller: &Caller) -> Viewer {
    Viewer {
        account: caller.account.id,
        sees_all: allowed(caller.account.role, Permission::AccountsManage),
    }
}

fn run_of(state: &ApiState, caller: &Caller, id: &str) -> ApiResult<Run<About>> {
    state
        .reports
        .get(id, viewer(caller))
        .ok_or_else(|| ApiError::not_found(format!("no report run {id}")))
}

/// The output of a finished run; 409 while it is not done, or if it failed.
fn ready(run: &Run<About>) -> ApiResult<&Output> {
    match &run.output {
        Some(output) => Ok(output),
        None => Err(ApiError::conflict(match &run.error {
            Some(e) => format!("the report failed: {e}"),
            None => format!("the report is not ready: it is {}", run.state.as_str()),
        })),
    }
}

/// The reports there are, what each needs, and the formats.
#[utoipa::path(get, path = "/reports", tag = "reports",
    responses((status = 200, body = Vec<ReportEntry>), (status = 403, body = ErrorBody)))]
async fn list_reports(_: Allowed<need::ReportsRun>) -> Json<Vec<ReportEntry>> {
    let formats: Vec<String> = ReportFormat::ALL.iter().map(|f| f.to_string()).collect();
    Json(
        catalogue()
            .into_iter()
            .map(|info| ReportEntry {
                name: info.name.to_string(),
                title: Title { en: info.title.en, zh: info.title.zh },
                needs: Needs {
                    period: info.period.as_str().to_string(),
                    department: info.department.as_str().to_string(),
                    extension: info.extension.as_str().to_string(),
                    top: info.top.as_str().to_string(),
                },
                default_top: (info.top != reporting::catalogue::Use::Unused).then_some(DEFAULT_TOP),
                from_rollups: info.from_rollups,
                formats: formats.clone(),
                languages: vec!["en".into(), "zh".into()],
            })
            .collect(),
    )
}

/// Starts a report run; poll the run (its `Location`) until it is done.
/// A manager's run covers its departments only: another department is
/// refused. Runs are built a few at a time; while too many wait, 429.
#[utoipa::path(post, path = "/reports/runs", tag = "reports", request_body = RunInput,
    responses(
        (status = 202, body = RunView, headers(("Location" = String, description = "The run"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ))]
async fn start_run(
    State(state): State<ApiState>,
    caller: Allowed<need::ReportsRun>,
    JsonBody(input): JsonBody<RunInput>,
) -> ApiResult<Response> {
    let checked = input.check()?;
    let who = caller.0.clone();
    let (about, within) = state.db.run(move |s| checked.resolve(s, &who.scope(s)?)).await?;
    let account = &caller.account;
    let created_by = if account.display_name.trim().is_empty() {
        &account.username
    } else {
        &account.display_name
    };
    let job = Job { about: about.clone(), within, created_by: created_by.clone() };
    let db = state.db.clone();
    let run = state.reports.submit(account.id, about, move |handle| async move {
        db.run(move |store| Ok(job.run(store, &handle))).await.unwrap_or_else(|e| Err(e.message))
    })?;
    let location = format!("{}/reports/runs/{}", crate::BASE, run.id);
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(RunView::of(&run)))
        .into_response())
}

/// One's report runs, newest first (an administrator: everyone's).
#[utoipa::path(get, path = "/reports/runs", tag = "reports",
    responses((status = 200, body = Vec<RunView>), (status = 403, body = ErrorBody)))]
async fn list_runs(
    State(state): State<ApiState>,
    caller: Allowed<need::ReportsRun>,
) -> Json<Vec<RunView>> {
    Json(state.reports.list(viewer(&caller)).iter().map(RunView::of).collect())
}

/// A report run: its state and progress.
#[utoipa::path(get, path = "/reports/runs/{id}", tag = "reports",
    params(("id" = String, Path, description = "The run's id")),
    responses((status = 200, body = RunView), (status = 404, body = ErrorBody)))]
async fn get_run(
    State(state): State<ApiState>,
    caller: Allowed<need::ReportsRun>,
    Path(id): Path<String>,
) -> ApiResult<Json<RunView>> {
    Ok(Json(RunView::of(&run_of(&state, &caller, &id)?)))
}

/// The finished report as a file to save, named `<report>-<from>-<to>.<ext>`.
#[utoipa::path(get, path = "/reports/runs/{id}/download", tag = "reports",
    params(("id" = String, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The file, with the format's Content-Type",
            content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not done yet, or failed", body = ErrorBody),
    ))]
async fn download(
    State(state): State<ApiState>,
    caller: Allowed<need::ReportsRun>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let run = run_of(&state, &caller, &id)?;
    let output = ready(&run)?;
    let format = run.about.format;
    let disposition = format!("attachment; filename=\"{}\"", run.about.filename());
    file_response(&output.file, format.media_type(), &disposition, Some(output.size_bytes)).await
}

/// The finished report for showing in a page: the HTML page (the JSON
/// document for a run in JSON), built from the same report as the file.
#[utoipa::path(get, path = "/reports/runs/{id}/preview", tag = "reports",
    params(("id" = String, Path, description = "The run's id")),
    responses(
        (status = 200, description = "HTML, or JSON for a JSON run", content_type = "text/html"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not done yet, or failed", body = ErrorBody),
    ))]
async fn preview(
    State(state): State<ApiState>,
    caller: Allowed<need::ReportsRun>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let run = run_of(&state, &caller, &id)?;
    let output = ready(&run)?;
    let size = (output.preview == output.file).then_some(output.size_bytes);
    file_response(&output.preview, output.preview_type, "inline", size).await
}

/// A file of a run, streamed. An HTML page is kept from running anything
/// or loading anything (it needs neither: styles are inline).
async fn file_response(
    path: &std::path::Path,
    content_type: &str,
    disposition: &str,
    size: Option<u64>,
) -> ApiResult<Response> {
    let file = tokio::fs::File::open(path).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ApiError::not_found("the report run has expired"),
        _ => ApiError::internal(format!("cannot read the report: {e}")),
    })?;
    let mut response = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let headers = response.headers_mut();
    let value = |v: &str| {
        HeaderValue::from_str(v).map_err(|_| ApiError::internal(format!("bad header value {v:?}")))
    };
    headers.insert(header::CONTENT_TYPE, value(content_type)?);
    headers.insert(header::CONTENT_DISPOSITION, value(disposition)?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Some(size) = size {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    }
    if content_type.starts_with("text/html") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use runs::State as RunState;
    use std::time::Duration;

    fn about() -> About {
        About {
            report: report::reports::ReportName::Department,
            format: ReportFormat::Csv,
            lang: report::Lang::En,
            from: "2026-12-01".parse().unwrap(),
            to: "2026-12-01".parse().unwrap(),
            department: None,
            extension: None,
            top: None,
        }
    }

    async fn until(runs: &ReportRuns, id: &str, state: RunState) -> Run<About> {
        let viewer = Viewer { account: 1, sees_all: false };
        for _ in 0..500 {
            let run = runs.get(id, viewer).unwrap();
            if run.state == state {
                return run;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("never {state:?}");
    }

    #[tokio::test]
    async fn a_run_is_downloadable_only_once_done() {
        let dir = tempfile::tempdir().unwrap();
        let runs =
            ReportRuns::new(dir.path().to_path_buf(), Limits { workers: 1, ..Limits::default() });
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        let (started, has_started) = tokio::sync::oneshot::channel::<()>();
        let run = runs
            .submit(1, about(), move |handle| async move {
                let _ = started.send(());
                let _ = wait.await;
                let file = handle.dir().join("report.csv");
                std::fs::create_dir_all(handle.dir()).unwrap();
                std::fs::write(&file, "a,b\n").unwrap();
                Ok(Output {
                    file: file.clone(),
                    size_bytes: 4,
                    preview: file,
                    preview_type: "text/csv",
                })
            })
            .unwrap();
        let queued = ready(&run).unwrap_err();
        assert_eq!(queued.status, StatusCode::CONFLICT);
        assert!(queued.message.contains("queued"), "{}", queued.message);
        has_started.await.unwrap();
        let running = until(&runs, &run.id, RunState::Running).await;
        assert!(ready(&running).unwrap_err().message.contains("running"));
        let view = RunView::of(&running);
        assert_eq!((view.download, view.size_bytes), (None, None));
        release.send(()).unwrap();
        let done = until(&runs, &run.id, RunState::Done).await;
        assert_eq!(ready(&done).unwrap().size_bytes, 4);
        let view = RunView::of(&done);
        assert_eq!(view.download.unwrap(), format!("/api/v1/reports/runs/{}/download", run.id));
        assert_eq!(view.filename, "department-2026-12-01-2026-12-01.csv");

        let failing = runs.submit(1, about(), |_| async { Err("no good".to_string()) }).unwrap();
        let failed = until(&runs, &failing.id, RunState::Failed).await;
        let refused = ready(&failed).unwrap_err();
        assert_eq!(
            (refused.status, refused.message.as_str()),
            (StatusCode::CONFLICT, "the report failed: no good")
        );
    }
}
