/**
 * How LightGBM's OpenMP threads wait, decided before lib_lightgbm (and libgomp with it) is loaded:
 * libgomp reads its environment once, when it is loaded, so this must run before the addon is required.
 *
 * libgomp's default lets a thread that finishes its share of a parallel region spin for a while before
 * it sleeps. When the other cores are busy, the spinning threads take CPU from the ones still working:
 * a 1,000-row predict with two threads took 10-15x as long as with one on this 2-core host under load
 * (bench/threads-busy.mjs), and loading a model (LightGBM parses trees in parallel) 10x as long.
 * OMP_WAIT_POLICY=passive makes them sleep at once. A value the user set is kept; ours is removed from
 * process.env again once libgomp has read it, so child processes do not inherit it.
 */
export function withOpenMPDefaults<T>(load: () => T, env: NodeJS.ProcessEnv = process.env): T {
  const ours = env.OMP_WAIT_POLICY === undefined && env.GOMP_SPINCOUNT === undefined;
  if (ours) env.OMP_WAIT_POLICY = "passive";
  try {
    return load();
  } finally {
    if (ours) delete env.OMP_WAIT_POLICY;
  }
}
