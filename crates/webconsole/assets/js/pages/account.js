// My account, for every signed-in account: change one's password, and
// one's API tokens (create — the secret shown once — and revoke).

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { dateTime } from "../format.js";
import { currentAccount } from "../session.js";
import { empty, notice } from "../ui/feedback.js";
import { field, input } from "../ui/fields.js";
import { pageHeader, section } from "../ui/page.js";
import { secretBox } from "../ui/secret.js";
import { cell, dataTable } from "../ui/table.js";

const TOKEN_COLUMNS = [
  { id: "name", i18n: "account.colName" },
  { id: "prefix", i18n: "account.colPrefix" },
  { id: "created", i18n: "account.colCreated" },
  { id: "expires", i18n: "account.colExpires" },
  { id: "used", i18n: "account.colUsed" },
  { id: "actions", i18n: "account.colActions" },
];

export function mountAccount(container) {
  const controller = new AbortController();
  const me = currentAccount();

  // Password -----------------------------------------------------------
  const pw = {
    current: input({ type: "password", name: "current", autocomplete: "current-password", test: "password-current" }),
    next: input({ type: "password", name: "new", autocomplete: "new-password", test: "password-new" }),
    again: input({ type: "password", name: "again", autocomplete: "new-password", test: "password-again" }),
  };
  const pwResult = h("div");
  const pwSave = h("button", { type: "submit", class: "button primary", test: "password-submit", i18n: "account.changePassword" });
  const pwForm = h(
    "form",
    { class: "stack-form", novalidate: true },
    // For password managers: which account the new password belongs to.
    h("input", { type: "text", name: "username", autocomplete: "username", value: me?.username ?? "", hidden: true }),
    field({ i18n: "account.current" }, pw.current),
    field({ i18n: "account.new", hint: "account.newHint" }, pw.next),
    field({ i18n: "account.again" }, pw.again),
    pwResult,
    h("div", { class: "form-actions" }, pwSave),
  );
  pwForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    replace(pwResult);
    if (!pw.current.value || !pw.next.value) return replace(pwResult, notice("error", { i18n: "account.fillBoth" }));
    if (pw.next.value !== pw.again.value) return replace(pwResult, notice("error", { i18n: "account.mismatch" }));
    pwSave.disabled = true;
    try {
      await api.put("/session/password", { current: pw.current.value, new: pw.next.value });
      for (const control of Object.values(pw)) control.value = "";
      replace(pwResult, notice("info", { i18n: "account.passwordChanged" }));
    } catch (error) {
      replace(pwResult, notice("error", error.message));
    } finally {
      pwSave.disabled = false;
    }
  });

  // Tokens -------------------------------------------------------------
  const tokenName = input({ name: "name", required: true, test: "token-name" });
  const tokenDays = input({ type: "number", name: "expires_in_days", min: "1", inputmode: "numeric", test: "token-days" });
  const tokenResult = h("div");
  const tokenList = h("div");
  const tokenSave = h("button", { type: "submit", class: "button primary", test: "token-create", i18n: "account.createToken" });
  const tokenForm = h(
    "form",
    { class: "token-form", novalidate: true },
    h(
      "div",
      { class: "filter-grid" },
      field({ i18n: "account.tokenName", className: "span-2" }, tokenName),
      field({ i18n: "account.tokenDays", hint: "account.tokenDaysHint" }, tokenDays),
    ),
    h("div", { class: "form-actions" }, tokenSave),
  );
  tokenForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    replace(tokenResult);
    const name = tokenName.value.trim();
    const days = tokenDays.value.trim();
    if (!name) return replace(tokenResult, notice("error", { i18n: "account.needName" }));
    if (days && (!/^\d+$/.test(days) || Number(days) < 1)) return replace(tokenResult, notice("error", { i18n: "account.badDays" }));
    tokenSave.disabled = true;
    try {
      const made = await api.post("/tokens", { name, expires_in_days: days ? Number(days) : null });
      tokenName.value = "";
      tokenDays.value = "";
      replace(tokenResult, secretBox("account.tokenSecret", made.secret, "token-secret"));
      loadTokens();
    } catch (error) {
      replace(tokenResult, notice("error", error.message));
    } finally {
      tokenSave.disabled = false;
    }
  });

  function showTokens(tokens) {
    if (!tokens.length) return replace(tokenList, empty("account.noTokens"));
    const table = dataTable({ columns: TOKEN_COLUMNS, caption: "account.tokens", test: "tokens-table", className: "table-compact" });
    const when = (value) => (value ? dateTime(value) : h("span", { class: "muted", text: "—" }));
    table.body.append(
      ...tokens.map((token) => {
        const revoke = h("button", {
          type: "button",
          class: "link-button",
          i18n: "account.revoke",
          on: {
            click: async () => {
              if (!window.confirm(t("account.confirmRevoke", { name: token.name }))) return;
              revoke.disabled = true;
              try {
                await api.delete(`/tokens/${token.id}`);
                loadTokens();
              } catch (error) {
                replace(tokenResult, notice("error", error.message));
                revoke.disabled = false;
              }
            },
          },
        });
        const expired = token.expires_at && Date.parse(token.expires_at) <= Date.now();
        return h(
          "tr",
          { test: "token-row", class: expired ? "row-warn" : null },
          cell(h("strong", { text: token.name })),
          cell(h("code", { text: `${token.prefix}…` })),
          cell(when(token.created_at), { className: "nowrap" }),
          cell(expired ? h("span", { class: "text-warn", i18n: "account.expired" }) : when(token.expires_at), { className: "nowrap" }),
          cell(when(token.last_used_at), { className: "nowrap" }),
          cell(revoke),
        );
      }),
    );
    replace(tokenList, table.element);
  }

  async function loadTokens() {
    try {
      showTokens(await api.get("/tokens", undefined, { signal: controller.signal }));
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(tokenList, notice("error", error.message));
    }
  }

  container.append(
    h(
      "div",
      { class: "page page-account" },
      pageHeader("nav.account"),
      h(
        "p",
        { class: "muted" },
        h("span", { i18n: "account.signedInAs", i18nArgs: { name: me?.username ?? "" } }),
      ),
      h("div", { class: "account-grid" }, section("account.password", pwForm), section("account.tokens", tokenForm, tokenResult, tokenList)),
    ),
  );
  loadTokens();

  return { unmount: () => controller.abort() };
}
