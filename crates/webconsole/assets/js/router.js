// Hash routes: "#/calls?from=…" is the page "calls" with its parameters,
// so a view can be bookmarked and Back goes where it should.

const listeners = new Set();

// The route in the address bar now.
export function current() {
  return parse(location.hash);
}

export function parse(hash) {
  const text = hash.replace(/^#\/?/, "");
  const at = text.indexOf("?");
  const path = decodeURIComponent(at < 0 ? text : text.slice(0, at));
  const params = new URLSearchParams(at < 0 ? "" : text.slice(at + 1));
  return { page: path || "", params };
}

// "#/page?params", leaving out empty parameters.
export function href(page, params = {}) {
  const search = new URLSearchParams();
  const entries = params instanceof URLSearchParams ? params.entries() : Object.entries(params);
  for (const [name, value] of entries) {
    if (value !== undefined && value !== null && value !== "") search.append(name, value);
  }
  const query = search.toString();
  return `#/${page}${query ? `?${query}` : ""}`;
}

export function go(page, params) {
  const target = href(page, params);
  if (location.hash === target) notify();
  else location.hash = target;
}

export function onRoute(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify() {
  const route = current();
  for (const listener of listeners) listener(route);
}

export function start() {
  window.addEventListener("hashchange", notify);
  notify();
}
