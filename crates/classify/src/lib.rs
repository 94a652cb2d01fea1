//! Call classification: from a call's site, direction and other party's
//! number to its call type (internal, on-net, local, national, mobile,
//! international, free, inbound, unknown), its E.164 form and the
//! destination it reaches.
//!
//! Each site has a dial plan (`DIALPLAN.md`: access codes, country and area
//! codes, prefixes, emergency and special-number lists, with built-in
//! country presets). A [`Classifier`] compiles the plans once; classifying
//! a call is then allocation-free and lock-free, so one classifier serves
//! every pipeline thread. Extensions are recognised through an
//! [`ExtensionLookup`] the caller supplies, which keeps this crate free of
//! any store.
//!
//! Destinations come from the shipped country-code table (ITU-T E.164
//! assignments, `data/country_codes.txt`), longest prefix winning.

mod call_type;
mod classifier;
mod config;
mod countries;
mod dialled;
mod plan;
mod trie;

pub use call_type::{CallType, Service, UnknownReason};
pub use classifier::{
    Classification, Classifier, ExtensionLookup, NoExtensions, SiteCodes, SiteId,
};
pub use config::{ConfigError, DialPlan, DialPlanConfig, DialPlansFile};
pub use countries::{CountryTable, Destination};
