// Light and dark themes. The choice is remembered; until one is made the
// system's preference applies, and follows it when it changes.
// (theme-early.js sets the first theme before the page is drawn.)

const STORAGE_KEY = "bluewhale.theme";
const dark = window.matchMedia("(prefers-color-scheme: dark)");
const listeners = new Set();

function stored() {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === "light" || value === "dark" ? value : null;
  } catch {
    return null;
  }
}

export function theme() {
  return document.documentElement.dataset.theme === "dark" ? "dark" : "light";
}

function apply(value) {
  document.documentElement.dataset.theme = value;
  for (const listener of listeners) listener(value);
}

export function toggleTheme() {
  const next = theme() === "dark" ? "light" : "dark";
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not remembered, still switched
  }
  apply(next);
}

export function onThemeChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function initTheme() {
  apply(stored() ?? (dark.matches ? "dark" : "light"));
  dark.addEventListener("change", (event) => {
    if (!stored()) apply(event.matches ? "dark" : "light");
  });
}
