// Calls: search by period, extension, number, department, call type,
// carrier and cost; a sortable table paged with the API's cursor; a row
// opens the call's details; the same search as a CSV download.
//
// The search lives in the address (#/calls?from=…), so it can be
// bookmarked and Back returns to the previous one.

import { api, apiUrl } from "../api.js";
import { h, replace, valueLabel } from "../dom.js";
import { dateTime, duration, integer, money } from "../format.js";
import { go } from "../router.js";
import { announceKey, empty, notice } from "../ui/feedback.js";
import { pageHeader } from "../ui/page.js";
import { cell, dataTable } from "../ui/table.js";
import { openCallDetail } from "./calls-detail.js";
import { FILTERS, defaultPeriod, filterForm } from "./calls-filter.js";

const PAGE_SIZE = 50;
const SORTS = new Set(["start", "-start", "cost", "-cost", "duration", "-duration"]);
const DEFAULT_SORT = "-start";

const COLUMNS = [
  { id: "start", i18n: "calls.colStart", sort: "start" },
  { id: "duration", i18n: "calls.colDuration", sort: "duration", numeric: true },
  { id: "extension", i18n: "calls.colExtension" },
  { id: "user", i18n: "calls.colUser" },
  { id: "department", i18n: "calls.colDepartment" },
  { id: "calling", i18n: "calls.colCalling" },
  { id: "dialled", i18n: "calls.colDialled" },
  { id: "call_type", i18n: "calls.colCallType" },
  { id: "destination", i18n: "calls.colDestination" },
  { id: "carrier", i18n: "calls.colCarrier" },
  { id: "status", i18n: "calls.colStatus" },
  // Last and pinned to the right edge, so it stays in view while the rest scrolls.
  { id: "cost", i18n: "calls.colCost", sort: "cost", numeric: true, className: "sticky-end" },
];

// The search the address asks for, with today as the default period.
function queryFrom(params) {
  const query = {};
  for (const name of FILTERS) query[name] = params.get(name) ?? "";
  if (!query.from || !query.to) Object.assign(query, defaultPeriod());
  const sort = params.get("sort");
  query.sort = SORTS.has(sort) ? sort : DEFAULT_SORT;
  return query;
}

export function mountCalls(container, params) {
  let query = queryFrom(params);
  let calls = [];
  let next = null;
  let controller = null;
  let panel = null;
  let tableBody = null;

  const form = filterForm({
    onSubmit: (filters) => go("calls", { ...filters, sort: query.sort }),
    onReset: () => go("calls", {}),
    onPreset: (period) => go("calls", { ...currentFilters(), ...period, sort: query.sort }),
  });
  const exportLink = h("a", {
    class: "button",
    test: "calls-export-csv",
    download: "calls.csv",
    i18n: "calls.exportCsv",
  });
  const status = h("div", { class: "results-status" });
  const progress = h("div", { class: "progress", hidden: true, "aria-hidden": "true" });
  const problem = h("div");
  const results = h("div", { class: "results" });
  const more = h("button", {
    type: "button",
    class: "button",
    test: "calls-next",
    i18n: "calls.more",
    hidden: true,
    on: { click: () => load(true) },
  });

  container.append(
    h(
      "div",
      { class: "page page-calls" },
      pageHeader("nav.calls", exportLink),
      form.element,
      h("div", { class: "results-bar" }, status, progress),
      problem,
      results,
      h("div", { class: "more-row" }, more),
    ),
  );

  // The filters of the search shown, for a preset or sort that keeps them.
  function currentFilters() {
    const { sort, ...filters } = query;
    return filters;
  }

  function table() {
    const built = dataTable({
      columns: COLUMNS,
      caption: "calls.caption",
      test: "calls-table",
      sort: query.sort,
      onSort: (sort) => go("calls", { ...currentFilters(), sort }),
      className: "table-calls",
    });
    built.body.append(...calls.map(row));
    return built;
  }

  function row(call) {
    const open = () => {
      panel?.close();
      panel = openCallDetail(call);
    };
    const text = (value) => (value === null || value === undefined || value === "" ? h("span", { class: "muted", text: "—" }) : value);
    return h(
      "tr",
      {
        class: call.status === "unrated" ? "row-warn clickable" : "clickable",
        test: "call-row",
        tabindex: "0",
        dataset: { id: call.id },
        on: {
          click: open,
          keydown: (event) => {
            if (event.key === "Enter" || event.key === " ") {
              event.preventDefault();
              open();
            }
          },
        },
      },
      cell(h("time", { datetime: call.start, title: call.start, text: dateTime(call.start) }), { className: "nowrap" }),
      cell(duration(call.duration_s), { numeric: true }),
      cell(text(call.extension)),
      cell(text(call.user)),
      cell(text(call.department), { className: "truncate", title: call.department ?? undefined }),
      cell(text(call.calling), { className: "tnum" }),
      cell(text(call.dialled), { className: "tnum" }),
      cell(valueLabel("span", "calltype", call.call_type)),
      cell(text(call.destination), { className: "truncate", title: call.e164 || undefined }),
      cell(text(call.carrier)),
      cell(valueLabel("span", "status", call.status, { class: `badge status-${call.status}`, title: call.reason || undefined })),
      cell(costCell(call), { numeric: true, className: "nowrap sticky-end" }),
    );
  }

  function costCell(call) {
    if (call.cost === null || call.cost === undefined) return h("span", { class: "muted", text: "—" });
    return [money(call.cost, null), " ", h("span", { class: "currency", text: call.currency ?? "" })];
  }

  // Shows the calls; `added` (a further page) is appended to the table
  // already shown, so focus and scroll stay where they are.
  function showResults(added) {
    if (!calls.length) {
      tableBody = null;
      replace(results, empty("calls.none", "calls-empty"));
    } else if (added && tableBody) {
      tableBody.append(...added.map(row));
    } else {
      const built = table();
      tableBody = built.body;
      replace(results, built.element);
    }
    more.hidden = !next;
    replace(
      status,
      h("span", {
        i18n: next ? "calls.shownMore" : "calls.shownAll",
        i18nArgs: { n: integer(calls.length) },
      }),
    );
  }

  async function load(append) {
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    progress.hidden = false;
    results.setAttribute("aria-busy", "true");
    more.disabled = true;
    replace(problem);
    try {
      const page = await api.get("/calls", { ...query, limit: PAGE_SIZE, cursor: append ? next : "" }, { signal });
      calls = append ? calls.concat(page.calls) : page.calls;
      next = page.next || null;
      showResults(append ? page.calls : null);
      announceKey(next ? "calls.shownMore" : "calls.shownAll", { n: integer(calls.length) });
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(problem, notice("error", error.message));
      if (!append) {
        calls = [];
        next = null;
        tableBody = null;
        replace(results);
        replace(status);
        more.hidden = true;
      }
    } finally {
      if (!signal.aborted) {
        progress.hidden = true;
        results.removeAttribute("aria-busy");
        more.disabled = false;
      }
    }
  }

  function search(params) {
    query = queryFrom(params);
    form.fill(query);
    exportLink.href = apiUrl("/calls/export", { ...query, format: "csv" });
    panel?.close();
    load(false);
  }

  search(params);

  return {
    update: search,
    unmount() {
      controller?.abort();
      panel?.close();
    },
  };
}
