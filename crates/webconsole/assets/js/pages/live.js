// Live feed: the calls being stored, as the server streams them
// (GET /api/v1/live, server-sent events). A running list of the newest
// calls, counters since the feed was opened (costs added exactly, as
// decimal strings), Pause/Resume, and filters that reconnect the stream.
//
// The filters live in the address (#/live?extension=…), like the calls
// search, so a filtered feed can be bookmarked.

import { api, apiUrl } from "../api.js";
import { h, replace, valueLabel } from "../dom.js";
import { addDecimals, dateTime, duration, integer, money, time } from "../format.js";
import { go } from "../router.js";
import { notice } from "../ui/feedback.js";
import { field, input, select } from "../ui/fields.js";
import { pageHeader } from "../ui/page.js";
import { cell, dataTable } from "../ui/table.js";
import { CALL_TYPES } from "./calls-filter.js";

const INTERVAL_MS = 1000;
// Rows kept in the table; older ones are dropped as new ones come.
const MAX_ROWS = 200;
// Wait before opening the stream again after the server closed it.
const RETRY_MS = 5000;
const FILTERS = ["extension", "department", "call_type"];

const COLUMNS = [
  { id: "start", i18n: "calls.colStart" },
  { id: "duration", i18n: "calls.colDuration", numeric: true },
  { id: "extension", i18n: "calls.colExtension" },
  { id: "user", i18n: "calls.colUser" },
  { id: "department", i18n: "calls.colDepartment" },
  { id: "dialled", i18n: "calls.colDialled" },
  { id: "call_type", i18n: "calls.colCallType" },
  { id: "destination", i18n: "calls.colDestination" },
  { id: "cost", i18n: "calls.colCost", numeric: true, className: "sticky-end" },
];

function filtersFrom(params) {
  const filters = {};
  for (const name of FILTERS) filters[name] = (params.get(name) ?? "").trim();
  return filters;
}

export function mountLive(container, params) {
  let filters = filtersFrom(params);
  let source = null;
  let retryTimer = null;
  let paused = false;
  let totals = null; // { calls, cost, since, whilePaused, currencies }

  const controls = {
    extension: input({ name: "extension", inputmode: "numeric", spellcheck: "false" }),
    department: input({ name: "department", inputmode: "numeric" }),
    call_type: select(
      { name: "call_type" },
      [{ value: "", i18n: "calls.anyType" }, ...CALL_TYPES.map((type) => ({ value: type, i18n: `calltype.${type}` }))],
    ),
  };
  const formError = h("p", { class: "form-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "filters card", novalidate: true, i18nLabel: "live.filters" },
    h(
      "div",
      { class: "filter-grid" },
      field({ i18n: "calls.extension" }, controls.extension),
      field({ i18n: "calls.department" }, controls.department),
      field({ i18n: "calls.callType" }, controls.call_type),
    ),
    formError,
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit", class: "button primary", i18n: "live.apply" }),
      h("button", { type: "button", class: "button", i18n: "calls.reset", on: { click: () => go("live", {}) } }),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const department = controls.department.value.trim();
    controls.department.removeAttribute("aria-invalid");
    if (department && !/^\d+$/.test(department)) {
      formError.hidden = false;
      replace(formError, h("span", { i18n: "calls.badId" }));
      controls.department.setAttribute("aria-invalid", "true");
      controls.department.focus();
      return;
    }
    formError.hidden = true;
    go("live", {
      extension: controls.extension.value.trim(),
      department,
      call_type: controls.call_type.value,
    });
  });

  const pause = h("button", {
    type: "button",
    class: "button",
    test: "live-pause",
    "aria-pressed": "false",
    i18n: "live.pause",
    on: { click: () => setPaused(!paused) },
  });
  const state = h("span", { class: "muted small", role: "status" });
  const dot = h("span", { class: "live-dot", test: "live-connected", "aria-hidden": "true", hidden: true });
  const rate = h("strong", { class: "kpi-value", test: "live-rate", text: "0" });
  const count = h("strong", { class: "kpi-value", test: "live-count", text: "0" });
  const cost = h("strong", { class: "kpi-value", text: "0" });
  const since = h("span", { class: "muted small" });
  const pausedNote = h("p", { class: "live-paused", hidden: true });
  const sampledNote = h("p", { class: "muted small live-sampled", hidden: true });
  const problem = h("div");
  const table = dataTable({ columns: COLUMNS, caption: "live.caption", test: "live-table", className: "table-calls" });
  const waiting = h("p", { class: "empty", i18n: "live.waiting" });

  container.append(
    h(
      "div",
      { class: "page page-live" },
      pageHeader("nav.live", dot, state, pause),
      form,
      h(
        "div",
        { class: "kpis card live-counters" },
        kpi("live.rate", rate),
        kpi("live.count", count),
        kpi("live.cost", cost),
      ),
      h("div", { class: "results-bar" }, since),
      problem,
      pausedNote,
      sampledNote,
      waiting,
      table.element,
    ),
  );

  function kpi(i18n, value) {
    return h("div", { class: "kpi" }, h("div", { class: "kpi-label", i18n }), value);
  }

  function setState(i18n, live) {
    replace(state, h("span", { i18n }));
    dot.hidden = !live;
  }

  function setPaused(value) {
    paused = value;
    pause.setAttribute("aria-pressed", String(paused));
    replace(pause, h("span", { i18n: paused ? "live.resume" : "live.pause" }));
    if (!paused) totals.whilePaused = 0;
    showPaused();
  }

  function showPaused() {
    pausedNote.hidden = !paused;
    replace(pausedNote, h("span", { i18n: "live.whilePaused", i18nArgs: { n: integer(totals.whilePaused) } }));
  }

  function showTotals() {
    count.textContent = integer(totals.calls);
    // One currency seen: say it; several (or none yet): the bare sum.
    const currency = totals.currencies.size === 1 ? [...totals.currencies][0] : null;
    cost.textContent = money(totals.cost, currency);
    replace(since, h("span", { i18n: "live.since", i18nArgs: { time: time(totals.since) } }));
  }

  function row(call) {
    const dash = () => h("span", { class: "muted", text: "—" });
    const text = (value) => (value === null || value === undefined || value === "" ? dash() : value);
    return h(
      "tr",
      { test: "live-row", class: call.status === "unrated" ? "row-warn" : null, dataset: { id: call.id } },
      cell(h("time", { datetime: call.start, text: dateTime(call.start) }), { className: "nowrap" }),
      cell(duration(call.duration_s), { numeric: true }),
      cell(text(call.extension)),
      cell(text(call.user)),
      cell(text(call.department), { className: "truncate", title: call.department ?? undefined }),
      cell(text(call.dialled), { className: "tnum" }),
      cell(call.call_type ? valueLabel("span", "calltype", call.call_type) : dash()),
      cell(text(call.destination), { className: "truncate", title: call.e164 || undefined }),
      cell(call.cost === null || call.cost === undefined ? dash() : money(call.cost, call.currency), {
        numeric: true,
        className: "nowrap sticky-end",
      }),
    );
  }

  function onCalls(event) {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return; // not an event this page understands
    }
    totals.calls += data.calls;
    try {
      totals.cost = addDecimals(totals.cost, data.cost);
    } catch {
      // A cost that is not a decimal: leave the sum as it was rather than guess.
    }
    for (const call of data.newest) if (call.currency) totals.currencies.add(call.currency);
    rate.textContent = integer(data.per_second);
    if (paused) {
      totals.whilePaused += data.calls;
      showPaused();
    } else if (data.newest.length) {
      waiting.hidden = true;
      table.element.hidden = false;
      table.body.prepend(...data.newest.map(row));
      while (table.body.rows.length > MAX_ROWS) table.body.lastElementChild.remove();
    }
    showTotals();
    sampledNote.hidden = !data.sampled || paused;
    if (data.sampled) {
      replace(
        sampledNote,
        h("span", {
          i18n: "live.sampled",
          i18nArgs: { shown: integer(data.newest.length), n: integer(data.calls) },
        }),
      );
    }
    replace(
      problem,
      data.missed_batches > 0
        ? notice("info", { i18n: "live.missed", i18nArgs: { n: integer(data.missed_batches) } })
        : null,
    );
  }

  function close() {
    clearTimeout(retryTimer);
    retryTimer = null;
    source?.close();
    source = null;
  }

  function connect() {
    close();
    setState("live.connecting", false);
    const url = apiUrl("/live", { interval_ms: INTERVAL_MS, ...filters });
    const stream = new EventSource(url);
    source = stream;
    stream.addEventListener("open", () => {
      if (source !== stream) return;
      replace(problem);
      setState("live.connected", true);
    });
    stream.addEventListener("calls", (event) => {
      if (source === stream) onCalls(event);
    });
    stream.addEventListener("error", () => {
      if (source !== stream) return;
      if (stream.readyState === EventSource.CONNECTING) {
        setState("live.reconnecting", false); // the browser retries by itself
        return;
      }
      // Closed: the server refused or ended the stream. A lapsed session
      // is handled by the API client (sign in again); otherwise try later.
      stream.close();
      setState("live.stopped", false);
      // (GET /tokens answers any signed-in account; a 401 there signs out.)
      api.get("/tokens").catch(() => {});
      replace(problem, notice("error", { i18n: "live.closed", i18nArgs: { s: RETRY_MS / 1000 } }));
      retryTimer = setTimeout(connect, RETRY_MS);
    });
  }

  // A new set of filters: counters and rows start again with the new stream.
  function start(params) {
    filters = filtersFrom(params);
    for (const name of FILTERS) controls[name].value = filters[name];
    formError.hidden = true;
    totals = { calls: 0, cost: "0", since: new Date(), whilePaused: 0, currencies: new Set() };
    table.body.replaceChildren();
    waiting.hidden = false;
    table.element.hidden = true;
    sampledNote.hidden = true;
    rate.textContent = "0";
    showTotals();
    setPaused(false);
    connect();
  }

  start(params);

  return {
    update: start,
    unmount: close,
  };
}
