// The model repository (src/server/registry.ts): versions ordered numerically, the highest one served by
// default, and a version added on disk taking over at the next reload.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { Metrics } from "../src/server/metrics.js";
import { ModelRepository } from "../src/server/registry.js";
import { FIXTURES } from "./fixtures/server/helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "lgbm-registry-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("ModelRepository", () => {
  it("serves the highest version by default (numeric order) and follows a new one after reload", async () => {
    const price = join(FIXTURES, "repo/price/1");
    for (const v of ["2", "10"]) cpSync(price, join(tmp, "price", v), { recursive: true });
    const repo = new ModelRepository(
      tmp,
      {
        engine: "native",
        numThreads: 1,
        batch: { enabled: true, maxBatchSize: 8, maxWaitMs: 0, numThreads: 1 },
      },
      pino({ level: "silent" }),
      new Metrics(),
    );
    try {
      await repo.loadAll();
      expect(repo.versions("price")).toEqual(["2", "10"]);
      expect(repo.get("price")?.version).toBe("10");
      expect(repo.get("price", "2")?.version).toBe("2");
      expect(repo.get("nope")).toBeUndefined();
      cpSync(price, join(tmp, "price", "11"), { recursive: true });
      const { loaded, failed } = await repo.reload("price");
      expect(failed).toEqual([]);
      expect(loaded).toEqual(["price/2", "price/10", "price/11"]);
      expect(repo.get("price")?.version).toBe("11");
      expect(repo.versions("price")).toEqual(["2", "10", "11"]);
    } finally {
      await repo.close();
    }
  });
});
