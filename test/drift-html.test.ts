// The HTML drift report: one self-contained file (no external resource), rendered by a real headless
// Chromium, showing every field, worst first. The browser part skips when /usr/bin/chromium is missing
// (CI installs it: apt-get install -y chromium).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../src/drift/analyze.js";
import { renderHtml } from "../src/drift/html.js";
import { chromium, hasChromium } from "./helpers/chromium.js";

const root = join(import.meta.dirname, "..");
const bundle = join(root, "models/hr-attrition");
const tmp = mkdtempSync(join(tmpdir(), "lgbm-drift-html-"));

async function shiftedReport() {
  const [head, ...lines] = readFileSync(join(bundle, "data/hr.csv"), "utf8").trim().split("\n");
  const cols = head.split(",");
  const si = cols.indexOf("satisfaction_level");
  const sa = cols.indexOf("salary");
  const out = lines.map((l) => {
    const c = l.split(",");
    c[si] = String(Math.max(0, Number(c[si]) - 0.3));
    c[sa] = "low";
    return c.join(",");
  });
  const file = join(tmp, "shifted.csv");
  writeFileSync(file, `${head}\n${out.join("\n")}\n`);
  return analyzeFile(bundle, file);
}

describe("HTML drift report", async () => {
  const report = await shiftedReport();
  const html = renderHtml(report, {
    title: "Drift report: hr-attrition",
    context: { bundle: "hr-attrition" },
  });
  const file = join(tmp, "report.html");
  writeFileSync(file, html);

  it("is self-contained: inline CSS and SVG, no script, no external URL", () => {
    expect(html).toMatch(/<style>/);
    expect(html).toMatch(/<svg /);
    expect(html).not.toMatch(/<script|<link |src="http|href="http|url\(/i);
    // Escaping: a field named like markup stays text.
    const evil = renderHtml({ ...report, fields: [{ ...report.fields[0], name: "<img src=x>" }] });
    expect(evil).not.toContain("<img src=x>");
  });

  it("renders an empty window (no rows, no prediction) without failing", () => {
    const empty = renderHtml({
      ...report,
      rows: 0,
      prediction: undefined,
      fields: report.fields.map((f) => ({ ...f, count: 0, bins: f.bins.map((b) => ({ ...b, live: 0 })) })),
    });
    expect(empty).toContain("<h2>Fields, worst first</h2>");
    expect(empty).not.toContain("<h2>Prediction</h2>");
    expect(empty).not.toMatch(/NaN|Infinity/);
  });

  it.skipIf(!hasChromium)(
    "renders in headless Chromium with every field, worst first (skips without /usr/bin/chromium)",
    async () => {
      const { stdout: dom } = await chromium(["--dump-dom", `file://${file}`]);
      const sections = [
        ...dom.matchAll(/<section class="field" id="field-([^"]+)" data-field="[^"]*" data-flag="(\w+)"/g),
      ].map((m) => [m[1], m[2]]);
      const names = report.fields.map((f) => f.name);
      expect(sections.map((s) => s[0])).toEqual(names);
      expect(names.length).toBe(9);
      expect(sections.slice(0, 2).map((s) => s[1])).toEqual(["drift", "drift"]);
      expect(dom).toContain('id="summary"');
      // One chart per field plus the prediction, each with training and live bars.
      expect((dom.match(/<svg /g) ?? []).length).toBe(names.length + 1);
      const png = join(tmp, "report.png");
      await chromium(["--window-size=1000,1400", `--screenshot=${png}`, `file://${file}`]);
      const bytes = readFileSync(png);
      expect(bytes.subarray(1, 4).toString()).toBe("PNG");
      expect(bytes.length).toBeGreaterThan(10_000);
    },
  );
});
