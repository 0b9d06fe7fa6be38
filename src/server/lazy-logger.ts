/**
 * A per-request logger that becomes a pino child only when something logs.
 *
 * Fastify gives every request a child logger bound to its request id. With request logging off (the
 * production profile) almost no request ever logs, yet pino's child() costs about half a microsecond
 * per request, measured in the /predict profile. This stands in for the child and creates it on the
 * first call, so the lines that are logged still carry `reqId`.
 */
import type { Bindings, ChildLoggerOptions, Logger } from "pino";

type LogFn = (...args: unknown[]) => void;

export class LazyChildLogger {
  #parent: Logger;
  #bindings: Bindings;
  #options: ChildLoggerOptions;
  #child: Logger | undefined;

  constructor(parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  /** The real child (created once). */
  get logger(): Logger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  get level(): string {
    return this.logger.level;
  }
  set level(value: string) {
    this.logger.level = value;
  }
  isLevelEnabled(level: string): boolean {
    return this.logger.isLevelEnabled(level);
  }
  bindings(): Bindings {
    return this.logger.bindings();
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }
  fatal(...args: unknown[]): void {
    (this.logger.fatal as LogFn)(...args);
  }
  error(...args: unknown[]): void {
    (this.logger.error as LogFn)(...args);
  }
  warn(...args: unknown[]): void {
    (this.logger.warn as LogFn)(...args);
  }
  info(...args: unknown[]): void {
    (this.logger.info as LogFn)(...args);
  }
  debug(...args: unknown[]): void {
    (this.logger.debug as LogFn)(...args);
  }
  trace(...args: unknown[]): void {
    (this.logger.trace as LogFn)(...args);
  }
  silent(): void {}
}
