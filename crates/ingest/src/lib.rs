//! Getting records into the store: the import pipeline (read → parse →
//! check → attribute → dedup → store), the dedup filter, and retrying
//! quarantined records.

mod context;
mod dedup;
mod input;
mod parse;
mod pipeline;
mod plan;
mod record;
mod retry;

pub use context::Context;
pub use dedup::{DedupFilter, dedup_key};
pub use pipeline::{Counts, ImportSummary, Progress, Silent, import};
pub use plan::{Request, default_pbx_name};
pub use record::{Item, Origin};
pub use retry::{RetryOutcome, retry};
