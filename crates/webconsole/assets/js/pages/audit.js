// Audit log: changes made through the console and the API, newest first;
// filters (period, actor, entity) in the address; "older" pages by the
// last id shown; an entry opens a side panel comparing the entity before
// and after, field by field.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { dateTime, integer, localInputToRfc3339, rfc3339ToLocalInput } from "../format.js";
import { go } from "../router.js";
import { empty, notice } from "../ui/feedback.js";
import { field, input } from "../ui/fields.js";
import { pageHeader } from "../ui/page.js";
import { openPanel } from "../ui/panel.js";
import { cell, dataTable } from "../ui/table.js";

const PAGE_SIZE = 100;
const FILTERS = ["from", "to", "actor", "entity"];
// Entities the API audits, offered as suggestions (any text is accepted).
const ENTITIES = ["account", "token", "directory", "site", "pbx", "trunk", "department", "user", "extension", "quarantine", "tariffs"];

const COLUMNS = [
  { id: "at", i18n: "audit.colAt" },
  { id: "actor", i18n: "audit.colActor" },
  { id: "action", i18n: "audit.colAction" },
  { id: "entity", i18n: "audit.colEntity" },
  { id: "peer", i18n: "audit.colPeer" },
];

// A JSON value as rows of [path, text]: objects and arrays of objects
// opened up, scalars and arrays of scalars as JSON text.
export function flatten(value, path = "", out = new Map()) {
  const isObject = (v) => v !== null && typeof v === "object";
  if (isObject(value) && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (!keys.length && path) out.set(path, "{}");
    for (const key of keys) flatten(value[key], path ? `${path}.${key}` : key, out);
  } else if (Array.isArray(value) && value.some(isObject)) {
    value.forEach((item, index) => flatten(item, `${path}[${index}]`, out));
  } else if (value !== undefined) {
    out.set(path || "·", typeof value === "string" ? value : JSON.stringify(value));
  }
  return out;
}

export function mountAudit(container, params) {
  let entries = [];
  let more = false;
  let controller = null;
  let panel = null;
  let query = {};

  const controls = {
    from: input({ type: "datetime-local", step: "1", name: "from" }),
    to: input({ type: "datetime-local", step: "1", name: "to" }),
    actor: input({ name: "actor", spellcheck: "false", autocapitalize: "none" }),
    entity: input({ name: "entity", spellcheck: "false", autocapitalize: "none", list: "audit-entities" }),
  };
  const formError = h("p", { class: "form-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "filters card", novalidate: true, i18nLabel: "audit.filters" },
    h(
      "div",
      { class: "filter-grid" },
      field({ i18n: "calls.from", className: "span-2" }, controls.from),
      field({ i18n: "calls.to", className: "span-2" }, controls.to),
      field({ i18n: "audit.actor" }, controls.actor),
      field({ i18n: "audit.entity" }, controls.entity),
      h("datalist", { id: "audit-entities" }, ENTITIES.map((name) => h("option", { value: name }))),
    ),
    formError,
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit", class: "button primary", test: "audit-search", i18n: "calls.search" }),
      h("button", { type: "button", class: "button", i18n: "calls.reset", on: { click: () => go("audit", {}) } }),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    formError.hidden = true;
    const next = { actor: controls.actor.value.trim(), entity: controls.entity.value.trim() };
    for (const name of ["from", "to"]) {
      const raw = controls[name].value.trim();
      if (!raw) continue;
      const value = localInputToRfc3339(raw);
      if (!value) {
        formError.hidden = false;
        replace(formError, h("span", { i18n: name === "from" ? "calls.badFrom" : "calls.badTo" }));
        controls[name].focus();
        return;
      }
      next[name] = value;
    }
    go("audit", next);
  });

  const status = h("div", { class: "results-status" });
  const problem = h("div");
  const results = h("div", { class: "results" });
  const older = h("button", { type: "button", class: "button", test: "audit-older", i18n: "audit.older", hidden: true, on: { click: () => load(true) } });

  container.append(
    h(
      "div",
      { class: "page page-audit" },
      pageHeader("nav.audit"),
      form,
      h("div", { class: "results-bar" }, status),
      problem,
      results,
      h("div", { class: "more-row" }, older),
    ),
  );

  function row(entry) {
    const open = () => {
      panel?.close();
      panel = openEntry(entry);
    };
    return h(
      "tr",
      {
        class: "clickable",
        tabindex: "0",
        test: "audit-row",
        dataset: { id: entry.id },
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
      cell(h("time", { datetime: entry.at, text: dateTime(entry.at) }), { className: "nowrap" }),
      cell(entry.actor),
      cell(h("code", { text: entry.action })),
      cell([entry.entity, entry.entity_id ? h("span", { class: "muted", text: ` #${entry.entity_id}` }) : null]),
      cell(entry.peer ? h("span", { class: "mono", text: entry.peer }) : h("span", { class: "muted", text: "—" })),
    );
  }

  function show(added) {
    if (!entries.length) {
      replace(results, empty("audit.none", "audit-empty"));
    } else if (added && results.querySelector("tbody")) {
      results.querySelector("tbody").append(...added.map(row));
    } else {
      const table = dataTable({ columns: COLUMNS, caption: "audit.caption", test: "audit-table" });
      table.body.append(...entries.map(row));
      replace(results, table.element);
    }
    older.hidden = !more;
    replace(status, h("span", { i18n: "audit.shown", i18nArgs: { n: integer(entries.length) } }));
  }

  async function load(append) {
    controller?.abort();
    controller = new AbortController();
    older.disabled = true;
    replace(problem);
    try {
      const before = append && entries.length ? entries[entries.length - 1].id : "";
      const page = await api.get("/audit", { ...query, before, limit: PAGE_SIZE }, { signal: controller.signal });
      entries = append ? entries.concat(page) : page;
      // A full page may have older entries behind it.
      more = page.length === PAGE_SIZE;
      show(append ? page : null);
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(problem, notice("error", error.message));
    } finally {
      older.disabled = false;
    }
  }

  function search(params) {
    query = {};
    for (const name of FILTERS) query[name] = params.get(name) ?? "";
    controls.from.value = rfc3339ToLocalInput(query.from);
    controls.to.value = rfc3339ToLocalInput(query.to);
    controls.actor.value = query.actor;
    controls.entity.value = query.entity;
    panel?.close();
    entries = [];
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

// One entry: who, what, and the entity before and after, field by field.
function openEntry(entry) {
  const panel = openPanel({ title: h("code", { text: entry.action }), test: "audit-detail" });
  const before = flatten(entry.before ?? {});
  const after = flatten(entry.after ?? {});
  const paths = [...new Set([...before.keys(), ...after.keys()])];
  const changed = paths.filter((path) => before.get(path) !== after.get(path));
  const same = paths.filter((path) => before.get(path) === after.get(path));
  const value = (map, path) =>
    map.has(path) ? h("span", { class: "diff-value", text: map.get(path) }) : h("span", { class: "muted", text: "—" });
  const diffRow = (path, kind) => {
    const classes = { changed: "diff-changed", added: "diff-added", removed: "diff-removed", same: "diff-same" };
    return h("tr", { class: classes[kind] }, cell(h("code", { text: path })), cell(value(before, path)), cell(value(after, path)));
  };
  const kindOf = (path) => (!before.has(path) ? "added" : !after.has(path) ? "removed" : "changed");
  const table = dataTable({
    columns: [
      { id: "field", i18n: "audit.field" },
      { id: "before", i18n: "audit.before" },
      { id: "after", i18n: "audit.after" },
    ],
    caption: "audit.diff",
    test: "audit-diff",
    className: "table-compact diff-table",
  });
  table.body.append(...changed.map((path) => diffRow(path, kindOf(path))), ...same.map((path) => diffRow(path, "same")));
  const raw = (i18n, data) =>
    h("details", { class: "chart-table" }, h("summary", { i18n }), h("pre", { class: "raw-text", text: JSON.stringify(data ?? null, null, 2) }));
  replace(
    panel.body,
    h(
      "dl",
      { class: "detail-list" },
      h("dt", { i18n: "audit.colAt" }),
      h("dd", { text: dateTime(entry.at) }),
      h("dt", { i18n: "audit.colActor" }),
      h("dd", { text: entry.actor }),
      h("dt", { i18n: "audit.colEntity" }),
      h("dd", { text: entry.entity_id ? `${entry.entity} #${entry.entity_id}` : entry.entity }),
      h("dt", { i18n: "audit.colPeer" }),
      h("dd", { text: entry.peer ?? "—" }),
    ),
    h("h3", { class: "detail-heading", i18n: "audit.changes", i18nArgs: { n: changed.length } }),
    paths.length ? table.element : h("p", { class: "muted", i18n: "audit.noData" }),
    raw("audit.rawBefore", entry.before),
    raw("audit.rawAfter", entry.after),
  );
  return panel;
}
