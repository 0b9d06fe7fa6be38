// Model.predictRow(row, options, out): the allocation-free form the README documents fills `out` and
// returns it, on every engine, for every type the engine has.
import { describe, expect, it } from "vitest";
import { ENGINE_NAMES } from "../src/engines/engine.js";
import { Model } from "../src/model.js";
import { firstDifference, loadZooCase } from "./helpers/zoo.js";

const c = loadZooCase("multiclass");

describe.each([...ENGINE_NAMES])("Model.predictRow with out on the %s engine", (engine) => {
  it("writes into out and returns it, with the values of the allocating form", async () => {
    const model = await Model.fromString(c.modelText, { engine });
    try {
      const types =
        engine === "onnx" ? (["normal", "raw"] as const) : (["normal", "raw", "leaf", "contrib"] as const);
      for (const type of types) {
        const width = model.outputWidth({ type });
        const out = new Float64Array(width).fill(-7);
        for (let r = 0; r < 5; r++) {
          const row = c.X.subarray(r * c.ncol, (r + 1) * c.ncol);
          const got = model.predictRow(row, { type }, out);
          expect(got, type).toBe(out);
          expect(
            firstDifference(out.subarray(0, width), model.predictRow(row, { type })),
            `${type} row ${r}`,
          ).toBe(-1);
        }
      }
      expect(() => model.predictRow(c.X.subarray(0, c.ncol), {}, new Float64Array(1))).toThrow(RangeError);
    } finally {
      model.dispose();
    }
  });
});
