//! Getting records into the store: the import pipeline (read → parse →
//! check → attribute → dedup → store), the dedup filter, retrying
//! quarantined records, and pricing stored calls again (re-rating).

pub mod billing;
mod context;
mod correlation;
mod dedup;
pub mod input;
mod parse;
mod pipeline;
mod plan;
mod record;
mod rerate;
mod retry;
mod writer;

pub use context::{Context, correlation_setting, save_correlation_setting};
pub use correlation::{Beside, Correlated, Correlating, Outcomes};
pub use dedup::{DedupFilter, dedup_key};
pub use pipeline::{Counts, ImportSummary, Progress, Silent, import};
pub use plan::{Request, default_pbx_name};
pub use record::{Item, Origin};
pub use rerate::{RerateOutcome, Select, days_to_rerate, rerate};
pub use retry::{RetryOutcome, retry};
pub use writer::DedupWriter;
