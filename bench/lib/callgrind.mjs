// Instructions per row (valgrind --tool=callgrind), repeatable where wall time on a shared machine is not:
// the single-row path and a 10,000-row batch, for the default native engine (the compiled model, in Node),
// LightGBM's C API (bench/native/direct_bench) and the gcc -O2 baseline.
//  - C programs: --toggle-collect on the predict function, divided by the calls it made.
//  - Node: V8's optimised code has no symbols, so one child (bench/lib/callgrind-child.mjs) loads and warms
//    up, then runs phases on request; callgrind_control zeroes the counters before a phase and dumps them
//    after it (V8 flags: --no-liftoff, so the measured code is the optimised code from the start;
//    --single-threaded, so no background thread adds to the counts).
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
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

/** An engine in Node (native: the default engine; wasm): counters zeroed and dumped around each phase. */
export async function engineInstructions(engine, modelFile, dataFile) {
  const dir = mkdtempSync(join(tmpdir(), "lgbm-cg-"));
  const child = spawn(
    "valgrind",
    [
      "--tool=callgrind",
      `--callgrind-out-file=${join(dir, "cg.out")}`,
      "--smc-check=all",
      process.execPath,
      "--no-liftoff",
      "--single-threaded",
      join(root, "bench/lib/callgrind-child.mjs"),
      engine,
      modelFile,
      dataFile,
    ],
    { stdio: ["pipe", "pipe", "ignore"], cwd: dir },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const control = (...args) =>
    execFileSync("callgrind_control", [...args, String(child.pid)], { cwd: dir, stdio: "pipe" });
  const phase = async (request, name) => {
    control("-z");
    child.stdin.write(`${request}\n`);
    await lines.next();
    control("-d", name);
    const dumps = readdirSync(dir).filter((f) => f.startsWith("cg.out."));
    for (const f of dumps) {
      const text = readFileSync(join(dir, f), "utf8");
      if (text.includes(`Trigger: dump ${name}`))
        return Number(/^(?:summary|totals):\s+(\d+)/m.exec(text)[1]);
    }
    throw new Error(`no callgrind dump for ${name}`);
  };
  try {
    await lines.next(); // ready
    // each phase twice, the second one counted: the first call after switching between single rows and
    // batches pays one-time work of the JavaScript engine (tens of millions of instructions once)
    await phase(`rows ${16 * ROWS}`, "rows-first");
    const row = await phase(`rows ${16 * ROWS}`, "rows");
    await phase("batch 1", "batch-first");
    const batch = await phase("batch 1", "batch");
    return { row: row / (16 * ROWS), batch: batch / BATCH };
  } finally {
    child.stdin.end();
    await new Promise((resolve) => child.on("exit", resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}
