/**
 * The SDK's logger hook. Silent by default (a library should not print); pass pino or any object with
 * these methods to `setLogger`. LightGBM's own log lines are forwarded here too (see native/binding.ts).
 */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let current: Logger = silent;

export function setLogger(logger: Logger | null): void {
  current = logger ?? silent;
}

export function getLogger(): Logger {
  return current;
}
