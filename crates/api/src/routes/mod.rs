//! The endpoints, one module per resource.

pub mod accounts;
pub mod audit_log;
pub mod calls;
pub mod connectors;
pub mod dashboard;
pub mod directory;
pub mod live;
pub mod quarantine;
pub mod reports;
pub mod session;
pub mod tariffs;
