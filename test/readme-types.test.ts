// The README's TypeScript compiles as written: every ```ts block is extracted to a file of its own and
// type-checked by tsc under `strict`, against the package's published types ("lightgbm-node" and
// "lightgbm-node/js" resolve to this package's dist/*.d.ts, as in a user's project). Electron's module
// is declared by the Electron example's types/electron.d.ts (Electron itself is not installed here).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");

/** The README's ```ts blocks (indented ones in list items too), dedented, with their line numbers. */
function tsBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  for (const m of markdown.matchAll(/^([ \t]*)```ts\n([\s\S]*?)^\1```[ \t]*$/gm)) {
    const indent = m[1].length;
    const code = m[2]
      .split("\n")
      .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
      .join("\n");
    blocks.push({ line: markdown.slice(0, m.index).split("\n").length + 1, code });
  }
  return blocks;
}

async function typecheck(blocks: { line: number; code: string }[]) {
  // Inside the repository, so that the package resolves to itself through its exports map.
  const dir = mkdtempSync(join(import.meta.dirname, ".types-readme-"));
  try {
    const files = blocks.map((b, i) => {
      const file = join(dir, `block-${i}-line-${b.line}.ts`);
      // A module each (its own scope), as in a user's project: top-level await allowed.
      writeFileSync(file, `${b.code}\nexport {};\n`);
      return file;
    });
    const args = [
      ...["--ignoreConfig", "--noEmit", "--strict", "--skipLibCheck", "--target", "es2022"],
      ...["--lib", "es2022,dom,dom.iterable", "--module", "nodenext", "--moduleResolution", "nodenext"],
      ...["--types", "node", join(root, "examples/electron/types/electron.d.ts"), ...files],
    ];
    const out = await run(join(root, "node_modules/.bin/tsc"), args, { cwd: root, maxBuffer: 16 << 20 }).then(
      (r) => r.stdout,
      (e: { stdout: string }) => e.stdout,
    );
    return out
      .split("\n")
      .filter((l) => /error TS\d+/.test(l))
      .map((l) => l.replace(`${dir}/`, ""));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the README's TypeScript", () => {
  const blocks = tsBlocks(readFileSync(join(root, "README.md"), "utf8"));

  it("every ```ts block compiles under strict against the published types", async () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    // Each block uses the package (the check is of the SDK, not of plain TypeScript).
    for (const b of blocks) expect(b.code, `README line ${b.line}`).toMatch(/from "lightgbm-node(\/js)?"/);
    expect(await typecheck(blocks)).toEqual([]);
  });

  it("the check is real: the records example without its stated task does not compile", async () => {
    const records = blocks.find((b) =>
      b.code.includes('Model.load("models/hr-attrition", { task: "binary" })'),
    );
    expect(records).toBeDefined();
    const untyped = { ...records!, code: records!.code.replace(', { task: "binary" })', ")") };
    const errors = await typecheck([untyped]);
    expect(errors.join("\n")).toMatch(/error TS2339: Property '(prediction|probability)' does not exist/);
  });
});
