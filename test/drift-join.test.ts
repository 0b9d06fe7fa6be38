// The retraining join: prediction log + labels observed later → a CSV that `lgbm train --data` trains on.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { joinLabels } from "../src/drift/join.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const bin = join(root, "bin/lgbm.js");
const bundle = join(root, "models/hr-attrition");
const dataCsv = join(bundle, "data/hr.csv");
const tmp = mkdtempSync(join(tmpdir(), "lgbm-join-"));

const [head, ...lines] = readFileSync(dataCsv, "utf8").trim().split("\n");
const header = head.split(",");
const sample = lines
  .filter((_, i) => i % 10 === 0)
  .map((l) => Object.fromEntries(l.split(",").map((v, i) => [header[i], v])));

// The server's log: each input carries the client's business key (employee_id); extra fields are ignored
// by the model. Work_accident as a boolean, as JSON clients send it.
const log = join(tmp, "predictions.jsonl");
writeFileSync(
  log,
  `${sample
    .map((r, i) => {
      const input: Record<string, unknown> = { employee_id: `E${i}` };
      for (const h of header) {
        if (h === "left") continue;
        input[h] =
          h === "sales" || h === "salary" ? r[h] : h === "Work_accident" ? r[h] === "1" : Number(r[h]);
      }
      return JSON.stringify({
        time: "2026-02-01T00:00:00.000Z",
        request_id: `req-${i}`,
        model: "hr-attrition",
        version: "1",
        row: 0,
        input,
        output: { prediction: 0, probability: 0.1 },
      });
    })
    .join("\n")}\n`,
);
// Labels arrive for every other employee (and one id the log never saw).
const labels = join(tmp, "labels.csv");
writeFileSync(
  labels,
  `employee_id,left\n${sample
    .map((r, i) => (i % 2 === 0 ? `E${i},${r.left}` : ""))
    .filter(Boolean)
    .join("\n")}\nE999999,1\n`,
);

describe("lgbm drift join", () => {
  it("joins by an id inside the logged input, in the spec's column order, without the id", async () => {
    const out = join(tmp, "joined.csv");
    const { stderr } = await run(process.execPath, [
      bin,
      "drift",
      "join",
      "--log",
      log,
      "--labels",
      labels,
      "--id",
      "employee_id",
      "--bundle",
      bundle,
      "--out",
      out,
    ]);
    expect(stderr).toMatch(/written/);
    const [h, ...rows] = readFileSync(out, "utf8").trim().split("\n");
    expect(h.split(",")).toEqual([...header.filter((c) => c !== "left"), "left"]);
    expect(rows).toHaveLength(Math.ceil(sample.length / 2));
    // Row k of the output is sample 2k, values as logged (booleans back to 0/1), label from labels.csv.
    const byName = (row: string) => Object.fromEntries(row.split(",").map((v, i) => [h.split(",")[i], v]));
    const first = byName(rows[1]);
    const want = sample[2];
    for (const c of header)
      expect(Number.isNaN(Number(want[c])) ? first[c] : Number(first[c]), c).toEqual(
        Number.isNaN(Number(want[c])) ? want[c] : Number(want[c]),
      );
  });

  it("joins by request_id on the log line, and appends to a base CSV in its column order", async () => {
    const byRequest = join(tmp, "labels-req.csv");
    writeFileSync(byRequest, `request_id,left\nreq-0,1\nreq-1,0\nreq-99999,1\n`);
    const out = join(tmp, "combined.csv");
    const result = await joinLabels({ log, labels: byRequest, id: "request_id", out, base: dataCsv });
    expect(result).toMatchObject({ joined: 2, baseRows: lines.length, labels: 3 });
    expect(result.unlabeled).toBe(sample.length - 2);
    const outLines = readFileSync(out, "utf8").trim().split("\n");
    expect(outLines[0]).toBe(head);
    expect(outLines).toHaveLength(1 + lines.length + 2);
    expect(outLines.at(-2)!.split(",")[header.indexOf("left")]).toBe("1");
    expect(outLines.at(-1)!.split(",")[header.indexOf("left")]).toBe("0");
  });

  it("lgbm train accepts the joined CSV", async () => {
    const out = join(tmp, "joined-train.csv");
    await joinLabels({ log, labels, id: "employee_id", out, spec: undefined });
    const bundleOut = join(tmp, "retrained");
    await run(
      process.execPath,
      [
        bin,
        "train",
        "--data",
        out,
        "--target",
        "left",
        "--categorical",
        "sales,salary",
        "-p",
        "num_iterations=10",
        "-p",
        "num_threads=1",
        "--out",
        bundleOut,
      ],
      { maxBuffer: 16 << 20 },
    );
    expect(existsSync(join(bundleOut, "model.txt"))).toBe(true);
    expect(JSON.parse(readFileSync(join(bundleOut, "spec.json"), "utf8")).reference.fields).toHaveProperty(
      "satisfaction_level",
    );
  });

  it("names a missing id column", async () => {
    await expect(joinLabels({ log, labels, id: "nope", out: join(tmp, "x.csv") })).rejects.toThrow(
      /no column "nope"/,
    );
  });
});
