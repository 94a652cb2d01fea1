// Pages not built yet, pages the role may not use, and unknown addresses.

import { h } from "../dom.js";
import { pageHeader } from "../ui/page.js";

const MESSAGES = {
  coming: { i18n: "placeholder.coming" },
  forbidden: { i18n: "placeholder.forbidden" },
  missing: { i18n: "placeholder.missing" },
};

// kind: "coming" | "forbidden" | "missing"; title: the heading's key.
export function mountPlaceholder(container, { kind, title }) {
  container.append(
    h(
      "div",
      { class: "page" },
      pageHeader(title),
      h("div", { class: "placeholder", test: `placeholder-${kind}` }, h("p", MESSAGES[kind])),
    ),
  );
  return {};
}
