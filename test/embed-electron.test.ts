// The Electron example (examples/electron) type-checks against this package's published types: main
// process on the full SDK ("lightgbm-node"), renderer on the browser-safe entry ("lightgbm-node/js").
// Electron itself is not installed: examples/electron/types/electron.d.ts declares the few APIs used.
import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const example = join(root, "examples/electron");
const tsc = join(root, "node_modules/.bin/tsc");

function typecheck(...extra: string[]) {
  return run(tsc, ["-p", example, "--noEmit", ...extra], { cwd: root, maxBuffer: 64 << 20 }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

describe("Electron example", () => {
  it("type-checks (npx tsc -p examples/electron --noEmit) against the package's own types", async () => {
    const r = await typecheck("--listFiles");
    expect(r.out.split("\n").filter((l) => /error TS/.test(l))).toEqual([]);
    expect(r.code).toBe(0);
    const files = r.out.split("\n").map((l) => l.replace(/\\/g, "/"));
    // The imports resolved to the real declarations, not to `any`.
    expect(files).toContain(join(root, "dist/index.d.ts"));
    expect(files).toContain(join(root, "dist/js.d.ts"));
    expect(files).toContain(join(example, "types/electron.d.ts"));
    for (const f of ["main.ts", "preload.ts", "renderer.ts"]) expect(files).toContain(join(example, f));
  });

  it("catches a misuse of the SDK (the check is real)", async () => {
    const bad = join(example, "zz-misuse.ts");
    writeFileSync(
      bad,
      'import { JsEngine } from "lightgbm-node/js";\nconst n: string = JsEngine.fromString("").predictRow(new Float64Array(1));\nexport { n };\n',
    );
    try {
      const r = await typecheck();
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/zz-misuse\.ts.*(Float64Array|not assignable)/);
    } finally {
      rmSync(bad, { force: true });
    }
  });
});
