// The console's two languages. Every string shown is a key of both
// dictionaries; nodes remember their key (data-i18n…) so a switch of
// language retranslates the page in place, without losing what it shows.

import en from "./i18n/en.js";
import zh from "./i18n/zh.js";

const DICTIONARIES = { en, zh };
const STORAGE_KEY = "bluewhale.lang";
const listeners = new Set();

let current = initialLanguage();

function initialLanguage() {
  const stored = readStored();
  if (stored in DICTIONARIES) return stored;
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const tag of preferred) {
    const base = String(tag || "").toLowerCase().split("-")[0];
    if (base in DICTIONARIES) return base;
  }
  return "en";
}

function readStored() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage blocked: fall back to the browser's language
  }
}

export function language() {
  return current;
}

// The BCP 47 tag for <html lang>, Intl and the API's Accept-Language.
export function languageTag() {
  return current === "zh" ? "zh-CN" : "en";
}

// The text of `key`, with {name} placeholders filled from `args`. A missing
// key shows itself, so a gap is visible rather than blank.
export function t(key, args) {
  const text = DICTIONARIES[current][key] ?? DICTIONARIES.en[key];
  if (text === undefined) {
    console.warn(`i18n: no text for "${key}"`);
    return key;
  }
  if (!args) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in args ? String(args[name]) : whole));
}

// The text of `prefix.value` when the dictionary has one (call types,
// roles, statuses…), else the value itself: the API may send values newer
// than this console.
export function label(prefix, value) {
  if (value === null || value === undefined || value === "") return "";
  const key = `${prefix}.${value}`;
  return key in DICTIONARIES[current] ? DICTIONARIES[current][key] : String(value);
}

export function setLanguage(lang) {
  if (!(lang in DICTIONARIES) || lang === current) return;
  current = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // not remembered, still switched
  }
  translate(document);
  for (const listener of listeners) listener(lang);
}

// Calls `listener(lang)` after each switch; returns the unsubscribe function.
export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Sets every keyed text and attribute under `root` in the current language.
export function translate(root) {
  document.documentElement.lang = languageTag();
  const args = (node) => (node.dataset.i18nArgs ? JSON.parse(node.dataset.i18nArgs) : undefined);
  for (const node of root.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n, args(node));
  }
  for (const node of root.querySelectorAll("[data-i18n-title]")) {
    node.title = t(node.dataset.i18nTitle, args(node));
  }
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of root.querySelectorAll("[data-i18n-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nLabel, args(node)));
  }
  for (const node of root.querySelectorAll("[data-label-of]")) {
    // Values shown through label(): the raw value is kept beside its prefix.
    node.textContent = label(node.dataset.labelOf, node.dataset.value);
  }
}
