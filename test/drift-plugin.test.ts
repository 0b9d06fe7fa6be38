// The drift fastify plugin: GET /drift and the lgbm_drift_psi gauges, fed like the server feeds it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Fastify from "fastify";
import client from "prom-client";
import { describe, expect, it } from "vitest";
import { parseSpec } from "../src/bundle/spec.js";
import { DriftRegistry, driftPlugin } from "../src/drift/fastify-plugin.js";
import type { DriftReport } from "../src/drift/report.js";
import { Model } from "../src/model.js";

const bundle = join(import.meta.dirname, "../models/hr-attrition");
const spec = parseSpec(readFileSync(join(bundle, "spec.json"), "utf8"));
const [head, ...lines] = readFileSync(join(bundle, "data/hr.csv"), "utf8").trim().split("\n");
const cols = head.split(",");
const records = lines
  .filter((_, i) => i % 3 === 0)
  .map((l) => {
    const c = l.split(",");
    const r: Record<string, unknown> = {};
    cols.forEach((name, i) => {
      if (name !== "left") r[name] = name === "sales" || name === "salary" ? c[i] : Number(c[i]);
    });
    return r;
  });

describe("drift fastify plugin", () => {
  it("serves GET /drift and lgbm_drift_psi{model,field} from what the server observed", async () => {
    const registry = new client.Registry();
    const drift = new DriftRegistry({ windowSize: 5000 });
    const app = Fastify();
    await app.register(driftPlugin, { drift, registry });
    try {
      expect((await app.inject({ url: "/drift" })).json()).toEqual({ models: {} });
      expect((await app.inject({ url: "/drift/hr-attrition" })).statusCode).toBe(404);

      const model = await Model.load(bundle);
      const shifted = records.map((r) => ({ ...r, salary: "low" }));
      drift.observe("hr-attrition", model.spec, shifted, model.predict(shifted));
      model.dispose();

      const res = await app.inject({ url: "/drift" });
      expect(res.statusCode).toBe(200);
      const report = (res.json() as { models: Record<string, DriftReport> }).models["hr-attrition"];
      // The window holds between 9/10 of its size and its size of the newest records.
      expect(report.rows).toBeGreaterThanOrEqual(4500);
      expect(report.rows).toBeLessThanOrEqual(5000);
      expect(report.fields[0]).toMatchObject({ name: "salary", flag: "drift" });
      expect(report.fields.filter((f) => f.flag !== "ok").map((f) => f.name)).toEqual(["salary"]);
      expect(report.prediction?.name).toBe("probability");
      expect((await app.inject({ url: "/drift/hr-attrition" })).json().summary.drift).toBe(1);

      const text = await registry.metrics();
      const salary = text.match(/^lgbm_drift_psi\{model="hr-attrition",field="salary"\} ([\d.e+-]+)$/m);
      expect(Number(salary?.[1])).toBeGreaterThan(0.25);
      expect(text).toMatch(/^lgbm_drift_psi\{model="hr-attrition",field="satisfaction_level"\} 0\.0/m);
      expect(text).toMatch(/^lgbm_drift_window_rows\{model="hr-attrition"\} \d+$/m);
      expect(text).toMatch(/^lgbm_drift_prediction_psi\{model="hr-attrition"\} /m);
    } finally {
      await app.close();
    }
  });

  it("ignores models without reference statistics", () => {
    const drift = new DriftRegistry();
    drift.observe("bare", { ...spec, reference: undefined }, records.slice(0, 10));
    expect(drift.reports()).toEqual({});
  });
});
