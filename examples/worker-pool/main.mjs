// node examples/worker-pool/main.mjs [bundle]: predict the shipped model's data on a 2-worker pool.
import { readFileSync } from "node:fs";
import { ModelPool } from "./pool.mjs";

const bundle = process.argv[2] ?? new URL("../../models/hr-attrition", import.meta.url).pathname;
const [head, ...lines] = readFileSync(`${bundle}/data/hr.csv`, "utf8").trim().split("\n");
const cols = head.split(",");
const records = lines.slice(0, 1000).map((l) =>
  Object.fromEntries(l.split(",").map((v, i) => [cols[i], cols[i] === "sales" || cols[i] === "salary" ? v : Number(v)])),
);

const pool = await ModelPool.open(bundle, { size: 2 });
try {
  // Ten batches of 100 records, spread over the workers.
  const batches = Array.from({ length: 10 }, (_, i) => records.slice(i * 100, (i + 1) * 100));
  const results = (await Promise.all(batches.map((b) => pool.predict(b)))).flat();
  console.log(`${results.length} predictions on ${pool.size} workers; first:`, results[0]);
} finally {
  await pool.close();
}
