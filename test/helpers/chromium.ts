/**
 * Debian's headless Chromium, as the browser tests run it. The flags keep it off the (closed) network;
 * each run gets a fresh profile. Tests skip when `hasChromium` is false (.ci/run installs it).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

export function chromium(args: string[], timeout = 60_000) {
  const profile = mkdtempSync(join(tmpdir(), "lgbm-chromium-"));
  return run(
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
      ...args,
    ],
    { maxBuffer: 64 << 20, timeout },
  );
}
