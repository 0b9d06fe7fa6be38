// One thread of the default engine on the shipped model's first 1,000 hr rows (the bench's 1,000-row
// cell), for bench/lib/vcpus.mjs: warms up, then prints millions of rows a second over argv[2] seconds.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hrRows, root, shippedModelFile } from "./models.mjs";

const seconds = Number(process.argv[2] ?? 0.3);
const { NativeEngine } = await import(join(root, "dist/engines/native.js"));
const engine = NativeEngine.fromString(readFileSync(shippedModelFile(), "utf8"), { numThreads: 1 });
const n = 1000;
const X = await hrRows(n);
let t0 = performance.now();
while (performance.now() - t0 < 300) engine.predict(X, n);
let calls = 0;
t0 = performance.now();
while (performance.now() - t0 < seconds * 1000) {
  engine.predict(X, n);
  calls++;
}
process.stdout.write(String((calls * n) / ((performance.now() - t0) * 1000)));
