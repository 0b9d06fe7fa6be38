// The docs pages as a person sees them: /docs (Swagger UI) and /redoc rendered by real headless Chromium
// against a real server, after their JavaScript ran. Skips when /usr/bin/chromium is missing (.ci/run
// installs Debian's chromium).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server/server.js";
import { CLASSIC, HR, start } from "./fixtures/server/helpers.js";
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

describe.runIf(hasChromium)("docs pages in headless Chromium", () => {
  it.each(["/docs", "/redoc"])("%s renders every input field of the model", async (path) => {
    const dom = await renderedDom(`${srv.url}${path}`);
    for (const field of Object.keys(CLASSIC)) expect(dom, `${path}: ${field}`).toContain(field);
    expect(dom).not.toMatch(/cdn\.jsdelivr|unpkg\.com|cdnjs/);
  });
});
