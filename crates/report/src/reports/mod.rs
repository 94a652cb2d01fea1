//! The reports: builders that turn plain input data into a [`Report`].
//!
//! The storage layer reads rollups or CDRs and fills the input structs
//! ([`OwnerTotals`], [`GroupRow`], [`CallLine`] …); a builder checks the
//! input, orders it, sums it and lays it out as titled tables with subtotal
//! and total rows. Any writer of this crate then renders the result.
//!
//! Rules every builder keeps:
//! - totals are the exact sums of the input: money is added as `Decimal`,
//!   never rounded here (writers round for display only), and a sum that
//!   would leave its range is an error, never a wrapped or clamped value;
//! - input that cannot be right (a call type outside [`CALL_TYPES`], more
//!   answered calls than calls) is refused with [`ReportError::Input`],
//!   naming the input row (`row 3 (Company\Sales / Alice / 2001): …`);
//! - the returned report has passed [`Report::validate`];
//! - rows are sorted completely, so the same input always gives the same report.
//!
//! Per-type columns are keyed by the call-type string and always all present,
//! in [`CALL_TYPES`] order, so a program finds the same columns in every
//! report. Text cells (direction, call type) carry the stored machine codes,
//! which read the same in both languages.
//!
//! [`Report`]: crate::Report
//! [`Report::validate`]: crate::Report::validate
//! [`ReportError::Input`]: crate::ReportError::Input

mod build;
mod calls;
mod department;
mod grouped;
mod inbound;
mod input;
mod name;
mod savings;
mod top;
mod traffic;
mod unknown;

pub use calls::extension;
pub use department::{department, department_json};
pub use grouped::{GroupKind, GroupRow, grouped};
pub use inbound::{InboundRow, inbound};
pub use input::{
    ByType, CALL_TYPES, CallLine, DIRECTIONS, OwnerTotals, ReportContext, Tally, call_type_label,
};
pub use name::ReportName;
pub use savings::{SavingsRow, savings};
pub use top::{TopInput, top};
pub use traffic::{BusyHour, WeekHours, busy_hour, traffic};
pub use unknown::{UnknownRow, unknown_extensions};
