// Training through the C API: the shipped bundle is reproduced byte for byte, a model trained by
// `lgbm train` equals one trained by LightGBM's Python package (committed fixture), and the CLI works.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { saveBundle } from "../src/bundle-builder/save.js";
import type { NativeEngine } from "../src/engines/native.js";
import { Model } from "../src/model.js";
import { train } from "../src/train/train.js";

const root = join(import.meta.dirname, "..");
const bundle = join(root, "models/hr-attrition");
const data = join(bundle, "data/hr.csv");
const tmp = mkdtempSync(join(tmpdir(), "lgbm-train-"));
const run = promisify(execFile);

/** The options `npm run train:hr` passes (see package.json). */
const hrOptions = {
  target: "left",
  categorical: ["sales", "salary"],
  encoding: "onehot" as const,
  seed: 42,
  params: { objective: "binary", num_threads: 1 },
};

function trees(text: string): string {
  return text.slice(text.indexOf("Tree=0"), text.indexOf("end of trees"));
}

describe("lgbm train on hr.csv", () => {
  it("retraining reproduces the committed bundle byte for byte", async () => {
    const model = await train(data, hrOptions);
    const out = join(tmp, "hr");
    saveBundle(model, out);
    model.dispose();
    expect(readFileSync(join(out, "spec.json"), "utf8")).toBe(
      readFileSync(join(bundle, "spec.json"), "utf8"),
    );
    expect(readFileSync(join(out, "model.txt"), "utf8")).toBe(
      readFileSync(join(bundle, "model.txt"), "utf8"),
    );
  });

  it("trains the same trees as LightGBM's Python package on the same data, parameters and seed", async () => {
    const [hash, ...lines] = readFileSync(join(root, "test/fixtures/hr/python_train.txt"), "utf8")
      .trim()
      .split("\n");
    const expected = lines.map(Number);
    const model = await train(data, { ...hrOptions, validFraction: 0 });
    try {
      const text = (model.engine as NativeEngine).toString();
      expect(createHash("sha256").update(trees(text)).digest("hex")).toBe(hash);
      const rows = readFileSync(data, "utf8").trim().split("\n").slice(1);
      const header = readFileSync(data, "utf8").split("\n")[0].split(",");
      const columnar: Record<string, (string | number)[]> = {};
      for (const h of header) columnar[h] = [];
      for (const row of rows) {
        row.split(",").forEach((cell, i) => {
          const name = header[i];
          columnar[name].push(name === "sales" || name === "salary" ? cell : Number(cell));
        });
      }
      const { data: X, nrow } = model.encode(columnar);
      const got = model.predict(X);
      expect(nrow).toBe(14999);
      expect(expected).toHaveLength(1500); // every 10th row
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i * 10] - expected[i]));
      expect(worst).toBeLessThanOrEqual(1e-9);
    } finally {
      model.dispose();
    }
  });

  it("the CLI writes the bundle and prints one summary line when not on a TTY", async () => {
    const out = join(tmp, "cli");
    const { stderr, stdout } = await run(process.execPath, [
      join(root, "bin/lgbm.js"),
      "train",
      "--data",
      data,
      "--target",
      "left",
      "--categorical",
      "sales,salary",
      "--param",
      "objective=binary",
      "--param",
      "num_threads=1",
      "--seed",
      "42",
      "--out",
      out,
    ]);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(
      /^trained 100 iterations on 11999 rows in [\d.]+s; held-out \(3000 rows\): auc=0\.9\d+ logloss=[\d.]+ accuracy=0\.9\d+; wrote /,
    );
    // The same flags as `npm run train:hr`: the committed bundle, byte for byte.
    for (const file of ["model.txt", "spec.json"]) {
      expect(readFileSync(join(out, file), "utf8")).toBe(readFileSync(join(bundle, file), "utf8"));
    }
    const model = await Model.load(out);
    expect(model.spec.training?.metrics.auc).toBeGreaterThan(0.95);
    model.dispose();
  });

  it("the CLI refuses a parameter with whitespace, with a clear error and exit code 1", async () => {
    const err = await run(process.execPath, [
      join(root, "bin/lgbm.js"),
      "train",
      "--data",
      data,
      "--target",
      "left",
      "--param",
      "objective=binary num_threads=64",
      "--out",
      join(tmp, "never"),
    ]).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(1);
    expect((err as { stderr: string }).stderr).toContain("may not be empty or contain whitespace or '='");
  });
});
