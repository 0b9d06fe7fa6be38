/**
 * ReDoc's standalone bundle for /redoc: the copy in dist/assets that the build makes from the redoc dev
 * dependency (scripts/copy-assets.mjs), or, running from the sources in a checkout, the dev dependency
 * itself. Users never install ReDoc's React stack.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The bundle's path; throws an error naming both places when neither has it. */
export function redocStandalonePath(): string {
  const built = fileURLToPath(new URL("../assets/redoc.standalone.js", import.meta.url));
  if (existsSync(built)) return built;
  try {
    return createRequire(import.meta.url).resolve("redoc/bundles/redoc.standalone.js");
  } catch {
    throw new Error(
      `ReDoc's standalone bundle is missing (${built}); reinstall lightgbm-node, or in a checkout run \`npm run build:ts\``,
    );
  }
}

/** The bundle's bytes, read once per server start. */
export function redocStandalone(): Buffer {
  return readFileSync(redocStandalonePath());
}
