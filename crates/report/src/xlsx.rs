//! Excel workbooks (`rust_xlsxwriter`), one sheet per table.
//!
//! Each sheet starts with the title, the header block and the totals, then
//! the table: a bold, shaded, frozen header row (also repeated on printed
//! pages) and the rows, subtotal rows bold and total rows bold with a rule
//! above. Values are real spreadsheet numbers so they sum and sort:
//!
//! - money: the amount rounded to two decimals, format `#,##0.00 "CNY"`.
//!   The file format stores numbers as IEEE doubles; the rounded decimal
//!   text is converted to the nearest double, exact in display below 10^13.
//! - integers: `#,##0` (exact below 2^53).
//! - durations: Excel time (days as a fraction) with format `[h]:mm:ss`, so
//!   a column of durations sums to total hours (`40:27:55` for the seed's
//!   `1D 16:27:55`). The seed's `0D` style cannot be expressed as an Excel
//!   number format (Excel's `d` is a day of month), and text would not sum.
//! - percentages: the fraction with format `0.00%`.
//! - times: the wall time in the value's own zone, `yyyy-mm-dd hh:mm:ss`
//!   (Excel times carry no zone; the header block states the period's zone).
//!
//! A table longer than a sheet continues on further sheets named
//! `Name (2)`, `Name (3)` …, each with the same preamble and header row.
//! Sheets are written in constant-memory mode, row by row, so a report of
//! millions of rows does not need its whole workbook in memory.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{
    Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};
use unicode_width::UnicodeWidthStr;

use crate::error::ReportError;
use crate::lang::{Lang, Word};
use crate::layout::{self, HeaderLine};
use crate::model::{Cell, Kind, Report, Row, RowStyle, Table};
use crate::value;

/// Excel's hard limit of rows per worksheet, header and preamble included.
pub const EXCEL_MAX_ROWS: u32 = 1_048_576;

/// Excel's limit on sheet name length, in characters.
const SHEET_NAME_MAX: usize = 31;

/// Rows looked at to size each column: enough to be representative without
/// rendering every cell of a huge table twice.
const WIDTH_SAMPLE_ROWS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlsxOptions {
    /// Rows per sheet, preamble and header row included. Excel's maximum by
    /// default; tests lower it to exercise the split.
    pub max_rows_per_sheet: u32,
}

impl Default for XlsxOptions {
    fn default() -> Self {
        XlsxOptions { max_rows_per_sheet: EXCEL_MAX_ROWS }
    }
}

/// Writes `report` as an `.xlsx` workbook to `out`.
pub fn write_xlsx(
    report: &Report,
    lang: Lang,
    options: &XlsxOptions,
    out: impl Write + Send,
) -> Result<(), ReportError> {
    let mut workbook = build(report, lang, options)?;
    workbook.save_to_writer(out)?;
    Ok(())
}

/// Writes `report` as an `.xlsx` workbook file at `path`.
pub fn write_xlsx_file(
    report: &Report,
    lang: Lang,
    options: &XlsxOptions,
    path: impl AsRef<Path>,
) -> Result<(), ReportError> {
    let mut workbook = build(report, lang, options)?;
    workbook.save(path)?;
    Ok(())
}

fn build(report: &Report, lang: Lang, options: &XlsxOptions) -> Result<Workbook, ReportError> {
    report.validate()?;
    let preamble = Preamble::new(report, lang);
    let header_row = preamble.rows();
    // One row for the header, at least one for data.
    let data_rows_per_sheet = options
        .max_rows_per_sheet
        .checked_sub(header_row + 1)
        .filter(|n| *n >= 1)
        .ok_or_else(|| {
            ReportError::invalid(format!(
                "{} rows per sheet cannot hold the {header_row} preamble rows, the header row and a data row",
                options.max_rows_per_sheet
            ))
        })? as usize;

    let styles = Styles::new();
    let mut workbook = Workbook::new();
    let mut names = SheetNames::default();
    if report.sections.is_empty() {
        let sheet = workbook.add_worksheet_with_constant_memory();
        sheet.set_name(names.unique(report.title.get(lang), 1, lang))?;
        preamble.write(sheet, &styles)?;
    }
    for table in &report.sections {
        let formats = ColumnFormats::new(table);
        let chunks: Vec<&[Row]> = if table.rows.is_empty() {
            vec![&[]]
        } else {
            table.rows.chunks(data_rows_per_sheet).collect()
        };
        for (index, rows) in chunks.into_iter().enumerate() {
            let sheet = workbook.add_worksheet_with_constant_memory();
            sheet.set_name(names.unique(table.name.get(lang), index + 1, lang))?;
            set_column_widths(sheet, table, rows, &preamble, lang)?;
            preamble.write(sheet, &styles)?;
            write_table(sheet, table, rows, header_row, &formats, &styles, lang)?;
            sheet
                .set_freeze_panes(header_row + 1, 0)?
                .set_repeat_rows(header_row, header_row)?
                .set_landscape()
                .set_print_fit_to_pages(1, 0);
        }
    }
    Ok(workbook)
}

/// Title, header block and totals, with the empty rows between them.
struct Preamble<'a> {
    title: String,
    header: Vec<HeaderLine>,
    totals: Vec<(String, &'a Kind, &'a Cell)>,
}

impl<'a> Preamble<'a> {
    fn new(report: &'a Report, lang: Lang) -> Self {
        Preamble {
            title: report.title.get(lang).to_owned(),
            header: layout::header_lines(report, lang),
            totals: report
                .totals
                .iter()
                .map(|t| (t.label.get(lang).to_owned(), &t.kind, &t.value))
                .collect(),
        }
    }

    /// Rows used, including the empty row after each block.
    fn rows(&self) -> u32 {
        let totals = if self.totals.is_empty() { 0 } else { self.totals.len() + 1 };
        (1 + self.header.len() + 1 + totals) as u32
    }

    fn labels(&self) -> impl Iterator<Item = &str> {
        self.header
            .iter()
            .map(|l| l.label.as_str())
            .chain(self.totals.iter().map(|(label, _, _)| label.as_str()))
    }

    fn write(&self, sheet: &mut Worksheet, styles: &Styles) -> Result<(), ReportError> {
        sheet.write_string_with_format(0, 0, &self.title, &styles.title)?;
        let mut row = 1;
        for line in &self.header {
            sheet.write_string_with_format(row, 0, &line.label, &styles.label)?;
            sheet.write_string(row, 1, &line.value)?;
            row += 1;
        }
        row += 1;
        for (label, kind, cell) in &self.totals {
            sheet.write_string_with_format(row, 0, label, &styles.label)?;
            write_cell(sheet, row, 1, cell, &value_format(kind, RowStyle::Normal))?;
            row += 1;
        }
        Ok(())
    }
}

struct Styles {
    title: Format,
    label: Format,
    header_text: Format,
    header_number: Format,
}

impl Styles {
    fn new() -> Self {
        let header = Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xE8E8E8))
            .set_border_bottom(FormatBorder::Thin);
        Styles {
            title: Format::new().set_bold().set_font_size(14),
            label: Format::new().set_bold(),
            header_number: header.clone().set_align(FormatAlign::Right),
            header_text: header,
        }
    }
}

/// Each column's format for normal, subtotal and total rows, built once.
struct ColumnFormats(Vec<[Format; 3]>);

impl ColumnFormats {
    fn new(table: &Table) -> Self {
        ColumnFormats(
            table
                .columns
                .iter()
                .map(|c| {
                    [RowStyle::Normal, RowStyle::Subtotal, RowStyle::Total]
                        .map(|style| value_format(&c.kind, style))
                })
                .collect(),
        )
    }

    fn get(&self, column: usize, style: RowStyle) -> Option<&Format> {
        let formats = self.0.get(column)?;
        Some(match style {
            RowStyle::Normal => &formats[0],
            RowStyle::Subtotal => &formats[1],
            RowStyle::Total => &formats[2],
        })
    }
}

/// The Excel number format of each kind (see the module docs).
fn number_format(kind: &Kind) -> Option<String> {
    match kind {
        Kind::Text => None,
        Kind::Integer => Some("#,##0".to_owned()),
        Kind::Money { currency } => Some(format!("#,##0.00 \"{currency}\"")),
        Kind::Duration => Some("[h]:mm:ss".to_owned()),
        Kind::Percent => Some("0.00%".to_owned()),
        Kind::DateTime => Some("yyyy-mm-dd hh:mm:ss".to_owned()),
    }
}

fn value_format(kind: &Kind, style: RowStyle) -> Format {
    let mut format = Format::new();
    if let Some(number) = number_format(kind) {
        format = format.set_num_format(number);
    }
    match style {
        RowStyle::Normal => format,
        RowStyle::Subtotal => format.set_bold(),
        RowStyle::Total => format.set_bold().set_border_top(FormatBorder::Thin),
    }
}

fn write_table(
    sheet: &mut Worksheet,
    table: &Table,
    rows: &[Row],
    header_row: u32,
    formats: &ColumnFormats,
    styles: &Styles,
    lang: Lang,
) -> Result<(), ReportError> {
    for (index, column) in table.columns.iter().enumerate() {
        let format =
            if column.kind.is_numeric() { &styles.header_number } else { &styles.header_text };
        sheet.write_string_with_format(header_row, col(index)?, column.header.get(lang), format)?;
    }
    let mut sheet_row = header_row;
    for row in rows {
        sheet_row += 1;
        for (index, column) in table.columns.iter().enumerate() {
            let Some(format) = formats.get(index, row.style) else {
                continue;
            };
            let column_number = col(index)?;
            if let Some(label) = layout::row_label(row, index, &column.kind, lang) {
                sheet.write_string_with_format(sheet_row, column_number, label, format)?;
                continue;
            }
            match row.cells.get(index) {
                // Blank cells of emphasised rows keep the row's rule.
                Some(Cell::Empty) | None if row.style != RowStyle::Normal => {
                    sheet.write_blank(sheet_row, column_number, format)?;
                }
                Some(cell) => write_cell(sheet, sheet_row, column_number, cell, format)?,
                None => {}
            }
        }
    }
    Ok(())
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    cell: &Cell,
    format: &Format,
) -> Result<(), ReportError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(text) => {
            sheet.write_string_with_format(row, column, text, format)?;
        }
        Cell::Integer(n) => {
            sheet.write_number_with_format(row, column, *n as f64, format)?;
        }
        Cell::Money(amount) => {
            sheet.write_number_with_format(
                row,
                column,
                to_double(&value::money(*amount))?,
                format,
            )?;
        }
        Cell::Duration(seconds) => {
            sheet.write_number_with_format(row, column, *seconds as f64 / 86_400.0, format)?;
        }
        Cell::Percent(fraction) => {
            let text = fraction.normalize().to_string();
            sheet.write_number_with_format(row, column, to_double(&text)?, format)?;
        }
        Cell::DateTime(at) => {
            let civil = at.datetime();
            let year = u16::try_from(civil.year())
                .map_err(|_| ReportError::invalid(format!("time {at} is outside Excel's range")))?;
            let excel = ExcelDateTime::from_ymd(year, civil.month() as u8, civil.day() as u8)?
                .and_hms(civil.hour() as u16, civil.minute() as u8, civil.second() as f64)?;
            sheet.write_datetime_with_format(row, column, &excel, format)?;
        }
    }
    Ok(())
}

/// The nearest double to a decimal's text, the best a spreadsheet number can hold.
fn to_double(decimal_text: &str) -> Result<f64, ReportError> {
    decimal_text
        .parse()
        .map_err(|_| ReportError::invalid(format!("not a number: {decimal_text:?}")))
}

fn col(index: usize) -> Result<u16, ReportError> {
    u16::try_from(index).map_err(|_| ReportError::invalid(format!("too many columns: {index}")))
}

/// Widths from the display width of the header and a sample of the cells
/// (a CJK character counts two), plus room for the currency code.
fn set_column_widths(
    sheet: &mut Worksheet,
    table: &Table,
    rows: &[Row],
    preamble: &Preamble,
    lang: Lang,
) -> Result<(), ReportError> {
    for (index, column) in table.columns.iter().enumerate() {
        let mut width = column.header.get(lang).width();
        for row in rows.iter().take(WIDTH_SAMPLE_ROWS) {
            width = width.max(layout::human_cell(row, index, &column.kind, lang).width());
        }
        if let Kind::Money { currency } = &column.kind {
            width += currency.len() + 1;
        }
        if index == 0 {
            // Column A also holds the preamble's labels.
            width = width.max(preamble.labels().map(|l| l.width()).max().unwrap_or(0));
        }
        let width = (width + 2).clamp(6, 60);
        sheet.set_column_width(col(index)?, width as f64)?;
    }
    Ok(())
}

/// Hands out valid, unique sheet names (Excel compares them case-blind).
#[derive(Default)]
struct SheetNames {
    taken: HashSet<String>,
}

impl SheetNames {
    fn unique(&mut self, wanted: &str, part: usize, lang: Lang) -> String {
        let mut base: String = wanted
            .chars()
            .map(|c| match c {
                '*' | '?' | ':' | '[' | ']' | '\\' | '/' => '_',
                c if c.is_control() => ' ',
                c => c,
            })
            .collect();
        base = base.trim().trim_matches('\'').trim().to_owned();
        if base.is_empty() {
            base = lang.word(Word::Sheet).to_owned();
        }
        let mut attempt = part;
        loop {
            let suffix = if attempt > 1 { format!(" ({attempt})") } else { String::new() };
            let room = SHEET_NAME_MAX - suffix.chars().count();
            let stem: String = base.chars().take(room).collect();
            let name = format!("{}{suffix}", stem.trim_end());
            if self.taken.insert(name.to_lowercase()) {
                return name;
            }
            attempt += 1;
        }
    }
}
