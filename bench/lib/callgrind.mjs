// Instructions per row (valgrind --tool=callgrind), repeatable where wall time on a shared machine is not:
// the single-row path and a 10,000-row batch, for the default native engine (the compiled model, in Node),
// LightGBM's C API (bench/native/direct_bench) and the gcc -O2 baseline.
//  - C programs: --toggle-collect on the predict function, divided by the calls it made.
//  - Node: V8's optimised code has no symbols, so three runs of one child (bench/lib/callgrind-child.mjs)
//    that differ only in the rows they predict after the same load and warm-up; per row = the difference
//    of the totals over the difference of the rows (V8 flags: --no-liftoff, so the measured code is the
//    optimised code from the start; --single-threaded, so no background thread adds to the counts).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { root } from "./models.mjs";

const run = promisify(execFile);

export async function callgrindAvailable() {
  try {
    await run("valgrind", ["--version"]);
    return true;
  } catch {
    return false;
  }
}

/** Total instructions of a run (the collected events of the whole run, or of the toggled functions). */
async function instructions(command, args, { input = "", toggle } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "lgbm-cg-"));
  const out = join(dir, "cg.out");
  try {
    const vg = [
      "--tool=callgrind",
      `--callgrind-out-file=${out}`,
      ...(toggle ? [`--toggle-collect=${toggle}`] : []),
      "--smc-check=all",
      command,
      ...args,
    ];
    const child = execFile("valgrind", vg, { maxBuffer: 64 << 20, timeout: 900_000 });
    child.stdin.end(input);
    await new Promise((resolve, reject) => {
      child.on("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`valgrind ${command}: exit ${code}`)),
      );
      child.on("error", reject);
    });
    const m = /^(?:summary|totals):\s+(\d+)/m.exec(readFileSync(out, "utf8"));
    if (!m) throw new Error("no totals in the callgrind output");
    return Number(m[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BATCH = 10_000;
const ROWS = 1024;

/** LightGBM's C API: SingleRowFast per row (direct_bench warms up with 1,000 calls first), and PredictForMat. */
export async function capiInstructions(modelFile, dataFile, ncol, nrow) {
  const direct = join(root, "build/Release/direct_bench");
  const args = [modelFile, dataFile, String(ncol), String(nrow)];
  const row = await instructions(direct, args, {
    input: `row 1 ${ROWS}\n`,
    toggle: "LGBM_BoosterPredictForMatSingleRowFast",
  });
  const batch = await instructions(direct, args, {
    input: `batch 1 1 ${BATCH}\n`,
    toggle: "LGBM_BoosterPredictForMat",
  });
  return { row: row / (Math.min(1000, nrow) + ROWS), batch: batch / BATCH };
}

/** The gcc -O2 baseline: its predict function per row. */
export async function gccInstructions(bin, dataFile, nrow) {
  const args = [dataFile, String(nrow)];
  const row = await instructions(bin, args, { input: `row 1 ${ROWS}\n`, toggle: "predict" });
  const batch = await instructions(bin, args, { input: `batch 1 ${BATCH}\n`, toggle: "predict" });
  return { row: row / ROWS, batch: batch / BATCH };
}

/** An engine in Node (native: the default engine; wasm), by differences of three runs. */
export async function engineInstructions(engine, modelFile, dataFile) {
  const child = join(root, "bench/lib/callgrind-child.mjs");
  const node = (rows, batches) =>
    instructions(process.execPath, [
      "--no-liftoff",
      "--single-threaded",
      child,
      engine,
      modelFile,
      dataFile,
      String(rows),
      String(batches),
    ]);
  const base = await node(0, 0);
  const rows = await node(4 * ROWS, 0);
  const batch = await node(0, 1);
  return { row: (rows - base) / (4 * ROWS), batch: (batch - base) / BATCH };
}
