// Dashboard: today's and this month's calls, cost and savings; cost by
// day and by call type; top departments and callers; the busy hours of
// the week. Everything comes from GET /api/v1/dashboard; where that has
// nothing to give (404, or an error) the cards say "no data".

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { label, onLanguageChange, t } from "../i18n.js";
import { integer, magnitude, money, time } from "../format.js";
import { bars, columns, heatMap, mountChart } from "../charts.js";
import { loading, notice } from "../ui/feedback.js";
import { pageHeader } from "../ui/page.js";
import { cell, dataTable } from "../ui/table.js";

const noData = () => h("p", { class: "no-data", test: "dashboard-no-data", i18n: "dashboard.noData" });

function card(i18n, className = "") {
  const body = h("div", { class: "card-body" });
  const element = h("section", { class: `card ${className}`.trim() }, h("h2", { class: "card-title", i18n }), body);
  return { element, body };
}

export function mountDashboard(container) {
  const updated = h("span", { class: "muted small" });
  const refresh = h("button", { type: "button", class: "button", i18n: "dashboard.refresh", on: { click: () => load() } });
  const problem = h("div");
  const today = card("dashboard.today", "kpi-card");
  const month = card("dashboard.month", "kpi-card");
  const byDay = card("dashboard.costByDay", "span-2");
  const byType = card("dashboard.costByType");
  const busy = card("dashboard.busyHours");
  const departments = card("dashboard.topDepartments");
  const callers = card("dashboard.topCallers");

  container.append(
    h(
      "div",
      { class: "page page-dashboard" },
      pageHeader("nav.dashboard", updated, refresh),
      problem,
      h("div", { class: "kpi-row", test: "dashboard-cards" }, today.element, month.element),
      h("div", { class: "dashboard-grid" }, byDay.element, byType.element, busy.element, departments.element, callers.element),
    ),
  );

  let data = null;
  let disposers = [];
  let controller = null;

  function chart(target, draw) {
    const frame = h("div", { class: "chart-frame" });
    replace(target, frame);
    disposers.push(mountChart(frame, draw));
    return frame;
  }

  function clearCharts() {
    for (const dispose of disposers) dispose();
    disposers = [];
  }

  function render() {
    clearCharts();
    if (!data) {
      for (const part of [today, month]) replace(part.body, kpis(null, null));
      for (const part of [byDay, byType, busy, departments, callers]) replace(part.body, noData());
      return;
    }
    const currency = data.currency;
    replace(today.body, kpis(data.today, currency));
    replace(month.body, kpis(data.month, currency));
    renderByDay(byDay.body, data.cost_by_day ?? [], currency);
    renderByType(byType.body, data.cost_by_type ?? [], currency);
    renderBusy(busy.body, data.busy_hours ?? []);
    renderDepartments(departments.body, data.top_departments ?? [], currency);
    renderCallers(callers.body, data.top_callers ?? [], currency);
  }

  function renderByDay(target, days, currency) {
    if (!days.length) return replace(target, noData());
    const items = days.map((day) => ({
      label: String(day.day).slice(5), // "MM-DD" from "YYYY-MM-DD"
      value: magnitude(day.cost),
      title: `${day.day}: ${money(day.cost, currency)}`,
    }));
    const peak = days.reduce((best, day) => (magnitude(day.cost) > magnitude(best.cost) ? day : best), days[0]);
    chart(target, (width) =>
      columns(width, {
        items,
        label: t("dashboard.costByDay"),
        peak: t("dashboard.peak", { value: money(peak.cost, currency), day: peak.day }),
      }),
    );
    // The same figures as a table, for reading exact amounts and for screen readers.
    const table = dataTable({
      columns: [
        { id: "day", i18n: "dashboard.colDay" },
        { id: "cost", i18n: "dashboard.colCost", numeric: true },
      ],
      caption: "dashboard.costByDay",
    });
    table.body.append(...days.map((day) => h("tr", {}, cell(day.day), cell(money(day.cost, currency), { numeric: true }))));
    target.append(h("details", { class: "chart-table" }, h("summary", { i18n: "dashboard.showTable" }), table.element));
  }

  function renderByType(target, types, currency) {
    if (!types.length) return replace(target, noData());
    chart(target, (width) =>
      bars(width, {
        label: t("dashboard.costByType"),
        items: types.map((row) => ({
          label: label("calltype", row.call_type),
          value: magnitude(row.cost),
          text: money(row.cost, currency),
          title: t("dashboard.typeTip", {
            type: label("calltype", row.call_type),
            calls: integer(row.calls),
            cost: money(row.cost, currency),
          }),
        })),
      }),
    );
  }

  function renderBusy(target, hours) {
    const valid = hours.length === 7 && hours.every((row) => Array.isArray(row) && row.length === 24);
    if (!valid || !hours.flat().some((n) => n > 0)) return replace(target, noData());
    const days = [t("day.mon"), t("day.tue"), t("day.wed"), t("day.thu"), t("day.fri"), t("day.sat"), t("day.sun")];
    const hour = (n) => `${String(n).padStart(2, "0")}:00`;
    chart(target, (width) =>
      heatMap(width, {
        values: hours,
        rowLabels: days,
        columnLabels: Array.from({ length: 24 }, (_, c) => (c % 3 === 0 ? String(c) : "")),
        label: t("dashboard.busyHours"),
        title: (r, c, n) => t("dashboard.heatTip", { day: days[r], from: hour(c), to: hour((c + 1) % 24), n: integer(n) }),
      }),
    );
    target.append(
      h(
        "div",
        { class: "heat-legend", "aria-hidden": "true" },
        h("span", { i18n: "dashboard.fewer" }),
        h("span", { class: "heat-scale" }),
        h("span", { i18n: "dashboard.more" }),
      ),
    );
  }

  function renderDepartments(target, rows, currency) {
    if (!rows.length) return replace(target, noData());
    const table = dataTable({
      columns: [
        { id: "department", i18n: "dashboard.colDepartment" },
        { id: "calls", i18n: "dashboard.colCalls", numeric: true },
        { id: "cost", i18n: "dashboard.colCost", numeric: true },
      ],
      caption: "dashboard.topDepartments",
      className: "table-compact",
    });
    table.body.append(
      ...rows.map((row) =>
        h(
          "tr",
          {},
          cell(row.department ?? "—", { className: "truncate", title: row.department ?? undefined }),
          cell(integer(row.calls), { numeric: true }),
          cell(money(row.cost, currency), { numeric: true, className: "nowrap" }),
        ),
      ),
    );
    replace(target, table.element);
  }

  function renderCallers(target, rows, currency) {
    if (!rows.length) return replace(target, noData());
    const table = dataTable({
      columns: [
        { id: "extension", i18n: "dashboard.colExtension" },
        { id: "user", i18n: "dashboard.colUser" },
        { id: "calls", i18n: "dashboard.colCalls", numeric: true },
        { id: "cost", i18n: "dashboard.colCost", numeric: true },
      ],
      caption: "dashboard.topCallers",
      className: "table-compact",
    });
    table.body.append(
      ...rows.map((row) =>
        h(
          "tr",
          {},
          cell(row.extension, { className: "tnum" }),
          cell(row.user ?? h("span", { class: "muted", text: "—" }), { className: "truncate" }),
          cell(integer(row.calls), { numeric: true }),
          cell(money(row.cost, currency), { numeric: true, className: "nowrap" }),
        ),
      ),
    );
    replace(target, table.element);
  }

  async function load() {
    controller?.abort();
    controller = new AbortController();
    refresh.disabled = true;
    if (!data) for (const part of [today, month, byDay, byType, busy, departments, callers]) replace(part.body, loading());
    try {
      data = await api.get("/dashboard", undefined, { signal: controller.signal });
      replace(problem);
      replace(updated, h("span", { i18n: "dashboard.updated", i18nArgs: { time: time(new Date()) } }));
    } catch (error) {
      if (error.name === "AbortError") return;
      data = null;
      // 404: the server has no dashboard to give yet; that is "no data", not a fault.
      replace(problem, error.status === 404 ? null : notice("error", error.message));
      replace(updated);
    } finally {
      refresh.disabled = false;
    }
    render();
  }

  // Charts hold words (day names, tooltips): draw them again in the new language.
  const stopFollowing = onLanguageChange(() => render());
  load();

  return {
    unmount() {
      controller?.abort();
      stopFollowing();
      clearCharts();
    },
  };
}

// Calls, cost and savings of one period; "—" and "no data" without figures.
function kpis(period, currency) {
  const figure = (i18n, value, className = "") =>
    h(
      "div",
      { class: `kpi ${className}`.trim() },
      h("div", { class: "kpi-label", i18n }),
      h("div", { class: "kpi-value" }, value ?? h("span", { class: "muted", text: "—" })),
    );
  return [
    h(
      "div",
      { class: "kpis" },
      figure("dashboard.calls", period ? integer(period.calls) : null),
      figure("dashboard.cost", period ? moneyFigure(period.cost, currency) : null),
      figure("dashboard.savings", period ? moneyFigure(period.savings, currency) : null, "kpi-savings"),
    ),
    period ? null : noData(),
  ];
}

function moneyFigure(amount, currency) {
  return [money(amount, null), h("span", { class: "currency", text: currency ? ` ${currency}` : "" })];
}
