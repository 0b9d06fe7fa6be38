/**
 * The server's pino logger: JSON lines to stdout (pretty in development), optionally also to a file.
 * Fastify adds the request id (`reqId`) to every line logged for a request.
 */
import { mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import type { ServerConfig } from "./config.js";

export interface ServerLogger {
  logger: Logger;
  /** Flushes buffered lines (shutdown). */
  flush(): void;
  /**
   * Resolves once the log file is open: a flush before that would lose the lines buffered so far. The
   * file is opened synchronously here, so this resolves at once; kept for callers that wait on it.
   */
  ready(): Promise<void>;
}

/** Longest time a line written to a file waits in its buffer (a quiet server's lines still reach the disk). */
export const FLUSH_MS = 500;

/**
 * A buffered file stream whose lines reach the file within `ms` of being written: the buffer (written
 * out at 4 KiB) is flushed by a timer armed on the first write after a flush, so a busy stream writes in
 * large pieces and a quiet one is never left holding lines. The timer does not keep the process alive.
 */
export function flushedWithin(
  dest: ReturnType<typeof pino.destination>,
  ms: number,
): { write(s: string): void } {
  let armed = false;
  const flush = () => {
    armed = false;
    try {
      dest.flush();
    } catch {
      // not open yet, or closed: the next write arms again
    }
  };
  return {
    write(s: string) {
      dest.write(s);
      if (!armed) {
        armed = true;
        setTimeout(flush, ms).unref();
      }
    },
  };
}

export function createLogger(config: ServerConfig, base: Record<string, unknown> = {}): ServerLogger {
  const streams: pino.StreamEntry[] = [];
  const stdout =
    config.logFormat === "pretty"
      ? pretty({
          colorize: process.stdout.isTTY,
          translateTime: "SYS:HH:MM:ss.l",
          ignore: "pid,hostname",
          sync: true,
        })
      : pino.destination({ dest: 1, sync: true });
  streams.push({ level: config.logLevel === "silent" ? "fatal" : config.logLevel, stream: stdout });
  let file: ReturnType<typeof pino.destination> | undefined;
  if (config.logFile) {
    // Opened here, synchronously: a stream still opening when the process exits (a worker whose model
    // does not load exits at once) makes pino's exit flush throw, and process.exit with it.
    mkdirSync(dirname(config.logFile), { recursive: true });
    const fd = openSync(config.logFile, "a");
    file = pino.destination({ dest: fd, sync: false, minLength: 4096 });
    streams.push({
      level: config.logLevel === "silent" ? "fatal" : config.logLevel,
      stream: flushedWithin(file, FLUSH_MS),
    });
  }
  const logger = pino(
    {
      level: config.logLevel,
      base: { pid: process.pid, ...base },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ["req.headers.authorization"], censor: "[redacted]" },
    },
    pino.multistream(streams),
  );
  return {
    logger,
    ready() {
      const f = file;
      if (!f || (f as unknown as { fd: number }).fd >= 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        f.once("ready", () => resolve());
        f.once("error", () => resolve());
      });
    },
    flush() {
      for (const s of [stdout, file]) {
        try {
          (s as { flushSync?: () => void } | undefined)?.flushSync?.();
        } catch {
          // not open yet or nothing to flush
        }
      }
    },
  };
}
