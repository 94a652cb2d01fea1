// Who is signed in, and which pages their role may use. The server
// enforces access; the console only hides what it would refuse.

import { api, setCsrf } from "./api.js";

// Every page of the console, in navigation order.
export const PAGES = [
  "dashboard",
  "calls",
  "live",
  "reports",
  "directory",
  "tariffs",
  "connectors",
  "quarantine",
  "users",
  "audit",
  "account",
];

const ACCESS = {
  admin: PAGES,
  operator: PAGES.filter((page) => page !== "users"),
  finance: ["dashboard", "calls", "live", "reports", "directory", "tariffs", "account"],
  manager: ["dashboard", "calls", "live", "reports", "account"],
  user: ["dashboard", "calls", "account"],
};

let account = null;

export function currentAccount() {
  return account;
}

export function mayUse(page, who = account) {
  return Boolean(who && ACCESS[who.role]?.includes(page));
}

function begin(payload) {
  account = payload.account;
  setCsrf(payload.csrf);
  return account;
}

export function forget() {
  account = null;
  setCsrf(null);
}

// The session the cookie stands for; null when there is none (401).
export async function resume() {
  try {
    return begin(await api.get("/session"));
  } catch (error) {
    if (error.status === 401) {
      forget();
      return null;
    }
    throw error;
  }
}

export async function signIn(username, password) {
  return begin(await api.post("/session", { username, password }));
}

export async function signOut() {
  try {
    await api.delete("/session");
  } finally {
    forget();
  }
}
