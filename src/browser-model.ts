/**
 * Model in the browser entry (`lightgbm-node/js`): a bundle loaded from its two texts, from URLs, or from
 * fetch responses and files, predicting records with the same pipeline as the Node SDK (src/model-base.ts:
 * the same encoder, validation errors and output transform). Only loading and the engine differ: the
 * engine is a factory (default: the pure TypeScript engine), so another browser-safe engine can be
 * plugged in.
 *
 *   const model = await Model.load("/models/hr-attrition/", { task: "binary" }); // model.txt + spec.json
 *   model.predict({ satisfaction_level: 0.38, ... }).probability;
 *
 * No `node:` imports.
 */
import type { EncoderOptions } from "./bundle/encoder.js";
import { parseSpec, type Spec, type Task, validateSpec } from "./bundle/spec.js";
import type { Engine } from "./engines/engine.js";
import { JsEngine } from "./engines/js/index.js";
import { ValidationError } from "./errors.js";
import { adoptEngine, BaseModel, type ModelOptions, type TaskOptions } from "./model-base.js";

/** Makes the engine for a model text: `(text) => JsEngine.fromString(text)` by default. */
export type EngineFactory = (modelText: string) => Engine | Promise<Engine>;

/** Options of the browser Model's loaders: how records are read, the expected task, the engine. */
export type BrowserLoadOptions = EncoderOptions & {
  /** The task the caller expects; loading fails with a ValidationError when the model's is another. */
  task?: Task;
  /** Builds the engine from the model text (default: the pure TypeScript engine, JsEngine). */
  engine?: EngineFactory;
};

/** A bundle's two texts: `model.txt`, and `spec.json` as text or as its parsed JSON (optional: a bare model). */
export interface BundleTexts {
  model: string;
  spec?: string | Spec;
}

/** Where a file comes from: a URL (resolved against the page), a fetch Response, or a Blob / File. */
export type FileSource = string | URL | Response | Blob;

/** A bundle's two files, each from a URL, a Response or a Blob (spec optional: a bare model). */
export interface BundleSources {
  model: FileSource;
  spec?: FileSource;
}

const jsEngine: EngineFactory = (text) => JsEngine.fromString(text);

export class Model<T extends Task = Task> extends BaseModel<T> {
  /**
   * Loads a bundle: a folder URL (its `model.txt`, and its `spec.json` unless that answers 404: a bare
   * model), or each file from a URL, a fetch Response or a Blob. With `{ task }` the model must have
   * that task, and results are typed for it.
   */
  static load<T extends Task>(
    bundle: string | URL | BundleSources,
    options: BrowserLoadOptions & { task: T },
  ): Promise<Model<T>>;
  static load(bundle: string | URL | BundleSources, options?: BrowserLoadOptions): Promise<Model>;
  static async load(bundle: string | URL | BundleSources, options: BrowserLoadOptions = {}): Promise<Model> {
    let model: string;
    let spec: string | undefined;
    if (typeof bundle === "string" || bundle instanceof URL) {
      const folder = folderUrl(bundle);
      const [modelRes, specRes] = await Promise.all([
        fetch(new URL("model.txt", folder)),
        fetch(new URL("spec.json", folder)),
      ]);
      model = await textOf(modelRes, "model");
      spec = specRes.status === 404 ? undefined : await textOf(specRes, "spec");
    } else if (bundle !== null && typeof bundle === "object" && "model" in bundle) {
      [model, spec] = await Promise.all([
        textOf(bundle.model, "model"),
        bundle.spec === undefined ? undefined : textOf(bundle.spec, "spec"),
      ]);
    } else {
      throw new TypeError(
        "bundle must be a folder URL or { model, spec? } (each a URL, a fetch Response or a Blob)",
      );
    }
    return Model.fromTexts({ model, spec }, options);
  }

  /** A bundle from its texts: `model.txt` and (optionally) `spec.json`, as text or parsed JSON. */
  static fromTexts<T extends Task>(
    texts: BundleTexts,
    options: BrowserLoadOptions & { task: T },
  ): Promise<Model<T>>;
  static fromTexts(texts: BundleTexts, options?: BrowserLoadOptions): Promise<Model>;
  static async fromTexts(texts: BundleTexts, options: BrowserLoadOptions = {}): Promise<Model> {
    if (texts === null || typeof texts !== "object" || typeof texts.model !== "string") {
      throw new TypeError("fromTexts needs { model: string, spec?: string | object }");
    }
    const spec =
      texts.spec === undefined
        ? undefined
        : typeof texts.spec === "string"
          ? parseSpec(texts.spec)
          : validateSpec(texts.spec);
    const engine = await (options.engine ?? jsEngine)(texts.model);
    return adoptEngine(engine, () => new Model(engine, { ...options, spec }, spec ? undefined : texts.model));
  }

  /** Wraps an engine you built yourself (the model takes ownership). */
  static fromEngine<T extends Task>(engine: Engine, options: ModelOptions & TaskOptions<T>): Model<T>;
  static fromEngine(engine: Engine, options?: ModelOptions): Model;
  static fromEngine(engine: Engine, options: ModelOptions = {}): Model {
    return adoptEngine(engine, () => new Model(engine, options));
  }
}

/** A folder URL, resolved against the page, with the trailing slash relative URLs need. */
function folderUrl(url: string | URL): URL {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const u = new URL(url, base);
  if (!u.pathname.endsWith("/")) u.pathname += "/";
  return u;
}

/** The text of a file source; a failed HTTP answer is an error naming the file and the status. */
async function textOf(source: FileSource, what: "model" | "spec"): Promise<string> {
  if (typeof source === "string" || source instanceof URL) {
    const base = (globalThis as { location?: { href: string } }).location?.href;
    return textOf(await fetch(new URL(source, base)), what);
  }
  if (typeof Response !== "undefined" && source instanceof Response) {
    if (!source.ok) {
      throw new ValidationError([
        {
          field: what,
          message: `${source.url || "the response"} answered ${source.status} ${source.statusText}`.trim(),
        },
      ]);
    }
    return source.text();
  }
  if (typeof Blob !== "undefined" && source instanceof Blob) return source.text();
  throw new TypeError(`${what} must be a URL, a fetch Response or a Blob`);
}
