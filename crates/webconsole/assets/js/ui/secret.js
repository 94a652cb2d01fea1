// A secret the server shows once (a generated password, a new API token):
// read-only, selected for copying, with a copy button and a warning that
// it will not be shown again.

import { h } from "../dom.js";
import { announceKey } from "./feedback.js";

// i18n: the key of the line above the secret.
export function secretBox(i18n, secret, test) {
  const value = h("input", {
    class: "secret-value mono",
    readonly: true,
    value: secret,
    spellcheck: "false",
    test,
    i18nLabel: i18n,
    on: { focus: (event) => event.target.select() },
  });
  const done = h("span", { class: "muted small", role: "status" });
  const copy = h("button", {
    type: "button",
    class: "button",
    i18n: "secret.copy",
    on: {
      click: async () => {
        try {
          await navigator.clipboard.writeText(secret);
          done.replaceChildren(h("span", { i18n: "secret.copied" }));
          announceKey("secret.copied");
        } catch {
          // No clipboard access (an insecure origin, a refusal): leave it selected to copy by hand.
          value.focus();
          value.select();
          done.replaceChildren(h("span", { i18n: "secret.copyByHand" }));
        }
      },
    },
  });
  return h(
    "div",
    { class: "secret-box notice notice-info", role: "status" },
    h("div", { class: "secret-text" }, h("strong", { i18n }), h("span", { class: "small", i18n: "secret.once" })),
    h("div", { class: "secret-row" }, value, copy),
    done,
  );
}
