// Reports: pick a report of the server's catalogue, its period and
// filters, format and language; run it (POST /reports/runs), follow its
// progress (polled every 500 ms), then download it or read its preview in
// a sandboxed frame. Below, the recent runs.

import { api } from "../api.js";
import { h, replace, valueLabel } from "../dom.js";
import { language, onLanguageChange } from "../i18n.js";
import { bytes, dateTime, localDate } from "../format.js";
import { announceKey, loading, notice } from "../ui/feedback.js";
import { field, input, select } from "../ui/fields.js";
import { pageHeader, section } from "../ui/page.js";
import { cell, dataTable } from "../ui/table.js";

const POLL_MS = 500;
const FINISHED = new Set(["done", "failed"]);

const RUN_COLUMNS = [
  { id: "created", i18n: "reports.colCreated" },
  { id: "report", i18n: "reports.colReport" },
  { id: "period", i18n: "reports.colPeriod" },
  { id: "format", i18n: "reports.colFormat" },
  { id: "state", i18n: "reports.colState" },
  { id: "size", i18n: "reports.colSize", numeric: true },
  { id: "links", i18n: "reports.colLinks" },
];

// A report's title in the language shown (the catalogue has both).
function title(entry) {
  return (language() === "zh" ? entry.title.zh : entry.title.en) || entry.name;
}

export function mountReports(container) {
  let catalogue = [];
  let pollTimer = null;
  const controller = new AbortController();
  let watching = null; // the id of the run followed

  const today = new Date();
  const controls = {
    report: h("select", { name: "report", test: "reports-select", required: true }),
    from: input({ type: "date", name: "from", test: "reports-from", required: true, value: localDate(new Date(today.getFullYear(), today.getMonth(), 1)) }),
    to: input({ type: "date", name: "to", test: "reports-to", required: true, value: localDate(today) }),
    format: h("select", { name: "format", test: "reports-format" }),
    language: select({ name: "language", test: "reports-language" }, [
      { value: "en", i18n: "reports.langEn" },
      { value: "zh", i18n: "reports.langZh" },
    ]),
    department: input({ name: "department", test: "reports-department", spellcheck: "false", i18nPlaceholder: "reports.departmentHint" }),
    extension: input({ name: "extension", test: "reports-extension", inputmode: "numeric", spellcheck: "false" }),
    top: input({ type: "number", name: "top", min: "1", max: "10000", inputmode: "numeric" }),
  };
  controls.language.value = language();
  const optional = {
    department: field({ i18n: "reports.department", className: "span-2" }, controls.department),
    extension: field({ i18n: "reports.extension" }, controls.extension),
    top: field({ i18n: "reports.top" }, controls.top),
  };
  const formError = h("p", { class: "form-error", role: "alert", hidden: true });
  const runButton = h("button", { type: "submit", class: "button primary", test: "reports-run", i18n: "reports.run" });
  const form = h(
    "form",
    { class: "filters card", novalidate: true, i18nLabel: "reports.form" },
    h(
      "div",
      { class: "filter-grid" },
      field({ i18n: "reports.report", className: "span-2" }, controls.report),
      field({ i18n: "reports.from" }, controls.from),
      field({ i18n: "reports.to" }, controls.to),
      field({ i18n: "reports.format" }, controls.format),
      field({ i18n: "reports.language" }, controls.language),
      optional.department,
      optional.extension,
      optional.top,
    ),
    formError,
    h("div", { class: "form-actions" }, runButton),
  );
  const problem = h("div");
  const current = h("div", { class: "report-run" });
  const runsBody = h("div");
  const refreshRuns = h("button", { type: "button", class: "button", i18n: "reports.refresh", on: { click: () => loadRuns() } });

  container.append(
    h(
      "div",
      { class: "page page-reports" },
      pageHeader("nav.reports"),
      problem,
      form,
      current,
      section("reports.recent", h("div", { class: "form-actions card-tools" }, refreshRuns), runsBody),
    ),
  );

  function fillCatalogue() {
    const chosen = controls.report.value;
    replace(controls.report, catalogue.map((entry) => h("option", { value: entry.name, text: title(entry) })));
    if (chosen) controls.report.value = chosen;
    chooseReport();
  }

  // Shows the fields the chosen report takes, and its formats.
  function chooseReport() {
    const entry = catalogue.find((e) => e.name === controls.report.value);
    if (!entry) return;
    for (const name of ["department", "extension", "top"]) {
      optional[name].hidden = entry.needs[name] === "unused";
      controls[name].required = entry.needs[name] === "required";
    }
    if (entry.default_top && !controls.top.value) controls.top.value = String(entry.default_top);
    const format = controls.format.value;
    replace(controls.format, entry.formats.map((f) => h("option", { value: f, text: f.toUpperCase() })));
    if (entry.formats.includes(format)) controls.format.value = format;
  }
  controls.report.addEventListener("change", chooseReport);

  const fail = (control, i18n) => {
    formError.hidden = false;
    replace(formError, h("span", { i18n }));
    control.setAttribute("aria-invalid", "true");
    control.focus();
    return null;
  };

  // The form as the API's run input, or null after saying what is wrong.
  function read() {
    formError.hidden = true;
    for (const control of Object.values(controls)) control.removeAttribute("aria-invalid");
    const entry = catalogue.find((e) => e.name === controls.report.value);
    if (!entry) return fail(controls.report, "reports.pickReport");
    const from = controls.from.value;
    const to = controls.to.value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(from)) return fail(controls.from, "reports.badDay");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(to)) return fail(controls.to, "reports.badDay");
    if (to < from) return fail(controls.to, "reports.toBeforeFrom");
    const body = { report: entry.name, from, to, format: controls.format.value, language: controls.language.value };
    for (const name of ["department", "extension"]) {
      const value = controls[name].value.trim();
      if (entry.needs[name] === "unused") continue;
      if (!value && entry.needs[name] === "required") return fail(controls[name], "reports.required");
      if (!value) continue;
      // A department is an id or a path (Company\Sales).
      body[name] = name === "department" && /^\d+$/.test(value) ? Number(value) : value;
    }
    if (entry.needs.top !== "unused") {
      const top = controls.top.value.trim();
      if (top) {
        if (!/^\d+$/.test(top) || Number(top) < 1 || Number(top) > 10000) return fail(controls.top, "reports.badTop");
        body.top = Number(top);
      } else if (entry.needs.top === "required") {
        return fail(controls.top, "reports.required");
      }
    }
    return body;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = read();
    if (!body) return;
    runButton.disabled = true;
    replace(problem);
    try {
      const run = await api.post("/reports/runs", body, { signal: controller.signal });
      follow(run);
      loadRuns();
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(problem, notice("error", error.message));
    } finally {
      runButton.disabled = false;
    }
  });

  // Shows a run and, until it has finished, asks for it again.
  function follow(run) {
    clearTimeout(pollTimer);
    watching = run.id;
    showRun(run);
    if (FINISHED.has(run.state)) {
      announceKey(run.state === "done" ? "reports.ready" : "reports.failed");
      loadRuns();
      return;
    }
    pollTimer = setTimeout(async () => {
      try {
        const next = await api.get(`/reports/runs/${encodeURIComponent(run.id)}`, undefined, { signal: controller.signal });
        if (watching === run.id) follow(next);
      } catch (error) {
        if (error.name === "AbortError") return;
        replace(problem, notice("error", error.message));
      }
    }, POLL_MS);
  }

  function showRun(run) {
    const percent = Math.round((run.progress || 0) * 100);
    const bar = h("progress", {
      class: "report-progress",
      test: "reports-progress",
      max: "100",
      value: String(percent),
      i18nLabel: "reports.progress",
    });
    const status = [
      valueLabel("span", "runstate", run.state, { class: `badge run-${run.state}` }),
      run.phase && !FINISHED.has(run.state) ? valueLabel("span", "runphase", run.phase, { class: "muted" }) : null,
      h("span", { class: "tnum", text: `${percent} %` }),
    ];
    const parts = [
      h("h2", { class: "card-title" }, h("span", { text: reportTitle(run.report) }), " ", h("span", { class: "muted small", text: `${run.from} – ${run.to}` })),
      h("div", { class: "report-status" }, status),
      bar,
    ];
    if (run.state === "failed") parts.push(notice("error", run.error || ""));
    if (run.state === "done") {
      parts.push(
        h(
          "div",
          { class: "form-actions" },
          h("a", { class: "button primary", test: "reports-download", href: run.download, download: run.filename, i18n: "reports.download" }),
          h("span", { class: "muted small", text: `${run.filename} · ${bytes(run.size_bytes)}` }),
          run.preview ? h("a", { class: "button", href: run.preview, target: "_blank", rel: "noopener", i18n: "reports.openPreview" }) : null,
        ),
      );
      if (run.preview) {
        // Sandboxed without scripts: the preview is the report's own HTML (or JSON).
        parts.push(h("iframe", { class: "report-preview", test: "reports-preview", sandbox: "", src: run.preview, i18nTitle: "reports.preview" }));
      }
    }
    replace(current, h("section", { class: "card" }, parts));
  }

  function reportTitle(name) {
    const entry = catalogue.find((e) => e.name === name);
    return entry ? title(entry) : name;
  }

  async function loadRuns() {
    try {
      const runs = await api.get("/reports/runs", undefined, { signal: controller.signal });
      showRuns(runs);
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(runsBody, notice("error", error.message));
    }
  }

  function showRuns(runs) {
    if (!runs.length) return replace(runsBody, h("p", { class: "muted", i18n: "reports.noRuns" }));
    const table = dataTable({ columns: RUN_COLUMNS, caption: "reports.recent", className: "table-compact" });
    const sorted = [...runs].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    table.body.append(
      ...sorted.map((run) =>
        h(
          "tr",
          {},
          cell(dateTime(run.created_at), { className: "nowrap" }),
          cell(reportTitle(run.report)),
          cell(`${run.from} – ${run.to}`, { className: "nowrap" }),
          cell(run.format.toUpperCase()),
          cell(valueLabel("span", "runstate", run.state, { class: `badge run-${run.state}`, title: run.error || undefined })),
          cell(run.size_bytes === null || run.size_bytes === undefined ? "" : bytes(run.size_bytes), { numeric: true }),
          cell(
            run.state === "done"
              ? [
                  h("a", { href: run.download, download: run.filename, i18n: "reports.download" }),
                  " · ",
                  h("button", { type: "button", class: "link-button", i18n: "reports.show", on: { click: () => follow(run) } }),
                ]
              : run.state === "failed"
                ? h("span", { class: "text-warn", text: run.error || "" })
                : h("button", { type: "button", class: "link-button", i18n: "reports.show", on: { click: () => follow(run) } }),
            { className: "nowrap" },
          ),
        ),
      ),
    );
    replace(runsBody, table.element);
  }

  async function load() {
    replace(current);
    replace(runsBody, loading());
    try {
      catalogue = await api.get("/reports", undefined, { signal: controller.signal });
      fillCatalogue();
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(problem, notice("error", error.message));
      runButton.disabled = true;
    }
    loadRuns();
  }

  // Report titles come from the API in both languages: show the other one.
  const stopListening = onLanguageChange(() => {
    fillCatalogue();
    loadRuns();
  });
  load();

  return {
    unmount() {
      stopListening();
      clearTimeout(pollTimer);
      controller.abort();
    },
  };
}
