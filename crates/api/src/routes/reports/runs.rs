//! Report runs: each is built by a bounded worker (a few at a time, so many
//! requests queue rather than exhaust the machine) into a directory of its
//! own, then kept for its owner to poll and download until it expires.
//! The runs live in memory: a restart forgets them, and the next run
//! clears the directories they left once they are past their time.

use crate::error::{ApiError, ApiResult};
use axum::http::StatusCode;
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Semaphore;

/// How much the runs may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Runs built at the same time.
    pub workers: usize,
    /// Runs queued or being built, at most; more are refused (429).
    pub active: usize,
    /// The same, per account: one account cannot take every place.
    pub active_per_owner: usize,
    /// Runs kept in all; the oldest finished ones make room.
    pub kept: usize,
    /// How long a finished run is kept.
    pub ttl: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        // Two builders: one large report does not hold up every small one,
        // and the store's writer keeps a core.
        Limits {
            workers: 2,
            active: 8,
            active_per_owner: 3,
            kept: 64,
            ttl: Duration::from_secs(3600),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Queued,
    Running,
    Done,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Running => "running",
            State::Done => "done",
            State::Failed => "failed",
        }
    }

    fn finished(self) -> bool {
        matches!(self, State::Done | State::Failed)
    }
}

/// What a running run is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading the period's calls or rollups.
    Reading,
    /// Writing the file and its preview.
    Writing,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Reading => "reading",
            Phase::Writing => "writing",
        }
    }
}

/// The files a finished run made, in its directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub file: PathBuf,
    pub size_bytes: u64,
    pub preview: PathBuf,
    /// The preview's `Content-Type`.
    pub preview_type: &'static str,
}

/// A run as it stands.
#[derive(Debug, Clone)]
pub struct Run<M> {
    pub id: String,
    /// The account that started it.
    pub owner: i64,
    /// What it builds.
    pub about: M,
    pub state: State,
    pub phase: Option<Phase>,
    /// Share of the work the job has told, 0 to 1.
    pub progress: f64,
    pub error: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// Unix seconds after which a finished run is forgotten.
    pub expires_at: Option<i64>,
    pub output: Option<Output>,
}

/// Who asks for runs: an account, or someone who sees every run.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub account: i64,
    pub sees_all: bool,
}

impl Viewer {
    fn sees<M>(&self, run: &Run<M>) -> bool {
        self.sees_all || run.owner == self.account
    }
}

struct Entry<M> {
    run: Run<M>,
    /// When it finished, for expiry (not moved by clock changes).
    finished: Option<Instant>,
}

struct Shared<M> {
    dir: PathBuf,
    limits: Limits,
    workers: Arc<Semaphore>,
    runs: Mutex<HashMap<String, Entry<M>>>,
    /// Directories left by an earlier process are looked for once.
    swept_leftovers: AtomicBool,
}

/// The runs, and the worker that builds them.
pub struct Runs<M> {
    shared: Arc<Shared<M>>,
}

impl<M> Clone for Runs<M> {
    fn clone(&self) -> Self {
        Runs { shared: self.shared.clone() }
    }
}

/// What a job is given: where to write, and how to tell its progress.
pub struct Handle<M> {
    id: String,
    dir: PathBuf,
    shared: Arc<Shared<M>>,
}

impl<M> Handle<M> {
    /// The run's own directory (not created yet).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The share (0 to 1) of the work done.
    pub fn progress(&self, share: f64) {
        self.shared.update(&self.id, |run| run.progress = share.clamp(0.0, 1.0));
    }

    pub fn phase(&self, phase: Phase) {
        self.shared.update(&self.id, |run| run.phase = Some(phase));
    }
}

fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl<M> Shared<M> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry<M>>> {
        // A panic while holding the lock leaves the map consistent (every
        // change is one assignment), so a poisoned lock is still usable.
        self.runs.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update(&self, id: &str, f: impl FnOnce(&mut Run<M>)) {
        if let Some(entry) = self.lock().get_mut(id) {
            f(&mut entry.run);
        }
    }

    fn finish(&self, id: &str, result: Result<Output, String>) {
        let failed = {
            let mut runs = self.lock();
            let Some(entry) = runs.get_mut(id) else { return };
            let now = now_s();
            entry.finished = Some(Instant::now());
            let run = &mut entry.run;
            run.finished_at = Some(now);
            run.expires_at = Some(now.saturating_add(self.limits.ttl.as_secs() as i64));
            run.phase = None;
            match result {
                Ok(output) => {
                    run.state = State::Done;
                    run.progress = 1.0;
                    run.output = Some(output);
                    false
                }
                Err(e) => {
                    run.state = State::Failed;
                    run.error = Some(e);
                    true
                }
            }
        };
        if failed {
            // What a failed run wrote is of no use.
            remove_dirs(vec![self.dir.join(id)]);
        }
    }

    /// Forgets the finished runs past their time; returns their directories.
    fn expire(&self, runs: &mut HashMap<String, Entry<M>>) -> Vec<PathBuf> {
        let ttl = self.limits.ttl;
        let old: Vec<String> = runs
            .iter()
            .filter(|(_, e)| e.finished.is_some_and(|t| t.elapsed() >= ttl))
            .map(|(id, _)| id.clone())
            .collect();
        old.into_iter()
            .filter_map(|id| runs.remove(&id))
            .map(|e| self.dir.join(&e.run.id))
            .collect()
    }
}

fn busy(message: String) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
}

/// Removes directories off the async threads; a failure leaves one for the
/// next sweep of leftovers.
fn remove_dirs(dirs: Vec<PathBuf>) {
    if dirs.is_empty() {
        return;
    }
    tokio::task::spawn_blocking(move || {
        for dir in dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
    });
}

/// Removes the run directories under `dir` not in `known` and not touched
/// for `ttl` (an earlier process's, forgotten at its restart).
fn remove_leftovers(dir: &Path, known: &[String], ttl: Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        if known.iter().any(|k| name.to_str() == Some(k.as_str())) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age >= ttl));
        if old && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl<M: Clone + Send + 'static> Runs<M> {
    /// Runs writing under `dir` (created when first needed).
    pub fn new(dir: PathBuf, limits: Limits) -> Runs<M> {
        let limits = Limits {
            workers: limits.workers.max(1),
            active: limits.active.max(1),
            active_per_owner: limits.active_per_owner.max(1),
            kept: limits.kept.max(limits.active.max(1)),
            ..limits
        };
        Runs {
            shared: Arc::new(Shared {
                dir,
                limits,
                workers: Arc::new(Semaphore::new(limits.workers)),
                runs: Mutex::new(HashMap::new()),
                swept_leftovers: AtomicBool::new(false),
            }),
        }
    }

    /// Queues a run of `job` for `owner`; it starts once a worker is free.
    /// The job writes its files into [`Handle::dir`] and returns them.
    /// Refused (429) while as many runs as allowed are queued or running.
    pub fn submit<F, Fut>(&self, owner: i64, about: M, job: F) -> ApiResult<Run<M>>
    where
        F: FnOnce(Handle<M>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Output, String>> + Send + 'static,
    {
        let shared = &self.shared;
        let id = crate::secret::random(12);
        let run = Run {
            id: id.clone(),
            owner,
            about,
            state: State::Queued,
            phase: None,
            progress: 0.0,
            error: None,
            created_at: now_s(),
            started_at: None,
            finished_at: None,
            expires_at: None,
            output: None,
        };
        let (gone, known) = {
            let mut runs = shared.lock();
            let mut gone = shared.expire(&mut runs);
            let active: Vec<i64> =
                runs.values().filter(|e| !e.run.state.finished()).map(|e| e.run.owner).collect();
            let own = active.iter().filter(|o| **o == owner).count();
            if own >= shared.limits.active_per_owner {
                return Err(busy(format!(
                    "you have {own} reports queued or running, the most one may: try again when one is done"
                )));
            }
            if active.len() >= shared.limits.active {
                return Err(busy(format!(
                    "{} reports are queued or running, the most there may be: try again when one is done",
                    active.len()
                )));
            }
            // Room for the new one: the oldest finished runs go first.
            while runs.len() >= shared.limits.kept {
                let oldest = runs
                    .iter()
                    .filter_map(|(id, e)| e.finished.map(|t| (t, id.clone())))
                    .min()
                    .map(|(_, id)| id);
                let Some(entry) = oldest.and_then(|id| runs.remove(&id)) else { break };
                gone.push(shared.dir.join(&entry.run.id));
            }
            runs.insert(id.clone(), Entry { run: run.clone(), finished: None });
            (gone, runs.keys().cloned().collect::<Vec<_>>())
        };
        remove_dirs(gone);
        if !shared.swept_leftovers.swap(true, Ordering::Relaxed) {
            let (dir, ttl) = (shared.dir.clone(), shared.limits.ttl);
            tokio::task::spawn_blocking(move || remove_leftovers(&dir, &known, ttl));
        }

        let shared = self.shared.clone();
        tokio::spawn(async move {
            // The semaphore is never closed.
            let permit = shared.workers.clone().acquire_owned().await;
            shared.update(&id, |run| {
                run.state = State::Running;
                run.phase = Some(Phase::Reading);
                run.started_at = Some(now_s());
            });
            let handle =
                Handle { id: id.clone(), dir: shared.dir.join(&id), shared: shared.clone() };
            // On a task of its own, so a panicking job fails its run
            // instead of leaving it running for ever.
            let result = match tokio::spawn(job(handle)).await {
                Ok(result) => result,
                Err(e) => Err(format!("the report stopped: {e}")),
            };
            drop(permit);
            shared.finish(&id, result);
        });
        Ok(run)
    }

    /// The run `id` if `viewer` may see it.
    pub fn get(&self, id: &str, viewer: Viewer) -> Option<Run<M>> {
        let (found, gone) = {
            let mut runs = self.shared.lock();
            let gone = self.shared.expire(&mut runs);
            (runs.get(id).map(|e| e.run.clone()).filter(|r| viewer.sees(r)), gone)
        };
        remove_dirs(gone);
        found
    }

    /// The runs `viewer` may see, newest first.
    pub fn list(&self, viewer: Viewer) -> Vec<Run<M>> {
        let (mut found, gone) = {
            let mut runs = self.shared.lock();
            let gone = self.shared.expire(&mut runs);
            let found: Vec<Run<M>> =
                runs.values().map(|e| e.run.clone()).filter(|r| viewer.sees(r)).collect();
            (found, gone)
        };
        remove_dirs(gone);
        found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    const OWNER: Viewer = Viewer { account: 1, sees_all: false };

    fn runs(dir: &Path, limits: Limits) -> Runs<&'static str> {
        Runs::new(dir.join("reports"), limits)
    }

    type Job = std::pin::Pin<Box<dyn Future<Output = Result<Output, String>> + Send>>;

    /// A job that says when it has started, tells half its progress, and
    /// ends when told to (writing one file) or fails with what it is told.
    struct Held {
        job: Box<dyn FnOnce(Handle<&'static str>) -> Job + Send>,
        started: oneshot::Receiver<()>,
        release: oneshot::Sender<Result<(), String>>,
    }

    fn held() -> Held {
        let (started_tx, started) = oneshot::channel();
        let (release, release_rx) = oneshot::channel::<Result<(), String>>();
        let job = move |handle: Handle<&'static str>| -> Job {
            Box::pin(async move {
                let _ = started_tx.send(());
                handle.progress(0.5);
                release_rx.await.map_err(|e| e.to_string())??;
                handle.phase(Phase::Writing);
                std::fs::create_dir_all(handle.dir()).map_err(|e| e.to_string())?;
                let file = handle.dir().join("report.txt");
                std::fs::write(&file, b"done").map_err(|e| e.to_string())?;
                let preview = file.clone();
                Ok(Output { file, size_bytes: 4, preview, preview_type: "text/plain" })
            })
        };
        Held { job: Box::new(job), started, release }
    }

    async fn until(runs: &Runs<&'static str>, id: &str, state: State) -> Run<&'static str> {
        for _ in 0..500 {
            let run = runs.get(id, OWNER).unwrap();
            if run.state == state {
                return run;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("run {id} never became {state:?}");
    }

    fn limits(workers: usize, active: usize, kept: usize) -> Limits {
        Limits { workers, active, active_per_owner: active, kept, ttl: Duration::from_secs(3600) }
    }

    #[tokio::test]
    async fn a_run_goes_from_queued_to_running_to_done_with_its_output() {
        let dir = tempfile::tempdir().unwrap();
        let runs = runs(dir.path(), limits(1, 4, 8));
        let Held { job, started, release } = held();
        let run = runs.submit(1, "a", job).unwrap();
        assert_eq!((run.state, run.progress), (State::Queued, 0.0));
        started.await.unwrap();
        let running = until(&runs, &run.id, State::Running).await;
        assert_eq!(running.phase, Some(Phase::Reading));
        release.send(Ok(())).unwrap();
        let done = until(&runs, &run.id, State::Done).await;
        assert_eq!((done.progress, done.phase), (1.0, None));
        let output = done.output.unwrap();
        assert_eq!(std::fs::read(&output.file).unwrap(), b"done");
        assert!(output.file.starts_with(dir.path().join("reports").join(&run.id)));
        assert!(done.finished_at.is_some() && done.expires_at > done.finished_at);
    }

    #[tokio::test]
    async fn no_more_runs_are_built_at_once_than_there_are_workers() {
        let dir = tempfile::tempdir().unwrap();
        let runs = runs(dir.path(), limits(2, 8, 16));
        let mut held_runs = Vec::new();
        for _ in 0..3 {
            let Held { job, started, release } = held();
            held_runs.push((runs.submit(1, "r", job).unwrap().id, started, release));
        }
        let (third_id, mut third_started, third_release) = held_runs.pop().unwrap();
        let mut releases = Vec::new();
        for (id, started, release) in held_runs {
            started.await.unwrap();
            until(&runs, &id, State::Running).await;
            releases.push((id, release));
        }
        // Two are built; the third waits for a worker.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(runs.get(&third_id, OWNER).unwrap().state, State::Queued);
        assert!(third_started.try_recv().is_err());
        let (first, release) = releases.remove(0);
        release.send(Ok(())).unwrap();
        until(&runs, &first, State::Done).await;
        third_started.await.unwrap();
        until(&runs, &third_id, State::Running).await;
        third_release.send(Ok(())).unwrap();
        releases.remove(0).1.send(Ok(())).unwrap();
        until(&runs, &third_id, State::Done).await;
    }

    #[tokio::test]
    async fn too_many_waiting_runs_are_refused_until_one_finishes() {
        let dir = tempfile::tempdir().unwrap();
        let runs = runs(dir.path(), limits(1, 2, 8));
        let Held { job, started, release } = held();
        let first = runs.submit(1, "a", job).unwrap();
        let Held { job, started: _, release: _second_release } = held();
        runs.submit(1, "b", job).unwrap();
        let Held { job, started: _, release: _ } = held();
        let refused = runs.submit(1, "c", job).unwrap_err();
        assert_eq!(
            (refused.status, refused.code),
            (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
        );
        started.await.unwrap();
        release.send(Ok(())).unwrap();
        until(&runs, &first.id, State::Done).await;
        let Held { job, started: _, release: _ } = held();
        assert!(runs.submit(1, "c", job).is_ok());
    }

    #[tokio::test]
    async fn one_account_cannot_take_every_place() {
        let dir = tempfile::tempdir().unwrap();
        let runs = runs(dir.path(), Limits { active_per_owner: 1, ..limits(1, 4, 8) });
        let Held { job, started: _, release: _first } = held();
        runs.submit(1, "a", job).unwrap();
        let Held { job, started: _, release: _ } = held();
        let refused = runs.submit(1, "b", job).unwrap_err();
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.message.starts_with("you have 1 report"), "{}", refused.message);
        let Held { job, started: _, release: _second } = held();
        assert!(runs.submit(2, "b", job).is_ok(), "another account still may");
    }

    #[tokio::test]
    async fn a_failing_or_panicking_job_fails_its_run_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let runs = runs(dir.path(), limits(1, 4, 8));
        let Held { job, started, release } = held();
        let run = runs.submit(1, "a", job).unwrap();
        started.await.unwrap();
        release.send(Err("several currencies".into())).unwrap();
        let failed = until(&runs, &run.id, State::Failed).await;
        assert_eq!(failed.error.as_deref(), Some("several currencies"));
        assert!(failed.output.is_none());

        fn bug() -> Result<Output, String> {
            panic!("a bug")
        }
        let run = runs.submit(1, "b", |_| async move { bug() }).unwrap();
        let failed = until(&runs, &run.id, State::Failed).await;
        assert!(failed.error.unwrap().contains("the report stopped"));
    }

    #[tokio::test]
    async fn a_run_is_seen_by_its_owner_and_by_those_who_see_all_only() {
        let dir = tempfile::tempdir().unwrap();
        let runs = runs(dir.path(), limits(1, 4, 8));
        let Held { job, started: _, release: _release } = held();
        let run = runs.submit(1, "a", job).unwrap();
        assert!(runs.get(&run.id, OWNER).is_some());
        assert!(runs.get(&run.id, Viewer { account: 2, sees_all: false }).is_none());
        assert!(runs.get(&run.id, Viewer { account: 2, sees_all: true }).is_some());
        assert_eq!(runs.list(Viewer { account: 2, sees_all: false }).len(), 0);
        assert_eq!(runs.list(OWNER).len(), 1);
        assert!(runs.get("no-such-run", Viewer { account: 1, sees_all: true }).is_none());
    }

    #[tokio::test]
    async fn finished_runs_expire_and_the_oldest_make_room() {
        let dir = tempfile::tempdir().unwrap();
        let quick = Limits { ttl: Duration::from_millis(100), ..limits(1, 2, 2) };
        let runs = runs(dir.path(), quick);
        let Held { job, started: _, release } = held();
        let first = runs.submit(1, "a", job).unwrap();
        release.send(Ok(())).unwrap();
        let done = until(&runs, &first.id, State::Done).await;
        let first_dir = done.output.unwrap().file.parent().unwrap().to_path_buf();
        assert!(first_dir.exists());
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(runs.get(&first.id, OWNER).is_none(), "expired");
        for _ in 0..100 {
            if !first_dir.exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(!first_dir.exists(), "its files go with it");

        // At most two kept: a third pushes out the oldest finished one.
        let runs = super::Runs::new(dir.path().join("more"), limits(1, 2, 2));
        let mut ids = Vec::new();
        for name in ["a", "b"] {
            let Held { job, started: _, release } = held();
            let id = runs.submit(1, name, job).unwrap().id;
            release.send(Ok(())).unwrap();
            until(&runs, &id, State::Done).await;
            ids.push(id);
        }
        let Held { job, started: _, release: _release } = held();
        runs.submit(1, "c", job).unwrap();
        assert!(runs.get(&ids[0], OWNER).is_none());
        assert!(runs.get(&ids[1], OWNER).is_some());
        assert_eq!(runs.list(OWNER).len(), 2);
    }

    #[tokio::test]
    async fn directories_an_earlier_process_left_are_cleared_once_old() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("reports");
        std::fs::create_dir_all(base.join("left-behind")).unwrap();
        let runs = runs(dir.path(), Limits { ttl: Duration::ZERO, ..limits(1, 4, 8) });
        let Held { job, started: _, release: _release } = held();
        runs.submit(1, "a", job).unwrap();
        for _ in 0..100 {
            if !base.join("left-behind").exists() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the leftover directory is still there");
    }
}
