/**
 * The model repository extension, shared by REST and gRPC: the index of the models on disk, and loading
 * (or reloading) one from disk.
 */
import { type ModelRepository, scanRepository } from "../registry.js";
import { InferenceError } from "./tensors.js";

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

/** Loads (or reloads) every version of a model from disk; the versions loaded. */
export async function loadModel(repo: ModelRepository, name: string): Promise<string[]> {
  const { loaded, failed } = await repo.reload(name);
  if (failed.length > 0) {
    throw new LoadError(
      `reload failed, the previous model keeps serving: ${failed.map((f) => `${f.model}: ${f.error}`).join("; ")}`,
      loaded.length === 0 && failed.every((f) => f.error.startsWith("no model named")),
    );
  }
  return loaded;
}
