/**
 * Files the server's pages load: ReDoc's standalone bundle and Swagger UI's (copied from their dev
 * dependencies by scripts/copy-assets.mjs, so users install neither their React stacks nor a static-file
 * plugin), and the model page's script and styles (built by scripts/build-page.mjs). All ship in
 * dist/assets. Running from the sources in a checkout, they are read from the checkout's dist/assets
 * (`npm run build:ts` makes it), and the vendor bundles from their dev dependencies.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** A shipped asset's path (`file` under dist/assets); `devFile`: the same file in a dev dependency. */
export function assetPath(file: string, devFile?: string): string {
  const candidates = [
    fileURLToPath(new URL(`../assets/${file}`, import.meta.url)), // dist/server → dist/assets
    fileURLToPath(new URL(`../../dist/assets/${file}`, import.meta.url)), // src/server in a checkout
  ];
  for (const c of candidates) if (existsSync(c)) return c;
  if (devFile) {
    try {
      return createRequire(import.meta.url).resolve(devFile);
    } catch {
      // not a checkout with dev dependencies either
    }
  }
  throw new Error(
    `the page asset ${file} is missing (${candidates[0]}); reinstall lightgbm-node, or in a checkout run \`npm run build:ts\``,
  );
}

/** An asset's bytes, read once per server start. */
export function readAsset(file: string, devFile?: string): Buffer {
  return readFileSync(assetPath(file, devFile));
}
