/**
 * The model repository: one bundle folder, or a folder of bundles (`<name>/` or `<name>/<version>/`),
 * loaded side by side. Reload swaps a model atomically: requests already holding the old one finish on
 * it, new requests get the new one, and a file that fails to load leaves the old model serving.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Logger } from "pino";
import type { ServingEngineChoice } from "../engines/create.js";
import { Model } from "../model.js";
import type { HistogramChild } from "./fast-metrics.js";
import type { Metrics, PredictionCounter } from "./metrics.js";
import { MicroBatcher, type MicroBatchOptions } from "./microbatch.js";

export interface ModelEntry {
  name: string;
  version: string;
  path: string;
  sha256: string;
  loadedAt: string;
  loadMs: number;
  /** The model: every prediction goes through it (its pipeline) or through the batcher over it. */
  model: Model;
  batcher: MicroBatcher;
  /** Records-per-request histogram children, per route. */
  rows: Record<PredictionRoute, HistogramChild>;
  /** Predictions per class (lgbm_predictions_total) of this model version. */
  predictions: PredictionCounter;
  /** Requests using this entry right now; a retired entry is disposed when this reaches 0. */
  inflight: number;
  retired: boolean;
}

/** What predicts, as labelled in metrics and the prediction log. */
export const PREDICTION_ROUTES = ["predict", "batch", "infer", "grpc_infer"] as const;
export type PredictionRoute = (typeof PREDICTION_ROUTES)[number];

interface Location {
  name: string;
  version: string;
  path: string;
}

/** A bundle that did not load, and why (paths inside the repository shown relative to it). */
export interface LoadFailure {
  model: string;
  error: string;
}

/**
 * New entries loaded from disk but not serving yet: a reload's first phase. settle() installs the
 * ones to commit and frees the others, so a server of several processes swaps models only where every
 * process loaded them (cluster.ts), and a one-process server does both at once (reload()).
 */
export interface Prepared {
  entries: ModelEntry[];
  failed: LoadFailure[];
}

export interface RepositoryOptions {
  engine: ServingEngineChoice;
  numThreads: number;
  /** Fields absent from a record (undefined: the model's default; see ServerConfig). */
  absentFields?: "error" | "missing";
  batch: Omit<MicroBatchOptions, "onBatch">;
}

const isBundle = (dir: string) => existsSync(join(dir, "model.txt"));
const labelOf = (e: { name: string; version: string }) => `${e.name}/${e.version}`;

function readSpecMeta(dir: string): { name?: string; version?: string } {
  try {
    const spec = JSON.parse(readFileSync(join(dir, "spec.json"), "utf8")) as {
      name?: unknown;
      version?: unknown;
    };
    return {
      name: typeof spec.name === "string" ? spec.name : undefined,
      version: spec.version === undefined ? undefined : String(spec.version),
    };
  } catch {
    return {};
  }
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const versionOrder = new Intl.Collator("en", { numeric: true });
function compareVersions(a: string, b: string): number {
  return versionOrder.compare(a, b);
}

/** Where the bundles under `root` are. */
export function scanRepository(root: string): Location[] {
  const abs = resolve(root);
  if (!existsSync(abs)) throw new Error(`${root} does not exist`);
  if (!statSync(abs).isDirectory()) {
    // A bare model.txt file.
    return [{ name: basename(abs).replace(/\.txt$/, "") || "model", version: "1", path: abs }];
  }
  if (isBundle(abs)) {
    const meta = readSpecMeta(abs);
    const name = meta.name && NAME_RE.test(meta.name) ? meta.name : basename(abs);
    return [{ name, version: meta.version ?? "1", path: abs }];
  }
  const out: Location[] = [];
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    if (!entry.isDirectory() || !NAME_RE.test(entry.name)) continue;
    const dir = join(abs, entry.name);
    if (isBundle(dir)) {
      out.push({ name: entry.name, version: readSpecMeta(dir).version ?? "1", path: dir });
      continue;
    }
    for (const v of readdirSync(dir, { withFileTypes: true })) {
      if (v.isDirectory() && NAME_RE.test(v.name) && isBundle(join(dir, v.name))) {
        out.push({ name: entry.name, version: v.name, path: join(dir, v.name) });
      }
    }
  }
  if (out.length === 0)
    throw new Error(
      `${root} holds no model: expected model.txt, <name>/model.txt or <name>/<version>/model.txt`,
    );
  return out.sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version));
}

export class ModelRepository {
  /** name → version → entry */
  private readonly models = new Map<string, Map<string, ModelEntry>>();
  /** name → its highest version's entry (what a request without a version gets), kept by install(). */
  private readonly latest = new Map<string, ModelEntry>();
  ready = false;

  constructor(
    readonly root: string,
    private readonly options: RepositoryOptions,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Loads every bundle; a bundle that fails here fails the start (there is nothing older to keep). */
  async loadAll(): Promise<void> {
    for (const loc of scanRepository(this.root)) this.install(await this.loadOne(loc));
    this.ready = true;
  }

  names(): string[] {
    return [...this.models.keys()];
  }

  versions(name: string): string[] {
    return [...(this.models.get(name)?.keys() ?? [])].sort(compareVersions);
  }

  entries(): ModelEntry[] {
    return [...this.models.values()].flatMap((m) => [...m.values()]);
  }

  /** The entry for name (and version; default: the highest version). */
  get(name: string, version?: string): ModelEntry | undefined {
    const byVersion = this.models.get(name);
    if (!byVersion) return undefined;
    if (version !== undefined) return byVersion.get(version);
    return this.latest.get(name);
  }

  /** Marks the entry in use; call release() when the request is done with it. */
  acquire(entry: ModelEntry): ModelEntry {
    entry.inflight++;
    return entry;
  }

  release(entry: ModelEntry): void {
    entry.inflight--;
    if (entry.retired && entry.inflight === 0) this.disposeLater(entry);
  }

  /**
   * Reloads one model (all its versions on disk) or every model. Errors are collected per bundle: the
   * old model keeps serving where the new file does not load.
   */
  async reload(name?: string): Promise<{ loaded: string[]; failed: LoadFailure[] }> {
    const prepared = await this.prepare(name);
    const loaded = this.settle(prepared, new Set(prepared.entries.map(labelOf)));
    return { loaded, failed: prepared.failed };
  }

  /**
   * A reload's first phase: loads one model (all its versions on disk) or every model into new entries
   * that do not serve yet. Every failure is logged at error and counted (lgbm_model_reloads_total
   * {result="failed"}) here: a bundle that does not load, a model the request names that is not on disk,
   * a loaded model whose files are gone, a repository that cannot be read at all.
   */
  async prepare(name?: string): Promise<Prepared> {
    const entries: ModelEntry[] = [];
    const failed: LoadFailure[] = [];
    const fail = (model: string, label: string, error: string) => {
      failed.push({ model: label, error: this.redact(error) });
      this.metrics.reloads.inc({ model, result: "failed" });
      this.log.error(
        { model: label, err: this.redact(error) },
        "model reload failed; the previous model keeps serving",
      );
    };
    let locations: Location[];
    try {
      locations = scanRepository(this.root);
    } catch (err) {
      const names = name === undefined ? this.names() : [name];
      for (const n of names.length > 0 ? names : ["*"]) fail(n, n, (err as Error).message);
      return { entries, failed };
    }
    const wanted = name === undefined ? locations : locations.filter((l) => l.name === name);
    if (name !== undefined && wanted.length === 0) {
      fail(name, name, `no model named ${name} in the model repository`);
      return { entries, failed };
    }
    for (const loc of wanted) {
      try {
        entries.push(await this.loadOne(loc));
      } catch (err) {
        fail(loc.name, `${loc.name}/${loc.version}`, (err as Error).message);
      }
    }
    // A model still served whose files are all gone keeps serving, and says so.
    if (name === undefined) {
      for (const n of this.names()) {
        if (!locations.some((l) => l.name === n))
          fail(n, n, "its files are no longer in the model repository");
      }
    }
    return { entries, failed };
  }

  /**
   * A reload's second phase: installs the prepared entries whose label (name/version) is in `commit`,
   * frees the others (counted as failed, with `reasons` saying why: another process did not load them).
   * Returns the labels installed.
   */
  settle(prepared: Prepared, commit: ReadonlySet<string>, reasons: Record<string, string> = {}): string[] {
    const loaded: string[] = [];
    for (const entry of prepared.entries) {
      const label = labelOf(entry);
      if (commit.has(label)) {
        this.install(entry);
        loaded.push(label);
        this.metrics.reloads.inc({ model: entry.name, result: "ok" });
        this.log.info({ model: entry.name, version: entry.version, sha256: entry.sha256 }, "model reloaded");
      } else {
        entry.model.dispose();
        this.metrics.reloads.inc({ model: entry.name, result: "failed" });
        this.log.error(
          { model: label, err: reasons[label] ?? "not committed" },
          "model reload abandoned; the previous model keeps serving",
        );
      }
    }
    return loaded;
  }

  /** A message without the server's own paths: the repository's folder is "the model repository". */
  redact(message: string): string {
    let out = message;
    for (const p of new Set([resolve(this.root), this.root])) {
      if (p.length > 1) out = out.split(p).join("<model repository>");
    }
    return out;
  }

  /**
   * Stops serving a model, every version of it (the repository extension's unload): requests holding it
   * finish first. reload(name) serves it again. False when no such model is loaded.
   */
  unload(name: string): boolean {
    const byVersion = this.models.get(name);
    if (!byVersion) return false;
    this.models.delete(name);
    this.latest.delete(name);
    for (const entry of byVersion.values()) this.retire(entry);
    this.log.info({ model: name }, "model unloaded");
    return true;
  }

  /** Waits for queued micro-batches, then frees every model. */
  async close(): Promise<void> {
    for (const e of this.entries()) await e.batcher.drain();
    for (const e of this.entries()) e.model.dispose();
    this.models.clear();
    this.latest.clear();
    this.ready = false;
  }

  private async loadOne(loc: Location): Promise<ModelEntry> {
    const t0 = performance.now();
    const modelFile = statSync(loc.path).isDirectory() ? join(loc.path, "model.txt") : loc.path;
    const sha256 = createHash("sha256").update(readFileSync(modelFile)).digest("hex");
    const model = await Model.load(loc.path, {
      engine: this.options.engine,
      numThreads: this.options.numThreads,
      absentFields: this.options.absentFields,
    });
    const loadMs = performance.now() - t0;
    const batchRows = this.metrics.batchRows.child(loc.name);
    const batcher = new MicroBatcher(model, {
      ...this.options.batch,
      onBatch: (rows) => batchRows.observe(rows),
    });
    return {
      ...loc,
      sha256,
      loadedAt: new Date().toISOString(),
      loadMs,
      model,
      batcher,
      rows: Object.fromEntries(
        PREDICTION_ROUTES.map((route) => [route, this.metrics.rowsChild(loc.name, route)]),
      ) as Record<PredictionRoute, HistogramChild>,
      predictions: this.metrics.predictionCounter(loc.name, loc.version),
      inflight: 0,
      retired: false,
    };
  }

  private install(entry: ModelEntry): void {
    let byVersion = this.models.get(entry.name);
    if (!byVersion) {
      byVersion = new Map();
      this.models.set(entry.name, byVersion);
    }
    const old = byVersion.get(entry.version);
    byVersion.set(entry.version, entry);
    const versions = this.versions(entry.name);
    this.latest.set(entry.name, byVersion.get(versions[versions.length - 1]) as ModelEntry);
    this.metrics.modelLoadSeconds.set({ model: entry.name, version: entry.version }, entry.loadMs / 1000);
    if (old) this.retire(old);
    this.metrics.modelInfo.set(
      {
        model: entry.name,
        version: entry.version,
        engine: entry.model.engine.name,
        objective: entry.model.info.objective,
        sha256: entry.sha256,
      },
      1,
    );
  }

  /** No new request gets the entry; it is freed once the requests holding it are done. */
  private retire(entry: ModelEntry): void {
    this.metrics.modelInfo.remove({
      model: entry.name,
      version: entry.version,
      engine: entry.model.engine.name,
      objective: entry.model.info.objective,
      sha256: entry.sha256,
    });
    entry.retired = true;
    if (entry.inflight === 0) this.disposeLater(entry);
  }

  private disposeLater(entry: ModelEntry): void {
    entry.batcher.drain().then(
      () => entry.model.dispose(),
      () => entry.model.dispose(),
    );
  }
}
