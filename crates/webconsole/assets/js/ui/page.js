// The frame every page shares: a heading and a row of actions.

import { h } from "../dom.js";

export function pageHeader(i18n, ...actions) {
  return h(
    "header",
    { class: "page-header" },
    h("h1", { class: "page-title", tabindex: "-1", i18n }),
    actions.length ? h("div", { class: "page-actions" }, actions) : null,
  );
}

export function section(i18n, ...children) {
  return h("section", { class: "card" }, h("h2", { class: "card-title", i18n }), children);
}
