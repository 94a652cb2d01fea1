//! HTML: standalone, escaped, numbers right-aligned, emphasised rows.

use report::{Label, Lang};

use crate::fixture::{call_listing, department_summary, report_with};

#[test]
fn text_is_escaped_everywhere() {
    let mut report = report_with(call_listing());
    report.title = Label::same("Q1 <b>R&D</b> \"calls\"");
    report.header.created_by = "O'Brien & <Sons>".into();
    let page = crate::html(&report, Lang::En);
    assert!(!page.contains("<script>"), "{page}");
    assert!(!page.contains("<b>"));
    assert!(page.contains("<title>Q1 &lt;b&gt;R&amp;D&lt;/b&gt; &quot;calls&quot;</title>"));
    assert!(page.contains("<td>O&#39;Brien &amp; &lt;Sons&gt;</td>"));
    assert!(page.contains("<td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co</td>"));
    assert!(page.contains("<td>Smith, &quot;Bob&quot;</td>"));
}

#[test]
fn page_is_standalone_and_printable() {
    let page = crate::html(&department_summary(), Lang::Zh);
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
    assert!(page.contains("<meta charset=\"utf-8\">"));
    assert!(page.contains("@media print"));
    for external in ["<script", "<link", "src=", "href=", "@import", "url("] {
        assert!(!page.contains(external), "page refers to {external}");
    }
}

#[test]
fn numbers_align_right_and_subtotals_are_bold() {
    let page = crate::html(&department_summary(), Lang::Zh);
    assert!(
        page.contains("<tr><td>Company\\BDWADGCS</td><td>李强</td><td class=\"num\">74.25</td>")
    );
    assert!(page.contains(
        "<tr class=\"subtotal\"><td>Company\\BDWADGCS</td><td></td><td class=\"num\"></td>"
    ));
    assert!(page.contains("<tr class=\"total\"><td>总计</td>"));
    assert!(page.contains("tr.subtotal td{font-weight:700"));
    assert!(page.contains(".num{text-align:right"));
}
