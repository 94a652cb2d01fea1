// Labelled form fields.

import { h, uid } from "../dom.js";

// A label over an input (or select). `input` is the control's props.
export function field({ i18n, hint, className = "" }, control) {
  const id = control.id || uid("field");
  control.id = id;
  return h(
    "div",
    { class: `field ${className}`.trim() },
    h("label", { for: id, i18n }),
    control,
    hint ? h("small", { class: "hint", i18n: hint }) : null,
  );
}

export function input(props) {
  return h("input", { autocomplete: "off", ...props });
}

// options: [{ value, i18n }] — i18n is the option's text key.
export function select(props, options) {
  return h(
    "select",
    props,
    options.map((option) => h("option", { value: option.value, i18n: option.i18n })),
  );
}
