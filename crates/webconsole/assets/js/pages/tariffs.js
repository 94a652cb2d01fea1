// Tariffs: what a call would cost (the price check, with the engine's
// trace), the carriers and the stored tariff book's versions, the book's
// files to download and, for administrators and operators, a tariff TOML
// to import.

import { api, apiUrl } from "../api.js";
import { h, replace, valueLabel } from "../dom.js";
import { dateTime, duration, integer, localInputToRfc3339, money, toLocalInput } from "../format.js";
import { currentAccount } from "../session.js";
import { empty, loading, notice } from "../ui/feedback.js";
import { field, input } from "../ui/fields.js";
import { pageHeader, section } from "../ui/page.js";
import { cell, dataTable } from "../ui/table.js";

const WRITERS = new Set(["admin", "operator"]);

export function mountTariffs(container) {
  const controller = new AbortController();
  const mayImport = WRITERS.has(currentAccount()?.role);

  // The price check ----------------------------------------------------
  const price = {
    number: input({ name: "number", test: "price-number", inputmode: "tel", spellcheck: "false", required: true }),
    at: input({ type: "datetime-local", step: "1", name: "at", test: "price-at", required: true, value: toLocalInput(new Date()) }),
    duration: input({ type: "number", name: "duration_s", min: "0", test: "price-duration", inputmode: "numeric", value: "60" }),
    extension: input({ name: "extension", inputmode: "numeric", spellcheck: "false" }),
  };
  const priceError = h("p", { class: "form-error", role: "alert", hidden: true });
  const answer = h("div", { class: "price-answer" });
  const priceForm = h(
    "form",
    { novalidate: true, i18nLabel: "tariffs.priceCheck" },
    h(
      "div",
      { class: "filter-grid" },
      field({ i18n: "tariffs.number", hint: "tariffs.numberHint" }, price.number),
      field({ i18n: "tariffs.at", className: "span-2" }, price.at),
      field({ i18n: "tariffs.duration" }, price.duration),
      field({ i18n: "tariffs.fromExtension", hint: "tariffs.fromExtensionHint" }, price.extension),
    ),
    priceError,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "button primary", test: "price-submit", i18n: "tariffs.check" })),
  );
  const fail = (control, i18n) => {
    priceError.hidden = false;
    replace(priceError, h("span", { i18n }));
    control.setAttribute("aria-invalid", "true");
    control.focus();
  };
  priceForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    priceError.hidden = true;
    for (const control of Object.values(price)) control.removeAttribute("aria-invalid");
    const number = price.number.value.trim();
    if (!/^[0-9+*#]+$/.test(number)) return fail(price.number, "tariffs.badNumber");
    const at = localInputToRfc3339(price.at.value.trim());
    if (!at) return fail(price.at, "tariffs.badAt");
    const seconds = price.duration.value.trim();
    if (!/^\d+$/.test(seconds)) return fail(price.duration, "tariffs.badDuration");
    replace(answer, loading());
    try {
      const quote = await api.get(
        "/tariffs/price",
        { number, at, duration_s: seconds, extension: price.extension.value.trim() },
        { signal: controller.signal },
      );
      replace(answer, showQuote(quote));
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(answer, notice("error", error.message));
    }
  });

  // The book -------------------------------------------------------------
  const book = h("div");
  const files = h("div", { class: "file-links" });
  const importResult = h("div");
  const importPart = mayImport ? importForm() : null;

  function importForm() {
    const file = h("input", { type: "file", accept: ".toml,application/toml,text/plain", test: "tariffs-file" });
    const go = h("button", { type: "submit", class: "button primary", test: "tariffs-import", i18n: "tariffs.import" });
    const form = h(
      "form",
      { class: "import-form", novalidate: true },
      field({ i18n: "tariffs.importFile", hint: "tariffs.importHint" }, file),
      h("div", { class: "form-actions" }, go),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = file.files?.[0];
      if (!chosen) return replace(importResult, notice("error", { i18n: "tariffs.pickFile" }));
      go.disabled = true;
      replace(importResult, loading());
      try {
        const summary = await api.upload("/tariffs/import", await chosen.text(), "application/toml");
        replace(
          importResult,
          h(
            "div",
            { class: "notice notice-info", role: "status" },
            h("span", {
              i18n: "tariffs.imported",
              i18nArgs: {
                names: summary.carriers.map((c) => c.name).join(", "),
                carriers: integer(summary.total_carriers),
                prefixes: integer(summary.prefixes),
              },
            }),
          ),
        );
        file.value = "";
        loadBook();
      } catch (error) {
        replace(importResult, notice("error", error.message));
      } finally {
        go.disabled = false;
      }
    });
    return form;
  }

  async function loadBook() {
    replace(book, loading());
    try {
      const [carriers, tariffs, exported] = await Promise.all([
        api.get("/carriers", undefined, { signal: controller.signal }),
        api.get("/tariffs", undefined, { signal: controller.signal }),
        api.get("/tariffs/export", undefined, { signal: controller.signal }),
      ]);
      replace(book, showBook(carriers, tariffs));
      const names = Object.keys(exported.files ?? {});
      replace(
        files,
        h("span", { class: "muted small", i18n: "tariffs.files" }),
        names.map((name) => h("a", { class: "button", href: apiUrl("/tariffs/export", { file: name }), download: name, text: name })),
      );
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(book, notice("error", error.message));
    }
  }

  container.append(
    h(
      "div",
      { class: "page page-tariffs" },
      pageHeader("nav.tariffs"),
      section("tariffs.priceCheck", priceForm, answer),
      section("tariffs.book", files, importPart, importResult, book),
    ),
  );
  loadBook();

  return { unmount: () => controller.abort() };
}

// The answer to "what does this call cost", and how it was found.
function showQuote(q) {
  const item = (i18n, value) => [h("dt", { i18n }), h("dd", { class: value === null || value === "" ? "muted" : null }, value ?? "—")];
  const parts = [
    h(
      "div",
      { class: "quote-head" },
      h("span", { class: "quote-cost", test: "price-cost", text: money(q.cost, q.currency) }),
      valueLabel("span", "status", q.status, { class: `badge status-${q.status}` }),
      q.reason ? h("span", { class: "muted", text: q.reason }) : null,
    ),
    h(
      "dl",
      { class: "detail-list" },
      item("tariffs.callType", valueLabel("span", "calltype", q.call_type)),
      item("tariffs.destination", q.destination),
      item("tariffs.e164", q.e164),
      item("tariffs.carrier", q.carrier),
      item("tariffs.when", `${dateTime(q.at)} · ${duration(q.duration_s)}`),
      item("tariffs.reference", q.reference ? money(q.reference, q.currency) : null),
      item("tariffs.savings", q.savings ? money(q.savings, q.currency) : null),
    ),
  ];
  if (q.price) {
    const p = q.price;
    parts.push(
      h("h3", { class: "detail-heading", i18n: "tariffs.trace" }),
      h(
        "dl",
        { class: "detail-list" },
        item("tariffs.version", h("code", { text: p.version })),
        item("tariffs.prefix", h("code", { text: p.prefix })),
        item("tariffs.tariffDestination", p.destination),
        item("tariffs.billed", h("span", { i18n: "tariffs.billedValue", i18nArgs: { s: integer(p.billed_s), units: integer(p.units) } })),
        item("tariffs.discount", p.discount),
        p.bundle ? item("tariffs.bundle", `${p.bundle.name} (${integer(p.bundle.seconds)} s)`) : null,
      ),
    );
    if (p.bands?.length) {
      const bands = dataTable({
        columns: [
          { id: "band", i18n: "tariffs.band" },
          { id: "seconds", i18n: "tariffs.seconds", numeric: true },
          { id: "units", i18n: "tariffs.units", numeric: true },
        ],
        caption: "tariffs.bands",
        className: "table-compact",
      });
      bands.body.append(...p.bands.map((b) => h("tr", {}, cell(b.band), cell(integer(b.seconds), { numeric: true }), cell(integer(b.units), { numeric: true }))));
      parts.push(bands.element);
    }
  }
  if (q.explanation?.length) {
    parts.push(
      h("h3", { class: "detail-heading", i18n: "tariffs.explanation" }),
      h("ol", { class: "explanation", test: "price-explanation" }, q.explanation.map((line) => h("li", { text: line }))),
    );
  }
  return h("div", { class: "quote" }, parts);
}

function showBook(carriers, tariffs) {
  if (!carriers.length && !tariffs.carriers.length) return empty("tariffs.noCarriers");
  const table = dataTable({
    columns: [
      { id: "carrier", i18n: "tariffs.colCarrier" },
      { id: "version", i18n: "tariffs.colVersion" },
      { id: "from", i18n: "tariffs.colValidFrom" },
      { id: "currency", i18n: "tariffs.colCurrency" },
      { id: "zone", i18n: "tariffs.colZone" },
      { id: "destinations", i18n: "tariffs.colDestinations", numeric: true },
      { id: "prefixes", i18n: "tariffs.colPrefixes", numeric: true },
      { id: "bands", i18n: "tariffs.colBands" },
      { id: "discount", i18n: "tariffs.colDiscount", numeric: true },
    ],
    caption: "tariffs.book",
    test: "tariffs-table",
  });
  const priced = new Set();
  for (const carrier of tariffs.carriers) {
    priced.add(carrier.name);
    carrier.versions.forEach((v, index) =>
      table.body.append(
        h(
          "tr",
          {},
          cell(index === 0 ? h("strong", { text: carrier.name }) : ""),
          cell(h("code", { text: v.id })),
          cell(v.valid_from_local, { className: "nowrap" }),
          cell(v.currency),
          cell(v.time_zone),
          cell(integer(v.destinations), { numeric: true }),
          cell(integer(v.prefixes), { numeric: true }),
          cell(v.bands.join(", ")),
          cell(`${v.discount_percent} %`, { numeric: true }),
        ),
      ),
    );
  }
  // Carriers named in the directory with no tariff: their calls stay unrated.
  const bare = carriers.filter((c) => !priced.has(c.name));
  return h(
    "div",
    {},
    table.element,
    bare.length
      ? h("p", { class: "muted small" }, h("span", { i18n: "tariffs.noTariff" }), " ", bare.map((c) => c.name).join(", "))
      : null,
  );
}
