//! Reports by the names users type (`bluewhale report department …`).

use std::fmt;
use std::str::FromStr;

use super::grouped::GroupKind;

/// Every report the crate builds, named as on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportName {
    Department,
    Extension,
    Trunk,
    Carrier,
    Site,
    Destination,
    Top,
    Traffic,
    Inbound,
    Savings,
    UnknownExtensions,
}

impl ReportName {
    const ALL: [ReportName; 11] = [
        ReportName::Department,
        ReportName::Extension,
        ReportName::Trunk,
        ReportName::Carrier,
        ReportName::Site,
        ReportName::Destination,
        ReportName::Top,
        ReportName::Traffic,
        ReportName::Inbound,
        ReportName::Savings,
        ReportName::UnknownExtensions,
    ];

    /// All reports, in the order help texts list them.
    pub fn all() -> &'static [ReportName] {
        &Self::ALL
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReportName::Department => "department",
            ReportName::Extension => "extension",
            ReportName::Trunk => "trunk",
            ReportName::Carrier => "carrier",
            ReportName::Site => "site",
            ReportName::Destination => "destination",
            ReportName::Top => "top",
            ReportName::Traffic => "traffic",
            ReportName::Inbound => "inbound",
            ReportName::Savings => "savings",
            ReportName::UnknownExtensions => "unknown-extensions",
        }
    }

    /// The grouping of the reports built by [`grouped`](super::grouped).
    pub fn group_kind(self) -> Option<GroupKind> {
        match self {
            ReportName::Trunk => Some(GroupKind::Trunk),
            ReportName::Carrier => Some(GroupKind::Carrier),
            ReportName::Site => Some(GroupKind::Site),
            ReportName::Destination => Some(GroupKind::Destination),
            _ => None,
        }
    }
}

impl fmt::Display for ReportName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReportName {
    type Err = String;

    /// Case-blind; `_` may stand for `-` (`unknown_extensions`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.to_ascii_lowercase().replace('_', "-");
        Self::ALL.into_iter().find(|name| name.as_str() == wanted).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|name| name.as_str()).collect();
            format!("unknown report: {s:?} (expected one of {})", names.join(", "))
        })
    }
}
