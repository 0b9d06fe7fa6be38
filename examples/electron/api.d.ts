// The API the preload script exposes to the renderer as `window.lgbm` (shared by preload.ts and
// renderer.ts so both sides agree on it).
export interface LgbmBridge {
  /** Predicts records in the main process with the native engine: named results. */
  predict(records: Record<string, unknown>[]): Promise<unknown[]>;
  /** The model text and spec, for predicting in the renderer with the pure JS engine. */
  bundle(): Promise<{ modelText: string; spec: BundleSpec }>;
}

/** The parts of spec.json the renderer's small encoder reads. */
export interface BundleSpec {
  columns: string[];
  fields: (
    | { name: string; type: "number" | "integer" | "boolean" }
    | { name: string; type: "category"; values: string[]; encoding: { kind: "onehot"; columns: string[] } | { kind: "native"; column: string } }
  )[];
}

declare global {
  interface Window {
    lgbm: LgbmBridge;
  }
}
