// The Electron example (examples/electron) type-checks against this package's published types: main
// process on the full SDK ("lightgbm-node"), renderer on the browser-safe entry ("lightgbm-node/js").
// Electron itself is not installed: examples/electron/types/electron.d.ts declares the few APIs used.
// The renderer also runs: bundled as the example says, in headless Chromium with its page's CSP, the
// preload's bridge stood in for by the Node SDK.
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { Model } from "../src/model.js";
import { launchChromium, watchPage } from "./helpers/browser.js";
import { hasChromium } from "./helpers/chromium.js";
import { LIBM_EXACT, NORMAL_TOLERANCE } from "./helpers/libm.js";
import { HR_RECORD } from "./helpers/records.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const example = join(root, "examples/electron");
const tsc = join(root, "node_modules/.bin/tsc");

function typecheck(...extra: string[]) {
  return run(tsc, ["-p", example, "--noEmit", ...extra], { cwd: root, maxBuffer: 64 << 20 }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

describe("Electron example", () => {
  it("type-checks (npx tsc -p examples/electron --noEmit) against the package's own types", async () => {
    const r = await typecheck("--listFiles");
    expect(r.out.split("\n").filter((l) => /error TS/.test(l))).toEqual([]);
    expect(r.code).toBe(0);
    const files = r.out.split("\n").map((l) => l.replace(/\\/g, "/"));
    // The imports resolved to the real declarations, not to `any`.
    expect(files).toContain(join(root, "dist/index.d.ts"));
    expect(files).toContain(join(root, "dist/js.d.ts"));
    expect(files).toContain(join(example, "types/electron.d.ts"));
    for (const f of ["main.ts", "preload.ts", "renderer.ts"]) expect(files).toContain(join(example, f));
  });

  it("catches a misuse of the SDK (the check is real)", async () => {
    const bad = join(example, "zz-misuse.ts");
    writeFileSync(
      bad,
      'import { JsEngine } from "lightgbm-node/js";\nconst n: string = JsEngine.fromString("").predictRow(new Float64Array(1));\nexport { n };\n',
    );
    try {
      const r = await typecheck();
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/zz-misuse\.ts.*(Float64Array|not assignable)/);
    } finally {
      rmSync(bad, { force: true });
    }
  });
});

describe.runIf(hasChromium)("Electron example's renderer in headless Chromium", () => {
  it("predicts records from the bundle with lightgbm-node/js (the SDK's encoder), as the main process does", async () => {
    // The renderer bundled as the example says (esbuild, browser platform), its page (index.html, with its
    // CSP) served as files, and the preload's bridge stood in for by the Node SDK: what main.ts answers.
    const built = await build({
      entryPoints: [join(example, "renderer.ts")],
      bundle: true,
      format: "iife",
      platform: "browser",
      write: false,
      logLevel: "silent",
    });
    const files: Record<string, { type: string; body: string }> = {
      "/": { type: "text/html", body: readFileSync(join(example, "index.html"), "utf8") },
      "/renderer.js": { type: "text/javascript", body: built.outputFiles[0].text },
    };
    const server = createServer((req, res) => {
      const f = files[req.url ?? ""];
      if (f) res.writeHead(200, { "content-type": f.type }).end(f.body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const bundleDir = join(root, "models/hr-attrition");
    const main = await Model.load(bundleDir, { engine: "native", task: "binary" });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems = await watchPage(page);
      await page.exposeFunction("__mainPredict", (records: Record<string, unknown>[]) =>
        main.predict(records),
      );
      await page.exposeFunction("__mainBundle", () => ({
        model: readFileSync(join(bundleDir, "model.txt"), "utf8"),
        spec: readFileSync(join(bundleDir, "spec.json"), "utf8"),
      }));
      await page.addInitScript({
        content:
          "window.lgbm = { predict: (r) => window.__mainPredict(r), bundle: () => window.__mainBundle() };",
      });
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      type Doc = { document: { getElementById(id: string): { textContent: string | null } | null } };
      await page.waitForFunction(() =>
        (globalThis as unknown as Doc).document.getElementById("out")?.textContent?.startsWith("{"),
      );
      const shown = JSON.parse((await page.textContent("#out")) ?? "");
      const record = {
        ...HR_RECORD,
        sales: "sales",
        salary: "low",
        Work_accident: false,
        promotion_last_5years: false,
      };
      const want = main.predict(record);
      const explanation = main.explain(record);
      expect(shown.viaMain).toEqual(want);
      // bit for bit where the main process's C library is glibc's FMA build (the renderer runs glibc's exp in TypeScript)
      const { prediction, probability } = shown.inRenderer;
      if (LIBM_EXACT) expect({ prediction, probability }).toEqual(want);
      expect(prediction).toBe(want.prediction);
      expect(Math.abs(probability - want.probability)).toBeLessThanOrEqual(NORMAL_TOLERANCE);
      expect(shown.inRenderer.baseValue).toBe(explanation.baseValue);
      expect(shown.inRenderer.top).toEqual(explanation.contributions[0]);
      expect(shown.inRenderer.invalid).toBe('salary: expected one of high, low, medium, got "astronaut"');
      expect(problems.all.filter((p) => !/^CSP: script-src blocked eval/.test(p))).toEqual([]);
    } finally {
      await browser.close();
      main.dispose();
      await new Promise((ok) => server.close(ok));
    }
  });
});
