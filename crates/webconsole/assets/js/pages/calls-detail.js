// One call in a side panel: every field the API sends, the known ones
// labelled and grouped, any others listed as they come. A call that is a
// leg of a logical call (a transfer's, a forward's, a conference's…) shows
// that call's legs and who pays for each.

import { api } from "../api.js";
import { h, replace, valueLabel } from "../dom.js";
import { dateTime, duration, money } from "../format.js";
import { notice } from "../ui/feedback.js";
import { openPanel } from "../ui/panel.js";

const time = (value) => (value ? h("span", { title: value, text: dateTime(value) }) : null);
const seconds = (value) => (value === null || value === undefined ? null : `${duration(value)} (${value} s)`);
const labelled = (prefix) => (value) => (value ? valueLabel("span", prefix, value) : null);
const amount = (value, call) => (value === null || value === undefined ? null : money(value, call.currency));

// Groups of known fields: [key, label key, format(value, call)?].
const GROUPS = [
  {
    i18n: "detail.groupCall",
    fields: [
      ["start", "field.start", time],
      ["answer", "field.answer", time],
      ["end", "field.end", time],
      ["duration_s", "field.duration", seconds],
      ["ring_s", "field.ring", seconds],
      ["direction", "field.direction", labelled("direction")],
      ["disposition", "field.disposition", labelled("disposition")],
      ["status", "field.status", labelled("status")],
      ["reason", "field.reason"],
    ],
  },
  {
    i18n: "detail.groupParties",
    fields: [
      ["extension", "field.extension"],
      ["user", "field.user"],
      ["department", "field.department"],
      ["calling", "field.calling"],
      ["dialled", "field.dialled"],
      ["e164", "field.e164"],
      ["destination", "field.destination"],
      ["account_code", "field.accountCode"],
    ],
  },
  {
    i18n: "detail.groupRouting",
    fields: [
      ["pbx", "field.pbx"],
      ["trunk_in", "field.trunkIn"],
      ["trunk_out", "field.trunkOut"],
      ["call_type", "field.callType", labelled("calltype")],
      ["carrier", "field.carrier"],
    ],
  },
  {
    i18n: "detail.groupMoney",
    fields: [
      ["cost", "field.cost", amount],
      ["reference", "field.reference", amount],
      ["savings", "field.savings", amount],
      ["currency", "field.currency"],
    ],
  },
];

// The logical call the call is a leg of, shown as a section of its own.
const CORRELATION = ["logical_call", "features", "legs"];

const KNOWN = new Set(["id", ...CORRELATION, ...GROUPS.flatMap((group) => group.fields.map(([key]) => key))]);

// Opens the panel with what the list already has, then fills in the
// call's full record.
export function openCallDetail(call) {
  const controller = new AbortController();
  const panel = openPanel({
    title: h("span", { i18n: "detail.title" }),
    test: "calls-detail",
    onClose: () => controller.abort(),
  });
  render(panel.body, call, h("p", { class: "muted small", i18n: "shell.loading" }));
  api
    .get(`/calls/${encodeURIComponent(call.id)}`, undefined, { signal: controller.signal })
    .then((full) => render(panel.body, full))
    .catch((error) => {
      if (error.name !== "AbortError") render(panel.body, call, notice("error", error.message));
    });
  return panel;
}

function render(body, call, status = null) {
  const groups = GROUPS.map((group) =>
    h(
      "section",
      { class: "detail-group" },
      h("h3", { i18n: group.i18n }),
      h("dl", { class: "detail-list" }, group.fields.map(([key, i18n, format]) => row(i18n, call[key], format, call))),
    ),
  );
  if (Array.isArray(call.legs) && call.legs.length) groups.push(legsSection(call));
  const extra = Object.keys(call).filter((key) => !KNOWN.has(key));
  if (extra.length) {
    groups.push(
      h(
        "section",
        { class: "detail-group" },
        h("h3", { i18n: "detail.groupMore" }),
        h("dl", { class: "detail-list" }, extra.sort().map((key) => row(null, call[key], null, call, key))),
      ),
    );
  }
  replace(body, status, h("p", { class: "detail-id" }, h("span", { i18n: "field.id" }), " ", h("code", { text: call.id })), groups);
}

function row(i18n, value, format, call, rawKey) {
  const shown = format ? format(value, call) : plain(value);
  return [
    i18n ? h("dt", { i18n }) : h("dt", { text: rawKey }),
    h("dd", { class: shown === null || shown === "" ? "muted" : null }, shown === null || shown === "" ? "—" : shown),
  ];
}

// Any JSON value as text: objects and arrays as compact JSON.
function plain(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

// The logical call: its features, and each leg with its part, who pays for
// it, whether the call is counted by it and why (the call shown marked).
function legsSection(call) {
  const features = (value) =>
    value?.length ? value.flatMap((f, n) => [n ? ", " : null, valueLabel("span", "feature", f)]).filter(Boolean) : null;
  const columns = ["legs.start", "legs.part", "field.calling", "field.dialled", "legs.payer", "legs.counted", "legs.reason"];
  const dash = (value) => (value === null || value === undefined || value === "" ? "—" : value);
  const leg = (l) =>
    h(
      "tr",
      { class: l.this_call ? "row-current" : null, dataset: { id: l.id } },
      h("td", { class: "nowrap" }, time(l.start)),
      h("td", {}, valueLabel("span", "part", l.part)),
      h("td", { text: dash(l.calling) }),
      h("td", { text: dash(l.dialled) }),
      h("td", { text: dash(l.payer?.extension) }),
      h("td", { i18n: l.counted ? "legs.yes" : "legs.no" }),
      h("td", { class: "small reason", text: l.reason }),
    );
  return h(
    "section",
    { class: "detail-group" },
    h("h3", { i18n: "detail.groupLegs" }),
    h(
      "dl",
      { class: "detail-list" },
      row("legs.logicalCall", call.logical_call, null, call),
      row("legs.features", call.features, features, call),
    ),
    h(
      "div",
      { class: "table-frame detail-legs-frame" },
      h(
        "table",
        { class: "table detail-legs", test: "call-legs" },
        h("thead", {}, h("tr", {}, columns.map((key) => h("th", { i18n: key })))),
        h("tbody", {}, call.legs.map(leg)),
      ),
    ),
  );
}
