/**
 * Counters and histograms for the request path. prom-client validates and hashes the labels on every
 * inc/observe, even through `labels()` children (about 2–5 µs a call, several calls a request); these
 * resolve a label set once to a child that only adds numbers, and hand prom-client's registry the same
 * values at scrape time (a metric is any object with name, help, type and get()).
 */
import type client from "prom-client";

type Labels = Record<string, string>;

export interface CounterChild {
  inc(n?: number): void;
}

export interface HistogramChild {
  observe(value: number): void;
}

export class FastCounter {
  readonly type = "counter";
  readonly aggregator = "sum";
  private readonly series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: string[],
    registers: client.Registry[],
  ) {
    for (const r of registers) r.registerMetric(this as unknown as client.Metric);
  }

  /** The child for these label values (given in labelNames order). */
  child(...values: string[]): CounterChild {
    const key = values.join("\u0000");
    let s = this.series.get(key);
    if (!s) {
      s = { labels: Object.fromEntries(this.labelNames.map((n, i) => [n, values[i]])), value: 0 };
      this.series.set(key, s);
    }
    const entry = s;
    return {
      inc(n = 1) {
        entry.value += n;
      },
    };
  }

  get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [...this.series.values()].map((s) => ({ labels: s.labels, value: s.value })),
    };
  }

  reset(): void {
    this.series.clear();
  }
}

export class FastHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly series = new Map<
    string,
    { labels: Labels; counts: Float64Array; sum: number; count: number }
  >();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: string[],
    private readonly buckets: number[],
    registers: client.Registry[],
  ) {
    for (const r of registers) r.registerMetric(this as unknown as client.Metric);
  }

  child(...values: string[]): HistogramChild {
    const key = values.join("\u0000");
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: Object.fromEntries(this.labelNames.map((n, i) => [n, values[i]])),
        counts: new Float64Array(this.buckets.length),
        sum: 0,
        count: 0,
      };
      this.series.set(key, s);
    }
    const entry = s;
    const bounds = this.buckets;
    return {
      observe(value: number) {
        if (!Number.isFinite(value)) return;
        entry.sum += value;
        entry.count++;
        for (let i = 0; i < bounds.length; i++) {
          if (value <= bounds[i]) {
            entry.counts[i]++;
            return;
          }
        }
      },
    };
  }

  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i];
        values.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...s.labels, le: "+Inf" }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
