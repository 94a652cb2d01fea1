// Formatting for display. Money arrives as decimal strings and stays a
// string: it is regrouped, never parsed into a float.

import { languageTag, t } from "./i18n.js";

const pad = (n, width = 2) => String(n).padStart(width, "0");

// "2026-12-07 14:03:22" in the browser's local time; the same in both
// languages, sortable and unambiguous.
export function dateTime(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return value ? String(value) : "";
  return `${localDate(date)} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function localDate(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function time(date) {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

// The value of an <input type="datetime-local" step="1"> for a Date.
export function toLocalInput(date) {
  return `${localDate(date)}T${time(date)}`;
}

// An <input type="datetime-local"> value (local time) as RFC 3339 UTC, or
// null when it is not a valid date-time.
export function localInputToRfc3339(value) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const date = new Date(value); // a date-time without offset is local time
  if (Number.isNaN(date.getTime())) return null;
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

// RFC 3339 back to the datetime-local value, or "" if it does not parse.
export function rfc3339ToLocalInput(value) {
  const date = new Date(value);
  return value && !Number.isNaN(date.getTime()) ? toLocalInput(date) : "";
}

// Seconds as h:mm:ss.
export function duration(seconds) {
  if (seconds === null || seconds === undefined || seconds === "") return "";
  const s = Math.max(0, Math.trunc(Number(seconds)));
  if (!Number.isFinite(s)) return String(seconds);
  return `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

// A count with the language's digit grouping.
export function integer(n) {
  if (n === null || n === undefined || n === "") return "";
  const value = Number(n);
  return Number.isFinite(value) ? new Intl.NumberFormat(languageTag()).format(value) : String(n);
}

// A decimal string with its integer digits grouped by thousands, the
// decimals exactly as given. Anything that is not a plain decimal is shown
// unchanged.
export function decimal(text) {
  if (text === null || text === undefined) return "";
  const value = String(text);
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(value);
  if (!match) return value;
  const [, sign, whole, fraction = ""] = match;
  return sign + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + fraction;
}

// "1,234.5600 EUR".
export function money(amount, currency) {
  if (amount === null || amount === undefined || amount === "") return "";
  return currency ? `${decimal(amount)} ${currency}` : decimal(amount);
}

// A money string as a number, only to size a bar or colour a cell; never
// for an amount shown to anyone.
export function magnitude(amount) {
  const value = Number.parseFloat(amount);
  return Number.isFinite(value) ? value : 0;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function bytes(n) {
  let value = Number(n);
  if (!Number.isFinite(value)) return "";
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

// How long ago a Unix time was, in the largest unit that keeps it short.
export function ago(unixSeconds, nowMs = Date.now()) {
  if (unixSeconds === null || unixSeconds === undefined) return "";
  const s = Math.max(0, Math.round(nowMs / 1000 - unixSeconds));
  if (s < 120) return t("ago.seconds", { n: s });
  if (s < 120 * 60) return t("ago.minutes", { n: Math.floor(s / 60) });
  if (s < 48 * 3600) return t("ago.hours", { n: Math.floor(s / 3600) });
  return t("ago.days", { n: Math.floor(s / 86400) });
}

// Compares two non-negative decimal strings ("12.50", "3") exactly:
// negative, zero or positive like a sort comparator.
export function compareDecimals(a, b) {
  const split = (text) => {
    const [whole, fraction = ""] = text.split(".");
    return [whole.replace(/^0+(?=\d)/, ""), fraction.replace(/0+$/, "")];
  };
  const [aWhole, aFraction] = split(a);
  const [bWhole, bFraction] = split(b);
  if (aWhole.length !== bWhole.length) return aWhole.length - bWhole.length;
  if (aWhole !== bWhole) return aWhole < bWhole ? -1 : 1;
  const width = Math.max(aFraction.length, bFraction.length);
  const x = aFraction.padEnd(width, "0");
  const y = bFraction.padEnd(width, "0");
  return x === y ? 0 : x < y ? -1 : 1;
}

// The exact sum of two decimal strings ("12.50" + "0.075" = "12.575"),
// through BigInt so no digit is lost; the result keeps the longer of the
// two fractions. Throws on anything that is not a plain decimal.
export function addDecimals(a, b) {
  const parse = (text) => {
    const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(text).trim());
    if (!match) throw new Error(`not a decimal: ${text}`);
    return { negative: match[1] === "-", whole: match[2], fraction: match[3] ?? "" };
  };
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.fraction.length, y.fraction.length);
  const units = (n) => {
    const digits = BigInt(n.whole + n.fraction.padEnd(scale, "0"));
    return n.negative ? -digits : digits;
  };
  const sum = units(x) + units(y);
  const negative = sum < 0n;
  const digits = (negative ? -sum : sum).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale ? `.${digits.slice(digits.length - scale)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}
