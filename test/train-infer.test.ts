// Field inference from training data: text columns are categories without being asked, true/false
// columns are booleans, missing cells make a field nullable, an all-missing column is refused.
import { describe, expect, it } from "vitest";
import { inferField } from "../src/train/table.js";
import { train } from "../src/train/train.js";

const opts = {
  categorical: false,
  encoding: "onehot" as const,
  unknown: "error" as const,
  columnName: (s: string) => s,
};

describe("inferField", () => {
  it("types columns from their cells", () => {
    expect(inferField("t", ["b", "a", null], opts).spec).toMatchObject({
      type: "category",
      values: ["a", "b"],
      nullable: true,
      encoding: { kind: "onehot", columns: ["t_a", "t_b"] },
    });
    expect(inferField("f", ["true", "False", null], opts)).toMatchObject({
      spec: { type: "boolean", nullable: true },
      values: Float64Array.from([1, 0, Number.NaN]),
    });
    expect(inferField("b", ["0", "1", "1"], opts).spec).toEqual({
      name: "b",
      type: "boolean",
      nullable: false,
    });
    expect(inferField("i", ["3", "-2", "10"], opts).spec).toEqual({
      name: "i",
      type: "integer",
      nullable: false,
      range: [-2, 10],
    });
    expect(inferField("n", ["0.5", "2", null], opts).spec).toEqual({
      name: "n",
      type: "number",
      nullable: true,
      range: [0.5, 2],
    });
    expect(inferField("c", ["1", "2"], { ...opts, categorical: true }).spec).toMatchObject({
      type: "category",
      values: ["1", "2"],
    });
    expect(() => inferField("e", [null, null], opts)).toThrow(/every cell is missing/);
  });

  it("a text column becomes a category when training without --categorical", async () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({
      x: i % 10,
      team: ["red", "blue"][i % 2],
      y: (i % 10) + (i % 2),
    }));
    const m = await train(rows, {
      target: "y",
      validFraction: 0,
      params: { num_iterations: 3, num_threads: 1, min_data_in_leaf: 5 },
    });
    try {
      expect(m.spec.fields.map((f) => f.type)).toEqual(["integer", "category"]);
      expect(m.spec.columns).toEqual(["x", "team_blue", "team_red"]);
      expect(m.spec.task).toBe("regression");
    } finally {
      m.dispose();
    }
  });
});
