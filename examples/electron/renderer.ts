// Renderer: two ways to predict.
//  1. Ask the main process (native engine) over the preload bridge: window.lgbm.predict(records).
//  2. Predict right here with the pure TypeScript engine, `lightgbm-node/js`: no Node API, no native
//     code, so it runs in a sandboxed renderer (bundle this file with esbuild/vite as usual).
import { JsEngine } from "lightgbm-node/js";
import type { BundleSpec } from "./api.js";

/** The spec's encoding rule for one record: fields in order, one-hot fields expand in place. */
export function encodeRecord(spec: BundleSpec, record: Record<string, unknown>): Float64Array {
  const row = new Float64Array(spec.columns.length);
  let col = 0;
  for (const f of spec.fields) {
    const v = record[f.name];
    if (f.type === "category") {
      const k = typeof v === "string" ? f.values.indexOf(v) : -1;
      if (f.encoding.kind === "onehot") {
        for (let i = 0; i < f.values.length; i++) row[col + i] = i === k ? 1 : 0;
        col += f.values.length;
      } else {
        row[col++] = k >= 0 ? k : Number.NaN;
      }
    } else {
      row[col++] = v === null || v === undefined ? Number.NaN : v === true ? 1 : v === false ? 0 : Number(v);
    }
  }
  return row;
}

const record = {
  satisfaction_level: 0.38,
  last_evaluation: 0.53,
  number_project: 2,
  average_montly_hours: 157,
  time_spend_company: 3,
  Work_accident: false,
  promotion_last_5years: false,
  sales: "sales",
  salary: "low",
};

async function main(): Promise<void> {
  const out = document.getElementById("out");
  // 1. Main process, native engine.
  const [viaMain] = await window.lgbm.predict([record]);
  // 2. In the renderer, JS engine (same trees, same numbers).
  const { modelText, spec } = await window.lgbm.bundle();
  const engine = JsEngine.fromString(modelText);
  const probability = engine.predictRow(encodeRecord(spec, record))[0];
  if (out) out.textContent = JSON.stringify({ viaMain, inRenderer: { probability } }, null, 2);
}

void main();
