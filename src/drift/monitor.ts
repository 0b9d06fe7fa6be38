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
import { type FieldReader, fieldReader } from "../bundle/field-reader.js";
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
  /** Reads a record's values of the reference fields, in order, into #values (see field-reader.ts). */
  readonly #read: FieldReader;
  readonly #values: unknown[];
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
    this.#read = fieldReader(this.reference.fields.map((b) => b.name));
    this.#values = new Array(this.reference.fields.length).fill(undefined);
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
    let i = 0;
    for (const rec of records) {
      this.observeOne(rec, outputs !== undefined && i < outputs.length ? outputs[i] : undefined);
      i++;
    }
  }

  /**
   * Counts one record and, when given, the model's output for it. The server's per-request call: the
   * state it needs is read into locals once (it runs for every prediction served).
   */
  observeOne(record: unknown, output?: unknown): void {
    if (this.#ringRows[this.#head] >= this.#perBucket) this.#advance();
    const head = this.#head;
    const bucket = this.#ring[head];
    const sum = this.#sum;
    const offsets = this.#offsets;
    const fields = this.reference.fields;
    const values = this.#values;
    this.#read(record !== null && typeof record === "object" ? record : {}, values);
    for (let f = 0; f < fields.length; f++) {
      const k = offsets[f] + binValue(fields[f], values[f]);
      bucket[k]++;
      sum[k]++;
    }
    this.#ringRows[head]++;
    this.#rows++;
    const pred = this.reference.prediction;
    if (pred && output !== undefined) {
      const v = predictionValue(output, this.reference.predictionKey);
      if (v !== undefined) {
        const k = offsets[fields.length] + binValue(pred, v);
        bucket[k]++;
        sum[k]++;
        this.#ringPredictions[head]++;
        this.#predictions++;
      }
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
    this.#monitorOf(model, spec)?.observe(records, outputs);
  }

  /** observe() for one record and its output (the /predict route's call). */
  observeOne(model: string, spec: Spec, record: unknown, output?: unknown): void {
    this.#monitorOf(model, spec)?.observeOne(record, output);
  }

  /** The model's monitor for this spec (a new one when the spec changed); null without a reference. */
  #monitorOf(model: string, spec: Spec): DriftMonitor | null {
    let slot = this.#monitors.get(model);
    if (!slot || slot.spec !== spec) {
      slot = { spec, monitor: spec.reference ? new DriftMonitor(spec, this.options) : null };
      this.#monitors.set(model, slot);
    }
    return slot.monitor;
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
