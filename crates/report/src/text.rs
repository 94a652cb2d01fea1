//! Plain text: aligned columns for terminals, mail and printers.
//!
//! Widths are display widths (`unicode-width`), so a Chinese name takes two
//! columns and the table still lines up in a monospace font. Numbers are
//! right-aligned, text left-aligned; a dashed rule sits under each header
//! and above each total row; trailing spaces are trimmed.

use std::io::{BufWriter, Write};

use unicode_width::UnicodeWidthStr;

use crate::error::ReportError;
use crate::lang::{Lang, Word};
use crate::layout::{self, HeaderLine};
use crate::model::{Report, RowStyle, Table};

/// Space between two columns.
const GUTTER: &str = "  ";

/// Writes `report` as aligned plain text (UTF-8, `\n` line ends).
pub fn write_txt(report: &Report, lang: Lang, out: impl Write) -> Result<(), ReportError> {
    report.validate()?;
    let mut out = BufWriter::new(out);
    let title = one_line(report.title.get(lang));
    writeln!(out, "{title}")?;
    writeln!(out, "{}", "=".repeat(title.width().max(1)))?;
    write_pairs(&mut out, &layout::header_lines(report, lang))?;
    if !report.totals.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", lang.word(Word::Summary))?;
        write_pairs(&mut out, &layout::total_lines(&report.totals, lang))?;
    }
    for table in &report.sections {
        writeln!(out)?;
        write_table(&mut out, table, lang)?;
    }
    out.flush()?;
    Ok(())
}

fn write_pairs(out: &mut impl Write, lines: &[HeaderLine]) -> Result<(), ReportError> {
    let labels: Vec<String> = lines.iter().map(|l| one_line(&l.label)).collect();
    let width = labels.iter().map(|l| l.width()).max().unwrap_or(0);
    for (label, line) in labels.iter().zip(lines) {
        let row = format!("{}{GUTTER}{}", pad_right(label, width), one_line(&line.value));
        writeln!(out, "{}", row.trim_end())?;
    }
    Ok(())
}

fn write_table(out: &mut impl Write, table: &Table, lang: Lang) -> Result<(), ReportError> {
    let name = one_line(table.name.get(lang));
    if !name.is_empty() {
        writeln!(out, "{name}")?;
        writeln!(out)?;
    }
    let headers: Vec<String> = table.columns.iter().map(|c| one_line(c.header.get(lang))).collect();
    let rows: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|row| {
            table
                .columns
                .iter()
                .enumerate()
                .map(|(i, column)| one_line(&layout::human_cell(row, i, &column.kind, lang)))
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width());
        }
    }
    let numeric: Vec<bool> = table.columns.iter().map(|c| c.kind.is_numeric()).collect();
    let rule = widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join(GUTTER);

    write_line(out, &headers, &widths, &numeric)?;
    writeln!(out, "{rule}")?;
    for (row, cells) in table.rows.iter().zip(&rows) {
        if row.style == RowStyle::Total {
            writeln!(out, "{rule}")?;
        }
        write_line(out, cells, &widths, &numeric)?;
    }
    Ok(())
}

fn write_line(
    out: &mut impl Write,
    cells: &[String],
    widths: &[usize],
    numeric: &[bool],
) -> Result<(), ReportError> {
    let padded: Vec<String> = cells
        .iter()
        .zip(widths)
        .zip(numeric)
        .map(
            |((cell, width), right)| {
                if *right { pad_left(cell, *width) } else { pad_right(cell, *width) }
            },
        )
        .collect();
    writeln!(out, "{}", padded.join(GUTTER).trim_end())?;
    Ok(())
}

/// Control characters (tabs, line breaks) would break the grid; each becomes a space.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn pad_right(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(text.width());
    format!("{text}{}", " ".repeat(fill))
}

fn pad_left(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(text.width());
    format!("{}{text}", " ".repeat(fill))
}
