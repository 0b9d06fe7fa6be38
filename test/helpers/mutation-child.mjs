// Child process of the mutation test: loads and predicts model files on every engine and reports each
// outcome. Protocol, one line per event on stdout, so that the parent can pin a crash or a hang on the
// file being worked on:  "S <i>" before file i,  "D <i> <json outcomes>" after it,  "E" at the end.
//   node test/helpers/mutation-child.mjs <manifest.json> <first index>
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "../..");
const { Model } = await import(join(root, "dist/model.js"));
const { ENGINE_NAMES } = await import(join(root, "dist/engines/engine.js"));

const [manifestFile, firstArg] = process.argv.slice(2);
const files = JSON.parse(readFileSync(manifestFile, "utf8"));
const out = (line) => process.stdout.write(`${line}\n`);

/** What a step did: "ok", or the error's class name and the start of its message. */
async function step(fn) {
  try {
    await fn();
    return "ok";
  } catch (err) {
    const e = /** @type {Error} */ (err);
    return `${e?.name ?? typeof err}: ${String(e?.message ?? err).slice(0, 160)}`;
  }
}

for (let i = Number(firstArg); i < files.length; i++) {
  out(`S ${i}`);
  const outcomes = {};
  for (const engine of ENGINE_NAMES) {
    let model;
    const load = await step(async () => {
      model = await Model.load(files[i], { engine, numThreads: 2 });
    });
    const o = { load };
    if (model !== undefined) {
      const nf = model.info.numFeatures;
      const nrow = 3;
      const X = new Float64Array(nrow * nf);
      for (let j = 0; j < nf; j++) {
        X[nf + j] = Number.NaN;
        X[2 * nf + j] = ((j * 7919) % 23) - 11.5;
      }
      for (const type of ["normal", "raw", "leaf", "contrib"]) {
        o[type] = await step(() => model.predict(X, { type }));
      }
      o.iterations = await step(() => model.predict(X, { startIteration: 1, numIterations: 2 }));
      o.row = await step(() => model.predictRow(X.subarray(2 * nf)));
      o.async = await step(() => model.predictAsync(X));
      o.dispose = await step(() => model.dispose());
    }
    outcomes[engine] = o;
  }
  out(`D ${i} ${JSON.stringify(outcomes)}`);
}
out("E");
