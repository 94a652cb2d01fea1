// The REST API client: JSON in and out, the session cookie, the CSRF
// header on every change, errors as ApiError with the API's own message.

import { languageTag, t } from "./i18n.js";

const BASE = "/api/v1";
const SAFE_METHODS = new Set(["GET", "HEAD"]);

let csrfToken = null;
let onUnauthenticated = () => {};

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0 when the server could not be reached
    this.code = code;
    this.retryAfter = retryAfter; // seconds, from Retry-After
  }
}

export function setCsrf(token) {
  csrfToken = token || null;
}

// Called when any request but the session's own answers 401
// unauthenticated: the session has expired.
export function setUnauthenticatedHandler(handler) {
  onUnauthenticated = handler;
}

// "/api/v1/path?query" with empty query values left out.
export function apiUrl(path, query = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.append(name, value);
  }
  const search = params.toString();
  return `${BASE}${path}${search ? `?${search}` : ""}`;
}

// `body` is sent as JSON; or, with `contentType`, as it is (a file's text
// or a Blob, for imports).
export async function request(method, path, { query, body, contentType, signal } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": languageTag() };
  if (body !== undefined) headers["Content-Type"] = contentType || "application/json";
  if (!SAFE_METHODS.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined || contentType ? body : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "network", t("error.network"));
  }
  if (response.status === 204) return null;
  const payload = await readBody(response);
  if (response.ok) return payload;
  const error = toError(response, payload);
  if (error.status === 401 && error.code === "unauthenticated" && path !== "/session") {
    onUnauthenticated();
  }
  throw error;
}

async function readBody(response) {
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }
  return response.text();
}

function toError(response, payload) {
  const detail = payload && typeof payload === "object" ? payload.error : null;
  const code = detail?.code || `http_${response.status}`;
  const message =
    detail?.message || t("error.status", { status: response.status, text: response.statusText });
  return new ApiError(response.status, code, message, retryAfter(response.headers.get("Retry-After")));
}

// Retry-After is either seconds or an HTTP date.
function retryAfter(header) {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

export const api = {
  get: (path, query, options = {}) => request("GET", path, { ...options, query }),
  post: (path, body, options = {}) => request("POST", path, { ...options, body }),
  put: (path, body, options = {}) => request("PUT", path, { ...options, body }),
  patch: (path, body, options = {}) => request("PATCH", path, { ...options, body }),
  delete: (path, options = {}) => request("DELETE", path, options),
  // A file's content as the body, with its media type (application/toml, text/csv).
  upload: (path, content, contentType, options = {}) => request("POST", path, { ...options, body: content, contentType }),
};
