// The worker_threads recipe (examples/worker-pool): two workers, each with its own model, predict in
// parallel and agree with the main thread.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Model } from "../src/model.js";

// The example is plain JS importing "lightgbm-node" (the package's own name resolves to dist/).
const { ModelPool } = (await import("../examples/worker-pool/pool.mjs" as string)) as {
  ModelPool: {
    open(
      path: string,
      o?: { size?: number; engine?: string },
    ): Promise<{
      size: number;
      stats(): { threadId: number; tasks: number }[];
      predict(records: object[]): Promise<unknown[]>;
      predictMatrixParallel(data: Float64Array, nrow: number): Promise<Float64Array>;
      close(): Promise<void>;
    }>;
  };
};

const bundle = join(import.meta.dirname, "../models/hr-attrition");
const [head, ...lines] = readFileSync(join(bundle, "data/hr.csv"), "utf8").trim().split("\n");
const cols = head.split(",");
const records = lines
  .slice(0, 4000)
  .map((l) =>
    Object.fromEntries(
      l.split(",").map((v, i) => [cols[i], cols[i] === "sales" || cols[i] === "salary" ? v : Number(v)]),
    ),
  );

describe.each(["native", "js"])("worker pool (%s engine)", (engine) => {
  it("2 workers predict records and matrices in parallel, equal to the main thread", async () => {
    const model = await Model.load(bundle, { engine: engine as "native" | "js" });
    const want = model.predict(records);
    const { data, nrow } = model.encode(records);
    const wantMatrix = model.predict(data);
    model.dispose();

    const pool = await ModelPool.open(bundle, { size: 2, engine });
    try {
      expect(pool.size).toBe(2);
      const batches = Array.from({ length: 8 }, (_, i) => records.slice(i * 500, (i + 1) * 500));
      const got = (await Promise.all(batches.map((b) => pool.predict(b)))).flat();
      expect(got).toEqual(want);
      // Both workers took part.
      expect(pool.stats().map((s) => s.tasks > 0)).toEqual([true, true]);
      const matrix = await pool.predictMatrixParallel(data, nrow);
      expect(Array.from(matrix)).toEqual(Array.from(wantMatrix));
      // A bad record fails its own batch with the SDK's validation error; the pool keeps working.
      await expect(pool.predict([{ ...records[0], salary: "astronomical" }])).rejects.toThrow(/salary/);
      expect(await pool.predict(records.slice(0, 3))).toEqual(want.slice(0, 3));
    } finally {
      await pool.close();
    }
  });
});
