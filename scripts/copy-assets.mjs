#!/usr/bin/env node
// Build step after tsc: files dist/ needs that are not TypeScript, copied from dev dependencies so users
// install none of them. ReDoc's standalone bundle (one file, with React inside) for /redoc, and Swagger
// UI's bundle and stylesheet (swagger-ui-dist) for /docs: both pages work offline, and users install
// neither ReDoc's React stack nor @fastify/swagger-ui with its static-file server. Source-map references
// are dropped (the maps are not shipped); the licences go beside the files.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const assets = join(root, "dist/assets");
const require = createRequire(join(root, "package.json"));

/**
 * Every comment naming a source-map file (JS `//# sourceMappingURL=x.map`, CSS `/*# ... *\/`), wherever it
 * is: ReDoc's bundle also carries one inside the source of its embedded web worker, a string literal.
 * Inline `data:` maps name no file and are left alone.
 */
const MAP_REFERENCE = /(?:\/\/|\/\*)[#@] ?sourceMappingURL=[^\s'"`\\*]+\.map(?: ?\*\/)?/g;

/** Copies `from` to `to` without its source-map references (the maps are not shipped). */
function copyWithoutMap(from, to) {
  writeFileSync(to, readFileSync(from, "utf8").replace(MAP_REFERENCE, ""));
}

mkdirSync(assets, { recursive: true });
const redoc = dirname(require.resolve("redoc/package.json"));
copyWithoutMap(join(redoc, "bundles/redoc.standalone.js"), join(assets, "redoc.standalone.js"));
copyFileSync(
  join(redoc, "bundles/redoc.standalone.js.LICENSE.txt"),
  join(assets, "redoc.standalone.js.LICENSE.txt"),
);
copyFileSync(join(redoc, "LICENSE"), join(assets, "redoc.LICENSE"));

const swagger = dirname(require.resolve("swagger-ui-dist/package.json"));
const swaggerOut = join(assets, "swagger-ui");
mkdirSync(swaggerOut, { recursive: true });
for (const f of ["swagger-ui-bundle.js", "swagger-ui.css"])
  copyWithoutMap(join(swagger, f), join(swaggerOut, f));
for (const f of ["swagger-ui-bundle.js.LICENSE.txt", "LICENSE", "NOTICE"]) {
  copyFileSync(join(swagger, f), join(swaggerOut, f));
}

// The gRPC service definition, for users who generate a client from it (the server itself reads the
// JSON descriptor compiled into dist/).
mkdirSync(join(root, "dist/server/grpc"), { recursive: true });
copyFileSync(
  join(root, "src/server/grpc/grpc_predict_v2.proto"),
  join(root, "dist/server/grpc/grpc_predict_v2.proto"),
);
