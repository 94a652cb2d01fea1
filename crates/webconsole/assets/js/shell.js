// The frame around the pages: top bar (who, language, theme, sign out)
// and the navigation, which shows only the pages the role may use and
// folds into a menu on narrow screens.

import { applyProps } from "./dom.js";
import { label, language, onLanguageChange, setLanguage } from "./i18n.js";
import { PAGES, mayUse } from "./session.js";
import { onThemeChange, theme, toggleTheme } from "./theme.js";

const byId = (id) => document.getElementById(id);

export function initShell({ onSignOut }) {
  for (const button of document.querySelectorAll(".lang-switch button")) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang));
  }
  onLanguageChange(markLanguage);
  markLanguage();

  byId("theme-toggle").addEventListener("click", toggleTheme);
  onThemeChange(markTheme);
  markTheme();

  byId("nav-toggle").addEventListener("click", () => setMenu(!document.body.classList.contains("nav-open")));
  byId("nav-backdrop").addEventListener("click", () => setMenu(false));
  byId("nav").addEventListener("click", (event) => {
    if (event.target.closest("a")) setMenu(false);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && document.body.classList.contains("nav-open")) {
      setMenu(false);
      byId("nav-toggle").focus();
    }
  });

  byId("logout").addEventListener("click", onSignOut);
}

function markLanguage() {
  for (const button of document.querySelectorAll(".lang-switch button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === language()));
  }
}

function markTheme() {
  const key = theme() === "dark" ? "shell.themeToLight" : "shell.themeToDark";
  applyProps(byId("theme-toggle"), { i18nLabel: key, i18nTitle: key });
}

function setMenu(open) {
  document.body.classList.toggle("nav-open", open);
  byId("nav-toggle").setAttribute("aria-expanded", String(open));
}

// The shell for a signed-in account.
export function showShell(account) {
  byId("whoami").textContent = account.display_name || account.username;
  byId("whoami").title = account.username;
  const role = byId("whoami-role");
  role.dataset.labelOf = "role";
  role.dataset.value = account.role;
  role.textContent = label("role", account.role);
  for (const page of PAGES) {
    const link = document.querySelector(`#nav a[data-page="${page}"]`);
    if (link) link.parentElement.hidden = !mayUse(page, account);
  }
  byId("account").hidden = false;
  byId("layout").hidden = false;
  document.body.classList.add("signed-in");
}

export function hideShell() {
  setMenu(false);
  byId("account").hidden = true;
  byId("layout").hidden = true;
  document.body.classList.remove("signed-in");
}

// Marks the navigation entry of the page shown.
export function markPage(page) {
  for (const link of document.querySelectorAll("#nav a[data-page]")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}
