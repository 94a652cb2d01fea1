//! Report builder tests: each report from a small hand-written input, its
//! totals checked against the input, its key values worked out by hand, and
//! rendered in every format and language. Text snapshots live in
//! `tests/fixtures/snapshots/reports/` (update with `UPDATE_EXPECT=1`).

mod calls;
mod department;
mod grouped;
mod inbound;
mod names;
mod savings;
mod support;
mod traffic;
mod unknown;
