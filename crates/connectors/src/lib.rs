//! PBX connectors: the sources of a live server. Each receives bytes from
//! one PBX (TCP in or out, Avaya's Reliable Session Protocol, a serial
//! line, a file drop, HTTP), cuts them into whole records and hands them
//! on as [`Received`] events through a bounded queue, reporting its state
//! ([`ConnectorState`]) as it goes. What they hand on is journaled before
//! anything else happens to it (see `journal`).

pub mod config;
mod event;
mod feed;
pub mod file_drop;
mod framer;
pub mod http_post;
pub mod nec_smdr;
pub mod rsp;
pub mod serial;
mod state;
pub mod tcp_connect;
pub mod tcp_listen;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use config::{ConnectorConfig, PbxConfig, parse_duration};
pub use event::{ConnectionIds, Received, SourceId, What};
pub use feed::{Durable, Feed, Stopped};
pub use framer::{LineFramer, StreamFraming};
pub use state::{ConnectorState, SilenceWatch, StateSnapshot};
