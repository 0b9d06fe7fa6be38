/**
 * The browser path in a real browser: the browser entry (src/js.ts) bundled by esbuild for the browser
 * platform (a `node:` import anywhere in it fails the bundle), served by a real HTTP server on 127.0.0.1
 * to Debian's headless Chromium (driven by playwright-core), in a page whose Content-Security-Policy
 * allows WebAssembly but not eval ('wasm-unsafe-eval' without 'unsafe-eval'). The page compiles every zoo
 * model with WasmEngine.create and predicts the zoo rows and random probe rows (thresholds +- 1 ulp, NaN,
 * +-0, +-kZeroThreshold, infinities, categories in and out of the bitsets), in a batch and row by row; raw
 * scores must be LightGBM's bit for bit; each model a second time with the table walk forced on (single
 * rows and 10-row batches take it). A second page without 'wasm-unsafe-eval' shows what such a CSP
 * does: WasmEngine.create fails with the browser's CompileError and JsEngine still predicts.
 * Skips when /usr/bin/chromium is missing (.ci/run installs Debian's chromium).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { build } from "esbuild";
import fc from "fast-check";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NativeEngine } from "../src/engines/native.js";
import { JsEngine } from "../src/js.js";
import { buildLayout } from "../src/model-text/layout.js";
import { parseModel } from "../src/model-text/parse.js";
import { CHROMIUM, hasChromium } from "./helpers/chromium.js";
import { walkable as walkableLayout } from "./helpers/walkable.js";
import { loadZoo, probeRow, zooNames } from "./js-fixtures.js";

/** Bits of doubles as hex strings (JSON has no NaN, -0 or infinities). */
const hex = (a: Float64Array) =>
  Array.from(new BigUint64Array(a.buffer, a.byteOffset, a.length), (b) => b.toString(16));

function cases() {
  return zooNames().map((name) => {
    const c = loadZoo(name);
    const probes = fc.sample(
      fc.array(probeRow(JsEngine.fromString(c.modelText)), { minLength: 40, maxLength: 40 }),
      {
        numRuns: 1,
        seed: 20261201,
      },
    )[0];
    const X = new Float64Array(c.X.length + probes.length * c.ncol);
    X.set(c.X);
    X.set(Float64Array.from(probes.flat()), c.X.length);
    const nrow = X.length / c.ncol;
    const lightgbm = NativeEngine.fromString(c.modelText, { numThreads: 1, compiled: false });
    const raw = lightgbm.predict(X, nrow, { type: "raw" });
    lightgbm.dispose();
    return { name, text: c.modelText, ncol: c.ncol, nrow, X: hex(X), raw: hex(raw) };
  });
}

// The page: every model through WasmEngine (or JsEngine where WebAssembly is refused), batch and rows.
const PAGE_SCRIPT = `
import { JsEngine, WasmEngine } from "/lib.js";
const toF64 = (h) => { const b = new BigUint64Array(h.map((x) => BigInt("0x" + x))); return new Float64Array(b.buffer); };
const same = (a, b) => { for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i; return -1; };
const report = { models: 0, walked: 0, rows: 0, batchMismatches: [], rowMismatches: [], errors: [] };
try {
  const cases = await (await fetch("/cases.json")).json();
  for (const c of cases) {
    const X = toF64(c.X), want = toF64(c.raw);
    // each model twice: by default, and with the table walk forced on (single rows and batches <= 32)
    for (const walk of ["auto", "always"]) {
      let engine;
      try {
        engine = await WasmEngine.create(c.text, { walk });
      } catch (err) {
        if (walk === "always") break;
        report.errors.push(c.name + ": " + err.name + ": " + err.message);
        engine = JsEngine.fromString(c.text);
      }
      report.engine = engine.name;
      if (walk === "always" && engine.walks) report.walked++;
      const what = c.name + (walk === "always" ? " (walk)" : "");
      const k = want.length / c.nrow;
      const batch = engine.predict(X, c.nrow, { type: "raw" });
      const i = same(batch, want);
      if (i >= 0) report.batchMismatches.push(what + " @" + i + ": " + batch[i] + " vs " + want[i]);
      for (let r0 = 0; r0 < c.nrow; r0 += 10) {
        const n = Math.min(10, c.nrow - r0);
        const small = engine.predict(X.subarray(r0 * c.ncol, (r0 + n) * c.ncol), n, { type: "raw" });
        const j = same(small, want.subarray(r0 * k, (r0 + n) * k));
        if (j >= 0) { report.batchMismatches.push(what + " 10-row batch at " + r0); break; }
      }
      for (let r = 0; r < c.nrow; r++) {
        const got = engine.predictRow(X.subarray(r * c.ncol, (r + 1) * c.ncol), { type: "raw" });
        const j = same(got, want.subarray(r * k, (r + 1) * k));
        if (j >= 0) { report.rowMismatches.push(what + " row " + r); break; }
      }
      if (walk === "auto") {
        report.models++;
        report.rows += c.nrow;
      }
      engine.dispose();
    }
  }
} catch (err) {
  report.errors.push("page: " + err.name + ": " + err.message);
}
const pre = document.createElement("pre");
pre.id = "report";
pre.textContent = JSON.stringify(report);
document.body.append(pre);
`;

let server: Server;
let base: string;

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [join(import.meta.dirname, "../src/js.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const lib = bundle.outputFiles[0].text;
  const json = JSON.stringify(cases());
  const page = (csp: string) => ({
    type: "text/html",
    body: `<!doctype html><meta charset="utf-8"><title>wasm engine</title><script type="module" src="/page.js"></script>`,
    csp,
  });
  const routes: Record<string, { type: string; body: string; csp?: string }> = {
    "/": page("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'"),
    "/no-wasm": page("default-src 'self'; script-src 'self'"),
    "/lib.js": { type: "text/javascript", body: lib },
    "/page.js": { type: "text/javascript", body: PAGE_SCRIPT },
    "/cases.json": { type: "application/json", body: json },
  };
  server = createServer((req, res) => {
    const r = routes[req.url ?? ""];
    if (!r) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      "content-type": r.type,
      ...(r.csp ? { "content-security-policy": r.csp } : {}),
    });
    res.end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

async function pageReport(path: string) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${base}${path}`);
    const text = await (await page.waitForSelector("#report", { timeout: 150_000 }))!.textContent();
    return JSON.parse(text!);
  } finally {
    await browser.close();
  }
}

/** Zoo models the table walk takes (no linear leaves, categories 0 .. 31). */
const walkable = zooNames().filter((name) =>
  walkableLayout(buildLayout(parseModel(loadZoo(name).modelText))),
).length;

describe.runIf(hasChromium)("the wasm engine in headless Chromium", () => {
  it("predicts every zoo model with LightGBM's raw scores, bit for bit, under a CSP without eval", async () => {
    const report = await pageReport("/");
    expect(report.errors).toEqual([]);
    expect(report.engine).toBe("wasm");
    expect(report.models).toBe(zooNames().length);
    // the walk takes every zoo model without categorical splits or linear leaves
    expect(walkable).toBeGreaterThan(10);
    expect(report.walked).toBe(walkable);
    expect(report.batchMismatches).toEqual([]);
    expect(report.rowMismatches).toEqual([]);
    expect(report.rows).toBeGreaterThan(1000);
  }, 180_000);

  it("without 'wasm-unsafe-eval' WebAssembly is refused, and the js engine still predicts exactly", async () => {
    const report = await pageReport("/no-wasm");
    expect(report.engine).toBe("js");
    expect(report.errors.length).toBe(zooNames().length);
    expect(report.errors[0]).toMatch(/CompileError|WebAssembly/);
    expect(report.batchMismatches).toEqual([]);
    expect(report.rowMismatches).toEqual([]);
  }, 180_000);
});
