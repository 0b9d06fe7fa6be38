/**
 * Server configuration: defaults per profile, overridden by environment variables, overridden by CLI
 * flags. Every setting has an LGBM_* variable; docs/server.md lists them all.
 */
import { readFileSync } from "node:fs";
import type { LevelWithSilent } from "pino";
import type { ServingEngineChoice } from "../engines/create.js";
import { MAX_API_KEY_BYTES } from "./http/api-keys.js";

export type Profile = "development" | "test" | "acceptance" | "production";
export const PROFILES: Profile[] = ["development", "test", "acceptance", "production"];

export interface ServerConfig {
  profile: Profile;
  /** A bundle folder (model.txt [+ spec.json]) or a repository folder of bundles. */
  modelPath: string;
  host: string;
  port: number;
  /** The Open Inference Protocol over gRPC on this port; 0: off (KServe's convention is 8081, Triton's 8001). */
  grpcPort: number;
  workers: number;
  engine: ServingEngineChoice;
  logLevel: LevelWithSilent;
  logFormat: "json" | "pretty";
  /** Also append the server log (JSON lines) to this file. */
  logFile?: string;
  /** Log one line per completed request (fastify's request logging). */
  logRequests: boolean;
  /** Append every prediction as a JSON line to this file (off when undefined). */
  predictionLog?: string;
  /** Rotate the prediction log when it passes this many bytes. */
  predictionLogMaxBytes: number;
  /** Rotated files kept (file.1 … file.N). */
  predictionLogKeep: number;
  docs: boolean;
  /** SHA-256 digests are taken at start-up; the keys themselves are not kept. */
  apiKeys: string[];
  authRequired: boolean;
  /** Requests per minute per API key (or client IP without auth); 0 disables rate limiting. */
  rateLimit: number;
  bodyLimit: number;
  /**
   * Largest response a prediction request may make, estimated from the request before any work is done
   * (rows × the model's output widths); over it: 413 (classic), 400 (V2), RESOURCE_EXHAUSTED (gRPC).
   */
  maxResponseBytes: number;
  /**
   * Longest engine time a request's V2 `leaf` / `contrib` outputs may take, estimated from their cost
   * per row on the model (measured on first use) before any of it runs.
   */
  maxWorkMs: number;
  /**
   * Failed API-key attempts per minute from one client IP before every request from it with a key is
   * refused (429) for the rest of the minute; 0: unlimited.
   */
  authFailLimit: number;
  /** fastify's trustProxy: whose X-Forwarded-For names the client (for per-IP limits); false: none. */
  trustProxy: boolean | number | string;
  microbatch: boolean;
  maxBatchSize: number;
  /** Extra time a micro-batch waits for more requests (0: only what arrived while the last batch ran). */
  maxWaitMs: number;
  /**
   * Engine calls with fewer rows run on the event loop; larger ones on the thread pool. Undefined: per
   * model, the rows that take about ASYNC_MIN_MICROS to predict (see MicroBatcher).
   */
  asyncMinRows: number | undefined;
  /** Threads for one native batch prediction. */
  numThreads: number;
  /**
   * Fields absent from a record: `error` (422 naming them) or `missing`; undefined keeps each model's
   * default (its spec's: error for a bare model.txt and lgbm bundle, missing for lgbm train bundles).
   */
  absentFields?: "error" | "missing";
  /** Time graceful shutdown waits for in-flight requests before closing anyway. */
  shutdownTimeoutMs: number;
}

interface ProfileDefaults {
  logLevel: LevelWithSilent;
  logFormat: "json" | "pretty";
  logRequests: boolean;
  docs: boolean;
  authRequired: boolean;
  rateLimit: number;
}

export const PROFILE_DEFAULTS: Record<Profile, ProfileDefaults> = {
  development: {
    logLevel: "debug",
    logFormat: "pretty",
    logRequests: true,
    docs: true,
    authRequired: false,
    rateLimit: 0,
  },
  test: {
    logLevel: "warn",
    logFormat: "json",
    logRequests: false,
    docs: true,
    authRequired: false,
    rateLimit: 0,
  },
  acceptance: {
    logLevel: "info",
    logFormat: "json",
    logRequests: true,
    docs: true,
    authRequired: true,
    rateLimit: 0,
  },
  production: {
    logLevel: "info",
    logFormat: "json",
    logRequests: false,
    docs: false,
    authRequired: true,
    rateLimit: 600_000,
  },
};

/** Flags as commander hands them over (all optional; undefined means "not given"). */
export interface ServeFlags {
  profile?: string;
  port?: string | number;
  grpcPort?: string | number;
  host?: string;
  workers?: string | number;
  engine?: string;
  logLevel?: string;
  logFormat?: string;
  logFile?: string;
  logRequests?: boolean;
  predictionLog?: string;
  predictionLogMaxBytes?: string | number;
  predictionLogKeep?: string | number;
  docs?: boolean;
  apiKeysFile?: string;
  rateLimit?: string | number;
  bodyLimit?: string | number;
  maxResponseBytes?: string | number;
  maxWorkMs?: string | number;
  authFailLimit?: string | number;
  trustProxy?: string;
  microbatch?: boolean;
  maxBatchSize?: string | number;
  maxWaitMs?: string | number;
  asyncMinRows?: string | number;
  numThreads?: string | number;
  absentFields?: string;
  shutdownTimeoutMs?: string | number;
}

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

export class ConfigError extends Error {
  override name = "ConfigError";
}

function int(name: string, v: string | number | undefined, min: number): number | undefined {
  if (v === undefined || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new ConfigError(`${name} must be an integer >= ${min}, got ${v}`);
  return n;
}

function bool(name: string, v: string | undefined): boolean | undefined {
  if (v === undefined || v === "") return undefined;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`${name} must be true or false, got ${v}`);
}

/** Byte sizes: "1048576", "512kb", "10mb", "1gb". */
export function bytes(name: string, v: string | number | undefined): number | undefined {
  if (v === undefined || v === "") return undefined;
  if (typeof v === "number") return int(name, v, 1);
  const m = /^(\d+)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(v.trim());
  if (!m) throw new ConfigError(`${name} must be a size like 1048576, 512kb or 10mb, got ${v}`);
  const unit = (m[2] ?? "b").toLowerCase()[0];
  const mult = unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}

/** trustProxy as fastify takes it: true/false, a hop count (an integer), or addresses/CIDRs (comma list). */
function trustProxy(v: string | undefined): boolean | number | string | undefined {
  if (v === undefined || v === "") return undefined;
  if (/^(true|yes|on)$/i.test(v)) return true;
  if (/^(false|no|off)$/i.test(v)) return false;
  if (/^\d+$/.test(v)) return Number(v); // hops
  return v;
}

function pick<T>(...values: (T | undefined)[]): T | undefined {
  for (const v of values) if (v !== undefined) return v;
  return undefined;
}

/** API keys from LGBM_API_KEYS (comma list) and/or a file (one key a line, # comments). */
export function readApiKeys(env: NodeJS.ProcessEnv, file?: string): string[] {
  const keys = (env.LGBM_API_KEYS ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  const path = file ?? env.LGBM_API_KEYS_FILE;
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read the API keys file ${path}: ${(err as Error).message}`);
    }
    for (const line of text.split(/\r?\n/)) {
      const k = line.trim();
      if (k && !k.startsWith("#")) keys.push(k);
    }
  }
  keys.forEach((k, i) => {
    const bytes = Buffer.byteLength(k, "utf8");
    if (bytes > MAX_API_KEY_BYTES) {
      throw new ConfigError(
        `API key ${i + 1} is ${bytes} bytes; keys may be at most ${MAX_API_KEY_BYTES} bytes`,
      );
    }
  });
  return keys;
}

export function resolveConfig(
  modelPath: string,
  flags: ServeFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  const profileName =
    flags.profile ?? env.LGBM_PROFILE ?? (env.NODE_ENV === "production" ? "production" : "development");
  if (!PROFILES.includes(profileName as Profile)) {
    throw new ConfigError(`profile must be one of ${PROFILES.join(", ")}, got ${profileName}`);
  }
  const profile = profileName as Profile;
  const d = PROFILE_DEFAULTS[profile];

  const logLevel = (flags.logLevel ?? env.LGBM_LOG_LEVEL ?? d.logLevel) as LevelWithSilent;
  if (!LEVELS.includes(logLevel))
    throw new ConfigError(`log level must be one of ${LEVELS.join(", ")}, got ${logLevel}`);
  const logFormat = flags.logFormat ?? env.LGBM_LOG_FORMAT ?? d.logFormat;
  if (logFormat !== "json" && logFormat !== "pretty")
    throw new ConfigError(`log format must be json or pretty, got ${logFormat}`);
  const engine = flags.engine ?? env.LGBM_ENGINE ?? "auto";
  if (engine !== "auto" && engine !== "native" && engine !== "wasm" && engine !== "js") {
    throw new ConfigError(`engine must be auto, native, wasm or js, got ${engine}`);
  }

  const absentFields = flags.absentFields ?? (env.LGBM_ABSENT_FIELDS || undefined);
  if (absentFields !== undefined && absentFields !== "error" && absentFields !== "missing") {
    throw new ConfigError(`absent fields must be error or missing, got ${absentFields}`);
  }

  const apiKeys = readApiKeys(env, flags.apiKeysFile);
  const authRequired = apiKeys.length > 0;
  if (d.authRequired && !authRequired && bool("LGBM_ALLOW_NO_AUTH", env.LGBM_ALLOW_NO_AUTH) !== true) {
    throw new ConfigError(
      `the ${profile} profile requires API keys: set LGBM_API_KEYS or --api-keys-file (or LGBM_ALLOW_NO_AUTH=true)`,
    );
  }

  const config: ServerConfig = {
    profile,
    modelPath,
    host: flags.host ?? env.LGBM_HOST ?? "127.0.0.1",
    port: pick(int("port", flags.port, 0), int("LGBM_PORT", env.LGBM_PORT ?? env.PORT, 0)) ?? 8000,
    grpcPort: pick(int("grpc-port", flags.grpcPort, 0), int("LGBM_GRPC_PORT", env.LGBM_GRPC_PORT, 0)) ?? 0,
    workers: pick(int("workers", flags.workers, 1), int("LGBM_WORKERS", env.LGBM_WORKERS, 1)) ?? 1,
    engine,
    logLevel,
    logFormat,
    logFile: flags.logFile ?? (env.LGBM_LOG_FILE || undefined),
    logRequests: pick(flags.logRequests, bool("LGBM_LOG_REQUESTS", env.LGBM_LOG_REQUESTS)) ?? d.logRequests,
    predictionLog: flags.predictionLog ?? (env.LGBM_PREDICTION_LOG || undefined),
    predictionLogMaxBytes:
      pick(
        bytes("prediction-log-max-bytes", flags.predictionLogMaxBytes),
        bytes("LGBM_PREDICTION_LOG_MAX_BYTES", env.LGBM_PREDICTION_LOG_MAX_BYTES),
      ) ?? 100 * 1024 * 1024,
    predictionLogKeep:
      pick(
        int("prediction-log-keep", flags.predictionLogKeep, 1),
        int("LGBM_PREDICTION_LOG_KEEP", env.LGBM_PREDICTION_LOG_KEEP, 1),
      ) ?? 5,
    docs: pick(flags.docs, bool("LGBM_DOCS", env.LGBM_DOCS)) ?? d.docs,
    apiKeys,
    authRequired,
    rateLimit:
      pick(int("rate-limit", flags.rateLimit, 0), int("LGBM_RATE_LIMIT", env.LGBM_RATE_LIMIT, 0)) ??
      d.rateLimit,
    bodyLimit:
      pick(bytes("body-limit", flags.bodyLimit), bytes("LGBM_BODY_LIMIT", env.LGBM_BODY_LIMIT)) ??
      1024 * 1024,
    maxResponseBytes:
      pick(
        bytes("max-response-bytes", flags.maxResponseBytes),
        bytes("LGBM_MAX_RESPONSE_BYTES", env.LGBM_MAX_RESPONSE_BYTES),
      ) ?? 32 * 1024 * 1024,
    maxWorkMs:
      pick(int("max-work-ms", flags.maxWorkMs, 1), int("LGBM_MAX_WORK_MS", env.LGBM_MAX_WORK_MS, 1)) ?? 2000,
    authFailLimit:
      pick(
        int("auth-fail-limit", flags.authFailLimit, 0),
        int("LGBM_AUTH_FAIL_LIMIT", env.LGBM_AUTH_FAIL_LIMIT, 0),
      ) ?? 10,
    trustProxy: pick(trustProxy(flags.trustProxy), trustProxy(env.LGBM_TRUST_PROXY)) ?? false,
    microbatch: pick(flags.microbatch, bool("LGBM_MICROBATCH", env.LGBM_MICROBATCH)) ?? true,
    maxBatchSize:
      pick(
        int("max-batch-size", flags.maxBatchSize, 1),
        int("LGBM_MAX_BATCH_SIZE", env.LGBM_MAX_BATCH_SIZE, 1),
      ) ?? 256,
    maxWaitMs:
      pick(int("max-wait-ms", flags.maxWaitMs, 0), int("LGBM_MAX_WAIT_MS", env.LGBM_MAX_WAIT_MS, 0)) ?? 0,
    asyncMinRows: pick(
      int("async-min-rows", flags.asyncMinRows, 1),
      int("LGBM_ASYNC_MIN_ROWS", env.LGBM_ASYNC_MIN_ROWS, 1),
    ),
    numThreads:
      pick(int("num-threads", flags.numThreads, 1), int("LGBM_NUM_THREADS", env.LGBM_NUM_THREADS, 1)) ?? 1,
    ...(absentFields ? { absentFields } : {}),
    shutdownTimeoutMs:
      pick(
        int("shutdown-timeout-ms", flags.shutdownTimeoutMs, 0),
        int("LGBM_SHUTDOWN_TIMEOUT_MS", env.LGBM_SHUTDOWN_TIMEOUT_MS, 0),
      ) ?? 10_000,
  };
  return config;
}
