// Users (administrators): every console account, created and edited in a
// side panel, deleted after a confirmation, a password reset to a
// generated one shown once.

import { api } from "../api.js";
import { h, replace, valueLabel } from "../dom.js";
import { t } from "../i18n.js";
import { dateTime } from "../format.js";
import { currentAccount } from "../session.js";
import { empty, loading, notice } from "../ui/feedback.js";
import { field, input, select } from "../ui/fields.js";
import { pageHeader } from "../ui/page.js";
import { openPanel } from "../ui/panel.js";
import { secretBox } from "../ui/secret.js";
import { cell, dataTable } from "../ui/table.js";

const ROLES = ["admin", "operator", "finance", "manager", "user"];

const COLUMNS = [
  { id: "username", i18n: "users.colUsername" },
  { id: "display_name", i18n: "users.colName" },
  { id: "role", i18n: "users.colRole" },
  { id: "departments", i18n: "users.colDepartments" },
  { id: "person", i18n: "users.colPerson", numeric: true },
  { id: "state", i18n: "users.colState" },
  { id: "created", i18n: "users.colCreated" },
];

// "3, 7" → [3, 7]; null when a part is not an id.
function parseIds(text) {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (!parts.every((part) => /^\d+$/.test(part))) return null;
  return parts.map(Number);
}

export function mountUsers(container) {
  const controller = new AbortController();
  const problem = h("div");
  const shown = h("div");
  const body = h("div", { class: "results" });
  let panel = null;
  let accounts = [];

  const create = h("button", { type: "button", class: "button primary", test: "users-new", i18n: "users.new", on: { click: () => edit(null) } });
  container.append(
    h("div", { class: "page page-users" }, pageHeader("nav.users", create), problem, shown, body),
  );

  function show() {
    if (!accounts.length) return replace(body, empty("users.none"));
    const table = dataTable({ columns: COLUMNS, caption: "users.caption", test: "users-table" });
    table.body.append(
      ...accounts.map((account) => {
        const open = () => edit(account);
        const locked = account.locked_until && Date.parse(account.locked_until) > Date.now();
        return h(
          "tr",
          {
            class: "clickable",
            tabindex: "0",
            test: "user-row",
            dataset: { id: account.id },
            on: {
              click: open,
              keydown: (event) => {
                if (event.key === "Enter" || event.key === " ") {
                  event.preventDefault();
                  open();
                }
              },
            },
          },
          cell(h("strong", { text: account.username })),
          cell(account.display_name || h("span", { class: "muted", text: "—" })),
          cell(valueLabel("span", "role", account.role, { class: "badge" })),
          cell(account.department_ids.length ? account.department_ids.join(", ") : h("span", { class: "muted", text: "—" })),
          cell(account.person_id ?? "", { numeric: true }),
          cell(
            account.disabled
              ? h("span", { class: "badge badge-alert", i18n: "users.disabled" })
              : locked
                ? h("span", { class: "badge status-unrated", title: dateTime(account.locked_until), i18n: "users.locked" })
                : h("span", { class: "badge state-connected", i18n: "users.active" }),
          ),
          cell(dateTime(account.created_at), { className: "nowrap" }),
        );
      }),
    );
    replace(body, table.element);
  }

  async function load() {
    if (!accounts.length) replace(body, loading());
    try {
      accounts = await api.get("/accounts", undefined, { signal: controller.signal });
      replace(problem);
      show();
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(problem, notice("error", error.message));
    }
  }

  // The panel to create (account null) or edit an account.
  function edit(account) {
    panel?.close();
    const creating = account === null;
    panel = openPanel({
      title: h("span", creating ? { i18n: "users.new" } : { text: account.username }),
      test: "users-panel",
    });
    const controls = {
      username: input({ name: "username", required: true, spellcheck: "false", autocapitalize: "none", value: account?.username ?? "" }),
      display_name: input({ name: "display_name", value: account?.display_name ?? "" }),
      role: select({ name: "role" }, ROLES.map((role) => ({ value: role, i18n: `role.${role}` }))),
      department_ids: input({ name: "department_ids", inputmode: "numeric", value: account?.department_ids.join(", ") ?? "" }),
      person_id: input({ name: "person_id", inputmode: "numeric", value: account?.person_id ?? "" }),
      cert_subject: input({ name: "cert_subject", spellcheck: "false", value: account?.cert_subject ?? "" }),
      password: input({ type: "password", name: "password", autocomplete: "new-password" }),
      disabled: h("input", { type: "checkbox", name: "disabled" }),
    };
    controls.role.value = account?.role ?? "user";
    controls.disabled.checked = Boolean(account?.disabled);
    const error = h("div");
    const result = h("div");
    const save = h("button", { type: "submit", class: "button primary", test: "users-save", i18n: "users.save" });
    const form = h(
      "form",
      { class: "stack-form", novalidate: true },
      field({ i18n: "users.username" }, controls.username),
      field({ i18n: "users.displayName" }, controls.display_name),
      field({ i18n: "users.role" }, controls.role),
      field({ i18n: "users.departments", hint: "users.departmentsHint" }, controls.department_ids),
      field({ i18n: "users.person", hint: "users.personHint" }, controls.person_id),
      field({ i18n: "users.certSubject", hint: "users.certHint" }, controls.cert_subject),
      creating ? field({ i18n: "users.password", hint: "users.passwordHint" }, controls.password) : null,
      h("label", { class: "check-field" }, controls.disabled, h("span", { i18n: "users.disableAccount" })),
      error,
      h("div", { class: "form-actions" }, save),
    );

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      replace(error);
      const departments = parseIds(controls.department_ids.value);
      const person = controls.person_id.value.trim();
      if (!controls.username.value.trim()) return replace(error, notice("error", { i18n: "users.needUsername" }));
      if (departments === null) return replace(error, notice("error", { i18n: "users.badIds" }));
      if (person && !/^\d+$/.test(person)) return replace(error, notice("error", { i18n: "users.badPerson" }));
      const body = {
        username: controls.username.value.trim(),
        display_name: controls.display_name.value.trim(),
        role: controls.role.value,
        department_ids: departments,
        person_id: person ? Number(person) : null,
        disabled: controls.disabled.checked,
        cert_subject: controls.cert_subject.value.trim() || null,
      };
      if (creating && controls.password.value) body.password = controls.password.value;
      save.disabled = true;
      try {
        if (creating) {
          const made = await api.post("/accounts", body);
          await load();
          edit(made.account);
          if (made.password) panel.body.prepend(secretBox("users.generated", made.password, "users-password"));
          else panel.body.prepend(notice("info", { i18n: "users.created" }));
        } else {
          await api.put(`/accounts/${account.id}`, body);
          replace(result, notice("info", { i18n: "users.saved" }));
          load();
        }
      } catch (failure) {
        replace(error, notice("error", failure.message));
      } finally {
        save.disabled = false;
      }
    });

    const parts = [form, result];
    if (!creating) parts.push(dangerZone(account, result));
    replace(panel.body, parts);
  }

  function dangerZone(account, result) {
    const reset = h("button", {
      type: "button",
      class: "button",
      test: "users-reset-password",
      i18n: "users.resetPassword",
      on: {
        click: async () => {
          if (!window.confirm(t("users.confirmReset", { name: account.username }))) return;
          reset.disabled = true;
          try {
            const answer = await api.post(`/accounts/${account.id}/password`, {});
            replace(result, answer.password ? secretBox("users.generated", answer.password, "users-password") : notice("info", { i18n: "users.passwordSet" }));
          } catch (failure) {
            replace(result, notice("error", failure.message));
          } finally {
            reset.disabled = false;
          }
        },
      },
    });
    const self = currentAccount()?.id === account.id;
    const remove = h("button", {
      type: "button",
      class: "button danger",
      test: "users-delete",
      i18n: "users.delete",
      disabled: self,
      i18nTitle: self ? "users.notSelf" : null,
      on: {
        click: async () => {
          if (!window.confirm(t("users.confirmDelete", { name: account.username }))) return;
          remove.disabled = true;
          try {
            await api.delete(`/accounts/${account.id}`);
            panel?.close();
            replace(shown, notice("info", { i18n: "users.deleted", i18nArgs: { name: account.username } }));
            load();
          } catch (failure) {
            replace(result, notice("error", failure.message));
            remove.disabled = false;
          }
        },
      },
    });
    return h("div", { class: "danger-zone" }, reset, remove);
  }

  load();

  return {
    unmount() {
      controller.abort();
      panel?.close();
    },
  };
}
