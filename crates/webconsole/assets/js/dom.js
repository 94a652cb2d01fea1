// Building DOM nodes without HTML strings: text is always set as text, so
// values from the API can never become markup.

import { label, t } from "./i18n.js";

// h("button", {class: "primary", test: "calls-search", i18n: "calls.search", on: {click}}, ...children)
// Props with a meaning of their own:
//   class            class name(s)
//   test             the data-test attribute the browser tests use
//   i18n             dictionary key of the text; kept on the node so a language switch retranslates it
//   i18nArgs         values for the key's {placeholders}
//   i18nTitle, i18nPlaceholder, i18nLabel   keys of title, placeholder and aria-label
//   text             plain text content
//   on               event listeners {type: handler}
//   dataset          data-* attributes
//   anything else    an attribute (true → present, false/null/undefined → absent)
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  applyProps(node, props);
  append(node, children);
  return node;
}

export function applyProps(node, props) {
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    switch (name) {
      case "class":
        node.className = value;
        break;
      case "test":
        node.dataset.test = value;
        break;
      case "text":
        node.textContent = value;
        break;
      case "i18n":
        node.dataset.i18n = value;
        if (!props.i18nArgs) delete node.dataset.i18nArgs;
        node.textContent = t(value, props.i18nArgs);
        break;
      case "i18nArgs":
        node.dataset.i18nArgs = JSON.stringify(value);
        break;
      case "i18nTitle":
        node.dataset.i18nTitle = value;
        node.title = t(value, props.i18nArgs);
        break;
      case "i18nPlaceholder":
        node.dataset.i18nPlaceholder = value;
        node.placeholder = t(value);
        break;
      case "i18nLabel":
        node.dataset.i18nLabel = value;
        node.setAttribute("aria-label", t(value, props.i18nArgs));
        break;
      case "on":
        for (const [type, handler] of Object.entries(value)) node.addEventListener(type, handler);
        break;
      case "dataset":
        Object.assign(node.dataset, value);
        break;
      default:
        node.setAttribute(name, value === true ? "" : String(value));
    }
  }
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Replaces a node's children.
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

// A short unique id for label/field pairs.
let counter = 0;
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

// A value with a dictionary label (a call type, a role, a status): shown
// translated, and retranslated on a language switch (see i18n.translate).
export function valueLabel(tag, prefix, value, props = {}) {
  return h(tag, { ...props, dataset: { labelOf: prefix, value: value ?? "" }, text: label(prefix, value) });
}
