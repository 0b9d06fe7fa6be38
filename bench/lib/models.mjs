// Models the benchmarks run on: the shipped bundle, and a large model (500 trees x 127 leaves,
// 40 features) trained on synthetic data in the bench's setup and cached in bench/.cache/.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const cacheDir = join(root, "bench/.cache");

// The bench data must be the same on every run: the SDK's seeded PRNG (mulberry32), from dist/.
const { mulberry32: rng } = await import(join(root, "dist/train/prng.js"));

/** Synthetic rows: 40 features, a few of them with missing values. */
export function syntheticRows(nrow, ncol = 40, seed = 1) {
  const rand = rng(seed);
  const data = new Float64Array(nrow * ncol);
  for (let i = 0; i < data.length; i++)
    data[i] = (i % ncol) % 13 === 5 && rand() < 0.05 ? Number.NaN : rand() * 10 - 5;
  return data;
}

export async function largeModelFile({ log = () => {} } = {}) {
  const file = join(cacheDir, "large-500x127-40f.txt");
  if (existsSync(file)) return file;
  mkdirSync(cacheDir, { recursive: true });
  const ncol = 40;
  const nrow = 50_000;
  const X = syntheticRows(nrow, ncol, 7);
  const y = new Float64Array(nrow);
  for (let r = 0; r < nrow; r++) {
    const x = X.subarray(r * ncol, (r + 1) * ncol);
    const s = Math.sin(x[0]) * x[1] + x[2] * x[3] - (x[4] > 1 ? 2 : 0) + Math.cos(x[5] * x[6]) + 0.1 * x[7];
    y[r] = s > 0 ? 1 : 0;
  }
  log("training the large bench model (500 trees x 127 leaves, 40 features; cached after the first run)...");
  const { trainMatrix } = await import(join(root, "bench/lib/train-matrix.mjs"));
  writeFileSync(file, trainMatrix(X, y, nrow, ncol, 500, 127));
  return file;
}

/** The large model's shape with 5 categorical features of 30 categories (the table walk's bench). */
export async function largeCategoricalModelFile({ log = () => {} } = {}) {
  const file = join(cacheDir, "large-cat-500x127-40f.txt");
  if (existsSync(file)) return file;
  mkdirSync(cacheDir, { recursive: true });
  const ncol = 40;
  const nrow = 50_000;
  const X = categoricalRows(nrow, ncol, 7);
  const rand = rng(11);
  const y = new Float64Array(nrow);
  for (let r = 0; r < nrow; r++) {
    const x = (f) => X[r * ncol + f];
    const s =
      Math.sin(x(5)) * x(6) + ((x(0) * 7) % 11) / 5 - 1 + (x(1) % 3 === 0 ? 1 : -0.5) + x(7) * x(8) * 0.2;
    y[r] = s + rand() - 0.5 > 0 ? 1 : 0;
  }
  log("training the large categorical bench model (cached after the first run)...");
  const { trainMatrix } = await import(join(root, "bench/lib/train-matrix.mjs"));
  writeFileSync(file, trainMatrix(X, y, nrow, ncol, 500, 127, "categorical_feature=0,1,2,3,4"));
  return file;
}

/** Synthetic rows whose first 5 features are categories 0 .. 29. */
export function categoricalRows(nrow, ncol = 40, seed = 1) {
  const data = syntheticRows(nrow, ncol, seed);
  for (let i = 0; i < data.length; i++)
    if (i % ncol < 5) data[i] = Number.isNaN(data[i]) ? data[i] : Math.floor(Math.abs(data[i]) * 6);
  return data;
}

export function shippedModelFile() {
  const file = join(root, "models/hr-attrition/model.txt");
  return existsSync(file) ? file : undefined;
}

/** The shipped bundle's data as records (typed by its spec; the target column dropped). */
export function hrRecords(spec) {
  const [head, ...lines] = readFileSync(join(dirname(shippedModelFile()), "data/hr.csv"), "utf8")
    .trim()
    .split("\n");
  const cols = head.split(",");
  const types = new Map(spec.fields.map((f) => [f.name, f.type]));
  return lines.map((line) => {
    const cells = line.split(",");
    const rec = {};
    cols.forEach((c, i) => {
      const t = types.get(c);
      if (t === undefined) return;
      if (t === "number" || t === "integer") rec[c] = Number(cells[i]);
      else if (t === "boolean") rec[c] = cells[i] === "1" || cells[i] === "true";
      else rec[c] = cells[i];
    });
    return rec;
  });
}

let hrData;
/** n rows of the shipped bundle's data, encoded by its model: its rows in order, repeated past the end. */
export async function hrRows(n) {
  if (!hrData) {
    const { Model } = await import(join(root, "dist/model.js"));
    const model = await Model.load(dirname(shippedModelFile()), { engine: "js" });
    hrData = model.encode(hrRecords(model.spec));
    model.dispose();
  }
  const ncol = hrData.data.length / hrData.nrow;
  const out = new Float64Array(n * ncol);
  for (let r = 0; r < n; r++) {
    const s = r % hrData.nrow;
    out.set(hrData.data.subarray(s * ncol, (s + 1) * ncol), r * ncol);
  }
  return out;
}

export function readModelText(file) {
  return readFileSync(file, "utf8");
}
