//! One standalone, printable HTML page: inline CSS, no scripts, no external
//! assets, so the file can be mailed, archived and printed as it is.

use std::io::{BufWriter, Write};

use crate::error::ReportError;
use crate::lang::{Lang, Word};
use crate::layout::{self, HeaderLine};
use crate::model::{Report, RowStyle, Table};

/// Screen and print styles. Header rows repeat on each printed page
/// (`thead` as a header group) and rows are not split across pages.
const STYLE: &str = "\
body{font-family:system-ui,-apple-system,\"Segoe UI\",\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;font-size:13px;color:#111;margin:24px}
h1{font-size:20px;margin:0 0 12px}
h2{font-size:16px;margin:24px 0 8px}
table{border-collapse:collapse}
.meta th,.meta td{text-align:left;padding:2px 16px 2px 0;border:none}
.meta th{font-weight:600;color:#444}
table.data{width:100%}
.data th,.data td{border:1px solid #bbb;padding:3px 6px;white-space:nowrap}
.data thead th{background:#e8e8e8;font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
tr.subtotal td{font-weight:700;background:#f4f4f4}
tr.total td{font-weight:700;border-top:2px solid #333}
@media print{body{margin:0;font-size:10px}thead{display:table-header-group}tr{page-break-inside:avoid}.data thead th{background:none}}
@page{size:A4 landscape;margin:12mm}
";

/// Writes `report` as a standalone HTML5 page (UTF-8).
pub fn write_html(report: &Report, lang: Lang, out: impl Write) -> Result<(), ReportError> {
    report.validate()?;
    let mut out = BufWriter::new(out);
    let title = escape(report.title.get(lang));
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"{}\">", lang.html_tag())?;
    writeln!(out, "<head>")?;
    writeln!(out, "<meta charset=\"utf-8\">")?;
    writeln!(out, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")?;
    writeln!(out, "<title>{title}</title>")?;
    write!(out, "<style>\n{STYLE}</style>\n")?;
    writeln!(out, "</head>")?;
    writeln!(out, "<body>")?;
    writeln!(out, "<h1>{title}</h1>")?;
    write_pairs(&mut out, "meta header", &layout::header_lines(report, lang), false)?;
    if !report.totals.is_empty() {
        writeln!(out, "<h2>{}</h2>", escape(lang.word(Word::Summary)))?;
        write_pairs(&mut out, "meta totals", &layout::total_lines(&report.totals, lang), true)?;
    }
    for table in &report.sections {
        write_table(&mut out, table, lang)?;
    }
    writeln!(out, "</body>")?;
    writeln!(out, "</html>")?;
    out.flush()?;
    Ok(())
}

fn write_pairs(
    out: &mut impl Write,
    class: &str,
    lines: &[HeaderLine],
    numeric: bool,
) -> Result<(), ReportError> {
    let value_class = if numeric { " class=\"num\"" } else { "" };
    writeln!(out, "<table class=\"{class}\">")?;
    for line in lines {
        writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td{value_class}>{}</td></tr>",
            escape(&line.label),
            escape(&line.value)
        )?;
    }
    writeln!(out, "</table>")?;
    Ok(())
}

fn write_table(out: &mut impl Write, table: &Table, lang: Lang) -> Result<(), ReportError> {
    writeln!(out, "<section>")?;
    let name = table.name.get(lang);
    if !name.is_empty() {
        writeln!(out, "<h2>{}</h2>", escape(name))?;
    }
    writeln!(out, "<table class=\"data\">")?;
    write!(out, "<thead><tr>")?;
    for column in &table.columns {
        write!(
            out,
            "<th scope=\"col\"{}>{}</th>",
            align(column.kind.is_numeric()),
            escape(column.header.get(lang))
        )?;
    }
    writeln!(out, "</tr></thead>")?;
    writeln!(out, "<tbody>")?;
    for row in &table.rows {
        match row.style {
            RowStyle::Normal => write!(out, "<tr>")?,
            style => write!(out, "<tr class=\"{}\">", style.name())?,
        }
        for (index, column) in table.columns.iter().enumerate() {
            write!(
                out,
                "<td{}>{}</td>",
                align(column.kind.is_numeric()),
                escape(&layout::human_cell(row, index, &column.kind, lang))
            )?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody>")?;
    writeln!(out, "</table>")?;
    writeln!(out, "</section>")?;
    Ok(())
}

fn align(numeric: bool) -> &'static str {
    if numeric { " class=\"num\"" } else { "" }
}

/// Escapes text for element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}
