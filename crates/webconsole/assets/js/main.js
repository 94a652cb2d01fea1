// Starts the console: language, theme, the session, then the page the
// address asks for. Keeps one page mounted at a time.

import { setUnauthenticatedHandler } from "./api.js";
import { onLanguageChange, t, translate } from "./i18n.js";
import { current, go, href, onRoute, start } from "./router.js";
import { PAGES, currentAccount, forget, mayUse, resume, signOut } from "./session.js";
import { hideShell, initShell, markPage, showShell } from "./shell.js";
import { initTheme } from "./theme.js";
import { hideLogin, initLogin, showLogin } from "./pages/login.js";
import { mountPlaceholder } from "./pages/placeholder.js";
import { mountDashboard } from "./pages/dashboard.js";
import { mountCalls } from "./pages/calls.js";
import { mountConnectors } from "./pages/connectors.js";
import { mountLive } from "./pages/live.js";
import { mountReports } from "./pages/reports.js";
import { mountUsers } from "./pages/users.js";
import { mountAccount } from "./pages/account.js";
import { mountAudit } from "./pages/audit.js";
import { mountQuarantine } from "./pages/quarantine.js";
import { mountTariffs } from "./pages/tariffs.js";
import { mountDirectory } from "./pages/directory.js";

// Every page's mount function; a page missing here shows a placeholder.
const BUILT = {
  dashboard: mountDashboard,
  calls: mountCalls,
  connectors: mountConnectors,
  live: mountLive,
  reports: mountReports,
  users: mountUsers,
  account: mountAccount,
  audit: mountAudit,
  quarantine: mountQuarantine,
  tariffs: mountTariffs,
  directory: mountDirectory,
};

const main = document.getElementById("main");
let mounted = null; // { page, instance }

function unmount() {
  mounted?.instance.unmount?.();
  mounted = null;
  main.replaceChildren();
}

function titleKey(page) {
  return PAGES.includes(page) ? `nav.${page}` : "placeholder.missingTitle";
}

function setTitle() {
  const page = mounted?.page;
  document.title = page ? `${t(titleKey(page))} · bluewhale` : `${t("login.title")} · bluewhale`;
}

// The address of the route, without "#/", to come back to after signing in.
function returnAddress(route) {
  return href(route.page, route.params).slice(2);
}

function show(route) {
  if (!currentAccount()) {
    unmount();
    hideShell();
    if (route.page !== "login") {
      go("login", route.page ? { next: returnAddress(route) } : {});
      return;
    }
    showLogin();
    setTitle();
    return;
  }
  if (route.page === "login" || route.page === "") {
    const next = route.page === "login" ? route.params.get("next") : null;
    location.replace(next ? `#/${next}` : "#/dashboard");
    return;
  }
  hideLogin();
  showShell(currentAccount());
  markPage(route.page);

  if (mounted?.page === route.page && mounted.instance.update) {
    mounted.instance.update(route.params);
    return;
  }
  unmount();
  let instance;
  if (!PAGES.includes(route.page)) {
    instance = mountPlaceholder(main, { kind: "missing", title: "placeholder.missingTitle" });
  } else if (!mayUse(route.page)) {
    instance = mountPlaceholder(main, { kind: "forbidden", title: titleKey(route.page) });
  } else if (BUILT[route.page]) {
    instance = BUILT[route.page](main, route.params);
  } else {
    instance = mountPlaceholder(main, { kind: "coming", title: titleKey(route.page) });
  }
  mounted = { page: route.page, instance };
  setTitle();
  // Move focus to the new page's heading, as a page load would.
  main.querySelector("h1")?.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

async function onSignOut() {
  try {
    await signOut();
  } catch {
    // Signed out here either way; the cookie dies with its session.
  }
  unmount();
  go("login");
}

// Any API call answered 401 unauthenticated: sign in again, then return.
function sessionExpired() {
  if (!currentAccount()) return;
  forget();
  const route = current();
  unmount();
  hideShell();
  go("login", { next: returnAddress(route) });
  showLogin({ i18n: "login.expired" });
}

async function boot() {
  translate(document);
  initTheme();
  initShell({ onSignOut });
  initLogin(() => show(current()));
  setUnauthenticatedHandler(sessionExpired);
  onLanguageChange(setTitle);

  let problem = null;
  try {
    await resume();
  } catch (error) {
    problem = error; // the server could not say: offer the sign-in page with why
  }
  document.getElementById("boot").hidden = true;
  onRoute(show);
  start();
  if (problem) showLogin(problem.message);
}

boot();
