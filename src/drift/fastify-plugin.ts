/**
 * Drift in the server: `GET /drift` (every model's report), `GET /drift/:model`, and Prometheus gauges
 * computed at scrape time from the same rolling windows:
 *
 *   lgbm_drift_psi{model,field}          PSI of each input field against the bundle's reference
 *   lgbm_drift_prediction_psi{model}     PSI of the prediction distribution
 *   lgbm_drift_window_rows{model}        records in the rolling window
 *
 * The plugin reads a DriftRegistry; whoever predicts feeds it (`drift.observe(model, spec, records,
 * results)`). Wiring in the server app:
 *
 *   const drift = new DriftRegistry();
 *   await app.register(driftPlugin, { drift, registry: metrics.registry });
 *   // where predictions are logged (the server's Predictions):
 *   drift.observe(entry.name, entry.model.spec, records, results);
 */
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import client from "prom-client";
import { DriftRegistry } from "./monitor.js";

export interface DriftPluginOptions {
  /** The monitors (default: a new registry with a 10 000-record window per model). */
  drift?: DriftRegistry;
  /** The prom-client registry the gauges go to (default: prom-client's global registry). */
  registry?: client.Registry;
  /** Route prefix (default ""). */
  prefix?: string;
}

/** The DriftRegistries each prom registry's gauges read (several apps may share one prom registry). */
const sources = new WeakMap<client.Registry, Set<DriftRegistry>>();

export const driftPlugin: FastifyPluginAsync<DriftPluginOptions> = async (app: FastifyInstance, opts) => {
  const drift = opts.drift ?? new DriftRegistry();
  const registers = [opts.registry ?? client.register];
  const prefix = opts.prefix ?? "";

  // One set of gauges per prom registry.
  let feeds = sources.get(registers[0]);
  if (!feeds) {
    const all = new Set<DriftRegistry>();
    feeds = all;
    sources.set(registers[0], all);
    const reports = () => [...all].flatMap((d) => Object.entries(d.reports()));
    // Each gauge computes at its own scrape (prom-client collects gauges concurrently).
    new client.Gauge({
      name: "lgbm_drift_psi",
      aggregator: "average", // across --workers: each worker sees its own traffic
      help: "Population stability index of an input field against the bundle's reference (0.1: warn, 0.25: drift)",
      labelNames: ["model", "field"],
      registers,
      collect() {
        this.reset();
        for (const [model, r] of reports())
          for (const f of r.fields) this.set({ model, field: f.name }, f.psi);
      },
    });
    new client.Gauge({
      name: "lgbm_drift_prediction_psi",
      aggregator: "average", // across --workers: each worker sees its own traffic
      help: "Population stability index of the prediction distribution against the bundle's reference",
      labelNames: ["model"],
      registers,
      collect() {
        this.reset();
        for (const [model, r] of reports()) if (r.prediction) this.set({ model }, r.prediction.psi);
      },
    });
    new client.Gauge({
      name: "lgbm_drift_window_rows",
      aggregator: "sum", // across --workers: rows of every worker
      help: "Records in the drift monitor's rolling window",
      labelNames: ["model"],
      registers,
      collect() {
        this.reset();
        for (const [model, r] of reports()) this.set({ model }, r.rows);
      },
    });
  }

  feeds.add(drift);
  app.addHook("onClose", async () => {
    feeds.delete(drift);
  });

  app.get(`${prefix}/drift`, { schema: driftSchema }, async () => ({ models: drift.reports() }));

  app.get<{ Params: { model: string } }>(
    `${prefix}/drift/:model`,
    { schema: modelDriftSchema },
    async (req, reply) => {
      const m = drift.get(req.params.model);
      if (!m) {
        reply.code(404);
        return {
          error: `no drift data for model ${JSON.stringify(req.params.model)}: unknown model, no prediction yet, or its spec.json has no reference statistics`,
          code: "ERR_NOT_FOUND",
        };
      }
      return m.report();
    },
  );
};

export { DriftRegistry };

const quantity = {
  type: "object",
  required: [
    "name",
    "kind",
    "psi",
    "flag",
    "count",
    "unknownShare",
    "missingShare",
    "referenceMissingShare",
    "bins",
  ],
  properties: {
    name: { type: "string" },
    kind: { type: "string", enum: ["numeric", "category"] },
    psi: { type: "number", description: "Population stability index against the reference" },
    flag: { type: "string", enum: ["ok", "warn", "drift"] },
    ks: { type: "number", description: "Binned KS statistic (numeric fields)" },
    count: { type: "integer", description: "Live values counted" },
    unknownShare: { type: "number" },
    missingShare: { type: "number" },
    referenceMissingShare: { type: "number" },
    bins: {
      type: "array",
      items: {
        type: "object",
        required: ["label", "reference", "live"],
        properties: { label: { type: "string" }, reference: { type: "number" }, live: { type: "number" } },
      },
    },
  },
};

/** One model's drift report (DriftReport in report.ts). */
const report = {
  type: "object",
  required: ["generatedAt", "rows", "thresholds", "summary", "fields", "reference"],
  properties: {
    generatedAt: { type: "string", format: "date-time" },
    rows: { type: "integer", description: "Live records in the rolling window" },
    thresholds: {
      type: "object",
      required: ["warn", "drift", "minCount"],
      properties: { warn: { type: "number" }, drift: { type: "number" }, minCount: { type: "integer" } },
    },
    summary: {
      type: "object",
      required: ["fields", "ok", "warn", "drift"],
      properties: {
        fields: { type: "integer" },
        ok: { type: "integer" },
        warn: { type: "integer" },
        drift: { type: "integer" },
        worst: { type: "string" },
        worstPsi: { type: "number" },
      },
    },
    fields: { type: "array", items: quantity, description: "Worst first" },
    prediction: quantity,
    reference: {
      type: "object",
      properties: { source: { type: "string" }, rows: { type: "integer" } },
    },
  },
};

const driftSchema = {
  tags: ["drift"],
  summary: "Input drift of every model",
  response: {
    200: {
      type: "object",
      required: ["models"],
      properties: { models: { type: "object", additionalProperties: report, description: "By model name" } },
    },
  },
};

const modelDriftSchema = {
  tags: ["drift"],
  summary: "Input drift of one model",
  params: { type: "object", required: ["model"], properties: { model: { type: "string" } } },
  response: {
    200: report,
    404: {
      description: "No drift data for this model",
      type: "object",
      required: ["error"],
      properties: { error: { type: "string" }, code: { type: "string" } },
    },
  },
};

/**
 * Registers the plugin on `app` with a new DriftRegistry and returns it: the server's one-line wiring
 * (`const drift = await registerDrift(app, metrics.registry)`), then `drift.observe(...)` per prediction.
 */
export async function registerDrift(
  // Any fastify instance, whatever its logger type (the server's is pino's Logger).
  // biome-ignore lint/suspicious/noExplicitAny: fastify's own generic parameters
  app: FastifyInstance<any, any, any, any, any>,
  registry?: client.Registry,
  options?: ConstructorParameters<typeof DriftRegistry>[0],
): Promise<DriftRegistry> {
  const drift = new DriftRegistry(options);
  await app.register(driftPlugin, { drift, registry });
  return drift;
}
