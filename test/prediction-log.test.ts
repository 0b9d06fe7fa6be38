// The prediction log (src/server/prediction-log.ts) on real files: the lines of one event-loop turn are
// written together, each still one JSON line; close() writes what the current turn left pending; lines
// written after close() are dropped, never thrown; rotation keeps whole lines.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PredictionLog } from "../src/server/prediction-log.js";

const tmp = mkdtempSync(join(tmpdir(), "lgbm-predlog-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const meta = (id: string) => ({
  request_id: id,
  model: "m",
  version: "1",
  route: "predict",
  latency_ms: 0.5,
});
const lines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe("PredictionLog", () => {
  it("writes a turn's lines together, each its own JSON line, and close() flushes the current turn", async () => {
    const file = join(tmp, "a.jsonl");
    const log = new PredictionLog(file, 1 << 30, 2);
    log.write([{ x: 1 }], [{ value: 1 }], meta("r1"));
    log.write([{ x: 2 }, { x: "é\n" }], [{ value: 2 }, { value: 3 }], meta("r2"));
    await new Promise((r) => setImmediate(r));
    log.write([{ x: 4 }], [{ value: 4 }], meta("r3")); // pending when close() is called
    await log.close();
    const got = lines(file);
    expect(got.map((l) => [l.request_id, l.row, l.input.x, l.output.value])).toEqual([
      ["r1", 0, 1, 1],
      ["r2", 0, 2, 2],
      ["r2", 1, "é\n", 3],
      ["r3", 0, 4, 4],
    ]);
    expect(got.every((l) => typeof l.time === "string" && l.latency_ms === 0.5)).toBe(true);
    expect(() => log.write([{ x: 5 }], [{ value: 5 }], meta("late"))).not.toThrow();
    await new Promise((r) => setImmediate(r));
    expect(lines(file)).toHaveLength(4);
  });

  it("rotates by size between turns and keeps every line whole", async () => {
    const file = join(tmp, "b.jsonl");
    const log = new PredictionLog(file, 2_000, 2);
    for (let turn = 0; turn < 30; turn++) {
      for (let i = 0; i < 5; i++) log.write([{ turn, i }], [{ value: i }], meta(`t${turn}`));
      await new Promise((r) => setTimeout(r, 2));
    }
    await log.close();
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(existsSync(`${file}.2`)).toBe(true);
    expect(existsSync(`${file}.3`)).toBe(false);
    for (const f of [file, `${file}.1`, `${file}.2`]) {
      const text = readFileSync(f, "utf8");
      expect(text === "" || text.endsWith("\n")).toBe(true);
      for (const l of lines(f)) expect(l.model).toBe("m");
    }
  });
});
