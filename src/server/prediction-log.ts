/**
 * The prediction log: one JSON line per prediction (input record, output, model, version, latency,
 * request id), for drift monitoring and retraining. Writes go through an asynchronous buffered stream
 * (pino's SonicBoom destination), so a request never waits on the disk; the file is rotated by size
 * (file → file.1 → … → file.N).
 */
import { existsSync, renameSync, statSync, unlinkSync } from "node:fs";
import pino from "pino";

export interface PredictionLogRecord {
  request_id: string;
  model: string;
  version: string;
  route: string;
  latency_ms: number;
  input: unknown;
  output: unknown;
}

type Destination = ReturnType<typeof pino.destination>;

export class PredictionLog {
  private dest: Destination;
  private size: number;
  private rotating = false;

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    this.size = existsSync(file) ? statSync(file).size : 0;
    this.dest = pino.destination({ dest: file, sync: false, minLength: 4096, mkdir: true });
  }

  /** Appends one line per record/result pair; never throws into the request. */
  write(records: unknown[], results: unknown[], meta: Omit<PredictionLogRecord, "input" | "output">): void {
    const time = new Date().toISOString();
    const head = `{"time":"${time}","request_id":${JSON.stringify(meta.request_id)},"model":${JSON.stringify(meta.model)},"version":${JSON.stringify(meta.version)},"route":"${meta.route}","latency_ms":${Math.round(meta.latency_ms * 1000) / 1000}`;
    let chunk = "";
    for (let i = 0; i < results.length; i++) {
      chunk += `${head},"row":${i},"input":${JSON.stringify(records[i] ?? null)},"output":${JSON.stringify(results[i])}}\n`;
    }
    this.size += Buffer.byteLength(chunk);
    this.dest.write(chunk);
    if (this.size >= this.maxBytes) this.rotate();
  }

  private rotate(): void {
    if (this.rotating) return;
    this.rotating = true;
    // Shift on disk once buffered data is out, then reopen the file at the same path.
    this.dest.flush((err) => {
      try {
        if (!err) {
          for (let i = this.keep - 1; i >= 1; i--) {
            const from = `${this.file}.${i}`;
            if (existsSync(from)) renameSync(from, `${this.file}.${i + 1}`);
          }
          if (existsSync(`${this.file}.${this.keep + 1}`)) unlinkSync(`${this.file}.${this.keep + 1}`);
          renameSync(this.file, `${this.file}.1`);
          this.dest.reopen();
          this.size = 0;
        }
      } catch {
        // Rotation is best effort: keep appending to the current file.
      } finally {
        this.rotating = false;
      }
    });
  }

  /** Flushes and closes the file (shutdown). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.dest.flushSync();
      } catch {
        // nothing buffered or already closing
      }
      this.dest.once("close", () => resolve());
      this.dest.end();
    });
  }
}
