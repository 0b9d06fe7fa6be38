/**
 * The SHAP waterfall: from the base value (the model's average raw score) through each field's
 * contribution to this record's raw score, largest first; the smallest fields beyond `maxRows` are one
 * bar. Base value plus the bars is the raw score (log-odds for binary models), as /explain says. Every
 * bar carries its value in `data-value`, the chart its `data-base` and `data-score`.
 */
import type { Explanation } from "../../bundle/output.js";
import { h, s } from "./dom.js";
import { num, shown, signed } from "./format.js";

const W = 640;
const LABEL = 214;
const VALUE = 64;
const ROW = 26;
const TOP = 6;
const AXIS = 30;

export interface WaterfallOptions {
  record: Record<string, unknown>;
  /** What the score means (binary: its probability, from the prediction). */
  scoreNote?: string;
  /** Draw raw score 0, where a binary model's probability is 50%. */
  threshold?: boolean;
  maxRows?: number;
}

/** "Nice" tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((m) => span / m <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    out.push(Number(t.toPrecision(12)));
  return out;
}

function truncate(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}

export function waterfall(e: Explanation, o: WaterfallOptions): SVGSVGElement {
  const maxRows = o.maxRows ?? 12;
  const shownRows =
    e.contributions.length > maxRows ? e.contributions.slice(0, maxRows - 1) : e.contributions;
  const rest = e.contributions.slice(shownRows.length);
  const rows = shownRows.map((c) => ({
    label: `${c.field} = ${shown(o.record[c.field])}`,
    title: `${c.field} = ${shown(o.record[c.field])}: ${signed(c.value)}`,
    field: c.field,
    value: c.value,
  }));
  if (rest.length) {
    const value = rest.reduce((a, c) => a + c.value, 0);
    rows.push({
      label: `${rest.length} other fields`,
      title: rest.map((c) => `${c.field}: ${signed(c.value)}`).join("\n"),
      field: `(${rest.length} other fields)`,
      value,
    });
  }
  let score = e.baseValue;
  const points = [e.baseValue];
  for (const r of rows) {
    score += r.value;
    points.push(score);
  }
  let lo = Math.min(...points);
  let hi = Math.max(...points);
  const pad = (hi - lo || 1) * 0.06;
  lo -= pad;
  hi += pad;
  const x = (v: number) => LABEL + ((v - lo) / (hi - lo)) * (W - LABEL - VALUE);
  const height = TOP + (rows.length + 2) * ROW + AXIS;
  const yOf = (i: number) => TOP + i * ROW;

  const svg = s("svg", {
    class: "waterfall",
    viewBox: `0 0 ${W} ${height}`,
    role: "img",
    "aria-label": `Contributions from the base value ${num(e.baseValue)} to the score ${num(score)}`,
    "data-base": String(e.baseValue),
    "data-score": String(score),
  });
  // Grid and axis.
  const axisY = yOf(rows.length + 2) + 4;
  for (const t of ticks(lo, hi)) {
    svg.append(
      s("line", { class: "grid", x1: x(t), x2: x(t), y1: TOP, y2: axisY }),
      s("text", { class: "tick", x: x(t), y: axisY + 14, "text-anchor": "middle" }, num(t, 3)),
    );
  }
  if (o.threshold && lo < 0 && hi > 0) {
    svg.append(s("line", { class: "threshold", x1: x(0), x2: x(0), y1: TOP, y2: axisY }));
  }

  const endRow = (i: number, label: string, value: number, cls: string) => {
    const y = yOf(i);
    svg.append(
      s("text", { class: `row-label ${cls}`, x: LABEL - 8, y: y + ROW / 2 + 4, "text-anchor": "end" }, label),
      s("line", { class: `end-line ${cls}`, x1: x(value), x2: x(value), y1: y + 3, y2: y + ROW - 3 }),
      s("circle", { class: `end-dot ${cls}`, cx: x(value), cy: y + ROW / 2, r: 4 }),
      s(
        "text",
        { class: `row-value ${cls}`, x: W - 4, y: y + ROW / 2 + 4, "text-anchor": "end" },
        cls === "score" && o.scoreNote ? `${num(value, 3)} → ${o.scoreNote}` : num(value, 4),
      ),
    );
  };
  endRow(0, "base value", e.baseValue, "base");
  let at = e.baseValue;
  rows.forEach((r, i) => {
    const y = yOf(i + 1);
    const from = at;
    at += r.value;
    const x0 = Math.min(x(from), x(at));
    const width = Math.max(1.5, Math.abs(x(at) - x(from)));
    const cls = r.value >= 0 ? "up" : "down";
    svg.append(
      s("line", { class: "connector", x1: x(from), x2: x(from), y1: y - ROW + 4, y2: y + 4 }),
      s(
        "text",
        { class: "row-label", x: LABEL - 8, y: y + ROW / 2 + 4, "text-anchor": "end" },
        truncate(r.label, 28),
      ),
      s(
        "rect",
        {
          class: `bar ${cls}`,
          x: x0,
          y: y + 4,
          width,
          height: ROW - 8,
          rx: 2,
          "data-field": r.field,
          "data-value": String(r.value),
        },
        s("title", null, r.title),
      ),
      s(
        "text",
        { class: `row-value ${cls}`, x: W - 4, y: y + ROW / 2 + 4, "text-anchor": "end" },
        signed(r.value),
      ),
    );
  });
  svg.append(
    s("line", {
      class: "connector",
      x1: x(at),
      x2: x(at),
      y1: yOf(rows.length) + 4,
      y2: yOf(rows.length + 1) + 4,
    }),
  );
  endRow(rows.length + 1, "score", score, "score");
  return svg;
}

/** The chart's legend. */
export function waterfallLegend(binary: boolean): HTMLElement {
  return h(
    "p",
    { class: "legend" },
    h("span", { class: "swatch up" }),
    binary ? " raises the odds " : " raises the score ",
    h("span", { class: "swatch down" }),
    binary ? " lowers them. Raw score in log-odds; " : " lowers it. ",
    binary ? "the dashed line is probability 50%." : "",
  );
}
