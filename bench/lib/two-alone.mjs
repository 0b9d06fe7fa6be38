// A control for the 2-thread goals: two copies of the one-thread default engine predicting at once, one on
// the caller and one on a worker thread, with nothing handed between them. It is what a second thread can
// add to this very work on this host (a second vCPU slowed, or sharing a core, shows here too); the
// 2-thread engine's ratio to it is what its hand-off costs. Timed in the same alternating rounds.
import { Worker } from "node:worker_threads";

/** µs on a clock the caller and the worker read alike. */
const clock = () => performance.timeOrigin + performance.now();

// slots: Float64 1 EXIT, 2 batch rows, 3 window start, 4 window end, 5 rows the worker ran inside the
// window (its calls pro rata where they straddle it); Int32 12 RUN, 14 the round, 15 the round reported
const workerSource = `
const { workerData } = require("node:worker_threads");
const s = new Float64Array(workerData.state);
const i32 = new Int32Array(workerData.state);
const clock = () => performance.timeOrigin + performance.now();
import(workerData.engineUrl).then(({ NativeEngine }) => {
  const e = NativeEngine.fromString(workerData.text, { numThreads: 1 });
  const data = workerData.data;
  const ncol = e.info.numFeatures;
  let seen = 0;
  for (;;) {
    // the round counter's low half (Int32 slot 14) is what the caller notifies on
    Atomics.wait(i32, 14, seen);
    seen = Atomics.load(i32, 14);
    if (s[1] === 2) break;
    const n = s[2];
    const rows = data.subarray(0, n * ncol);
    const calls = [];
    while (Atomics.load(i32, 12) === 1) {
      const a = clock();
      e.predict(rows, n);
      calls.push(a, clock());
    }
    // the window is written before RUN is cleared
    const t0 = s[3], t1 = s[4];
    let done = 0;
    for (let c = 0; c < calls.length; c += 2) {
      const a = calls[c], b = calls[c + 1];
      const overlap = Math.min(b, t1) - Math.max(a, t0);
      if (overlap > 0) done += (n * overlap) / (b - a);
    }
    s[5] = done;
    Atomics.store(i32, 15, seen);
    Atomics.notify(i32, 15);
  }
  e.dispose();
});
`;

/**
 * The contender "native-1t x2" for timeCell: `engine` is the caller's one-thread engine (native-1t's own),
 * `text` the model, `data` the bench's rows (batches take data's first n rows, as native-1t's do).
 */
export function twoAlone({ engine, text, data, engineUrl }) {
  const buffer = new SharedArrayBuffer(64);
  const i32 = new Int32Array(buffer);
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: { state: buffer, engineUrl, text, data },
  });
  worker.unref();
  let failed;
  worker.on("error", (e) => {
    failed = e;
  });
  worker.on("exit", () => {
    failed ??= new Error("the control's worker exited");
  });
  const s = new Float64Array(buffer);
  const ncol = engine.info.numFeatures;
  let round = 0;
  return {
    name: "native-1t x2",
    threads: 2,
    note: "control: two one-thread engines at once (caller + worker), nothing handed between them",
    async time(n, reps) {
      const rows = data.subarray(0, n * ncol);
      s[2] = n;
      Atomics.store(i32, 12, 1);
      round = (round + 1) | 0;
      Atomics.store(i32, 14, round);
      Atomics.notify(i32, 14);
      const t0 = clock();
      for (let r = 0; r < reps; r++) engine.predict(rows, n);
      const t1 = clock();
      s[3] = t0;
      s[4] = t1;
      Atomics.store(i32, 12, 0);
      // the worker reports once its last call ends (a worker that has not started yet reports nothing)
      while (Atomics.load(i32, 15) !== round) {
        if (failed) throw failed;
        await new Promise((r) => setTimeout(r, 1));
      }
      const mine = reps * n;
      const theirs = s[5];
      // seconds in which this round's own rows would have run at both copies' combined pace
      return ((t1 - t0) / 1000) * (mine / (mine + theirs));
    },
    close() {
      failed = new Error("closed");
      s[1] = 2;
      round = (round + 1) | 0;
      Atomics.store(i32, 14, round);
      Atomics.notify(i32, 14);
      void worker.terminate();
    },
  };
}
