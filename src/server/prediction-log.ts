/**
 * The prediction log: one JSON line per prediction (input record, output, model, version, latency,
 * request id), for drift monitoring and retraining. Writes go through an asynchronous buffered stream
 * (pino's SonicBoom destination), so a request never waits on the disk; the file is rotated by size
 * (file → file.1 → … → file.N).
 *
 * The lines of one event-loop turn go to the stream in one write. SonicBoom measures the UTF-8 length of
 * its pending buffer (up to 16 KB) on every write, which with a write per request cost about a third of
 * the server's requests/s under load; one write per turn makes that a per-turn cost. What is buffered
 * reaches the file within half a second (FLUSH_MS), so a quiet server's recent lines are readable.
 */
import { once } from "node:events";
import { existsSync, renameSync, statSync, unlinkSync } from "node:fs";
import pino from "pino";
import { FLUSH_MS, flushedWithin } from "./log.js";

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

/**
 * The record as sent, as JSON. A field the model ignores may nest deeper than JSON.stringify's recursion
 * allows (the record still predicts): its value is then logged as a marker, not thrown into the request.
 */
function inputJson(record: unknown): string {
  try {
    return JSON.stringify(record);
  } catch {
    if (record === null || typeof record !== "object") return "null";
    const shallow: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) {
      shallow[k] = v !== null && typeof v === "object" ? "[not logged: nested too deeply]" : v;
    }
    return JSON.stringify(shallow);
  }
}

export class PredictionLog {
  private dest: Destination;
  /** dest, flushed within FLUSH_MS of a write: a quiet server's last lines reach the file in time. */
  private out: { write(s: string): void };
  private size: number;
  private rotating = false;
  /** This turn's lines, written together at its end. */
  private pending: string[] = [];
  private scheduled = false;
  private closed = false;
  private readonly flushPending = () => {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const data = this.pending.join("");
    this.pending = [];
    this.size += Buffer.byteLength(data);
    try {
      this.out.write(data);
    } catch {
      // the stream failed or was closed: lines are dropped rather than thrown at the event loop
    }
    if (this.size >= this.maxBytes) this.rotate();
  };
  /** The ISO time of the last line and the millisecond it is for (many lines share one). */
  private isoMs = -1;
  private iso = "";

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    this.size = existsSync(file) ? statSync(file).size : 0;
    this.dest = pino.destination({ dest: file, sync: false, minLength: 4096, mkdir: true });
    this.out = flushedWithin(this.dest, FLUSH_MS);
    this.opened = once(this.dest, "ready").then(() => undefined);
    this.opened.catch(() => undefined); // reported by ready()
  }

  private readonly opened: Promise<void>;

  /** Resolves once the file is open (rejects with why it cannot be): the server starts only then. */
  ready(): Promise<void> {
    return this.opened;
  }

  /** Appends one line per record/result pair; never throws into the request. */
  write(records: unknown[], results: unknown[], meta: Omit<PredictionLogRecord, "input" | "output">): void {
    if (this.closed) return;
    const now = Date.now();
    if (now !== this.isoMs) {
      this.isoMs = now;
      this.iso = new Date(now).toISOString();
    }
    const head = `{"time":"${this.iso}","request_id":${JSON.stringify(meta.request_id)},"model":${JSON.stringify(meta.model)},"version":${JSON.stringify(meta.version)},"route":"${meta.route}","latency_ms":${Math.round(meta.latency_ms * 1000) / 1000}`;
    for (let i = 0; i < results.length; i++) {
      this.pending.push(
        `${head},"row":${i},"input":${inputJson(records[i] ?? null)},"output":${JSON.stringify(results[i])}}\n`,
      );
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushPending);
    }
  }

  /**
   * Shifts the files (file → file.1 → …) now, and reopens the path: lines already handed to the stream
   * finish in file.1 (a renamed file keeps its open descriptor), new ones go to the new file. Not after a
   * flush: under steady writes the stream's buffer never drains, so a rotation waiting for it never ran
   * and the file grew past its limit.
   */
  private rotate(): void {
    if (this.rotating) return;
    try {
      for (let i = this.keep - 1; i >= 1; i--) {
        const from = `${this.file}.${i}`;
        if (existsSync(from)) renameSync(from, `${this.file}.${i + 1}`);
      }
      if (existsSync(`${this.file}.${this.keep + 1}`)) unlinkSync(`${this.file}.${this.keep + 1}`);
      renameSync(this.file, `${this.file}.1`);
    } catch {
      return; // rotation is best effort (the file is not there yet, or cannot be renamed): keep appending
    }
    this.size = 0;
    this.rotating = true;
    // The next rotation once the new file is open (SonicBoom reopens after its write in flight).
    this.dest.once("ready", () => {
      this.rotating = false;
    });
    try {
      this.dest.reopen();
    } catch {
      this.rotating = false;
    }
  }

  /** Flushes and closes the file (shutdown). */
  close(): Promise<void> {
    this.flushPending();
    this.closed = true;
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
