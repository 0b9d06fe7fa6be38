/**
 * The drift report as one self-contained HTML file: inline CSS, inline SVG charts, no script, no
 * external resource (it opens offline, attaches to a ticket, survives an air-gapped network).
 */
import type { DriftReport, Flag, QuantityReport } from "./report.js";

const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number | undefined) => (x === undefined ? "–" : x.toFixed(3));

const COLORS: Record<Flag, string> = { ok: "#1a7f37", warn: "#9a6700", drift: "#cf222e" };

/** Grouped bars per bin: reference (grey) and live (blue); unknown/missing bins only when non-zero. */
export function histogramSvg(q: QuantityReport): string {
  const bins = q.bins.filter((b, i) => i < q.bins.length - 2 || b.reference > 0 || b.live > 0);
  const W = 640;
  const H = 220;
  const padL = 56;
  const padB = 64;
  const padT = 10;
  const plotW = W - padL - 10;
  const plotH = H - padB - padT;
  const max = Math.max(0.0001, ...bins.flatMap((b) => [b.reference, b.live]));
  const slot = plotW / Math.max(1, bins.length);
  const bar = Math.max(1, Math.min(24, (slot - 6) / 2));
  const y = (v: number) => padT + plotH - (v / max) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(`${q.name}: training vs live histogram`)}">`,
  );
  parts.push(`<line x1="${padL}" y1="${padT + plotH}" x2="${W - 10}" y2="${padT + plotH}" stroke="#888"/>`);
  for (const t of [0, 0.5, 1]) {
    const v = max * t;
    parts.push(
      `<text x="${padL - 4}" y="${y(v) + 4}" text-anchor="end" font-size="10" fill="#555">${esc(pct(v))}</text>`,
      `<line x1="${padL}" y1="${y(v)}" x2="${W - 10}" y2="${y(v)}" stroke="#eee"/>`,
    );
  }
  bins.forEach((b, i) => {
    const x0 = padL + i * slot + slot / 2 - bar;
    const hr = padT + plotH - y(b.reference);
    const hl = padT + plotH - y(b.live);
    parts.push(
      `<rect class="ref" x="${x0.toFixed(1)}" y="${y(b.reference).toFixed(1)}" width="${bar.toFixed(1)}" height="${hr.toFixed(1)}" fill="#8c959f"><title>${esc(`${b.label}: training ${pct(b.reference)}`)}</title></rect>`,
      `<rect class="live" x="${(x0 + bar).toFixed(1)}" y="${y(b.live).toFixed(1)}" width="${bar.toFixed(1)}" height="${hl.toFixed(1)}" fill="#0969da"><title>${esc(`${b.label}: live ${pct(b.live)}`)}</title></rect>`,
    );
    const lx = padL + i * slot + slot / 2;
    const label = b.label.length > 14 ? `${b.label.slice(0, 13)}…` : b.label;
    parts.push(
      `<text x="${lx.toFixed(1)}" y="${padT + plotH + 14}" font-size="10" fill="#333" text-anchor="end" transform="rotate(-30 ${lx.toFixed(1)} ${padT + plotH + 14})">${esc(label)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

function badge(flag: Flag): string {
  return `<span class="flag flag-${flag}" style="background:${COLORS[flag]}">${flag}</span>`;
}

function section(q: QuantityReport, id: string): string {
  return `<section class="field" id="${esc(id)}" data-field="${esc(q.name)}" data-flag="${q.flag}">
<h3>${esc(q.name)} ${badge(q.flag)}</h3>
<p class="stats">PSI <b>${num(q.psi)}</b>${q.ks === undefined ? "" : ` · KS <b>${num(q.ks)}</b>`} · ${q.kind} · ${q.count} values · unknown ${pct(q.unknownShare)} · missing ${pct(q.missingShare)} (training ${pct(q.referenceMissingShare)})</p>
${histogramSvg(q)}
</section>`;
}

export interface HtmlOptions {
  title?: string;
  /** Lines describing the inputs (bundle, log, window). */
  context?: Record<string, string | number | undefined>;
}

export function renderHtml(report: DriftReport, options: HtmlOptions = {}): string {
  const title = options.title ?? "Drift report";
  const s = report.summary;
  const t = report.thresholds;
  const ctx = Object.entries(options.context ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join("");
  const rows = report.fields
    .map(
      (f) =>
        `<tr><td><a href="#field-${esc(f.name)}">${esc(f.name)}</a></td><td>${badge(f.flag)}</td><td>${num(f.psi)}</td><td>${num(f.ks)}</td><td>${pct(f.unknownShare)}</td><td>${pct(f.missingShare)}</td></tr>`,
    )
    .join("\n");
  const p = report.prediction;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:980px;color:#1f2328;padding:0 16px}
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de}h3{font-size:16px;margin:0 0 4px}
.summary{display:flex;gap:12px;margin:12px 0}.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:90px}
.card b{display:block;font-size:22px}.flag{color:#fff;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;vertical-align:middle}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2}
section.field{border:1px solid #d0d7de;border-radius:6px;padding:12px;margin:12px 0}.stats{color:#57606a;margin:0 0 6px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;color:#57606a}dd{margin:0}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<dl>${ctx}<dt>rows</dt><dd>${report.rows}</dd><dt>generated</dt><dd>${esc(report.generatedAt)}</dd><dt>thresholds</dt><dd>PSI ≥ ${t.warn}: warn · PSI ≥ ${t.drift}: drift · flags need ≥ ${t.minCount} values</dd></dl>
<div class="summary" id="summary">
<div class="card">fields<b>${s.fields}</b></div>
<div class="card" style="color:${COLORS.drift}">drift<b>${s.drift}</b></div>
<div class="card" style="color:${COLORS.warn}">warn<b>${s.warn}</b></div>
<div class="card" style="color:${COLORS.ok}">ok<b>${s.ok}</b></div>
${p ? `<div class="card">prediction ${badge(p.flag)}<b>${num(p.psi)}</b></div>` : ""}
</div>
<table id="fields"><thead><tr><th>field</th><th>flag</th><th>PSI</th><th>KS</th><th>unknown</th><th>missing</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p class="legend"><span style="background:#8c959f"></span>training (reference) <span style="background:#0969da"></span>live</p>
${p ? `<h2>Prediction</h2>\n${section(p, "prediction")}` : ""}
<h2>Fields, worst first</h2>
${report.fields.map((f) => section(f, `field-${f.name}`)).join("\n")}
</body>
</html>
`;
}
