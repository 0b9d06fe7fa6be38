/**
 * The server's pino logger: JSON lines to stdout (pretty in development), optionally also to a file.
 * Fastify adds the request id (`reqId`) to every line logged for a request.
 */
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import type { ServerConfig } from "./config.js";

export interface ServerLogger {
  logger: Logger;
  /** Flushes buffered lines (shutdown). */
  flush(): void;
  /**
   * Resolves once the log file is open (at once without one): the file opens asynchronously, and a
   * flush before that loses the lines buffered so far (a server closed right after it started).
   */
  ready(): Promise<void>;
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
    file = pino.destination({ dest: config.logFile, sync: false, mkdir: true, minLength: 4096 });
    streams.push({ level: config.logLevel === "silent" ? "fatal" : config.logLevel, stream: file });
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
