// Renderer: two ways to predict.
//  1. Ask the main process (native engine) over the preload bridge: window.lgbm.predict(records).
//  2. Predict right here with the browser entry, `lightgbm-node/js`: the bundle's own spec and encoder
//     (the same validation, errors and results as the Node SDK) on the pure TypeScript engine; no Node
//     API, no native code, so it runs in a sandboxed renderer (bundle this file with esbuild/vite as usual).
import { Model, ValidationError } from "lightgbm-node/js";

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
  // 2. In the renderer: the bundle's two texts from the main process (or Model.load("models/hr-attrition/")
  //    where the page can fetch them), its task checked, so results are typed { prediction, probability }.
  const model = await Model.fromTexts(await window.lgbm.bundle(), { task: "binary" });
  const { prediction, probability } = model.predict(record);
  const { baseValue, contributions } = model.explain(record);
  let invalid = "";
  try {
    model.predict({ ...record, salary: "astronaut" });
  } catch (err) {
    if (err instanceof ValidationError) invalid = err.message; // salary: expected one of high, low, medium, ...
  }
  const inRenderer = { prediction, probability, baseValue, top: contributions[0], invalid };
  if (out) out.textContent = JSON.stringify({ viaMain, inRenderer }, null, 2);
}

void main();
