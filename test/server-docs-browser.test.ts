// The docs pages as a person sees them: /docs (Swagger UI) and /redoc rendered by real headless Chromium
// against a real server, after their JavaScript ran. Skips when /usr/bin/chromium is missing (.ci/run
// installs Debian's chromium).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server/server.js";
import { CLASSIC, get, HR, start } from "./fixtures/server/helpers.js";
import { chromium, hasChromium } from "./helpers/chromium.js";

let srv: RunningServer;
beforeAll(async () => {
  srv = await start(HR);
});
afterAll(async () => {
  await srv?.close();
});

async function renderedDom(url: string): Promise<string> {
  const { stdout } = await chromium(["--virtual-time-budget=15000", "--dump-dom", url], 90_000);
  return stdout;
}

/** The /predict operation's summary (src/server/schemas/predict.ts): only the page's script writes it. */
const PREDICT_SUMMARY = "Predict one record";
/** A class each UI's script adds when it has drawn the operations; the served HTML has neither. */
const RENDERED_MARKER: Record<string, string> = { "/docs": "opblock-summary", "/redoc": "api-content" };

/** What the page lacks to count as drawn by its script. The <noscript> block lists the fields, so it goes. */
function missing(path: string, dom: string): string[] {
  const drawn = dom.replace(/<noscript>[\s\S]*?<\/noscript>/gi, "");
  const wanted = [RENDERED_MARKER[path] as string, PREDICT_SUMMARY, ...Object.keys(CLASSIC)];
  return wanted.filter((w) => !drawn.includes(w));
}

describe.runIf(hasChromium)("docs pages in headless Chromium", () => {
  it.each(["/docs", "/redoc"])(
    "%s renders the operations and every input field of the model",
    async (path) => {
      const dom = await renderedDom(`${srv.url}${path}`);
      expect(missing(path, dom), path).toEqual([]);
      expect(dom).not.toMatch(/cdn\.jsdelivr|unpkg\.com|cdnjs/);
    },
  );
});

describe("the check above needs the page's JavaScript", () => {
  it.each(["/docs", "/redoc"])("%s as served, before any script ran, fails it", async (path) => {
    const raw = await get(srv.url, path);
    expect(raw.status).toBe(200);
    for (const field of Object.keys(CLASSIC)) expect(raw.text).toContain(field); // only in <noscript>
    expect(missing(path, raw.text)).toEqual(
      expect.arrayContaining([RENDERED_MARKER[path], PREDICT_SUMMARY, ...Object.keys(CLASSIC)]),
    );
  });
});
