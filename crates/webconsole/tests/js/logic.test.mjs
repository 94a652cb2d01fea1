// The console's logic that needs no page: exact money sums, the audit
// log's before/after flattening, the directory form's reading and the
// extension days in a site's zone. Run by tests/js.rs with node.

import assert from "node:assert/strict";

// What the modules touch when they load (i18n reads the browser's language).
globalThis.navigator ??= { languages: ["en"], language: "en" };
globalThis.localStorage ??= { getItem: () => null, setItem: () => {} };
globalThis.document ??= { documentElement: {}, querySelectorAll: () => [] };

const assets = new URL("../../assets/js/", import.meta.url);
const { addDecimals } = await import(new URL("format.js", assets));
const { flatten } = await import(new URL("pages/audit.js", assets));
const { dayIn, readFields, KINDS } = await import(new URL("pages/directory-kinds.js", assets));

// addDecimals: exact where floats are not, any length, signs, bad input refused.
assert.equal(addDecimals("0.1", "0.2"), "0.3");
assert.equal(addDecimals("0", "0.0150"), "0.0150");
assert.equal(addDecimals("999.99", "0.01"), "1000.00");
assert.equal(addDecimals("12.50", "0.075"), "12.575");
assert.equal(addDecimals("-1.5", "0.25"), "-1.25");
assert.equal(addDecimals("-0.5", "0.5"), "0.0");
assert.equal(addDecimals("123456789012345678901234", "0.0000001"), "123456789012345678901234.0000001");
let total = "0";
for (let i = 0; i < 1000; i += 1) total = addDecimals(total, "0.0001");
assert.equal(total, "0.1000");
for (const bad of ["1e3", "", "1.", ".5", "NaN", "1,000"]) {
  assert.throws(() => addDecimals(bad, "1"), /not a decimal/, bad);
}

// flatten: nested objects by path, arrays of scalars as JSON, arrays of objects opened.
const flat = flatten({ role: "finance", ids: [1, 2], nested: { a: null, b: { c: true } }, list: [{ x: 1 }] });
assert.deepEqual(Object.fromEntries(flat), {
  role: "finance",
  ids: "[1,2]",
  "nested.a": "null",
  "nested.b.c": "true",
  "list[0].x": "1",
});
assert.equal(flatten({}).size, 0);
assert.deepEqual(Object.fromEntries(flatten("text")), { "·": "text" });

// readFields: types, required fields, the PUT-only field.
const extensions = KINDS.find((kind) => kind.id === "extensions").fields;
const values = { number: " 2001 ", site_id: "3", user_id: "", department_id: "", valid_from: "2026-01-01", valid_to: "", owner_from: "2026-02-01" };
assert.deepEqual(readFields(extensions, values, false).body, {
  number: "2001",
  site_id: 3,
  user_id: null,
  department_id: null,
  valid_from: "2026-01-01",
  valid_to: null,
});
assert.equal(readFields(extensions, values, true).body.owner_from, "2026-02-01");
assert.deepEqual(readFields(extensions, { ...values, number: "  " }, false), { error: "directory.required", key: "number" });
assert.deepEqual(readFields(extensions, { ...values, site_id: "x" }, false), { error: "directory.badRef", key: "site_id" });
assert.deepEqual(readFields(extensions, { ...values, valid_to: "1/2/2026" }, false), { error: "directory.badDate", key: "valid_to" });
const pbxs = KINDS.find((kind) => kind.id === "pbxs").fields;
assert.equal(readFields(pbxs, { name: "p", format: "cucm", site_id: "", time_zone: "" }, false).body.time_zone, null);

// dayIn: midnight in the site's zone is that day there, not the UTC day.
assert.equal(dayIn("2019-12-31T23:00:00Z", "Europe/Paris"), "2020-01-01");
assert.equal(dayIn("2019-12-31T23:00:00Z", undefined), "2019-12-31");
assert.equal(dayIn("2026-07-01T04:00:00Z", "America/New_York"), "2026-07-01");
assert.equal(dayIn("2019-12-31T23:00:00Z", "Not/AZone"), "2019-12-31");
assert.equal(dayIn("garbage", "UTC"), "");

console.log("console logic: all checks passed");
