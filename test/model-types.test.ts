// Typed results: a model whose task is known (stated by the caller, or by a spec whose task is a literal
// type) returns results typed for that task; a model of any task returns the union, which the narrowing
// helpers narrow. The assertions below are compile-time (expectTypeOf, and `@ts-expect-error` for what
// must be rejected): `npm test`'s type check runs them, and so does the test at the bottom, which also
// removes each `@ts-expect-error` and checks that tsc then reports the error it stands for, on its line.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type BaseModel,
  type BinaryResult,
  type ExplainResult,
  type Explanation,
  hasClasses,
  isBinary,
  isMulticlass,
  isRegression,
  Model,
  type MulticlassExplanation,
  type MulticlassResult,
  type PredictionResult,
  type RegressionResult,
  type Spec,
  type Task,
  ValidationError,
} from "../src/index.js";
import { Model as BrowserModel } from "../src/js.js";
import { HR_RECORD } from "./helpers/records.js";

const HR = join(import.meta.dirname, "../models/hr-attrition");
const ZOO = join(import.meta.dirname, "fixtures/zoo");

/** A record typed by an interface (not assignable to Record<string, unknown>): accepted as it is. */
interface Employee {
  satisfaction_level: number;
  last_evaluation: number;
  number_project: number;
  average_montly_hours: number;
  time_spend_company: number;
  Work_accident: 0 | 1 | boolean;
  promotion_last_5years: 0 | 1 | boolean;
  sales: string;
  salary: "low" | "medium" | "high";
}

/** Compile-time only: never called. */
async function typeChecks(employee: Employee, row: Float64Array, out: Float64Array) {
  // The task stated by the caller (checked when loading): binary results.
  const binary = await Model.load(HR, { task: "binary" });
  expectTypeOf(binary).toEqualTypeOf<Model<"binary">>();
  expectTypeOf(binary.task).toEqualTypeOf<"binary">();
  expectTypeOf(binary.predict(HR_RECORD)).toEqualTypeOf<BinaryResult>();
  expectTypeOf(binary.predict(HR_RECORD).prediction).toEqualTypeOf<0 | 1>();
  expectTypeOf(binary.predict(HR_RECORD).probability).toEqualTypeOf<number>();
  expectTypeOf(binary.predict(employee)).toEqualTypeOf<BinaryResult>();
  expectTypeOf(binary.predict([employee, employee])).toEqualTypeOf<BinaryResult[]>();
  expectTypeOf(binary.predict([HR_RECORD], { numIterations: 10 })).toEqualTypeOf<BinaryResult[]>();
  expectTypeOf(binary.predict(HR_RECORD, { type: "normal" })).toEqualTypeOf<BinaryResult>();
  expectTypeOf(binary.predictAsync(HR_RECORD)).toEqualTypeOf<Promise<BinaryResult>>();
  expectTypeOf(binary.predictAsync([employee])).toEqualTypeOf<Promise<BinaryResult[]>>();
  expectTypeOf(binary.explain(employee)).toEqualTypeOf<Explanation>();
  expectTypeOf(binary.predictEncoded(row, 1)).toEqualTypeOf<BinaryResult[]>();
  expectTypeOf(binary.predictEncodedAsync(row, 1)).toEqualTypeOf<Promise<BinaryResult[]>>();
  expectTypeOf(binary.predictEncodedRow(row, out)).toEqualTypeOf<BinaryResult>();

  // The matrix API: numbers in, numbers out, whatever the task.
  expectTypeOf(binary.predict(row)).toEqualTypeOf<Float64Array>();
  expectTypeOf(binary.predict([[0.38, 0.53]], { type: "raw" })).toEqualTypeOf<Float64Array>();
  expectTypeOf(binary.predictAsync(row, { type: "contrib" })).toEqualTypeOf<Promise<Float64Array>>();
  expectTypeOf(binary.predictRow(row)).toEqualTypeOf<Float64Array>();
  expectTypeOf(binary.predictRow(row, { type: "raw" }, out)).toEqualTypeOf<Float64Array>();

  const multiclass = await Model.load(join(ZOO, "multiclass/model.txt"), { task: "multiclass" });
  expectTypeOf(multiclass.predict({ Column_0: 1 })).toEqualTypeOf<MulticlassResult>();
  expectTypeOf(multiclass.predict({ Column_0: 1 }).prediction).toEqualTypeOf<string | number>();
  expectTypeOf(multiclass.predict({ Column_0: 1 }).probabilities).toEqualTypeOf<number[]>();
  expectTypeOf(multiclass.explain({ Column_0: 1 })).toEqualTypeOf<MulticlassExplanation>();

  const regression = await Model.fromString("...", { engine: "js", task: "regression" });
  expectTypeOf(regression.predict({ x: 1 })).toEqualTypeOf<RegressionResult>();
  expectTypeOf(regression.predict({ x: 1 }).value).toEqualTypeOf<number>();

  // The task from a spec whose `task` is a literal type.
  const spec = {
    specVersion: 1,
    task: "regression",
    fields: [{ name: "x", type: "number", nullable: false }],
    columns: ["x"],
  } satisfies Spec;
  expectTypeOf(await Model.fromString("...", { spec })).toEqualTypeOf<Model<"regression">>();
  const engine = binary.engine;
  expectTypeOf(Model.fromEngine(engine, { task: "binary" })).toEqualTypeOf<Model<"binary">>();
  expectTypeOf(Model.fromEngine(engine)).toEqualTypeOf<Model<Task>>();

  // A model of any task: the union, and the helpers that narrow it.
  const any = await Model.load(HR);
  expectTypeOf(any).toEqualTypeOf<Model<Task>>();
  const result = any.predict(HR_RECORD);
  expectTypeOf(result).toEqualTypeOf<PredictionResult>();
  if (isBinary(result)) expectTypeOf(result).toEqualTypeOf<BinaryResult>();
  if (isMulticlass(result)) expectTypeOf(result.probabilities).toEqualTypeOf<number[]>();
  if (isRegression(result)) expectTypeOf(result.value).toEqualTypeOf<number>();
  if ("probability" in result) expectTypeOf(result.prediction).toEqualTypeOf<0 | 1>();
  const explanation = any.explain(HR_RECORD);
  expectTypeOf(explanation).toEqualTypeOf<ExplainResult>();
  if (hasClasses(explanation)) expectTypeOf(explanation.classes[0].class).toEqualTypeOf<string | number>();
  else expectTypeOf(explanation.baseValue).toEqualTypeOf<number>();

  // The browser entry's Model: the same pipeline and types, loaded from texts, URLs or responses.
  const web = await BrowserModel.load("/models/hr-attrition/", { task: "binary" });
  expectTypeOf(web.predict(employee)).toEqualTypeOf<BinaryResult>();
  expectTypeOf(await BrowserModel.fromTexts({ model: "...", spec: "{}" })).toEqualTypeOf<
    BrowserModel<Task>
  >();
  const fromResponses = await BrowserModel.load(
    { model: await fetch("/m/model.txt"), spec: new Blob(["{}"]) },
    { task: "multiclass" },
  );
  expectTypeOf(fromResponses.predict([{ a: 1 }])).toEqualTypeOf<MulticlassResult[]>();
  // Code written once for both: BaseModel.
  const probability = (m: BaseModel<"binary">) => m.predict(HR_RECORD).probability;
  expectTypeOf(probability(binary)).toEqualTypeOf<number>();
  expectTypeOf(probability(web)).toEqualTypeOf<number>();

  // What is rejected. Each directive below is removed by the test, which expects tsc's error there.
  // @ts-expect-error TS2554: a task named only as a type argument would be an unchecked cast; state it in the options
  await Model.load<"binary">(HR);
  // @ts-expect-error TS2339: a model of any task: narrow the result first
  any.predict(HR_RECORD).probability;
  // @ts-expect-error TS2551: binary results have no probabilities
  binary.predict(HR_RECORD).probabilities;
  // @ts-expect-error TS2339: binary explanations are one explanation, not one per class
  binary.explain(HR_RECORD).classes;
  // @ts-expect-error TS2322: a multiclass prediction is a class label
  const label: 0 | 1 = multiclass.predict({ Column_0: 1 }).prediction;
  // @ts-expect-error TS2769: records give "normal" results; raw outputs are the matrix API's
  binary.predict(HR_RECORD, { type: "raw" });
  // @ts-expect-error TS2769: a Float32Array is neither a matrix (Float64Array) nor a record
  binary.predict(new Float32Array(20));
  // @ts-expect-error TS2769: a flat array of numbers is neither a matrix nor records
  binary.predict([0.38, 0.53, 2]);
  // @ts-expect-error TS2769: a string is not a record
  binary.predict("satisfaction_level=0.38");
  // @ts-expect-error TS2769: an unknown task
  await Model.load(HR, { task: "classification" });
  // @ts-expect-error TS2740: predictRow takes an encoded Float64Array row
  binary.predictRow([0.38, 0.53]);
  // @ts-expect-error TS2339: predictAsync is a promise
  binary.predictAsync(HR_RECORD).probability;
  // @ts-expect-error TS2345: explain takes one record
  binary.explain([HR_RECORD]);
  // @ts-expect-error TS2554: the browser Model's task is stated in its options too
  await BrowserModel.load<"binary">("/models/hr-attrition/");
  return label;
}
void typeChecks;

const root = join(import.meta.dirname, "..");
const run = promisify(execFile);

async function tsc(file: string): Promise<string[]> {
  const args = [
    ...[
      "--ignoreConfig",
      "--noEmit",
      "--strict",
      "--skipLibCheck",
      "--target",
      "es2022",
      "--lib",
      "es2022,dom",
    ],
    ...["--module", "nodenext", "--moduleResolution", "nodenext", "--types", "node", file],
  ];
  const r = await run(join(root, "node_modules/.bin/tsc"), args, { cwd: root }).then(
    (x) => x.stdout,
    (e: { stdout: string }) => e.stdout,
  );
  return r.split("\n").filter((l) => /error TS\d+/.test(l));
}

describe("typed results", () => {
  it("the assertions compile, and each rejected case is the error its directive names", async () => {
    const self = join(import.meta.dirname, "model-types.test.ts");
    expect(await tsc(self)).toEqual([]);
    // Without the directives: exactly one error, of the named code, on each line that had one.
    const lines = readFileSync(self, "utf8").split("\n");
    const expected = new Map<number, string>();
    const stripped = lines.map((line, i) => {
      const m = /^\s*\/\/ @ts-expect-error (TS\d+)/.exec(line);
      if (!m) return line;
      expected.set(i + 2, m[1]); // the next line, 1-based
      return "";
    });
    expect(expected.size).toBe(14);
    const dir = mkdtempSync(join(import.meta.dirname, ".types-"));
    try {
      const file = join(dir, "rejected.ts");
      writeFileSync(
        file,
        stripped
          .join("\n")
          .replaceAll('from "../src/', 'from "../../src/')
          .replaceAll('from "./helpers/', 'from "../helpers/'),
      );
      const errors = (await tsc(file)).map((l) => /\((\d+),\d+\): error (TS\d+)/.exec(l));
      const got = new Map<number, string>();
      for (const e of errors) if (e && !got.has(Number(e[1]))) got.set(Number(e[1]), e[2]);
      expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a stated task is checked when loading: another task is a ValidationError naming it", async () => {
    const model = await Model.load(HR, { task: "binary" });
    expect(model.task).toBe("binary");
    expect(isBinary(model.predict(HR_RECORD))).toBe(true);
    model.dispose();
    const wrong = Model.load(HR, { task: "regression" });
    await expect(wrong).rejects.toBeInstanceOf(ValidationError);
    await expect(wrong).rejects.toThrow(
      /task: is regression but the model's task is binary \(objective binary\)/,
    );
    await expect(Model.load(HR, { task: "classification" as Task })).rejects.toThrow(
      /task: must be one of binary, multiclass, regression, got "classification"/,
    );
    const text = readFileSync(join(ZOO, "regression/model.txt"), "utf8");
    await expect(Model.fromString(text, { engine: "js", task: "binary" })).rejects.toThrow(
      /is binary but the model's task is regression/,
    );
  });

  it("the narrowing helpers tell the three shapes apart", async () => {
    const models = await Promise.all(
      ["binary", "multiclass", "regression"].map((n) =>
        Model.load(join(ZOO, n, "model.txt"), { engine: "js" }),
      ),
    );
    const shapes = models.map((m) => {
      const r = m.predict(Object.fromEntries(m.info.featureNames.map((f) => [f, 0.5])));
      const e = m.explain(Object.fromEntries(m.info.featureNames.map((f) => [f, 0.5])));
      m.dispose();
      return [m.task, isBinary(r), isMulticlass(r), isRegression(r), hasClasses(e)];
    });
    expect(shapes).toEqual([
      ["binary", true, false, false, false],
      ["multiclass", false, true, false, true],
      ["regression", false, false, true, false],
    ]);
  });
});
