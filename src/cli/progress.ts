/** A progress bar on stderr when it is a TTY (and not CI); nothing otherwise. */
import cliProgress from "cli-progress";

export interface Progress {
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}

export function progressBar(total: number, format: string): Progress {
  if (!process.stderr.isTTY || process.env.CI) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format, stream: process.stderr, hideCursor: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (v, p) => bar.update(v, p), stop: () => bar.stop() };
}
