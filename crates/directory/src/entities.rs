//! Directory entities as stored, each with the id the store gave it.

use serde::Serialize;

pub type Id = i64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    pub id: Id,
    pub name: String,
    /// IANA zone the site's calls are shown (and by default rated) in.
    pub time_zone: String,
    pub country_code: String,
    pub area_code: String,
    /// Carrier of the site's outside calls when the trunk names none.
    pub carrier: String,
    /// Carrier whose tariff is the site's reference (PSTN) price.
    pub reference_carrier: String,
    /// Holiday calendar of the tariff book that applies to the site.
    pub holidays: String,
}

/// A number the organisation pays for when it is called (a 400/800-style
/// number): inbound calls to it are priced on `carrier`'s tariff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaidNumber {
    pub number: String,
    pub carrier: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pbx {
    pub id: Id,
    pub name: String,
    /// Record format name (`cucm`, `avaya`, a preset or custom format).
    pub format: String,
    pub site_id: Option<Id>,
    /// Zone the PBX writes local times in; defaults to its site's.
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trunk {
    pub id: Id,
    pub pbx_id: Id,
    /// The id the PBX writes in its records (trunk group, device name…).
    pub code: String,
    pub name: String,
    pub carrier: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    pub id: Id,
    pub parent_id: Option<Id>,
    pub name: String,
    /// Full path, levels joined by `\` (`Company\Sales\EMEA`).
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: Id,
    /// Stable key (login or employee number).
    pub key: String,
    pub name: String,
    pub department_id: Option<Id>,
}

/// An extension number at a site, owned by a user and a department for a
/// period. People move: a number may have several periods, and a call
/// belongs to the one valid when it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub id: Id,
    pub site_id: Option<Id>,
    pub number: String,
    pub user_id: Option<Id>,
    pub department_id: Option<Id>,
    /// UTC epoch seconds, inclusive.
    pub valid_from: i64,
    /// UTC epoch seconds, exclusive; `None` = still valid.
    pub valid_to: Option<i64>,
}

/// Everything in the directory, as loaded from the store.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub sites: Vec<Site>,
    pub pbxs: Vec<Pbx>,
    pub trunks: Vec<Trunk>,
    pub departments: Vec<Department>,
    pub users: Vec<User>,
    pub extensions: Vec<Extension>,
    pub paid_numbers: Vec<PaidNumber>,
}

/// Splits a department path into its levels; `\` and `/` both separate.
pub fn department_levels(path: &str) -> Vec<&str> {
    path.split(['\\', '/']).map(str::trim).filter(|l| !l.is_empty()).collect()
}

/// The canonical form of a department path.
pub fn normalise_department_path(path: &str) -> String {
    department_levels(path).join("\\")
}
