// A side panel over the page (full screen on a phone), for the details of
// one item. Escape or the close button closes it; focus goes back to where
// it came from.

import { h, uid } from "../dom.js";

export function openPanel({ title, test, onClose }) {
  const returnFocus = document.activeElement;
  const labelId = uid("panel-title");
  const heading = h("h2", { class: "panel-title", id: labelId, tabindex: "-1" }, title);
  const body = h("div", { class: "panel-body" });
  const close = h(
    "button",
    { type: "button", class: "icon-button", test: test ? `${test}-close` : null, i18nLabel: "common.close", i18nTitle: "common.close" },
    closeIcon(),
  );
  const panel = h(
    "aside",
    { class: "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": labelId, test },
    h("header", { class: "panel-header" }, heading, close),
    body,
  );
  const backdrop = h("div", { class: "panel-backdrop" });

  let open = true;
  const onKey = (event) => {
    if (event.key === "Escape") shut();
  };
  function shut() {
    if (!open) return;
    open = false;
    document.removeEventListener("keydown", onKey);
    panel.remove();
    backdrop.remove();
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
    onClose?.();
  }
  close.addEventListener("click", shut);
  backdrop.addEventListener("click", shut);
  document.addEventListener("keydown", onKey);
  document.body.append(backdrop, panel);
  heading.focus();
  return { body, heading, close: shut, element: panel };
}

function closeIcon() {
  const template = document.createElement("template");
  // Parsed, not built from strings of data: a fixed icon.
  template.innerHTML =
    '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M6 6l12 12M18 6 6 18"/></svg>';
  return template.content.firstChild;
}
