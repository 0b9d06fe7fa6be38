/** Writes a bundle folder: `model.txt` (LightGBM's text format) and `spec.json`. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringifySpec } from "../bundle/spec.js";
import { NativeEngine } from "../engines/native.js";
import type { Model } from "../model.js";

export function saveBundle(model: Model, dir: string): void {
  const engine = model.engine;
  if (!(engine instanceof NativeEngine)) {
    throw new TypeError(`saveBundle needs a model on the native engine, got the ${engine.name} engine`);
  }
  const spec = stringifySpec(model.spec);
  const text = engine.toString();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "model.txt"), text);
  writeFileSync(join(dir, "spec.json"), spec);
}
