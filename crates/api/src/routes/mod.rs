//! The endpoints, one module per resource.

pub mod accounts;
pub mod audit_log;
pub mod calls;
pub mod connectors;
pub mod dashboard;
pub mod live;
pub mod session;
