//! CSV (RFC 4180: comma, double-quote quoting, CRLF line ends, UTF-8).
//!
//! By default the file is one table a program can read: a single header row
//! in the chosen language, then the rows, values in machine spelling
//! (money exact as summed, `87972.78` or `1.005`, durations in seconds,
//! percentages as fractions, times as RFC 3339). Options add a BOM (Excel
//! needs it to read UTF-8), the header block and totals as leading
//! `label,value` rows followed by an empty row, and human spelling of values
//! (money rounded to two decimals).
//!
//! A report with several tables writes them one after another, each after an
//! empty row and a row holding the table's name; with one table (the usual
//! case) there are no such rows.

use std::io::Write;

use crate::error::ReportError;
use crate::lang::Lang;
use crate::layout;
use crate::model::{Cell, Report, Row, Table};
use crate::value;

/// UTF-8 byte order mark, the signal Excel uses to read a CSV as UTF-8.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// How values are spelled in the CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvStyle {
    /// Seconds, fractions, RFC 3339: easy to parse.
    #[default]
    Machine,
    /// As the other human formats show them (`0D 08:18:45`, `25.00%`),
    /// with subtotal/total rows labelled and text cells that a spreadsheet
    /// would run as a formula (`=`, `+`, `-`, `@` first) prefixed with `'`.
    Human,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CsvOptions {
    /// Start the file with a UTF-8 BOM.
    pub bom: bool,
    /// Put the title, header block and totals in leading rows.
    pub preamble: bool,
    pub style: CsvStyle,
}

impl CsvOptions {
    /// For people opening the file in Excel: BOM, preamble, human values.
    pub fn excel() -> Self {
        CsvOptions { bom: true, preamble: true, style: CsvStyle::Human }
    }
}

/// Writes `report` as CSV.
pub fn write_csv(
    report: &Report,
    lang: Lang,
    options: &CsvOptions,
    mut out: impl Write,
) -> Result<(), ReportError> {
    report.validate()?;
    if options.bom {
        out.write_all(BOM)?;
    }
    let mut first_block = true;
    if options.preamble {
        let mut csv = csv_writer(&mut out);
        csv.write_record([report.title.get(lang)])?;
        for line in layout::header_lines(report, lang) {
            csv.write_record([line.label, line.value])?;
        }
        for total in &report.totals {
            csv.write_record([total.label.get(lang), &cell_text(&total.value, options.style)])?;
        }
        csv.flush()?;
        first_block = false;
    }
    let named = report.sections.len() > 1;
    for table in &report.sections {
        // An empty line between blocks. Written directly: the csv crate
        // spells a record without fields as `""`, one empty field.
        if !first_block {
            out.write_all(b"\r\n")?;
        }
        first_block = false;
        let mut csv = csv_writer(&mut out);
        if named {
            csv.write_record([table.name.get(lang)])?;
        }
        write_table(&mut csv, table, lang, options.style)?;
        csv.flush()?;
    }
    out.flush()?;
    Ok(())
}

/// RFC 4180 line ends; blocks of different widths share one file.
fn csv_writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).flexible(true).from_writer(out)
}

fn write_table<W: Write>(
    csv: &mut csv::Writer<W>,
    table: &Table,
    lang: Lang,
    style: CsvStyle,
) -> Result<(), ReportError> {
    csv.write_record(table.columns.iter().map(|c| c.header.get(lang)))?;
    for row in &table.rows {
        let record: Vec<String> = table
            .columns
            .iter()
            .enumerate()
            .map(|(index, column)| match style {
                CsvStyle::Machine => row.cells.get(index).map(value::machine).unwrap_or_default(),
                CsvStyle::Human => human_cell(row, index, column, lang),
            })
            .collect();
        csv.write_record(&record)?;
    }
    Ok(())
}

fn human_cell(row: &Row, index: usize, column: &crate::model::Column, lang: Lang) -> String {
    let text = layout::human_cell(row, index, &column.kind, lang);
    match row.cells.get(index) {
        Some(Cell::Text(_)) => defuse_formula(text),
        _ => text,
    }
}

fn cell_text(cell: &Cell, style: CsvStyle) -> String {
    match style {
        CsvStyle::Machine => value::machine(cell),
        CsvStyle::Human => match cell {
            Cell::Text(_) => defuse_formula(value::human(cell)),
            _ => value::human(cell),
        },
    }
}

/// Spreadsheets run a cell starting with `=`, `+`, `-` or `@` as a formula;
/// a leading `'` makes them show it as text instead.
fn defuse_formula(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text }
}
