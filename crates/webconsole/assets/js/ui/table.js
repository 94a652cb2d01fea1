// Data tables: header cells with scope, optional sorting by header,
// numeric columns right-aligned, a scrolling frame for narrow screens.

import { h } from "../dom.js";

// columns: [{ id, i18n, numeric?, sort? (the API's sort name), className? }]
// sort: the current sort ("cost" ascending, "-cost" descending) or "".
// onSort(next): called with the sort a header click asks for.
export function dataTable({ columns, caption, test, sort = "", onSort, className = "" }) {
  const head = h("thead", {}, h("tr", {}, columns.map((column) => headerCell(column, sort, onSort))));
  const body = h("tbody");
  const table = h(
    "table",
    { class: `table ${className}`.trim(), test },
    caption ? h("caption", { class: "sr-only", i18n: caption }) : null,
    head,
    body,
  );
  const frame = h("div", { class: "table-frame" }, table);
  return { element: frame, table, body };
}

function headerCell(column, sort, onSort) {
  const classes = [column.numeric ? "num" : "", column.className || ""].join(" ").trim();
  if (!column.sort || !onSort) {
    return h("th", { scope: "col", class: classes || null, i18n: column.i18n });
  }
  const active = sort.replace(/^-/, "") === column.sort;
  const descending = active && sort.startsWith("-");
  const state = active ? (descending ? "descending" : "ascending") : "none";
  // First click sorts largest/latest first; a second click reverses.
  const next = active && descending ? column.sort : `-${column.sort}`;
  return h(
    "th",
    { scope: "col", class: classes || null, "aria-sort": state },
    h(
      "button",
      { type: "button", class: "sort-button", dataset: { sort: column.sort }, on: { click: () => onSort(next) } },
      h("span", { i18n: column.i18n }),
      h("span", { class: `sort-mark sort-${state}`, "aria-hidden": "true" }),
    ),
  );
}

// A body cell; numeric cells are right-aligned with tabular digits.
export function cell(content, { numeric = false, className = "", title } = {}) {
  const classes = [numeric ? "num" : "", className].join(" ").trim();
  return h("td", { class: classes || null, title }, content);
}
