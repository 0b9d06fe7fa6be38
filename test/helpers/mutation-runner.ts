/**
 * Runs model files through test/helpers/mutation-child.mjs: many files per child process (a Node start
 * per file would cost more than the work), a crash pinned on the file the child had started, a hang on
 * the file it stopped reporting on; after either, a new child goes on with the next file.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const CHILD = join(import.meta.dirname, "mutation-child.mjs");

/** Per engine, per step ("load", "normal", ..., "dispose"): "ok" or "<ErrorName>: <message>". */
export type Outcomes = Record<string, Record<string, string>>;

export interface FileResult {
  file: string;
  outcomes?: Outcomes;
  /** The child died while working on this file (exit code or signal, and its last stderr). */
  crash?: { code: number | null; signal: NodeJS.Signals | null; stderr: string };
  /** The child said nothing for `timeoutMs` while working on this file. */
  hang?: boolean;
}

export interface RunOptions {
  /** Child processes working at once (default 2). */
  children?: number;
  /** Longest silence on one file before it counts as a hang (default 30 s). */
  timeoutMs?: number;
  /** Called after each file. */
  onFile?: (done: number, total: number) => void;
  /** Where to write the manifests. */
  workDir: string;
  /** The child script (default mutation-child.mjs). */
  child?: string;
}

export async function runFiles(files: string[], options: RunOptions): Promise<FileResult[]> {
  const results: FileResult[] = files.map((file) => ({ file }));
  const n = Math.max(1, Math.min(options.children ?? 2, files.length));
  let done = 0;
  const shards = Array.from({ length: n }, (_, s) => files.filter((_f, i) => i % n === s));
  await Promise.all(
    shards.map(async (shard, s) => {
      const manifest = join(options.workDir, `manifest-${s}.json`);
      writeFileSync(manifest, JSON.stringify(shard));
      let next = 0;
      while (next < shard.length) {
        next = await runChild(
          options.child ?? CHILD,
          manifest,
          next,
          shard.length,
          (i, r) => {
            Object.assign(results[i * n + s], r);
            done++;
            options.onFile?.(done, files.length);
          },
          options.timeoutMs ?? 30_000,
        );
      }
    }),
  );
  return results;
}

/** One child from `first` on; resolves with the index to go on from. */
function runChild(
  script: string,
  manifest: string,
  first: number,
  total: number,
  report: (i: number, r: Partial<FileResult>) => void,
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, manifest, String(first)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    let current = -1;
    let next = first;
    let buffer = "";
    let stderr = "";
    let hung = false;
    let timer = setTimeout(onSilence, timeoutMs);
    function onSilence() {
      hung = true;
      child.kill("SIGKILL");
    }
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.stdout.on("data", (d: Buffer) => {
      buffer += d.toString();
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf("\n");
        clearTimeout(timer);
        timer = setTimeout(onSilence, timeoutMs);
        if (line.startsWith("S ")) current = Number(line.slice(2));
        else if (line.startsWith("D ")) {
          const sp = line.indexOf(" ", 2);
          const i = Number(line.slice(2, sp));
          report(i, { outcomes: JSON.parse(line.slice(sp + 1)) });
          current = -1;
          next = i + 1;
        }
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (current >= 0) {
        report(current, hung ? { hang: true } : { crash: { code, signal, stderr } });
        resolve(current + 1);
      } else if (next < total) {
        // ended between files without finishing: count it against the next one rather than loop forever
        report(next, hung ? { hang: true } : { crash: { code, signal, stderr } });
        resolve(next + 1);
      } else {
        resolve(total);
      }
    });
  });
}
