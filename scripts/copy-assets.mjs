#!/usr/bin/env node
// Build step after tsc: files dist/ needs that are not TypeScript. ReDoc's standalone bundle (one file,
// with React inside) is copied from the redoc dev dependency, so /redoc works offline and users do not
// install ReDoc's React stack; its source-map comment is dropped (the map is not shipped).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const assets = join(root, "dist/assets");
const require = createRequire(join(root, "package.json"));
mkdirSync(assets, { recursive: true });

const redoc = dirname(require.resolve("redoc/package.json"));
const bundle = readFileSync(join(redoc, "bundles/redoc.standalone.js"), "utf8").replace(
  /\n\/\/# sourceMappingURL=\S+\s*$/,
  "\n",
);
writeFileSync(join(assets, "redoc.standalone.js"), bundle);
copyFileSync(
  join(redoc, "bundles/redoc.standalone.js.LICENSE.txt"),
  join(assets, "redoc.standalone.js.LICENSE.txt"),
);
copyFileSync(join(redoc, "LICENSE"), join(assets, "redoc.LICENSE"));
