/**
 * The model page (`lgbm serve`'s `/` and `/models/{name}`) in Debian's headless Chromium, driven by
 * playwright-core, against real servers on 127.0.0.1: it loads with no console error, failed request or
 * CSP violation; shows every field and the held-out metrics; a changed category changes the prediction
 * to what POST /predict answers for the same record; the waterfall's bars sum from the base value to the
 * raw score; the drift panel flags a field after drifted records went through /predict. Also: API keys
 * (a key entered in the page, kept only in the tab), the profiles (no page where docs are off), a
 * repository's list, what-if not counted as traffic, the card's importance against LightGBM's own.
 * Screenshots go to test-artifacts/ (gitignored). Browser parts skip without /usr/bin/chromium.
 */
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fieldImportance } from "../src/bundle/importance.js";
import { parseSpec } from "../src/bundle/spec.js";
import { typicalRecord } from "../src/bundle/typical.js";
import { NativeEngine } from "../src/engines/native.js";
import { Model } from "../src/model.js";
import type { ModelCard } from "../src/server/page/card.js";
import { percent } from "../src/server/page/format.js";
import type { RunningServer } from "../src/server/server.js";
import { FIXTURES, get, post, ROOT, start } from "./fixtures/server/helpers.js";
import { launchChromium, watchPage } from "./helpers/browser.js";
import { hasChromium } from "./helpers/chromium.js";

const BUNDLE = join(ROOT, "models/hr-attrition");
const ARTIFACTS = join(ROOT, "test-artifacts");
const KEY = "page-test-key-0123";
const spec = parseSpec(readFileSync(join(BUNDLE, "spec.json"), "utf8"));

let srv: RunningServer;
let browser: Browser | undefined;
let model: Model<"binary">;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  srv = await start(BUNDLE);
  model = await Model.load(BUNDLE, { engine: "native", task: "binary" });
  if (hasChromium) browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
  model?.dispose();
});

/** Opens a page and waits until its model page has answered (the form's first what-if and drift). */
async function openPage(url: string, viewport = { width: 1280, height: 900 }) {
  const page = await browser!.newPage({ viewport });
  const problems = await watchPage(page);
  await page.goto(url);
  return { page, problems };
}

async function ready(page: Page) {
  await page.waitForSelector("#app[data-updates][data-drift-updates] .verdict", { timeout: 30_000 });
}

/** The record the prediction panel shows, once it shows one satisfying `want`. */
async function shownRecord(page: Page, want: (r: Record<string, unknown>) => boolean) {
  for (let i = 0; i < 100; i++) {
    const text = await page.getAttribute("#result", "data-record");
    const r = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    if (r && want(r)) return r;
    await page.waitForTimeout(50);
  }
  throw new Error("the page never showed the record");
}

function hrRows(n: number): Record<string, unknown>[] {
  const rows = parse(readFileSync(join(BUNDLE, "data/hr.csv")), { columns: true, to: n }) as Record<
    string,
    string
  >[];
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r)
        .filter(([k]) => k !== "left")
        .map(([k, v]) => [k, k === "sales" || k === "salary" ? v : Number(v)]),
    ),
  );
}

describe("the model page's data", () => {
  it("GET /models/{name}/card: task, version, sha256, fields, training metrics, importance, a typical record", async () => {
    const r = await get(srv.url, "/models/hr-attrition/card");
    expect(r.status).toBe(200);
    const card = r.body as ModelCard;
    const models = (await get(srv.url, "/models")).body.models;
    expect(card).toMatchObject({
      name: "hr-attrition",
      version: models[0].version,
      sha256: models[0].sha256,
      task: "binary",
      objective: "binary",
      fields: spec.fields,
      training: spec.training,
      reference: { source: spec.reference?.source, rows: spec.reference?.rows },
    });
    expect(card.importance?.map((i) => i.field).sort()).toEqual(spec.fields.map((f) => f.name).sort());
    // The typical record is a record the model takes, inside the training ranges.
    expect(card.example).toEqual(typicalRecord(spec));
    expect(() => model.validate(card.example)).not.toThrow();
    for (const f of spec.fields) {
      const v = card.example[f.name];
      if (f.type === "number" || f.type === "integer") {
        expect(v).toBeGreaterThanOrEqual(f.range![0]);
        expect(v).toBeLessThanOrEqual(f.range![1]);
      }
    }
    expect(card.example).toMatchObject({
      sales: "sales",
      salary: "low",
      Work_accident: false,
      number_project: 4,
    });
  });

  it("gain importance per field is LightGBM's feature_importance(gain / split), one-hot columns summed", () => {
    const text = readFileSync(join(BUNDLE, "model.txt"), "utf8");
    const engine = NativeEngine.fromString(text);
    // The booster's own importance (LGBM_BoosterFeatureImportance), per model column.
    const booster = (
      engine as unknown as { booster: { featureImportance(n: number, t: number): Float64Array } }
    ).booster;
    const gain = booster.featureImportance(0, 1);
    const splits = booster.featureImportance(0, 0);
    engine.dispose();
    const fields = fieldImportance(spec, text)!;
    let col = 0;
    const want = new Map<string, { gain: number; splits: number }>();
    for (const f of spec.fields) {
      const width = f.type === "category" && f.encoding.kind === "onehot" ? f.values.length : 1;
      let g = 0;
      let n = 0;
      for (let k = 0; k < width; k++, col++) {
        g += gain[col];
        n += splits[col];
      }
      want.set(f.name, { gain: g, splits: n });
    }
    for (const f of fields) {
      // LightGBM keeps split gains as float32: its sums are the text's values to float32 precision.
      expect(Math.abs(f.gain - want.get(f.field)!.gain) / want.get(f.field)!.gain).toBeLessThan(1e-6);
      expect(f.splits).toBe(want.get(f.field)!.splits);
    }
    expect(fields.reduce((a, f) => a + f.share, 0)).toBeCloseTo(1, 12);
    expect(fields[0].gain).toBeGreaterThanOrEqual(fields[fields.length - 1].gain);
  });

  it("POST /models/{name}/what-if answers /predict's and /explain's results, and is not counted as traffic", async () => {
    const s = await start(BUNDLE);
    try {
      const records = hrRows(5);
      for (const rec of records) {
        const w = await post(s.url, "/models/hr-attrition/what-if", rec);
        expect(w.status).toBe(200);
        expect(w.body.explanation).toEqual((await post(s.url, "/explain", rec)).body);
        expect(w.body.prediction).toEqual((await post(s.url, "/predict", rec)).body);
      }
      const bad = await post(s.url, "/models/hr-attrition/what-if", { ...records[0], salary: "astronaut" });
      expect(bad.status).toBe(422);
      expect(bad.body.issues).toEqual([
        { field: "salary", message: 'expected one of high, low, medium, got "astronaut"' },
      ]);
      expect((await post(s.url, "/models/hr-attrition/what-if", [records[0]])).status).toBe(422);
      expect((await post(s.url, "/models/nope/what-if", records[0])).status).toBe(404);
      // Only the /predict calls above reached the drift window, not the what-ifs.
      expect((await get(s.url, "/drift/hr-attrition")).body.rows).toBe(5);
      for (const rec of records) await post(s.url, "/models/hr-attrition/what-if", rec);
      expect((await get(s.url, "/drift/hr-attrition")).body.rows).toBe(5);
    } finally {
      await s.close();
    }
  });

  it("the shell is public where keys are on (it holds no model data); its data is not", async () => {
    const s = await start(BUNDLE, {}, { LGBM_API_KEYS: KEY });
    try {
      for (const p of [
        "/",
        "/models/hr-attrition",
        "/models/anything",
        "/page/model-page.js",
        "/page/model-page.css",
      ]) {
        const r = await get(s.url, p);
        expect(r.status, p).toBe(200);
        expect(r.text).not.toContain("satisfaction_level");
        expect(r.headers.get("content-security-policy"), p).toContain("script-src 'self'");
      }
      for (const p of ["/models/hr-attrition/card", "/drift", "/models", "/models/hr-attrition/x"]) {
        expect((await get(s.url, p)).status, p).toBe(401);
      }
      expect((await post(s.url, "/models/hr-attrition/what-if", {})).status).toBe(401);
      expect((await post(s.url, "/models/hr-attrition", {})).status).toBe(401); // only GET is public
      const auth = { authorization: `Bearer ${KEY}` };
      expect((await get(s.url, "/models/hr-attrition/card", auth)).status).toBe(200);
      // The existing routes under /models/{name} are unchanged.
      expect((await post(s.url, "/models/hr-attrition/predict", hrRows(1)[0], auth)).status).toBe(200);
      expect((await get(s.url, "/models", auth)).body.models).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it("where docs are off (production), there is no page", async () => {
    const s = await start(BUNDLE, { profile: "production" }, { LGBM_API_KEYS: KEY });
    try {
      const auth = { authorization: `Bearer ${KEY}` };
      for (const p of ["/", "/models/hr-attrition", "/page/model-page.js", "/models/hr-attrition/card"]) {
        expect((await get(s.url, p)).status, p).toBe(401);
        expect((await get(s.url, p, auth)).status, p).toBe(404);
      }
    } finally {
      await s.close();
    }
  });

  it("the page's script is under 100 KB", () => {
    const size = statSync(join(ROOT, "dist/assets/page/model-page.js")).size;
    expect(size).toBeLessThan(100 * 1024);
    expect(size).toBeGreaterThan(5_000);
  });
});

describe.runIf(hasChromium)("the model page in headless Chromium", () => {
  it("loads clean, shows every field and the held-out metrics, and a typical record's prediction", async () => {
    const { page, problems } = await openPage(`${srv.url}/`);
    await ready(page);
    expect(await page.title()).toBe("hr-attrition · lightgbm-node");
    for (const f of spec.fields) {
      expect(await page.locator(`.form-row[data-field="${f.name}"]`).count(), f.name).toBe(1);
      expect(await page.locator(`.fields tr[data-field="${f.name}"]`).count(), f.name).toBe(1);
    }
    // Selects hold the categories, checkboxes the booleans, number inputs the numbers.
    expect(await page.locator('select[name="salary"] option').allTextContents()).toEqual([
      "high",
      "low",
      "medium",
    ]);
    expect(await page.locator('input[type="checkbox"][name="Work_accident"]').count()).toBe(1);
    expect(await page.getAttribute('input[type="range"][aria-label^="average_montly_hours"]', "max")).toBe(
      "310",
    );
    const metrics = spec.training!.metrics;
    expect(
      await page.locator(".metric").evaluateAll((els) => els.map((e) => e.getAttribute("data-metric"))),
    ).toEqual(Object.keys(metrics));
    expect(await page.textContent('.metric[data-metric="auc"] .metric-value')).toBe(
      String(Number(metrics.auc.toPrecision(4))),
    );
    expect(await page.textContent(".about")).toContain(spec.training!.data.file);
    // What the model is: its version and sha256, each field's range or categories, its importance share.
    const card = (await get(srv.url, "/models/hr-attrition/card")).body as ModelCard;
    const about = await page.textContent(".about");
    expect(about).toContain(`sha256 ${card.sha256.slice(0, 16)}`);
    expect(about).toContain(`version ${card.version}`);
    expect(await page.textContent('.fields tr[data-field="salary"] .range')).toBe("high, low, medium");
    const hours = spec.fields.find((f) => f.name === "average_montly_hours");
    expect(hours).toMatchObject({ type: "integer", range: [96, 310] });
    expect(await page.textContent('.fields tr[data-field="average_montly_hours"] .range')).toBe("96 to 310");
    for (const imp of card.importance ?? []) {
      expect(await page.textContent(`.fields tr[data-field="${imp.field}"] .imp-text`), imp.field).toBe(
        percent(imp.share),
      );
    }
    // The form starts on the card's typical record, and shows /predict's answer for it.
    const record = await shownRecord(page, () => true);
    expect(record).toEqual(card.example);
    const want = (await post(srv.url, "/predict", record)).body;
    expect(Number(await page.getAttribute(".verdict", "data-probability"))).toBe(want.probability);
    await page.screenshot({ path: join(ARTIFACTS, "model-page.png"), fullPage: true });
    await page.setViewportSize({ width: 420, height: 900 });
    await page.screenshot({ path: join(ARTIFACTS, "model-page-narrow.png"), fullPage: true });
    expect(problems.all).toEqual([]);
    await page.close();
  });

  it("a changed category changes the prediction to /predict's answer; the waterfall sums to the raw score", async () => {
    const { page, problems } = await openPage(`${srv.url}/models/hr-attrition`);
    await ready(page);
    const before = Number(await page.getAttribute(".verdict", "data-probability"));
    const typical = await shownRecord(page, () => true);
    // The category alone: the record differs from the typical one in salary only.
    await page.selectOption('select[name="salary"]', typical.salary === "high" ? "low" : "high");
    const changed = await shownRecord(page, (r) => r.salary !== typical.salary);
    expect({ ...changed, salary: typical.salary }).toEqual(typical);
    const alone = (await post(srv.url, "/predict", changed)).body;
    await expect
      .poll(async () => Number(await page.getAttribute(".verdict", "data-probability")))
      .toBe(alone.probability);
    expect(alone.probability).not.toBe(before);
    // Then more changes, for the waterfall below.
    await page.selectOption('select[name="salary"]', "high");
    await page.selectOption('select[name="sales"]', "RandD");
    await page.fill('input[type="number"][name="satisfaction_level"]', "0.11");
    const record = await shownRecord(
      page,
      (r) => r.salary === "high" && r.sales === "RandD" && r.satisfaction_level === 0.11,
    );
    const answer = (await post(srv.url, "/predict", record)).body;
    const shown = Number(await page.getAttribute(".verdict", "data-probability"));
    expect(shown).toBe(answer.probability);
    expect(shown).not.toBe(before);
    expect(await page.getAttribute(".verdict", "data-prediction")).toBe(String(answer.prediction));

    // The waterfall: base value + every bar = the raw score of the record (the SDK's, native engine).
    const bars = await page.locator("svg.waterfall rect.bar").evaluateAll((els) =>
      els.map((e) => ({
        field: e.getAttribute("data-field"),
        value: Number(e.getAttribute("data-value")),
      })),
    );
    const base = Number(await page.getAttribute("svg.waterfall", "data-base"));
    const score = Number(await page.getAttribute("svg.waterfall", "data-score"));
    const raw = model.predict(model.encode([record]).data, { type: "raw" })[0];
    expect(bars.map((b) => b.field).sort()).toEqual(spec.fields.map((f) => f.name).sort());
    expect(Math.abs(base + bars.reduce((a, b) => a + b.value, 0) - raw)).toBeLessThan(1e-9);
    expect(Math.abs(score - raw)).toBeLessThan(1e-9);
    const explanation = model.explain(record);
    expect(base).toBe(explanation.baseValue);
    expect(bars.map((b) => b.value)).toEqual(explanation.contributions.map((c) => c.value));
    // An invalid value is named beside its field, and the last valid prediction is greyed.
    await page.fill('input[type="number"][name="number_project"]', "2.5");
    await page.waitForSelector('.form-row.invalid[data-field="number_project"]');
    expect(await page.textContent('.form-row[data-field="number_project"] .field-error')).toBe(
      "expected an integer, got 2.5",
    );
    await page.screenshot({ path: join(ARTIFACTS, "model-page-invalid.png"), fullPage: false });
    // 422 answers are the form's to show: the one console line Chromium writes for them is all there is.
    expect(problems.all.filter((p) => !/HTTP 422: POST .*\/what-if/.test(p))).toEqual([]);
    await page.close();
  });

  it("the drift panel flags the drifted fields after drifted records went through /predict", async () => {
    const s = await start(BUNDLE);
    try {
      // Training rows spread over the file (every 50th), but every satisfaction_level 0.9 to 0.99 and
      // every salary "high".
      const drifted = hrRows(15_000)
        .filter((_, i) => i % 50 === 0)
        .map((r, i) => ({ ...r, satisfaction_level: 0.9 + (i % 10) / 100, salary: "high" }));
      for (const r of drifted) expect((await post(s.url, "/predict", r)).status).toBe(200);
      const report = (await get(s.url, "/drift/hr-attrition")).body;
      const { page, problems } = await openPage(`${s.url}/`);
      await ready(page);
      await page.waitForSelector('.drift-card[data-field="satisfaction_level"]');
      const cards = await page.locator(".drift-card").evaluateAll((els) =>
        els.map((e) => ({
          field: e.getAttribute("data-field"),
          flag: e.getAttribute("data-flag"),
          psi: Number(e.getAttribute("data-psi")),
        })),
      );
      const byField = new Map(cards.map((c) => [c.field, c]));
      for (const f of ["satisfaction_level", "salary"]) {
        expect(byField.get(f)?.flag, f).toBe("drift");
        expect(byField.get(f)?.psi).toBeGreaterThan(0.25);
      }
      // The fields left as they were stay unflagged (a sample of 300 rows: allow one borderline warn).
      const others = spec.fields.filter((f) => f.name !== "satisfaction_level" && f.name !== "salary");
      const flagged = others.filter((f) => byField.get(f.name)?.flag !== "ok");
      expect(flagged.filter((f) => byField.get(f.name)?.flag === "drift")).toEqual([]);
      expect(flagged.length).toBeLessThanOrEqual(1);
      // What the panel shows is the server's rolling window.
      for (const q of report.fields) expect(byField.get(q.name)).toMatchObject({ flag: q.flag, psi: q.psi });
      expect(
        await page.locator('.drift-card[data-field="satisfaction_level"] svg.hist .live').count(),
      ).toBeGreaterThan(5);
      // beside the training histogram (the reference the PSI compares with)
      expect(
        await page.locator('.drift-card[data-field="satisfaction_level"] svg.hist .ref').count(),
      ).toBeGreaterThan(5);
      expect(await page.textContent(".drift-summary")).toContain(`${drifted.length} live records`);
      await page.locator("#drift").screenshot({ path: join(ARTIFACTS, "model-page-drift.png") });
      expect(problems.all).toEqual([]);
      await page.close();
    } finally {
      await s.close();
    }
  });

  it("asks for an API key, keeps it only in the tab, and works with it", async () => {
    const s = await start(BUNDLE, {}, { LGBM_API_KEYS: KEY });
    try {
      const { page, problems } = await openPage(`${s.url}/`);
      await page.waitForSelector(".key-card");
      await page.screenshot({ path: join(ARTIFACTS, "model-page-key.png") });
      await page.fill('input[name="api-key"]', "wrong-key");
      await page.click('button[type="submit"]');
      await page.waitForSelector(".key-card .field-error");
      await page.fill('input[name="api-key"]', KEY);
      await page.click('button[type="submit"]');
      await ready(page);
      const storage = await page.evaluate(() => {
        const g = globalThis as unknown as {
          sessionStorage: Storage;
          localStorage: Storage;
          document: { cookie: string };
        };
        return {
          session: g.sessionStorage.getItem("lgbm-api-key"),
          local: g.localStorage.length,
          cookie: g.document.cookie,
        };
      });
      expect(storage).toEqual({ session: KEY, local: 0, cookie: "" });
      await page.reload();
      await ready(page); // the tab still has it
      // Every 401 was one of the wrong key's or the keyless first load's; nothing else went wrong.
      expect(
        problems.all.filter((p) => !/HTTP 401: GET .*\/(models|models\/hr-attrition\/card)$/.test(p)),
      ).toEqual([]);
      await page.click("text=forget");
      await page.waitForSelector(".key-card");
      expect(
        await page.evaluate(
          () => (globalThis as unknown as { sessionStorage: Storage }).sessionStorage.length,
        ),
      ).toBe(0);
      await page.close();
    } finally {
      await s.close();
    }
  });

  it("a repository: / lists the models, /models/{name} shows each (binary, multiclass, regression)", async () => {
    const s = await start(join(FIXTURES, "repo"));
    try {
      const { page, problems } = await openPage(`${s.url}/`);
      await page.waitForSelector(".model-link");
      const names = await page.locator(".model-link h2").allTextContents();
      expect(names.sort()).toEqual(["hr", "iris", "price"]);
      await page.screenshot({ path: join(ARTIFACTS, "model-page-repository.png") });
      for (const name of names) {
        await page.goto(`${s.url}/models/${name}`);
        await ready(page);
        const card = (await get(s.url, `/models/${name}/card`)).body as ModelCard;
        expect(await page.locator(".form-row").count()).toBe(card.fields.length);
        const record = await shownRecord(page, () => true);
        const answer = (await post(s.url, `/models/${name}/predict`, record)).body;
        const verdict = page.locator(".verdict");
        if (card.task === "binary")
          expect(Number(await verdict.getAttribute("data-probability"))).toBe(answer.probability);
        if (card.task === "multiclass")
          expect(await verdict.getAttribute("data-prediction")).toBe(String(answer.prediction));
        if (card.task === "regression")
          expect(Number(await verdict.getAttribute("data-value"))).toBe(answer.value);
        await page.screenshot({ path: join(ARTIFACTS, `model-page-${name}.png`), fullPage: true });
      }
      expect(problems.all).toEqual([]);
      await page.close();
    } finally {
      await s.close();
    }
  });

  it("/docs (Swagger UI from the shipped bundle) loads clean under the same CSP", async () => {
    const { page, problems } = await openPage(`${srv.url}/docs`);
    await page.waitForSelector(".opblock", { timeout: 30_000 });
    await page.locator(".opblock-summary").first().click();
    expect(await page.locator(".opblock").count()).toBeGreaterThan(10);
    await page.screenshot({ path: join(ARTIFACTS, "docs-swagger-ui.png") });
    expect(problems.all).toEqual([]);
    await page.close();
  });
});
