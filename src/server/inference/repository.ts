/**
 * The model repository extension, shared by REST and gRPC: the index of the models on disk, and loading
 * (or reloading) and unloading one, on every process of the server (control.ts).
 */
import { type ModelRepository, scanRepository } from "../registry.js";
import { describeFailures, type ModelControl } from "./control.js";
import { InferenceError, quote } from "./tensors.js";

export interface IndexEntry {
  name: string;
  version: string;
  state: "READY" | "UNAVAILABLE";
  reason: string;
}

/** The models on disk: READY when loaded, UNAVAILABLE when not (unloaded, or failed to load). */
export function repositoryIndex(repo: ModelRepository, readyOnly: boolean): IndexEntry[] {
  let onDisk: { name: string; version: string }[] = [];
  try {
    onDisk = scanRepository(repo.root);
  } catch {
    // nothing on disk: an empty index
  }
  const index = onDisk.map(
    (l): IndexEntry =>
      repo.get(l.name, l.version)
        ? { name: l.name, version: l.version, state: "READY", reason: "" }
        : { name: l.name, version: l.version, state: "UNAVAILABLE", reason: "not loaded" },
  );
  return readyOnly ? index.filter((m) => m.state === "READY") : index;
}

/** A load that failed: no such model on disk, or a file that does not load (the old model keeps serving). */
export class LoadError extends InferenceError {
  constructor(
    message: string,
    readonly unknown: boolean,
  ) {
    super(message, 400);
  }
}

/**
 * Loads (or reloads) every version of a model from disk on every process; the versions loaded. A file
 * that does not load on some process is loaded on none: the previous model keeps serving everywhere,
 * and the error names the processes and why.
 */
export async function loadModel(
  control: ModelControl,
  name: string,
): Promise<{ loaded: string[]; processes: number }> {
  const outcome = await control.load(name);
  if (outcome.failed.length > 0) {
    throw new LoadError(
      `reload failed, the previous model keeps serving: ${describeFailures(outcome)}`,
      outcome.loaded.length === 0 && outcome.failed.every((f) => f.error.startsWith("no model named")),
    );
  }
  return { loaded: outcome.loaded, processes: outcome.processes };
}

/** Stops serving a model on every process; 404 when none had it. */
export async function unloadModel(control: ModelControl, name: string): Promise<void> {
  if (!(await control.unload(name))) throw new InferenceError(`model ${quote(name)} is not loaded`, 404);
}
