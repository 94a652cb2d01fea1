// Connectors: every PBX connector's state, asked again every 2 s. Rows are
// updated in place (keyed by PBX), so the table does not flicker and a
// selection survives the refresh. A silent connector is marked in words
// as well as colour.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { ago, bytes, dateTime, integer, time } from "../format.js";
import { empty, notice } from "../ui/feedback.js";
import { pageHeader } from "../ui/page.js";
import { dataTable } from "../ui/table.js";

const REFRESH_MS = 2000;

const COLUMNS = [
  { id: "pbx", i18n: "connectors.colPbx" },
  { id: "kind", i18n: "connectors.colKind" },
  { id: "state", i18n: "connectors.colState" },
  { id: "connections", i18n: "connectors.colConnections", numeric: true },
  { id: "records", i18n: "connectors.colRecords", numeric: true },
  { id: "bytes", i18n: "connectors.colBytes", numeric: true },
  { id: "errors", i18n: "connectors.colErrors", numeric: true },
  { id: "last_record", i18n: "connectors.colLastRecord", numeric: true },
  { id: "last_peer", i18n: "connectors.colLastPeer" },
  { id: "last_error", i18n: "connectors.colLastError" },
];

export function mountConnectors(container) {
  const updated = h("span", { class: "muted small" });
  const summary = h("div", { class: "summary-line" });
  const problem = h("div");
  const body = h("div", { class: "results" });
  const rows = new Map(); // pbx → { row, cells }
  let tableBody = null;
  let timer = null;
  let controller = null;
  let stopped = false;

  container.append(
    h(
      "div",
      { class: "page page-connectors" },
      pageHeader("nav.connectors", h("span", { class: "live-dot", "aria-hidden": "true" }), updated),
      summary,
      problem,
      body,
    ),
  );

  function ensureTable() {
    if (tableBody) return;
    const built = dataTable({ columns: COLUMNS, caption: "connectors.caption", test: "connectors-table" });
    tableBody = built.body;
    replace(body, built.element);
  }

  function rowFor(pbx) {
    let entry = rows.get(pbx);
    if (!entry) {
      const cells = Object.fromEntries(
        COLUMNS.map((column) => [column.id, h("td", { class: column.numeric ? "num" : null })]),
      );
      const row = h("tr", { test: "connector-row", dataset: { pbx } }, Object.values(cells));
      entry = { row, cells };
      rows.set(pbx, entry);
    }
    return entry;
  }

  // Sets a cell's content only when it changed.
  function put(td, key, build) {
    if (td.dataset.key === key) return;
    td.dataset.key = key;
    replace(td, build());
  }

  function show(connectors) {
    if (!connectors.length) {
      tableBody = null;
      rows.clear();
      replace(body, empty("connectors.none", "connectors-empty"));
      replace(summary);
      return;
    }
    ensureTable();
    const now = Date.now();
    const seen = new Set();
    connectors.forEach((c, index) => {
      seen.add(c.pbx);
      const { row, cells } = rowFor(c.pbx);
      row.classList.toggle("row-alert", c.silent);
      put(cells.pbx, c.pbx, () => h("strong", { text: c.pbx }));
      put(cells.kind, c.kind, () => h("code", { text: c.kind }));
      const state = c.silent ? "silent" : c.connections > 0 ? "connected" : "idle";
      put(cells.state, state, () => stateBadge(state));
      put(cells.connections, String(c.connections), () => integer(c.connections));
      put(cells.records, String(c.records), () => integer(c.records));
      put(cells.bytes, String(c.bytes), () => h("span", { title: `${integer(c.bytes)} B`, text: bytes(c.bytes) }));
      put(cells.errors, String(c.errors), () => (c.errors > 0 ? h("span", { class: "text-warn", text: integer(c.errors) }) : integer(c.errors)));
      const last = c.last_record_s === null ? "" : ago(c.last_record_s, now);
      put(cells.last_record, last, () =>
        c.last_record_s === null
          ? h("span", { class: "muted", i18n: "connectors.never" })
          : h("span", { title: dateTime(new Date(c.last_record_s * 1000)), text: last }),
      );
      put(cells.last_peer, c.last_peer ?? "", () => (c.last_peer ? h("span", { class: "mono", text: c.last_peer }) : dash()));
      put(cells.last_error, c.last_error ?? "", () =>
        c.last_error ? h("span", { class: "text-warn wrap", text: c.last_error }) : dash(),
      );
      // Keep the API's order.
      if (tableBody.children[index] !== row) tableBody.insertBefore(row, tableBody.children[index] ?? null);
    });
    for (const [pbx, entry] of rows) {
      if (!seen.has(pbx)) {
        entry.row.remove();
        rows.delete(pbx);
      }
    }
    const silent = connectors.filter((c) => c.silent).length;
    const open = connectors.reduce((sum, c) => sum + c.connections, 0);
    replace(
      summary,
      h("span", { i18n: "connectors.summary", i18nArgs: { n: connectors.length, open } }),
      silent ? h("span", { class: "badge badge-alert", i18n: "connectors.silentCount", i18nArgs: { n: silent } }) : null,
    );
  }

  async function refresh() {
    if (document.hidden) {
      // Nobody is looking: ask again once the tab is shown.
      timer = setTimeout(refresh, REFRESH_MS);
      return;
    }
    controller = new AbortController();
    try {
      const answer = await api.get("/connectors", undefined, { signal: controller.signal });
      show(answer.connectors || []);
      replace(problem);
      replace(updated, h("span", { i18n: "connectors.updated", i18nArgs: { time: time(new Date()) } }));
    } catch (error) {
      if (error.name === "AbortError") return;
      // Keep the last table, marked as out of date.
      replace(problem, notice("error", error.message));
    } finally {
      if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
    }
  }

  refresh();

  return {
    unmount() {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
    },
  };
}

function stateBadge(state) {
  const keys = {
    silent: "connectors.stateSilent",
    connected: "connectors.stateConnected",
    idle: "connectors.stateIdle",
  };
  return h("span", { class: `badge state-${state}`, i18n: keys[state] });
}

function dash() {
  return h("span", { class: "muted", text: "—" });
}
