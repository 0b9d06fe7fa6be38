#!/usr/bin/env node
// `npm run build:ts`: a clean dist/ (no stale files from earlier builds, such as old source maps), the
// TypeScript compiled into it, then the non-TypeScript assets (scripts/copy-assets.mjs) and the model
// page's script and styles (scripts/build-page.mjs).
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
rmSync(join(root, "dist"), { recursive: true, force: true });
for (const args of [
  [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")],
  [join(root, "scripts/copy-assets.mjs")],
  [join(root, "scripts/build-page.mjs")],
]) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
