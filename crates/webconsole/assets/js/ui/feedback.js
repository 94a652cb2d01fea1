// Notices, empty states and the screen-reader announcer.

import { h } from "../dom.js";
import { t } from "../i18n.js";

// A banner. `message` is either {i18n, i18nArgs} (translated, follows
// language switches) or a plain string from the API.
export function notice(kind, message, ...actions) {
  const text =
    typeof message === "string"
      ? h("span", { text: message })
      : h("span", { i18n: message.i18n, i18nArgs: message.i18nArgs });
  const role = kind === "error" ? "alert" : "status";
  return h("div", { class: `notice notice-${kind}`, role }, text, actions);
}

export function empty(i18n, test) {
  return h("div", { class: "empty", test }, h("span", { i18n }));
}

export function loading() {
  return h(
    "div",
    { class: "loading", role: "status" },
    h("span", { class: "spinner", "aria-hidden": "true" }),
    h("span", { i18n: "shell.loading" }),
  );
}

// Says `text` to screen readers without showing it.
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after a tick, so the same words are read again.
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

export function announceKey(key, args) {
  announce(t(key, args));
}
