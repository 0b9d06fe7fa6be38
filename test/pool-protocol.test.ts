/**
 * Pieces of the compiled forest's thread pool protocol (src/compiled/pool.ts) that are plain functions:
 * the loop-of-batches test a worker makes on waking, on a clock of µs modulo 2^31 that all threads share.
 */
import { describe, expect, it } from "vitest";
import { publishedWithin } from "../src/compiled/pool.js";

describe("publishedWithin: was a job published soon after this worker's previous job ended?", () => {
  it("measures the gap to the job's publication, not to the worker's wake-up", () => {
    expect(publishedWithin(1_000_080, 1_000_000, 100)).toBe(true);
    expect(publishedWithin(1_000_100, 1_000_000, 100)).toBe(true);
    expect(publishedWithin(1_000_101, 1_000_000, 100)).toBe(false);
    expect(publishedWithin(1_500_000, 1_000_000, 100)).toBe(false);
  });

  it("counts a job published just before the worker took its end stamp as close", () => {
    expect(publishedWithin(999_990, 1_000_000, 100)).toBe(true);
  });

  it("holds across the clock's wrap at 2^31 µs", () => {
    const end = 2 ** 31 - 30;
    expect(publishedWithin(40, end, 100)).toBe(true); // 70 µs later, after the wrap
    expect(publishedWithin(200, end, 100)).toBe(false); // 230 µs later
    expect(publishedWithin(end - 5, 10, 100)).toBe(true); // published 45 µs before the end, across the wrap
  });
});
