//! `bluewhale serve`: a billing server living next to PBXs. Connectors
//! receive records (see `connectors`); every byte is written to the raw
//! journal before it is acknowledged (see `journal`); the pipeline reads
//! the journal, parses, deduplicates, prices and stores, recording in the
//! same transaction how far it has read, so a restart resumes exactly
//! where the store ends.

pub mod config;
mod http;
pub mod journaling;
mod lock;
mod main_sink;
mod offline;
pub mod processing;
mod reference;
mod replay;
mod run;
mod sink;
mod stats;

pub use config::{ServerConfig, StorageSettings};
pub use lock::{DataDirLock, lock_data_dir};
pub use replay::{Replayed, replay};
pub use run::{Served, serve};
pub use stats::{Observed, Stats};
