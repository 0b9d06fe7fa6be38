#!/usr/bin/env node
// Build step of the model page (src/server/page/, browser TypeScript): type-checked with its own
// tsconfig (DOM), then bundled and minified by esbuild into dist/assets/page/ with its stylesheet and
// icon. The script must stay under 100 KB: the build fails above it.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const BUDGET = 100 * 1024;
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src/server/page");
const out = join(root, "dist/assets/page");

const tsc = spawnSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", join(src, "tsconfig.json")],
  {
    cwd: root,
    stdio: "inherit",
  },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

mkdirSync(out, { recursive: true });
const common = { bundle: true, minify: true, legalComments: "none", logLevel: "warning", charset: "utf8" };
const js = await build({
  ...common,
  entryPoints: [join(src, "main.ts")],
  outfile: join(out, "model-page.js"),
  format: "iife",
  platform: "browser",
  target: "es2020",
  metafile: true,
});
await build({ ...common, entryPoints: [join(src, "page.css")], outfile: join(out, "model-page.css") });
copyFileSync(join(src, "icon.svg"), join(out, "icon.svg"));

const bytes = Object.values(js.metafile.outputs)[0].bytes;
if (bytes > BUDGET) {
  console.error(`the model page's script is ${bytes} bytes, over its budget of ${BUDGET}`);
  process.exit(1);
}
