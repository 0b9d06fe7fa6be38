/**
 * The browser entry (`lightgbm-node/js`) as a page uses it: src/js.ts bundled by esbuild for the browser
 * platform (any `node:` or Node built-in import anywhere in its graph, packages included, fails the
 * bundle), served by a real HTTP server on 127.0.0.1 with the shipped bundle's files, and run by Debian's
 * headless Chromium (playwright-core) under a strict Content-Security-Policy (same-origin scripts, no
 * eval, no WebAssembly). The page loads the bundle the ways the entry offers (a folder URL, fetch
 * responses, texts, Blobs, a bare model.txt) and predicts, explains and validates records; every result
 * and every validation error must equal the Node SDK's (its Model on the same files), bit for bit: with the
 * js engine always, and with the native one where the C library is glibc's FMA variant (x86-64 with FMA),
 * whose exp src/model-text/libm reproduces (elsewhere to 1e-15).
 * Skips when /usr/bin/chromium is missing (.ci/run installs Debian's chromium).
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { build, type Plugin } from "esbuild";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSpec } from "../src/bundle/spec.js";
import { Model } from "../src/model.js";
import { launchChromium, watchPage } from "./helpers/browser.js";
import { hasChromium } from "./helpers/chromium.js";
import { LIBM_EXACT, NORMAL_TOLERANCE } from "./helpers/libm.js";
import { HR_RECORD } from "./helpers/records.js";

const root = join(import.meta.dirname, "..");
const HR = join(root, "models/hr-attrition");

/** Fails the bundle on any import of a Node built-in (node:fs, fs, path, ...), wherever it is. */
const noNodeImports: Plugin = {
  name: "no-node-imports",
  setup(b) {
    const builtins =
      /^(node:.*|assert|buffer|child_process|crypto|events|fs|fs\/promises|http|https|module|net|os|path|process|stream|url|util|worker_threads|zlib)$/;
    b.onResolve({ filter: builtins }, (args) => ({
      errors: [{ text: `${args.importer} imports the Node built-in "${args.path}"` }],
    }));
  },
};

async function bundle(entry: string): Promise<string> {
  const r = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    logLevel: "silent",
    plugins: [noNodeImports],
  });
  return r.outputFiles[0].text;
}

function hrRecords(n: number): Record<string, unknown>[] {
  const rows = parse(readFileSync(join(HR, "data/hr.csv")), { columns: true, to: n }) as Record<
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

const records = [
  ...hrRecords(300),
  { ...HR_RECORD, Work_accident: true, promotion_last_5years: false, id: "extra fields are ignored" },
];
/** Records the encoder refuses, one problem kind each (and a record with several). */
const invalid: unknown[] = [
  { ...HR_RECORD, salary: "astronaut" },
  { ...HR_RECORD, number_project: "two" },
  { ...HR_RECORD, number_project: 2.5 },
  { ...HR_RECORD, satisfaction_level: null },
  { ...HR_RECORD, Work_accident: "yes" },
  { ...HR_RECORD, sales: 7 },
  Object.fromEntries(Object.entries(HR_RECORD).filter(([k]) => k !== "salary")),
  { ...HR_RECORD, salary: "astronaut", sales: null, last_evaluation: "high" },
  {},
  [1, 2, 3],
  "satisfaction_level=0.38",
  null,
];
const badBatch = [records[0], { ...HR_RECORD, salary: "astronaut" }, records[1], { ...HR_RECORD, sales: 1 }];

/** What the page runs: the same calls the Node side makes below, their results and errors as JSON. */
const PAGE_SCRIPT = `
import { Model } from "/lib.js";
const err = (e) => ({ name: e.name, code: e.code, message: e.message, issues: e.issues });
const run = (f) => { try { return { ok: f() }; } catch (e) { return { error: err(e) }; } };
const runAsync = async (f) => { try { return { ok: await f() }; } catch (e) { return { error: err(e) }; } };
const report = {};
try {
  const { records, invalid, badBatch, bareRecords } = await (await fetch("/cases.json")).json();
  const model = await Model.load("/models/hr-attrition/", { task: "binary" });
  report.task = model.task;
  report.engine = model.engine.name;
  report.specSource = model.specSource;
  report.one = records.map((r) => run(() => model.predict(r)));
  report.batch = run(() => model.predict(records));
  report.raw = Array.from(model.predict(model.encode(records).data, { type: "raw" }));
  report.async = await runAsync(() => model.predictAsync(records.slice(0, 50)));
  report.asyncOne = await runAsync(() => model.predictAsync(records[0]));
  report.explain = records.slice(0, 60).map((r) => run(() => model.explain(r)));
  report.invalid = invalid.map((r) => run(() => model.predict(r)));
  report.invalidExplain = invalid.map((r) => run(() => model.explain(r)));
  report.invalidValidate = invalid.map((r) => run(() => model.validate(r)));
  report.badBatch = run(() => model.predict(badBatch));
  report.nan = run(() => model.predict({ ...records[0], satisfaction_level: NaN }));
  report.infinity = run(() => model.predict({ ...records[0], average_montly_hours: Infinity }));
  report.rawOption = run(() => model.predict(records[0], { type: "raw" }));
  const files = ["/models/hr-attrition/model.txt", "/models/hr-attrition/spec.json"];
  const [modelRes, specRes] = await Promise.all(files.map((f) => fetch(f)));
  report.viaResponses = (await Model.load({ model: modelRes, spec: specRes })).predict(records.slice(0, 20));
  const [text, specText] = await Promise.all(files.map(async (f) => (await fetch(f)).text()));
  report.viaTexts = (await Model.fromTexts({ model: text, spec: specText })).predict(records.slice(0, 20));
  report.viaSpecObject = (await Model.fromTexts({ model: text, spec: JSON.parse(specText) })).explain(records[3]);
  report.viaBlobs = (await Model.load({ model: new Blob([text]), spec: new Blob([specText]) })).predict(records[5]);
  const bare = await Model.load("/bare");
  report.bare = { specSource: bare.specSource, fields: bare.spec.fields.length, results: bare.predict(bareRecords) };
  report.bareEmpty = run(() => bare.predict({}));
  report.wrongTask = await runAsync(() => Model.load("/models/hr-attrition/", { task: "regression" }));
  report.missing = await runAsync(() => Model.load("/nowhere/"));
  report.badSpec = await runAsync(() => Model.fromTexts({ model: text, spec: '{"specVersion": 1}' }));
  model.dispose();
  report.disposed = run(() => model.predict(records[0]));
} catch (e) {
  report.failure = e.name + ": " + e.message + "\\n" + e.stack;
}
window.__report = report;
`;

/** The Node SDK's answers to the same calls. */
async function nodeAnswers(engine: "js" | "native", bareRecords: Record<string, number>[]) {
  const err = (e: unknown) => {
    const x = e as { name: string; code?: string; message: string; issues?: unknown };
    return { name: x.name, code: x.code, message: x.message, issues: x.issues };
  };
  const run = (f: () => unknown) => {
    try {
      return { ok: f() };
    } catch (e) {
      return { error: err(e) };
    }
  };
  const runAsync = async (f: () => Promise<unknown>) => {
    try {
      return { ok: await f() };
    } catch (e) {
      return { error: err(e) };
    }
  };
  const model = await Model.load(HR, { engine, task: "binary" });
  const bare = await Model.load(join(HR, "model.txt"), { engine });
  const text = readFileSync(join(HR, "model.txt"), "utf8");
  const out = {
    task: model.task,
    specSource: model.specSource,
    one: records.map((r) => run(() => model.predict(r))),
    batch: run(() => model.predict(records)),
    raw: Array.from(model.predict(model.encode(records).data, { type: "raw" })),
    async: await runAsync(() => model.predictAsync(records.slice(0, 50))),
    asyncOne: await runAsync(() => model.predictAsync(records[0])),
    explain: records.slice(0, 60).map((r) => run(() => model.explain(r))),
    invalid: invalid.map((r) => run(() => model.predict(r as never))),
    invalidExplain: invalid.map((r) => run(() => model.explain(r as never))),
    invalidValidate: invalid.map((r) => run(() => model.validate(r))),
    badBatch: run(() => model.predict(badBatch)),
    nan: run(() => model.predict({ ...records[0], satisfaction_level: Number.NaN })),
    infinity: run(() => model.predict({ ...records[0], average_montly_hours: Number.POSITIVE_INFINITY })),
    rawOption: run(() => model.predict(records[0], { type: "raw" as "normal" })),
    viaResponses: model.predict(records.slice(0, 20)),
    viaTexts: model.predict(records.slice(0, 20)),
    viaSpecObject: model.explain(records[3]),
    viaBlobs: model.predict(records[5]),
    bare: {
      specSource: bare.specSource,
      fields: bare.spec.fields.length,
      results: bare.predict(bareRecords),
    },
    bareEmpty: run(() => bare.predict({})),
    wrongTask: await runAsync(() => Model.load(HR, { engine, task: "regression" })),
    // The browser reads spec.json text through the same parseSpec as Model.load does.
    badSpec: await runAsync(async () => parseSpec('{"specVersion": 1}')),
  };
  model.dispose();
  bare.dispose();
  return { ...out, disposed: run(() => model.predict(records[0])) };
}

/** Every `probability` in a report, in order. */
function probabilities(x: unknown, out: number[] = []): number[] {
  if (Array.isArray(x)) for (const v of x) probabilities(v, out);
  else if (x !== null && typeof x === "object") {
    for (const [k, v] of Object.entries(x)) {
      if (k === "probability" && typeof v === "number") out.push(v);
      else probabilities(v, out);
    }
  }
  return out;
}

let server: Server;
let base: string;
let browser: Browser | undefined;
let lib: string;

beforeAll(async () => {
  lib = await bundle("src/js.ts");
  const routes: Record<string, { type: string; body: string | Buffer }> = {
    "/": {
      type: "text/html",
      body: '<!doctype html><meta charset="utf-8"><title>browser entry</title><script type="module" src="/page.js"></script>',
    },
    "/lib.js": { type: "text/javascript", body: lib },
    "/page.js": { type: "text/javascript", body: PAGE_SCRIPT },
    "/models/hr-attrition/model.txt": { type: "text/plain", body: readFileSync(join(HR, "model.txt")) },
    "/models/hr-attrition/spec.json": { type: "application/json", body: readFileSync(join(HR, "spec.json")) },
    "/bare/model.txt": { type: "text/plain", body: readFileSync(join(HR, "model.txt")) },
  };
  server = createServer((req, res) => {
    if (req.url === "/cases.json") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(cases()));
      return;
    }
    const r = routes[req.url ?? ""];
    if (!r) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res
      .writeHead(200, {
        "content-type": r.type,
        "content-security-policy": "default-src 'self'; script-src 'self'; object-src 'none'",
      })
      .end(r.body);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((ok) => server?.close(ok));
});

let bareRecordsCache: Record<string, number>[] | undefined;
/** Records for the bare model (its fields are the encoded columns), encoded by the bundle's own encoder. */
function bareRecords(): Record<string, number>[] {
  if (bareRecordsCache) return bareRecordsCache;
  const spec = JSON.parse(readFileSync(join(HR, "spec.json"), "utf8")) as { columns: string[] };
  const rows: Record<string, number>[] = [];
  for (const r of records.slice(0, 30)) {
    const row: Record<string, number> = {};
    for (const [k, v] of Object.entries(r)) {
      if (k === "id") continue;
      if (k === "sales" || k === "salary") {
        for (const c of spec.columns.filter((c) => c.startsWith(`${k}_`))) row[c] = c === `${k}_${v}` ? 1 : 0;
      } else row[k] = Number(v);
    }
    rows.push(row);
  }
  bareRecordsCache = rows;
  return rows;
}

function cases() {
  return { records, invalid, badBatch, bareRecords: bareRecords() };
}

describe("the browser entry bundled for the browser", () => {
  it("bundles with esbuild for the browser platform, and a node: import would fail the bundle", async () => {
    expect(lib.length).toBeGreaterThan(50_000);
    expect(lib).not.toMatch(/\bfrom\s*["']node:|require\(["']/);
    // The check is real: the Node SDK's Model (files, the addon) does not bundle for a browser.
    await expect(bundle("src/model.ts")).rejects.toThrow(/imports the Node built-in "node:fs"/);
  });
});

describe.runIf(hasChromium)("the browser entry in headless Chromium", () => {
  it("predicts, explains and validates records exactly as the Node SDK does", async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    const problems = await watchPage(
      page,
      (url, status) => status === 404 && /\/(bare\/spec\.json|nowhere\/)/.test(url),
    );
    await page.goto(`${base}/`);
    await page.waitForFunction(() => "__report" in globalThis, undefined, { timeout: 60_000 });
    const got = await page.evaluate(
      () => (globalThis as unknown as { __report: Record<string, unknown> }).__report,
    );
    expect(got.failure).toBeUndefined();
    // zod probes once whether `new Function` works (caught: it then validates without generated code),
    // which a CSP without 'unsafe-eval' reports; the entry itself never tries (field-reader.ts).
    const probes = problems.all.filter((p) => /^CSP: script-src blocked eval/.test(p));
    expect(probes.length).toBeLessThanOrEqual(1);
    expect(problems.all.filter((p) => !probes.includes(p))).toEqual([]);
    expect(got.engine).toBe("js");

    const { missing, engine: _e, ...comparable } = got;
    const js = JSON.parse(JSON.stringify(await nodeAnswers("js", bareRecords())));
    // Identical, probabilities included: their sigmoid uses glibc's exp in TypeScript, not V8's Math.exp
    // (which differs between Chromium's V8 and Node's, and from glibc's, in the last bit).
    expect(got.raw).toEqual(js.raw);
    expect(probabilities(comparable).length).toBeGreaterThan(700);
    expect(comparable).toEqual(js);
    // Validation errors are the SDK's, word for word: a few of them, to show what is compared.
    const invalidErrors = (got.invalid as { error: { message: string } }[]).map((r) => r.error.message);
    expect(invalidErrors[0]).toBe('salary: expected one of high, low, medium, got "astronaut"');
    expect(invalidErrors[6]).toMatch(/^salary: is required/);
    expect((got.badBatch as { error: { issues: { row: number }[] } }).error.issues.map((i) => i.row)).toEqual(
      [1, 3],
    );
    expect(missing).toEqual({
      error: {
        name: "ValidationError",
        code: "ERR_VALIDATION",
        message: `model: ${base}/nowhere/model.txt answered 404 Not Found`,
        issues: [{ field: "model", message: `${base}/nowhere/model.txt answered 404 Not Found` }],
      },
    });

    // The native engine (the C library's exp): the same bits where that is glibc's FMA variant.
    const native = JSON.parse(JSON.stringify(await nodeAnswers("native", bareRecords())));
    if (LIBM_EXACT) expect(native).toEqual(comparable);
    const one = got.one as { ok: { prediction: number; probability: number } }[];
    one.forEach((r, i) => {
      expect(r.ok.prediction).toBe(native.one[i].ok.prediction);
      expect(Math.abs(r.ok.probability - native.one[i].ok.probability)).toBeLessThanOrEqual(NORMAL_TOLERANCE);
    });
    expect(got.explain).toEqual(native.explain); // SHAP values: identical on every engine
    expect(got.invalid).toEqual(native.invalid);
    expect(got.badBatch).toEqual(native.badBatch);
  });
});
