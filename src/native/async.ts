/**
 * The addon's async calls report through a callback as their last argument and the Promise is made
 * here, in JS: a promise made natively holds a handle that only settling it frees, and nothing can
 * settle it while a worker_thread is torn down (8 bytes leaked per worker terminated during a predict,
 * found with valgrind; see native/predict_worker.h).
 */
export type AsyncDone = (err: Error | null, out?: Float64Array) => void;

/** Calls an addon async function with a callback as its last argument, as a Promise. */
export function nativeAsync(start: (done: AsyncDone) => void): Promise<Float64Array> {
  return new Promise((resolve, reject) => {
    start((err, out) => (err ? reject(err) : resolve(out as Float64Array)));
  });
}
