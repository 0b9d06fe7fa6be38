// A benchmark baseline in its own process (LightGBM's C API from C++, the gcc -O2 generated C), serving
// timing rounds over a pipe so that its rounds alternate with the SDK's in the same seconds. One request
// line in, one JSON line out (see bench/native/direct_bench.cc and bench/gcc-baseline/harness.c).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

export function startExternal(command, args) {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    /** One request; resolves with the response line (parsed as JSON unless raw). */
    async request(line, raw = false) {
      child.stdin.write(`${line}\n`);
      const { value, done } = await lines.next();
      if (done) throw new Error(`${command} exited (code ${child.exitCode})`);
      return raw ? value : JSON.parse(value);
    },
    /** Lines until `end` (the harness's dump). */
    async until(line, end) {
      child.stdin.write(`${line}\n`);
      const out = [];
      for (;;) {
        const { value, done } = await lines.next();
        if (done || value === end) return out;
        out.push(value);
      }
    },
    close: () => child.stdin.end(),
  };
}
