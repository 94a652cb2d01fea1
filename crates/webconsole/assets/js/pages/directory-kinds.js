// The directory's kinds of entity as the directory page shows and edits
// them: the API collection, the table's columns, the form's fields.
//
// Field types: "text" (a string, "" when empty), "optional" (a string, null
// when empty), "ref" (the id of another entity, chosen from a list; null
// when empty), "date" (YYYY-MM-DD, null when empty). `putOnly` fields are
// sent when editing only.

export const KINDS = [
  {
    id: "sites",
    i18n: "directory.sites",
    columns: [
      { key: "name", i18n: "directory.name" },
      { key: "time_zone", i18n: "directory.timeZone" },
      { key: "country_code", i18n: "directory.countryCode" },
      { key: "area_code", i18n: "directory.areaCode" },
      { key: "carrier", i18n: "directory.carrier" },
      { key: "reference_carrier", i18n: "directory.referenceCarrier" },
    ],
    fields: [
      { key: "name", i18n: "directory.name", type: "text", required: true },
      { key: "time_zone", i18n: "directory.timeZone", type: "text", required: true, hint: "directory.timeZoneHint" },
      { key: "country_code", i18n: "directory.countryCode", type: "text" },
      { key: "area_code", i18n: "directory.areaCode", type: "text" },
      { key: "carrier", i18n: "directory.carrier", type: "text" },
      { key: "reference_carrier", i18n: "directory.referenceCarrier", type: "text" },
      { key: "holidays", i18n: "directory.holidays", type: "text", hint: "directory.holidaysHint" },
    ],
  },
  {
    id: "pbxs",
    i18n: "directory.pbxs",
    columns: [
      { key: "name", i18n: "directory.name" },
      { key: "format", i18n: "directory.format" },
      { key: "site_id", i18n: "directory.site", ref: "sites" },
      { key: "time_zone", i18n: "directory.timeZone" },
    ],
    fields: [
      { key: "name", i18n: "directory.name", type: "text", required: true },
      { key: "format", i18n: "directory.format", type: "text", required: true, hint: "directory.formatHint" },
      { key: "site_id", i18n: "directory.site", type: "ref", ref: "sites" },
      { key: "time_zone", i18n: "directory.timeZone", type: "optional", hint: "directory.pbxZoneHint" },
    ],
  },
  {
    id: "trunks",
    i18n: "directory.trunks",
    columns: [
      { key: "pbx_id", i18n: "directory.pbx", ref: "pbxs" },
      { key: "code", i18n: "directory.code" },
      { key: "name", i18n: "directory.name" },
      { key: "carrier", i18n: "directory.carrier" },
    ],
    fields: [
      { key: "pbx_id", i18n: "directory.pbx", type: "ref", ref: "pbxs", required: true },
      { key: "code", i18n: "directory.code", type: "text", required: true },
      { key: "name", i18n: "directory.name", type: "text" },
      { key: "carrier", i18n: "directory.carrier", type: "text" },
    ],
  },
  {
    id: "departments",
    i18n: "directory.departments",
    columns: [
      { key: "path", i18n: "directory.path" },
      { key: "parent_id", i18n: "directory.parent", ref: "departments" },
    ],
    fields: [
      { key: "name", i18n: "directory.name", type: "text", required: true, hint: "directory.departmentNameHint" },
      { key: "parent_id", i18n: "directory.parent", type: "ref", ref: "departments" },
    ],
  },
  {
    id: "users",
    i18n: "directory.users",
    columns: [
      { key: "key", i18n: "directory.key" },
      { key: "name", i18n: "directory.name" },
      { key: "department_id", i18n: "directory.department", ref: "departments" },
    ],
    fields: [
      { key: "key", i18n: "directory.key", type: "text", required: true, hint: "directory.keyHint" },
      { key: "name", i18n: "directory.name", type: "text", required: true },
      { key: "department_id", i18n: "directory.department", type: "ref", ref: "departments" },
    ],
  },
  {
    id: "extensions",
    i18n: "directory.extensions",
    columns: [
      { key: "number", i18n: "directory.number" },
      { key: "site_id", i18n: "directory.site", ref: "sites" },
      { key: "user_id", i18n: "directory.user", ref: "users" },
      { key: "department_id", i18n: "directory.department", ref: "departments" },
      { key: "valid_from", i18n: "directory.validFrom", day: true },
      { key: "valid_to", i18n: "directory.validTo", day: true },
    ],
    fields: [
      { key: "number", i18n: "directory.number", type: "text", required: true },
      { key: "site_id", i18n: "directory.site", type: "ref", ref: "sites" },
      { key: "user_id", i18n: "directory.user", type: "ref", ref: "users" },
      { key: "department_id", i18n: "directory.department", type: "ref", ref: "departments", hint: "directory.extensionDepartmentHint" },
      { key: "valid_from", i18n: "directory.validFrom", type: "date", hint: "directory.validFromHint" },
      { key: "valid_to", i18n: "directory.validTo", type: "date", hint: "directory.validToHint" },
      { key: "owner_from", i18n: "directory.ownerFrom", type: "date", putOnly: true, hint: "directory.ownerFromHint" },
    ],
  },
];

// The day (YYYY-MM-DD) an RFC 3339 instant falls on in `zone`: extension
// periods are sent as instants, midnight in the site's zone, and edited as
// days in that zone.
export function dayIn(instant, zone) {
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) return "";
  try {
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone || "UTC", year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(date);
    const part = (type) => parts.find((p) => p.type === type)?.value;
    return `${part("year")}-${part("month")}-${part("day")}`;
  } catch {
    return date.toISOString().slice(0, 10); // a zone this browser does not know
  }
}

// How an entity of each kind is named where another refers to it.
export function nameOf(kind, entity) {
  switch (kind) {
    case "departments":
      return entity.path;
    case "users":
      return `${entity.name} (${entity.key})`;
    default:
      return entity.name;
  }
}

// The form's values as the API's input, or { error: i18n key, key }.
export function readFields(fields, values, editing) {
  const body = {};
  for (const f of fields) {
    if (f.putOnly && !editing) continue;
    const raw = (values[f.key] ?? "").trim();
    if (f.required && !raw) return { error: "directory.required", key: f.key };
    if (f.type === "ref") {
      if (raw && !/^\d+$/.test(raw)) return { error: "directory.badRef", key: f.key };
      body[f.key] = raw ? Number(raw) : null;
    } else if (f.type === "date") {
      if (raw && !/^\d{4}-\d{2}-\d{2}$/.test(raw)) return { error: "directory.badDate", key: f.key };
      body[f.key] = raw || null;
    } else if (f.type === "optional") {
      body[f.key] = raw || null;
    } else {
      body[f.key] = raw;
    }
  }
  return { body };
}
