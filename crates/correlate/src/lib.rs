//! Call correlation: PBXs write one record per call leg, and a transferred,
//! forwarded, conferenced, barged or parked call leaves several, sometimes
//! hours apart and out of order. This crate joins them back into the call
//! that happened (a [`LogicalCall`]) and decides which extension pays for
//! each leg, by [`Rules`] whose defaults follow one principle: the
//! extension that caused a carrier leg pays for it.
//!
//! - [`vendor`]: a parsed record → a [`Leg`]: the keys that tie it to other
//!   legs and the [`Sign`] of its part in a larger call, read the way each
//!   vendor writes them;
//! - [`call`]: the attribution of one call's legs;
//! - [`correlator`]: the engine — legs in any order, bounded memory, state
//!   carried over restarts.
//!
//! The rules, and the vendors' documented examples they are tested on, are
//! described in `tests/scenarios/README.md`.

pub mod call;
pub mod correlator;
mod infer;
pub mod leg;
mod nearby;
mod packed;
mod recent;
pub mod rules;
pub mod vendor;

pub use call::{LegOutcome, LogicalCall, Reason, attribute};
pub use correlator::{Added, Advanced, CallRef, Config, Correlator, Joined, Snapshot};
pub use leg::{Extensions, Feature, Features, Keys, Leg, Near, NearKeys, Part, Party, Sign};
pub use rules::{ConferenceRule, ForwardRule, Rules, TransferRule};
pub use vendor::{Vendor, leg_of};
