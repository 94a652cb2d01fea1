//! The report model: what a report says, independent of how it is written.
//!
//! Reports are built by the code that reads rollups; the writers in this
//! crate only render them. Values are typed (money is a `Decimal`, durations
//! are whole seconds) so each writer can choose the right representation.

use jiff::Zoned;
use rust_decimal::Decimal;

use crate::error::ReportError;
use crate::lang::Lang;

/// A text in both report languages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Label {
    pub en: String,
    pub zh: String,
}

impl Label {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Label { en: en.into(), zh: zh.into() }
    }

    /// A text that reads the same in every language (a name, a number).
    pub fn same(text: impl Into<String>) -> Self {
        let text = text.into();
        Label { en: text.clone(), zh: text }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// One complete report: a title, the lines that say what it covers, its
/// grand totals and one or more tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: Label,
    pub header: Header,
    pub totals: Vec<Total>,
    pub sections: Vec<Table>,
}

/// The block printed above the tables: what period, when, by whom, filtered how.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The period covered, shown in the zone the bounds carry. Shown as given:
    /// the caller decides whether `to` is inclusive (the seed prints 23:59:59).
    pub period: Option<Period>,
    pub generated_at: Zoned,
    pub created_by: String,
    /// Extra filter lines (department, site, call type …) in the order given.
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub from: Zoned,
    pub to: Zoned,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub name: Label,
    pub value: String,
}

/// One grand total shown in the header area (calls, cost, savings …).
#[derive(Debug, Clone, PartialEq)]
pub struct Total {
    /// Stable machine name (JSON key), e.g. `calls`.
    pub key: String,
    pub label: Label,
    pub kind: Kind,
    pub value: Cell,
}

/// One table of a report; XLSX writes each on its own sheet(s).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Section heading and XLSX sheet name.
    pub name: Label,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Stable machine name (JSON key), unique within its table.
    pub key: String,
    pub header: Label,
    pub kind: Kind,
}

impl Column {
    pub fn new(
        key: impl Into<String>,
        header_en: impl Into<String>,
        header_zh: impl Into<String>,
        kind: Kind,
    ) -> Self {
        Column { key: key.into(), header: Label::new(header_en, header_zh), kind }
    }
}

/// What a column (or a total) holds; decides formatting and alignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    /// An amount in `currency` (ISO 4217 code, three capital letters),
    /// shown with two decimals.
    Money {
        currency: String,
    },
    /// Whole seconds, shown as `0D 08:18:45`.
    Duration,
    /// A fraction (0.25 is 25 %), shown as a percentage with two decimals.
    Percent,
    DateTime,
}

impl Kind {
    pub fn money(currency: impl Into<String>) -> Self {
        Kind::Money { currency: currency.into() }
    }

    /// Numbers are right-aligned in every human format.
    pub fn is_numeric(&self) -> bool {
        !matches!(self, Kind::Text)
    }

    /// The name used in the JSON output and in error messages. Durations say
    /// their unit because JSON carries them as plain integers.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Integer => "integer",
            Kind::Money { .. } => "money",
            Kind::Duration => "duration_s",
            Kind::Percent => "percent",
            Kind::DateTime => "datetime",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub style: RowStyle,
}

impl Row {
    pub fn normal(cells: Vec<Cell>) -> Self {
        Row { cells, style: RowStyle::Normal }
    }

    pub fn subtotal(cells: Vec<Cell>) -> Self {
        Row { cells, style: RowStyle::Subtotal }
    }

    pub fn total(cells: Vec<Cell>) -> Self {
        Row { cells, style: RowStyle::Total }
    }
}

/// Subtotal and total rows are emphasised (bold) wherever the format can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowStyle {
    #[default]
    Normal,
    Subtotal,
    Total,
}

impl RowStyle {
    pub fn name(self) -> &'static str {
        match self {
            RowStyle::Normal => "normal",
            RowStyle::Subtotal => "subtotal",
            RowStyle::Total => "total",
        }
    }
}

/// One value. A cell must match its column's kind, or be `Empty`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Integer(i64),
    Money(Decimal),
    /// Whole seconds; unsigned because a negative duration is a bug upstream.
    Duration(u64),
    /// A fraction: 0.25 is 25 %.
    Percent(Decimal),
    DateTime(Zoned),
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Cell::Text(text.into())
    }

    /// A duration from signed seconds, refusing negative values rather than
    /// printing something misleading.
    pub fn duration(seconds: i64) -> Result<Self, ReportError> {
        u64::try_from(seconds)
            .map(Cell::Duration)
            .map_err(|_| ReportError::invalid(format!("negative duration: {seconds} s")))
    }

    /// Whether this cell may stand in a column of `kind`.
    pub fn fits(&self, kind: &Kind) -> bool {
        matches!(
            (self, kind),
            (Cell::Empty, _)
                | (Cell::Text(_), Kind::Text)
                | (Cell::Integer(_), Kind::Integer)
                | (Cell::Money(_), Kind::Money { .. })
                | (Cell::Duration(_), Kind::Duration)
                | (Cell::Percent(_), Kind::Percent)
                | (Cell::DateTime(_), Kind::DateTime)
        )
    }

    /// Short description for error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Cell::Empty => "empty".to_owned(),
            Cell::Text(t) => format!("text {t:?}"),
            Cell::Integer(i) => format!("integer {i}"),
            Cell::Money(m) => format!("money {m}"),
            Cell::Duration(d) => format!("duration {d} s"),
            Cell::Percent(p) => format!("percent {p}"),
            Cell::DateTime(z) => format!("datetime {z}"),
        }
    }
}
