// The calls page's filter form: building it, filling it from the address's
// parameters, and reading it back as the API's query (checked first).

import { h } from "../dom.js";
import { field, input, select } from "../ui/fields.js";
import {
  compareDecimals,
  localInputToRfc3339,
  rfc3339ToLocalInput,
  toLocalInput,
} from "../format.js";

export const CALL_TYPES = [
  "internal",
  "onnet",
  "local",
  "national",
  "mobile",
  "international",
  "free",
  "inbound",
  "unknown",
];

// The query parameters the form sets (sort is set by the table headers).
export const FILTERS = [
  "from",
  "to",
  "extension",
  "number",
  "department",
  "call_type",
  "carrier",
  "cost_min",
  "cost_max",
];

const DECIMAL = /^\d+(\.\d+)?$/;
const ID = /^\d+$/;

// Today 00:00 → now, local time, as RFC 3339.
export function defaultPeriod(now = new Date()) {
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  return { from: iso(midnight), to: iso(now) };
}

function iso(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

// Quick periods, each { i18n, period(now) → { from, to } }.
export const PRESETS = [
  { i18n: "calls.presetToday", period: (now) => defaultPeriod(now) },
  {
    i18n: "calls.presetYesterday",
    period: (now) => {
      const end = new Date(now.getFullYear(), now.getMonth(), now.getDate());
      const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
      return { from: iso(start), to: iso(end) };
    },
  },
  {
    i18n: "calls.preset7Days",
    period: (now) => {
      const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 6);
      return { from: iso(start), to: iso(now) };
    },
  },
  {
    i18n: "calls.presetMonth",
    period: (now) => ({ from: iso(new Date(now.getFullYear(), now.getMonth(), 1)), to: iso(now) }),
  },
];

// Builds the form. onSubmit(query) gets a checked query; onPreset(period)
// a quick period.
export function filterForm({ onSubmit, onReset, onPreset }) {
  const controls = {
    from: input({ type: "datetime-local", step: "1", name: "from", test: "calls-from", required: true }),
    to: input({ type: "datetime-local", step: "1", name: "to", test: "calls-to", required: true }),
    extension: input({ name: "extension", test: "calls-extension", inputmode: "numeric", spellcheck: "false" }),
    number: input({ name: "number", test: "calls-number", inputmode: "tel", spellcheck: "false", i18nPlaceholder: "calls.numberHint" }),
    department: input({ name: "department", test: "calls-department", inputmode: "numeric" }),
    call_type: select(
      { name: "call_type", test: "calls-call-type" },
      [{ value: "", i18n: "calls.anyType" }, ...CALL_TYPES.map((type) => ({ value: type, i18n: `calltype.${type}` }))],
    ),
    carrier: input({ name: "carrier", test: "calls-carrier", inputmode: "numeric" }),
    cost_min: input({ name: "cost_min", test: "calls-cost-min", inputmode: "decimal" }),
    cost_max: input({ name: "cost_max", test: "calls-cost-max", inputmode: "decimal" }),
  };
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const presets = h(
    "div",
    { class: "presets", role: "group", i18nLabel: "calls.presets" },
    PRESETS.map((preset) =>
      h("button", { type: "button", class: "chip", i18n: preset.i18n, on: { click: () => onPreset(preset.period(new Date())) } }),
    ),
  );
  const form = h(
    "form",
    { class: "filters card", novalidate: true, i18nLabel: "calls.filters" },
    h(
      "div",
      { class: "filter-grid" },
      field({ i18n: "calls.from", className: "span-2" }, controls.from),
      field({ i18n: "calls.to", className: "span-2" }, controls.to),
      field({ i18n: "calls.extension" }, controls.extension),
      field({ i18n: "calls.number" }, controls.number),
      field({ i18n: "calls.department" }, controls.department),
      field({ i18n: "calls.callType" }, controls.call_type),
      field({ i18n: "calls.carrier" }, controls.carrier),
      field({ i18n: "calls.costMin" }, controls.cost_min),
      field({ i18n: "calls.costMax" }, controls.cost_max),
    ),
    error,
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit", class: "button primary", test: "calls-search", i18n: "calls.search" }),
      h("button", { type: "button", class: "button", i18n: "calls.reset", on: { click: onReset } }),
      presets,
    ),
  );

  const fail = (control, i18n) => {
    error.hidden = false;
    error.replaceChildren(h("span", { i18n }));
    control.setAttribute("aria-invalid", "true");
    control.focus();
    return null;
  };

  // The form as the API's query, or null after showing why it cannot be.
  function read() {
    error.hidden = true;
    for (const control of Object.values(controls)) control.removeAttribute("aria-invalid");
    const value = (name) => controls[name].value.trim();
    const from = localInputToRfc3339(value("from"));
    if (!from) return fail(controls.from, "calls.badFrom");
    const to = localInputToRfc3339(value("to"));
    if (!to) return fail(controls.to, "calls.badTo");
    if (Date.parse(to) <= Date.parse(from)) return fail(controls.to, "calls.toBeforeFrom");
    for (const name of ["department", "carrier"]) {
      if (value(name) && !ID.test(value(name))) return fail(controls[name], "calls.badId");
    }
    for (const name of ["cost_min", "cost_max"]) {
      if (value(name) && !DECIMAL.test(value(name))) return fail(controls[name], "calls.badCost");
    }
    if (value("cost_min") && value("cost_max") && compareDecimals(value("cost_min"), value("cost_max")) > 0) {
      return fail(controls.cost_max, "calls.costOrder");
    }
    return {
      from,
      to,
      extension: value("extension"),
      number: value("number"),
      department: value("department"),
      call_type: value("call_type"),
      carrier: value("carrier"),
      cost_min: value("cost_min"),
      cost_max: value("cost_max"),
    };
  }

  // Shows `query` (RFC 3339 times shown as local date-times).
  function fill(query) {
    error.hidden = true;
    for (const name of FILTERS) {
      const control = controls[name];
      control.removeAttribute("aria-invalid");
      const raw = query[name] ?? "";
      control.value = name === "from" || name === "to" ? rfc3339ToLocalInput(raw) || toLocalInput(new Date()) : raw;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = read();
    if (query) onSubmit(query);
  });

  return { element: form, fill };
}
