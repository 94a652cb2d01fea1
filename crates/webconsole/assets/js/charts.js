// Small SVG charts: columns, horizontal bars and a heat map. Each is drawn
// at the pixel width of its container (so text keeps its size) and drawn
// again when that width changes. Values are numbers only for sizing; every
// figure shown is the caller's own string.

// The SVG namespace, taken from the HTML parser rather than spelled out.
const SVG_NS = (() => {
  const template = document.createElement("template");
  template.innerHTML = "<svg></svg>";
  return template.content.firstChild.namespaceURI;
})();

function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A tooltip: SVG's own <title>, read by screen readers and shown on hover.
const tip = (text) => s("title", {}, text);

function svg(width, height, label) {
  return s("svg", {
    class: "chart",
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": label,
  });
}

// Draws `draw(width)` into `container` now and whenever its width changes.
// Returns a function that stops following the width.
export function mountChart(container, draw) {
  let drawnWidth = -1;
  const render = () => {
    const width = Math.floor(container.clientWidth);
    if (width <= 0 || width === drawnWidth) return;
    drawnWidth = width;
    container.replaceChildren(draw(width));
  };
  const observer = new ResizeObserver(render);
  observer.observe(container);
  render();
  return () => observer.disconnect();
}

// Vertical columns, one per item: [{ label, value, title }]. `peak` is the
// text for the largest item, written at the top line. Axis labels are
// thinned out to what fits.
export function columns(width, { items, label, peak }) {
  const height = 220;
  const top = 22;
  const bottom = 24;
  const left = 8;
  const right = 8;
  const chart = svg(width, height, label);
  const plotHeight = height - top - bottom;
  const max = Math.max(0, ...items.map((item) => item.value));
  const slot = items.length ? (width - left - right) / items.length : 0;
  const barWidth = Math.max(1, Math.min(28, slot * 0.72));
  const tickEvery = slot > 0 ? Math.max(1, Math.ceil(44 / slot)) : 1;

  chart.append(s("line", { class: "chart-axis", x1: left, x2: width - right, y1: top + plotHeight, y2: top + plotHeight }));
  if (max > 0) {
    chart.append(
      s("line", { class: "chart-grid", x1: left, x2: width - right, y1: top, y2: top }),
      s("text", { class: "chart-label", x: left, y: top - 6 }, peak),
    );
  }
  items.forEach((item, index) => {
    const x = left + index * slot + (slot - barWidth) / 2;
    const barHeight = max > 0 ? Math.max(item.value > 0 ? 1 : 0, (item.value / max) * plotHeight) : 0;
    const group = s("g", { class: "chart-column" }, tip(item.title));
    // A full-height transparent target, so thin columns are easy to hover.
    group.append(s("rect", { class: "chart-hit", x: left + index * slot, y: top, width: slot, height: plotHeight }));
    group.append(s("rect", { class: "chart-bar", x, y: top + plotHeight - barHeight, width: barWidth, height: barHeight, rx: Math.min(3, barWidth / 3) }));
    chart.append(group);
    if (index % tickEvery === 0) {
      chart.append(s("text", { class: "chart-label", x: x + barWidth / 2, y: height - 6, "text-anchor": "middle" }, item.label));
    }
  });
  return chart;
}

// Horizontal bars, one row per item: [{ label, value, text, title }];
// `text` is written after the bar.
export function bars(width, { items, label }) {
  const row = 30;
  const height = Math.max(row, items.length * row);
  const chart = svg(width, height, label);
  const labelWidth = Math.min(140, Math.max(72, width * 0.3));
  const textWidth = Math.min(130, Math.max(90, width * 0.28));
  const barSpace = Math.max(10, width - labelWidth - textWidth - 16);
  const max = Math.max(0, ...items.map((item) => item.value));
  const fits = Math.floor(labelWidth / 7);
  items.forEach((item, index) => {
    const y = index * row;
    const name = shorten(item.label, fits);
    const barWidth = max > 0 ? Math.max(item.value > 0 ? 2 : 0, (item.value / max) * barSpace) : 0;
    chart.append(
      s(
        "g",
        { class: "chart-row" },
        tip(item.title),
        s("text", { class: "chart-text", x: 0, y: y + row / 2 + 4 }, name),
        s("rect", { class: "chart-track", x: labelWidth, y: y + 8, width: barSpace, height: row - 16, rx: 3 }),
        s("rect", { class: "chart-bar", x: labelWidth, y: y + 8, width: barWidth, height: row - 16, rx: 3 }),
        s("text", { class: "chart-text chart-value", x: width, y: y + row / 2 + 4, "text-anchor": "end" }, item.text),
      ),
    );
  });
  return chart;
}

// `text` cut to about `units` Latin letters' width (wide CJK characters
// count two), with an ellipsis when cut. The tooltip keeps the whole.
function shorten(text, units) {
  let used = 0;
  for (let i = 0; i < text.length; i += 1) {
    used += text.charCodeAt(i) >= 0x2e80 ? 2 : 1;
    if (used > units) return `${text.slice(0, Math.max(1, i - 1))}…`;
  }
  return text;
}

// A grid of counts: rows × columns, darker for more. rowLabels and
// columnLabels label the axes (a column label may be "" to skip it);
// title(r, c) is each cell's tooltip.
export function heatMap(width, { values, rowLabels, columnLabels, label, title }) {
  const left = 40;
  const bottom = 20;
  const columnsCount = Math.max(1, ...values.map((row) => row.length));
  const gap = 2;
  const cell = Math.max(6, Math.min(30, (width - left) / columnsCount));
  const height = values.length * cell + bottom;
  const chart = svg(width, height, label);
  const max = Math.max(0, ...values.flat());
  values.forEach((row, r) => {
    chart.append(s("text", { class: "chart-label", x: 0, y: r * cell + cell / 2 + 4 }, rowLabels[r] ?? ""));
    row.forEach((value, c) => {
      const share = max > 0 ? value / max : 0;
      const rect = s("rect", {
        class: value > 0 ? "heat-cell" : "heat-cell heat-zero",
        x: left + c * cell,
        y: r * cell,
        width: cell - gap,
        height: cell - gap,
        rx: 2,
        // Never fully transparent, so a quiet hour still reads as a cell.
        "fill-opacity": value > 0 ? (0.15 + 0.85 * share).toFixed(3) : null,
      });
      chart.append(s("g", {}, tip(title(r, c, value)), rect));
    });
  });
  columnLabels.forEach((text, c) => {
    if (text) {
      chart.append(s("text", { class: "chart-label", x: left + c * cell + (cell - gap) / 2, y: height - 5, "text-anchor": "middle" }, text));
    }
  });
  return chart;
}
