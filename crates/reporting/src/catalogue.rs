//! What each report is called and which parts of a [`Request`](crate::Request)
//! it uses, for those who offer the reports to choose from (the REST API).

use report::Label;
use report::reports::{GroupKind, ReportName};

/// How a report uses one field of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Required,
    /// A filter, or a default when absent.
    Optional,
    /// Not read.
    Unused,
}

impl Use {
    pub fn as_str(self) -> &'static str {
        match self {
            Use::Required => "required",
            Use::Optional => "optional",
            Use::Unused => "unused",
        }
    }
}

/// One report of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportInfo {
    pub name: ReportName,
    /// The title the report carries (the itemised report adds whose calls).
    pub title: Label,
    /// The days it covers (every report has one).
    pub period: Use,
    /// Only this department and the ones below it.
    pub department: Use,
    /// Only this extension number.
    pub extension: Use,
    /// Rows of each top list.
    pub top: Use,
    /// Whether it reads the rollups only (answers at once, whatever the
    /// period) rather than each call of the period.
    pub from_rollups: bool,
}

/// Rows of each list of the `top` report when a request does not say.
pub const DEFAULT_TOP: usize = 20;

/// Every report, in [`ReportName::all`] order.
pub fn catalogue() -> Vec<ReportInfo> {
    ReportName::all().iter().map(|name| info(*name)).collect()
}

/// What `name` is called and uses.
pub fn info(name: ReportName) -> ReportInfo {
    let title = match name {
        ReportName::Department => Label::new("Department summary", "部门综合统计"),
        ReportName::Extension => Label::new("Itemised calls", "通话明细"),
        ReportName::Trunk => GroupKind::Trunk.title(),
        ReportName::Carrier => GroupKind::Carrier.title(),
        ReportName::Site => GroupKind::Site.title(),
        ReportName::Destination => GroupKind::Destination.title(),
        ReportName::Top => Label::new("Top calls and callers", "通话与用户排行"),
        ReportName::Traffic => Label::new("Traffic by hour", "话务时段分布"),
        ReportName::Inbound => Label::new("Inbound calls", "呼入统计"),
        ReportName::Savings => Label::new("Savings", "话费节省统计"),
        ReportName::UnknownExtensions => Label::new("Unknown extensions", "未知分机"),
    };
    ReportInfo {
        name,
        title,
        period: Use::Required,
        department: Use::Optional,
        extension: Use::Optional,
        top: if name == ReportName::Top { Use::Optional } else { Use::Unused },
        from_rollups: matches!(
            name,
            ReportName::Department | ReportName::Savings | ReportName::Carrier
        ),
    }
}
