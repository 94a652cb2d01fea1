// Directory: sites, PBXs, trunks, departments, users and extensions, one
// tab each (the tab in the address), a searchable table; administrators
// and operators create and edit in a side panel, delete after a
// confirmation, import a directory TOML or extension CSV; everyone who
// may read it can export it.

import { api, apiUrl } from "../api.js";
import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { integer } from "../format.js";
import { go } from "../router.js";
import { currentAccount } from "../session.js";
import { empty, loading, notice } from "../ui/feedback.js";
import { field, input } from "../ui/fields.js";
import { pageHeader } from "../ui/page.js";
import { openPanel } from "../ui/panel.js";
import { cell, dataTable } from "../ui/table.js";
import { KINDS, dayIn, nameOf, readFields } from "./directory-kinds.js";

const WRITERS = new Set(["admin", "operator"]);
// Rows drawn at most; the search narrows the rest.
const MAX_ROWS = 500;

export function mountDirectory(container, params) {
  const controller = new AbortController();
  const mayEdit = WRITERS.has(currentAccount()?.role);
  let directory = null;
  let kind = KINDS[0];
  let panel = null;

  const tabs = h(
    "div",
    { class: "tabs", role: "tablist", i18nLabel: "directory.kinds" },
    KINDS.map((k) =>
      h("button", {
        type: "button",
        role: "tab",
        class: "tab",
        test: `directory-tab-${k.id}`,
        dataset: { kind: k.id },
        i18n: k.i18n,
        on: { click: () => go("directory", { kind: k.id }) },
      }),
    ),
  );
  const search = input({ type: "search", name: "q", test: "directory-search", i18nPlaceholder: "directory.search", i18nLabel: "directory.search" });
  search.addEventListener("input", () => show());
  const create = mayEdit
    ? h("button", { type: "button", class: "button primary", test: "directory-new", i18n: "directory.new", on: { click: () => edit(null) } })
    : null;
  const count = h("span", { class: "results-status" });
  const problem = h("div");
  const said = h("div");
  const results = h("div", { class: "results" });

  container.append(
    h(
      "div",
      { class: "page page-directory" },
      pageHeader(
        "nav.directory",
        h("a", { class: "button", href: apiUrl("/directory/export", { format: "toml" }), download: "directory.toml", test: "directory-export-toml", i18n: "directory.exportToml" }),
        h("a", { class: "button", href: apiUrl("/directory/export", { format: "csv" }), download: "extensions.csv", test: "directory-export-csv", i18n: "directory.exportCsv" }),
      ),
      mayEdit ? importForm() : null,
      said,
      problem,
      tabs,
      h("div", { class: "directory-tools" }, search, count, create),
      results,
    ),
  );

  function importForm() {
    const file = h("input", { type: "file", accept: ".toml,.csv,application/toml,text/csv", test: "directory-file" });
    const submit = h("button", { type: "submit", class: "button", test: "directory-import", i18n: "directory.import" });
    const form = h(
      "form",
      { class: "import-form card", novalidate: true },
      field({ i18n: "directory.importFile", hint: "directory.importHint" }, file),
      submit,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = file.files?.[0];
      if (!chosen) return replace(said, notice("error", { i18n: "directory.pickFile" }));
      // The API tells the two apart by the media type.
      const type = /\.csv$/i.test(chosen.name) || chosen.type === "text/csv" ? "text/csv" : "application/toml";
      submit.disabled = true;
      try {
        const summary = await api.upload("/directory/import", await chosen.text(), type);
        replace(
          said,
          notice("info", {
            i18n: "directory.imported",
            i18nArgs: {
              sites: integer(summary.sites),
              pbxs: integer(summary.pbxs),
              trunks: integer(summary.trunks),
              departments: integer(summary.departments),
              users: integer(summary.users),
              extensions: integer(summary.extensions),
            },
          }),
          summary.warning ? notice("error", summary.warning) : null,
        );
        file.value = "";
        load();
      } catch (error) {
        replace(said, notice("error", error.message));
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  // The name of the entity of `refKind` with `id`, or "#id" when unknown.
  function refName(refKind, id) {
    if (id === null || id === undefined) return null;
    const found = directory[refKind].find((e) => e.id === id);
    return found ? nameOf(refKind, found) : `#${id}`;
  }

  // An extension's day in its site's zone (UTC without a site).
  function day(entity, key) {
    const site = directory.sites.find((s) => s.id === entity.site_id);
    return entity[key] ? dayIn(entity[key], site?.time_zone) : "";
  }

  function text(entity, column) {
    const value = column.ref ? refName(column.ref, entity[column.key]) : column.day ? day(entity, column.key) : entity[column.key];
    return value === null || value === undefined ? "" : String(value);
  }

  function show() {
    if (!directory) return;
    for (const tab of tabs.children) tab.setAttribute("aria-selected", String(tab.dataset.kind === kind.id));
    const all = directory[kind.id];
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const matching = all.filter((entity) => {
      const line = [String(entity.id), ...kind.columns.map((c) => text(entity, c))].join(" ").toLowerCase();
      return words.every((word) => line.includes(word));
    });
    replace(count, h("span", { i18n: "directory.count", i18nArgs: { n: integer(matching.length), total: integer(all.length) } }));
    if (!matching.length) return replace(results, empty(all.length ? "directory.noMatch" : "directory.none", "directory-empty"));
    const table = dataTable({
      columns: [{ id: "id", i18n: "directory.id", numeric: true }, ...kind.columns.map((c) => ({ id: c.key, i18n: c.i18n }))],
      caption: kind.i18n,
      test: "directory-table",
    });
    table.body.append(
      ...matching.slice(0, MAX_ROWS).map((entity) => {
        const open = () => edit(entity);
        return h(
          "tr",
          {
            class: "clickable",
            tabindex: "0",
            test: "directory-row",
            dataset: { id: entity.id },
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
          cell(String(entity.id), { numeric: true }),
          kind.columns.map((c) => {
            const value = text(entity, c);
            return cell(value || h("span", { class: "muted", text: "—" }), { className: "truncate", title: value || undefined });
          }),
        );
      }),
    );
    replace(
      results,
      table.element,
      matching.length > MAX_ROWS ? h("p", { class: "muted small", i18n: "directory.more", i18nArgs: { n: integer(MAX_ROWS) } }) : null,
    );
  }

  // The panel showing one entity (or a new one); a form for those who may edit.
  function edit(entity) {
    panel?.close();
    const creating = entity === null;
    const current = kind;
    panel = openPanel({
      title: creating ? h("span", { i18n: "directory.newOf", i18nArgs: { kind: t(current.i18n) } }) : h("span", { text: `${t(current.i18n)} #${entity.id}` }),
      test: "directory-panel",
    });
    const controls = {};
    const rows = current.fields
      .filter((f) => !(f.putOnly && creating))
      .map((f) => {
        const value = f.type === "date" && entity ? day(entity, f.key) : (entity?.[f.key] ?? "");
        let control;
        if (f.type === "ref") {
          const options = [...directory[f.ref]]
            .filter((e) => !(f.ref === current.id && e.id === entity?.id))
            .map((e) => ({ id: e.id, name: nameOf(f.ref, e) }))
            .sort((a, b) => a.name.localeCompare(b.name));
          control = h(
            "select",
            { name: f.key, required: f.required, disabled: !mayEdit },
            h("option", { value: "", i18n: f.required ? "directory.choose" : "directory.noRef" }),
            options.map((o) => h("option", { value: String(o.id), text: `${o.name} (#${o.id})` })),
          );
          control.value = value === "" ? "" : String(value);
        } else {
          control = input({
            name: f.key,
            type: f.type === "date" ? "date" : "text",
            value: String(value),
            required: f.required,
            readonly: !mayEdit,
            spellcheck: "false",
          });
        }
        controls[f.key] = control;
        return field({ i18n: f.i18n, hint: mayEdit ? f.hint : null }, control);
      });
    const error = h("div");
    const form = h("form", { class: "stack-form", novalidate: true }, rows, error);
    if (mayEdit) {
      const save = h("button", { type: "submit", class: "button primary", test: "directory-save", i18n: "directory.save" });
      form.append(h("div", { class: "form-actions" }, save));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        replace(error);
        const values = Object.fromEntries(Object.entries(controls).map(([key, control]) => [key, control.value]));
        const read = readFields(current.fields, values, !creating);
        if (read.error) {
          controls[read.key]?.focus();
          return replace(error, notice("error", { i18n: read.error }));
        }
        save.disabled = true;
        try {
          if (creating) await api.post(`/directory/${current.id}`, read.body);
          else await api.put(`/directory/${current.id}/${entity.id}`, read.body);
          panel?.close();
          replace(said, notice("info", { i18n: creating ? "directory.created" : "directory.saved" }));
          load();
        } catch (failure) {
          replace(error, notice("error", failure.message));
        } finally {
          save.disabled = false;
        }
      });
    }
    const parts = [form];
    if (mayEdit && !creating) {
      const remove = h("button", {
        type: "button",
        class: "button danger",
        test: "directory-delete",
        i18n: "directory.delete",
        on: {
          click: async () => {
            if (!window.confirm(t("directory.confirmDelete", { what: `${t(current.i18n)} #${entity.id}` }))) return;
            remove.disabled = true;
            try {
              await api.delete(`/directory/${current.id}/${entity.id}`);
              panel?.close();
              replace(said, notice("info", { i18n: "directory.deleted" }));
              load();
            } catch (failure) {
              // 409: the API names what still refers to it.
              replace(error, notice("error", failure.message));
              remove.disabled = false;
            }
          },
        },
      });
      parts.push(h("div", { class: "danger-zone" }, remove));
    }
    replace(panel.body, parts);
  }

  async function load() {
    if (!directory) replace(results, loading());
    try {
      directory = await api.get("/directory", undefined, { signal: controller.signal });
      replace(problem);
      show();
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(problem, notice("error", error.message));
    }
  }

  function choose(params) {
    kind = KINDS.find((k) => k.id === params.get("kind")) ?? KINDS[0];
    panel?.close();
    search.value = "";
    show();
  }

  choose(params);
  load();

  return {
    update: choose,
    unmount() {
      controller.abort();
      panel?.close();
    },
  };
}
