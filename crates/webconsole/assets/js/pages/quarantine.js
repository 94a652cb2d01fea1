// Quarantine: the records that could not be stored, oldest first, a page
// at a time; one opens with its raw bytes as text; retry one or all (of
// the PBX filtered on) and see what became of each.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { dateTime, integer } from "../format.js";
import { go } from "../router.js";
import { empty, notice } from "../ui/feedback.js";
import { field, input } from "../ui/fields.js";
import { pageHeader } from "../ui/page.js";
import { openPanel } from "../ui/panel.js";
import { cell, dataTable } from "../ui/table.js";

const PAGE_SIZE = 100;
// Outcomes listed after a retry of many, at most (the counts say the rest).
const OUTCOMES_SHOWN = 200;

const COLUMNS = [
  { id: "id", i18n: "quarantine.colId", numeric: true },
  { id: "received", i18n: "quarantine.colReceived" },
  { id: "pbx", i18n: "quarantine.colPbx" },
  { id: "format", i18n: "quarantine.colFormat" },
  { id: "place", i18n: "quarantine.colPlace" },
  { id: "reason", i18n: "quarantine.colReason" },
  { id: "state", i18n: "quarantine.colState" },
];

// What a retry did, as a notice with the counts and the records still bad.
function outcome(result) {
  const bad = result.records.filter((r) => r.outcome === "still_bad").slice(0, OUTCOMES_SHOWN);
  return h(
    "div",
    { class: "notice notice-info retry-result", role: "status", test: "quarantine-outcome" },
    h("span", {
      i18n: "quarantine.retried",
      i18nArgs: {
        stored: integer(result.stored),
        duplicates: integer(result.duplicates),
        bad: integer(result.still_bad),
        held: integer(result.held),
      },
    }),
    bad.length
      ? h(
          "ul",
          { class: "retry-list" },
          bad.map((r) => h("li", {}, h("code", { text: `#${r.id}` }), " ", h("span", { text: r.reason ?? "" }))),
        )
      : null,
  );
}

export function mountQuarantine(container, params) {
  let records = [];
  let next = null;
  let controller = null;
  let panel = null;
  let query = {};

  const controls = {
    pbx: input({ name: "pbx", spellcheck: "false" }),
    all: h("input", { type: "checkbox", name: "all" }),
  };
  const form = h(
    "form",
    { class: "filters card", novalidate: true, i18nLabel: "quarantine.filters" },
    h(
      "div",
      { class: "filter-grid" },
      field({ i18n: "quarantine.pbx" }, controls.pbx),
      h("label", { class: "check-field field-end" }, controls.all, h("span", { i18n: "quarantine.includeReleased" })),
    ),
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit", class: "button primary", i18n: "calls.search" }),
      h("button", { type: "button", class: "button", i18n: "calls.reset", on: { click: () => go("quarantine", {}) } }),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go("quarantine", { pbx: controls.pbx.value.trim(), all: controls.all.checked ? "true" : "" });
  });

  const held = h("span", { class: "muted", test: "quarantine-held" });
  const retryAll = h("button", {
    type: "button",
    class: "button primary",
    test: "quarantine-retry-all",
    i18n: "quarantine.retryAll",
    on: { click: () => retryMany() },
  });
  const result = h("div");
  const problem = h("div");
  const results = h("div", { class: "results" });
  const more = h("button", { type: "button", class: "button", i18n: "calls.more", hidden: true, on: { click: () => load(true) } });

  container.append(
    h(
      "div",
      { class: "page page-quarantine" },
      pageHeader("nav.quarantine", held, retryAll),
      form,
      result,
      problem,
      results,
      h("div", { class: "more-row" }, more),
    ),
  );

  function row(record) {
    const open = () => {
      panel?.close();
      panel = openRecord(record.id, afterRetry);
    };
    return h(
      "tr",
      {
        class: record.released ? "clickable" : "clickable row-warn",
        tabindex: "0",
        test: "quarantine-row",
        dataset: { id: record.id },
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
      cell(String(record.id), { numeric: true }),
      cell(dateTime(record.received_at), { className: "nowrap" }),
      cell(record.pbx),
      cell(h("code", { text: record.format })),
      cell(h("span", { class: "mono", text: record.place }), { className: "truncate", title: record.place }),
      cell(record.reason, { className: "truncate reason-cell", title: record.reason }),
      cell(stateBadge(record)),
    );
  }

  function show(added) {
    if (!records.length) {
      replace(results, empty(query.all ? "quarantine.noneAtAll" : "quarantine.none", "quarantine-empty"));
    } else if (added && results.querySelector("tbody")) {
      results.querySelector("tbody").append(...added.map(row));
    } else {
      const table = dataTable({ columns: COLUMNS, caption: "quarantine.caption", test: "quarantine-table" });
      table.body.append(...records.map(row));
      replace(results, table.element);
    }
    more.hidden = !next;
  }

  async function load(append) {
    controller?.abort();
    controller = new AbortController();
    more.disabled = true;
    replace(problem);
    try {
      const page = await api.get(
        "/quarantine",
        { ...query, after: append ? next : "", limit: PAGE_SIZE },
        { signal: controller.signal },
      );
      records = append ? records.concat(page.records) : page.records;
      next = page.next ?? null;
      replace(held, h("span", { i18n: "quarantine.held", i18nArgs: { n: integer(page.held) } }));
      retryAll.disabled = page.held === 0;
      show(append ? page.records : null);
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(problem, notice("error", error.message));
    } finally {
      more.disabled = false;
    }
  }

  async function retryMany() {
    const message = query.pbx ? t("quarantine.confirmRetryPbx", { pbx: query.pbx }) : t("quarantine.confirmRetryAll");
    if (!window.confirm(message)) return;
    retryAll.disabled = true;
    replace(result, h("p", { class: "muted", i18n: "quarantine.retrying" }));
    try {
      const answer = await api.post("/quarantine/retry", undefined, { query: { pbx: query.pbx } });
      replace(result, outcome(answer));
    } catch (error) {
      replace(result, notice("error", error.message));
    }
    load(false);
  }

  // After one record's retry in the panel: the list changed.
  function afterRetry(answer) {
    replace(result, outcome(answer));
    load(false);
  }

  function search(params) {
    query = { pbx: (params.get("pbx") ?? "").trim(), all: params.get("all") === "true" ? "true" : "" };
    controls.pbx.value = query.pbx;
    controls.all.checked = query.all === "true";
    panel?.close();
    replace(result);
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

function stateBadge(record) {
  return record.released
    ? h("span", { class: "badge state-connected", title: record.released_at ? dateTime(record.released_at) : undefined, i18n: "quarantine.released" })
    : h("span", { class: "badge status-unrated", i18n: "quarantine.stillHeld" });
}

// One record in a side panel, read in full (its bytes), with a retry.
function openRecord(id, onRetried) {
  const controller = new AbortController();
  const panel = openPanel({
    title: h("span", { i18n: "quarantine.record", i18nArgs: { id } }),
    test: "quarantine-detail",
    onClose: () => controller.abort(),
  });
  replace(panel.body, h("p", { class: "muted", i18n: "shell.loading" }));
  api
    .get(`/quarantine/${id}`, undefined, { signal: controller.signal })
    .then((record) => render(record))
    .catch((error) => {
      if (error.name !== "AbortError") replace(panel.body, notice("error", error.message));
    });

  function render(record) {
    const said = h("div");
    const retry = h("button", {
      type: "button",
      class: "button primary",
      test: "quarantine-retry",
      i18n: "quarantine.retry",
      disabled: record.released,
      on: {
        click: async () => {
          retry.disabled = true;
          try {
            const answer = await api.post(`/quarantine/${record.id}/retry`, undefined);
            const mine = answer.records.find((r) => r.id === record.id);
            replace(
              said,
              h(
                "div",
                { class: `notice ${mine?.outcome === "still_bad" ? "notice-error" : "notice-info"}`, role: "status", test: "quarantine-outcome" },
                h("span", {}, h("strong", { i18n: `outcome.${mine?.outcome ?? "still_bad"}` }), mine?.reason ? `: ${mine.reason}` : ""),
              ),
            );
            onRetried(answer);
            if (mine?.outcome === "still_bad") retry.disabled = false;
          } catch (error) {
            replace(said, notice("error", error.message));
            retry.disabled = false;
          }
        },
      },
    });
    const item = (i18n, value) => [h("dt", { i18n }), h("dd", {}, value)];
    replace(
      panel.body,
      h(
        "dl",
        { class: "detail-list" },
        item("quarantine.colState", stateBadge(record)),
        item("quarantine.colReceived", dateTime(record.received_at)),
        item("quarantine.colPbx", record.pbx),
        item("quarantine.colFormat", h("code", { text: record.format })),
        item("quarantine.colPlace", h("span", { class: "mono", text: record.place })),
        item("quarantine.colReason", h("span", { class: "wrap", text: record.reason })),
      ),
      h("div", { class: "form-actions" }, retry),
      said,
      h("h3", { class: "detail-heading", i18n: "quarantine.raw" }),
      h("pre", { class: "raw-text", test: "quarantine-raw", text: record.raw_text }),
      record.header_text
        ? [h("h3", { class: "detail-heading", i18n: "quarantine.header" }), h("pre", { class: "raw-text", text: record.header_text })]
        : null,
      h("details", { class: "chart-table" }, h("summary", { i18n: "quarantine.base64" }), h("pre", { class: "raw-text wrap-text", text: record.raw_base64 })),
    );
  }

  return panel;
}
