// Drift inside the real server (lgbm serve on models/hr-attrition, whose spec.json has reference
// statistics): what it predicts feeds GET /drift and the lgbm_drift_psi gauges.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriftReport } from "../src/drift/report.js";
import type { RunningServer } from "../src/server/server.js";
import { get, post, ROOT, start } from "./fixtures/server/helpers.js";

const bundle = join(ROOT, "models/hr-attrition");
const [head, ...lines] = readFileSync(join(bundle, "data/hr.csv"), "utf8").trim().split("\n");
const cols = head.split(",");
const records = lines
  .filter((_, i) => i % 10 === 0)
  .map((l) =>
    Object.fromEntries(
      l
        .split(",")
        .map((v, i) => [cols[i], cols[i] === "sales" || cols[i] === "salary" ? v : Number(v)])
        .filter(([k]) => k !== "left"),
    ),
  );

let srv: RunningServer;
beforeAll(async () => {
  srv = await start(bundle);
});
afterAll(async () => {
  await srv?.close();
});

describe("drift in lgbm serve", () => {
  it("GET /drift reports what the server predicted; unshifted traffic is ok", async () => {
    const r = await post(srv.url, "/predict/batch", records);
    expect(r.status).toBe(200);
    const d = await get(srv.url, "/drift");
    expect(d.status).toBe(200);
    const report = d.body.models["hr-attrition"] as DriftReport;
    expect(report.rows).toBe(records.length);
    expect(report.summary.drift + report.summary.warn).toBe(0);
    expect(report.prediction?.count).toBe(records.length);
  });

  it("shifted traffic (single and columnar requests) flags the shifted field; /metrics has the gauge", async () => {
    const shifted = records.map((r) => ({ ...r, salary: "low" }));
    // The window (10 000 records) then holds mostly shifted records.
    const columnar = Object.fromEntries(Object.keys(shifted[0]).map((k) => [k, shifted.map((r) => r[k])]));
    for (let i = 0; i < 5; i++) expect((await post(srv.url, "/predict/batch", columnar)).status).toBe(200);
    for (const r of shifted.slice(0, 20)) expect((await post(srv.url, "/predict", r)).status).toBe(200);
    const d = await get(srv.url, "/drift/hr-attrition");
    expect(d.status).toBe(200);
    expect(d.body.fields[0]).toMatchObject({ name: "salary", flag: "drift" });
    expect(
      d.body.fields.filter((f: { flag: string }) => f.flag === "drift").map((f: { name: string }) => f.name),
    ).toEqual(["salary"]);
    const m = await get(srv.url, "/metrics");
    const line = m.text.match(/^lgbm_drift_psi\{[^}]*model="hr-attrition"[^}]*field="salary"[^}]*\} (\S+)$/m);
    expect(Number(line?.[1])).toBeGreaterThan(0.25);
    expect((await get(srv.url, "/drift/nope")).status).toBe(404);
  });
});
