//! JSON: the stable machine format.
//!
//! Shape (version 1): `{format, version, lang, title, header, totals,
//! sections}`; each section has `columns` (`key`, `header`, `kind`,
//! `currency` for money) and `rows` (`style`, `cells` as an object keyed by
//! column key, in column order). Values: money as the exact decimal string,
//! never rounded, trailing zeros dropped but at least two decimals
//! (`"87972.78"`, `"1.005"`, `"3.00"`), so a column sums exactly to its
//! total row; integers and durations (kind `duration_s`) as JSON integers
//! of seconds, percentages as decimal-string fractions, times as RFC 3339
//! strings with offset, empty cells as `null`. Headers and labels are in the
//! chosen language; keys and kinds never change with it.

use std::io::{BufWriter, Write};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::error::ReportError;
use crate::lang::Lang;
use crate::model::{Cell, Column, Kind, Period, Report, Row, Table, Total};
use crate::value;

/// Identifies the document shape; bump `FORMAT_VERSION` on any incompatible change.
pub const FORMAT_NAME: &str = "bluewhale-report";
pub const FORMAT_VERSION: u32 = 1;

/// Writes `report` as pretty-printed JSON (UTF-8, ends with a newline).
pub fn write_json(report: &Report, lang: Lang, out: impl Write) -> Result<(), ReportError> {
    report.validate()?;
    let mut out = BufWriter::new(out);
    serde_json::to_writer_pretty(&mut out, &ReportView::new(report, lang))?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

#[derive(Serialize)]
struct ReportView<'a> {
    format: &'static str,
    version: u32,
    lang: &'static str,
    title: &'a str,
    header: HeaderView<'a>,
    totals: Vec<TotalView<'a>>,
    sections: Vec<TableView<'a>>,
}

impl<'a> ReportView<'a> {
    fn new(report: &'a Report, lang: Lang) -> Self {
        let header = &report.header;
        ReportView {
            format: FORMAT_NAME,
            version: FORMAT_VERSION,
            lang: lang.code(),
            title: report.title.get(lang),
            header: HeaderView {
                period: header.period.as_ref().map(PeriodView::new),
                generated_at: value::datetime_rfc3339(&header.generated_at),
                created_by: &header.created_by,
                filters: header
                    .filters
                    .iter()
                    .map(|f| FilterView { name: f.name.get(lang), value: &f.value })
                    .collect(),
            },
            totals: report.totals.iter().map(|t| TotalView::new(t, lang)).collect(),
            sections: report.sections.iter().map(|t| TableView::new(t, lang)).collect(),
        }
    }
}

#[derive(Serialize)]
struct HeaderView<'a> {
    period: Option<PeriodView>,
    generated_at: String,
    created_by: &'a str,
    filters: Vec<FilterView<'a>>,
}

#[derive(Serialize)]
pub(crate) struct PeriodView {
    from: String,
    to: String,
    /// The IANA zone of `from`, when it has one, so a reader can render
    /// other times the way the report does.
    time_zone: Option<String>,
}

impl PeriodView {
    pub(crate) fn new(period: &Period) -> Self {
        PeriodView {
            from: value::datetime_rfc3339(&period.from),
            to: value::datetime_rfc3339(&period.to),
            time_zone: period.from.time_zone().iana_name().map(str::to_owned),
        }
    }
}

#[derive(Serialize)]
struct FilterView<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct TotalView<'a> {
    key: &'a str,
    label: &'a str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<&'a str>,
    value: CellView<'a>,
}

impl<'a> TotalView<'a> {
    fn new(total: &'a Total, lang: Lang) -> Self {
        TotalView {
            key: &total.key,
            label: total.label.get(lang),
            kind: total.kind.name(),
            currency: currency(&total.kind),
            value: CellView(&total.value),
        }
    }
}

#[derive(Serialize)]
struct TableView<'a> {
    name: &'a str,
    columns: Vec<ColumnView<'a>>,
    rows: Vec<RowView<'a>>,
}

impl<'a> TableView<'a> {
    fn new(table: &'a Table, lang: Lang) -> Self {
        TableView {
            name: table.name.get(lang),
            columns: table
                .columns
                .iter()
                .map(|c| ColumnView {
                    key: &c.key,
                    header: c.header.get(lang),
                    kind: c.kind.name(),
                    currency: currency(&c.kind),
                })
                .collect(),
            rows: table
                .rows
                .iter()
                .map(|row| RowView {
                    style: row.style.name(),
                    cells: CellsView { columns: &table.columns, row },
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct ColumnView<'a> {
    key: &'a str,
    header: &'a str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<&'a str>,
}

#[derive(Serialize)]
struct RowView<'a> {
    style: &'static str,
    cells: CellsView<'a>,
}

/// A row's cells as an object keyed by column key, in column order.
struct CellsView<'a> {
    columns: &'a [Column],
    row: &'a Row,
}

impl Serialize for CellsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.columns.len()))?;
        for (column, cell) in self.columns.iter().zip(&self.row.cells) {
            map.serialize_entry(&column.key, &CellView(cell))?;
        }
        map.end()
    }
}

struct CellView<'a>(&'a Cell);

impl Serialize for CellView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Cell::Empty => serializer.serialize_none(),
            Cell::Text(text) => serializer.serialize_str(text),
            Cell::Integer(n) => serializer.serialize_i64(*n),
            Cell::Money(amount) => serializer.serialize_str(&value::money_exact(*amount)),
            Cell::Duration(seconds) => serializer.serialize_u64(*seconds),
            Cell::Percent(fraction) => serializer.serialize_str(&fraction.normalize().to_string()),
            Cell::DateTime(at) => serializer.serialize_str(&value::datetime_rfc3339(at)),
        }
    }
}

fn currency(kind: &Kind) -> Option<&str> {
    match kind {
        Kind::Money { currency } => Some(currency),
        _ => None,
    }
}
