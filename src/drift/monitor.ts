/**
 * DriftMonitor: live drift of one model's inputs (and predictions) against its bundle's reference
 * statistics, over a rolling window of recent records.
 *
 * Memory is fixed: the window is a ring of `buckets` count arrays (one count per bin of every field),
 * plus their running sum. `observe()` bins each value and increments counts; no record is kept. When
 * the newest bucket holds `windowSize / buckets` records the ring advances and the oldest bucket's
 * counts leave the sum, so the window always covers between windowSize − windowSize/buckets and
 * windowSize of the most recent records.
 */
import type { Spec } from "../bundle/spec.js";
import { binValue, type CompiledReference, compileReference, predictionValue, width } from "./bins.js";
import { buildReport, type DriftReport, resolveThresholds, type Thresholds } from "./report.js";

export interface DriftMonitorOptions {
  /** Records in the rolling window (default 10 000; Infinity: every record since the start or reset). */
  windowSize?: number;
  /** Ring buckets the window is made of (default 10). */
  buckets?: number;
  thresholds?: Partial<Thresholds>;
}

export class DriftMonitor {
  readonly reference: CompiledReference;
  readonly thresholds: Thresholds;
  readonly windowSize: number;
  readonly #offsets: number[];
  readonly #width: number;
  readonly #ring: Float64Array[];
  readonly #ringRows: number[];
  readonly #ringPredictions: number[];
  readonly #sum: Float64Array;
  readonly #perBucket: number;
  #head = 0;
  #rows = 0;
  #predictions = 0;

  constructor(specOrReference: Spec | CompiledReference, options: DriftMonitorOptions = {}) {
    this.reference = "specVersion" in specOrReference ? compileReference(specOrReference) : specOrReference;
    this.thresholds = resolveThresholds(options.thresholds);
    this.windowSize = options.windowSize ?? 10_000;
    const buckets = Number.isFinite(this.windowSize) ? (options.buckets ?? 10) : 1;
    if (!(this.windowSize >= 1)) throw new RangeError(`windowSize must be >= 1, got ${this.windowSize}`);
    if (!Number.isInteger(buckets) || buckets < 1)
      throw new RangeError(`buckets must be an integer >= 1, got ${buckets}`);
    this.#perBucket = Number.isFinite(this.windowSize)
      ? Math.max(1, Math.ceil(this.windowSize / buckets))
      : Infinity;
    this.#offsets = [];
    let off = 0;
    for (const b of this.reference.fields) {
      this.#offsets.push(off);
      off += width(b);
    }
    this.#offsets.push(off);
    if (this.reference.prediction) off += width(this.reference.prediction);
    this.#width = off;
    this.#ring = Array.from({ length: buckets }, () => new Float64Array(off));
    this.#ringRows = new Array(buckets).fill(0);
    this.#ringPredictions = new Array(buckets).fill(0);
    this.#sum = new Float64Array(off);
  }

  /** Records in the window now. */
  get rows(): number {
    return this.#rows;
  }

  /**
   * Counts records (field name → value; values as the API takes them, or CSV text). `outputs[i]` is the
   * model's result for `records[i]` (`{ probability }`, `{ value }` or `{ prediction }`), when known.
   */
  observe(records: Iterable<unknown>, outputs?: ArrayLike<unknown>): void {
    const fields = this.reference.fields;
    const pred = this.reference.prediction;
    const key = this.reference.predictionKey;
    const predOff = this.#offsets[fields.length];
    let i = 0;
    for (const rec of records) {
      if (this.#ringRows[this.#head] >= this.#perBucket) this.#advance();
      const bucket = this.#ring[this.#head];
      const r = rec !== null && typeof rec === "object" ? (rec as Record<string, unknown>) : {};
      for (let f = 0; f < fields.length; f++) {
        const k = this.#offsets[f] + binValue(fields[f], r[fields[f].name]);
        bucket[k]++;
        this.#sum[k]++;
      }
      this.#ringRows[this.#head]++;
      this.#rows++;
      if (pred && outputs && i < outputs.length) {
        const v = predictionValue(outputs[i], key);
        if (v !== undefined) {
          const k = predOff + binValue(pred, v);
          bucket[k]++;
          this.#sum[k]++;
          this.#ringPredictions[this.#head]++;
          this.#predictions++;
        }
      }
      i++;
    }
  }

  /** The drift report of the current window. */
  report(): DriftReport {
    return buildReport(this.reference, this.#sum, this.#rows, this.thresholds, this.#predictions);
  }

  /** Empties the window. */
  reset(): void {
    for (const b of this.#ring) b.fill(0);
    this.#sum.fill(0);
    this.#ringRows.fill(0);
    this.#ringPredictions.fill(0);
    this.#rows = 0;
    this.#predictions = 0;
    this.#head = 0;
  }

  /** Bytes of count storage (fixed at construction). */
  get memoryBytes(): number {
    return (this.#ring.length + 1) * this.#width * 8;
  }

  #advance(): void {
    this.#head = (this.#head + 1) % this.#ring.length;
    const old = this.#ring[this.#head];
    for (let k = 0; k < old.length; k++) {
      if (old[k] !== 0) {
        this.#sum[k] -= old[k];
        old[k] = 0;
      }
    }
    this.#rows -= this.#ringRows[this.#head];
    this.#predictions -= this.#ringPredictions[this.#head];
    this.#ringRows[this.#head] = 0;
    this.#ringPredictions[this.#head] = 0;
  }
}

/**
 * One DriftMonitor per model name (the server's view). A model reloaded with a different spec gets a
 * fresh monitor: its reference changed, so old counts no longer compare.
 */
export class DriftRegistry {
  readonly #monitors = new Map<string, { spec: Spec; monitor: DriftMonitor | null }>();

  constructor(readonly options: DriftMonitorOptions = {}) {}

  /** Counts records predicted by `model`; models whose spec has no reference are ignored. */
  observe(model: string, spec: Spec, records: Iterable<unknown>, outputs?: ArrayLike<unknown>): void {
    let slot = this.#monitors.get(model);
    if (!slot || slot.spec !== spec) {
      slot = { spec, monitor: spec.reference ? new DriftMonitor(spec, this.options) : null };
      this.#monitors.set(model, slot);
    }
    slot.monitor?.observe(records, outputs);
  }

  get(model: string): DriftMonitor | undefined {
    return this.#monitors.get(model)?.monitor ?? undefined;
  }

  models(): string[] {
    return [...this.#monitors.entries()].filter(([, s]) => s.monitor).map(([m]) => m);
  }

  reports(): Record<string, DriftReport> {
    const out: Record<string, DriftReport> = {};
    for (const [name, s] of this.#monitors) if (s.monitor) out[name] = s.monitor.report();
    return out;
  }
}
