// The docs pages as a person sees them: /docs (Swagger UI) and /redoc rendered by real headless Chromium
// against a real server, after their JavaScript ran. Skips when /usr/bin/chromium is missing (.ci/run
// installs Debian's chromium).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server/server.js";
import { CLASSIC, HR, start } from "./fixtures/server/helpers.js";

const run = promisify(execFile);
const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);

let srv: RunningServer;
beforeAll(async () => {
  srv = await start(HR);
});
afterAll(async () => {
  await srv?.close();
});

async function renderedDom(url: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), "lgbm-chromium-"));
  const { stdout } = await run(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      "--virtual-time-budget=15000",
      "--dump-dom",
      url,
    ],
    { maxBuffer: 64 << 20, timeout: 90_000 },
  );
  return stdout;
}

describe.runIf(hasChromium)("docs pages in headless Chromium", () => {
  it.each(["/docs", "/redoc"])("%s renders every input field of the model", async (path) => {
    const dom = await renderedDom(`${srv.url}${path}`);
    for (const field of Object.keys(CLASSIC)) expect(dom, `${path}: ${field}`).toContain(field);
    expect(dom).not.toMatch(/cdn\.jsdelivr|unpkg\.com|cdnjs/);
  });
});
