/**
 * Live drift: each field's PSI and flag against the training reference, from the server's rolling
 * window (GET /drift/{name}), with the training and live distributions side by side per bin.
 */
import type { DriftReport, QuantityReport } from "../../drift/report.js";
import { h, s } from "./dom.js";
import { int, num, percent } from "./format.js";

const W = 260;
const H = 78;
const BASE = 62;

function histogram(q: QuantityReport): SVGSVGElement {
  // The unknown and missing bins only when someone has values there.
  const bins = q.bins.filter((b, i) => i < q.bins.length - 2 || b.reference > 0 || b.live > 0);
  const max = Math.max(1e-9, ...bins.flatMap((b) => [b.reference, b.live]));
  const slot = W / bins.length;
  const bar = Math.max(1, Math.min(14, slot / 2 - 1.5));
  const svg = s("svg", {
    class: "hist",
    viewBox: `0 0 ${W} ${H}`,
    role: "img",
    "aria-label": `${q.name}: training vs live`,
  });
  svg.append(s("line", { class: "axis", x1: 0, x2: W, y1: BASE + 0.5, y2: BASE + 0.5 }));
  bins.forEach((b, i) => {
    const cx = slot * i + slot / 2;
    const hr = (b.reference / max) * (BASE - 4);
    const hl = (b.live / max) * (BASE - 4);
    svg.append(
      s(
        "g",
        { class: "bin" },
        s("title", null, `${b.label}: training ${percent(b.reference)}, live ${percent(b.live)}`),
        s("rect", { class: "hit", x: slot * i, y: 0, width: slot, height: BASE }),
        s("rect", { class: "ref", x: cx - bar - 0.5, y: BASE - hr, width: bar, height: hr }),
        s("rect", { class: `live ${q.flag}`, x: cx + 0.5, y: BASE - hl, width: bar, height: hl }),
      ),
    );
  });
  const first = bins[0]?.label ?? "";
  const last = bins[bins.length - 1]?.label ?? "";
  svg.append(s("text", { class: "tick", x: 0, y: H - 2 }, first));
  if (bins.length > 1) svg.append(s("text", { class: "tick", x: W, y: H - 2, "text-anchor": "end" }, last));
  return svg;
}

function quantityCard(q: QuantityReport, label = q.name): HTMLElement {
  return h(
    "article",
    { class: `drift-card ${q.flag}`, "data-field": q.name, "data-flag": q.flag, "data-psi": String(q.psi) },
    h(
      "header",
      null,
      h("span", { class: "drift-name" }, label),
      h("span", { class: `badge ${q.flag}` }, q.flag),
    ),
    h(
      "p",
      { class: "drift-stats" },
      h("span", null, "PSI ", h("strong", null, num(q.psi, 3))),
      q.ks === undefined ? null : h("span", null, "KS ", num(q.ks, 3)),
      h("span", null, `${int(q.count)} values`),
      q.unknownShare > 0 ? h("span", { class: "warn-text" }, `${percent(q.unknownShare)} unknown`) : null,
    ),
    histogram(q),
  );
}

export function driftView(report: DriftReport): HTMLElement {
  const { summary, thresholds } = report;
  const state =
    summary.drift > 0
      ? `${summary.drift} drifting`
      : summary.warn > 0
        ? `${summary.warn} to watch`
        : "no field has drifted";
  return h(
    "div",
    { class: "drift-body" },
    h(
      "p",
      { class: "drift-summary" },
      h(
        "strong",
        { class: summary.drift > 0 ? "drift-text" : summary.warn > 0 ? "warn-text" : "ok-text" },
        state,
      ),
      ` · ${int(report.rows)} live records in the window · flags from ${int(thresholds.minCount)} values: `,
      `warn at PSI ≥ ${thresholds.warn}, drift at ≥ ${thresholds.drift} · compared with ${report.reference.source ?? "the reference"}`,
      report.reference.rows ? ` (${int(report.reference.rows)} rows)` : "",
    ),
    h(
      "p",
      { class: "legend" },
      h("span", { class: "swatch ref" }),
      " training ",
      h("span", { class: "swatch live" }),
      " live (the window)",
    ),
    h(
      "div",
      { class: "drift-grid" },
      report.fields.map((q) => quantityCard(q)),
      report.prediction ? quantityCard(report.prediction, "prediction") : null,
    ),
  );
}
