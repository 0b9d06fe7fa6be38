// The API the preload script exposes to the renderer as `window.lgbm` (shared by preload.ts and
// renderer.ts so both sides agree on it).
export interface LgbmBridge {
  /** Predicts records in the main process with the native engine: named results. */
  predict(records: Record<string, unknown>[]): Promise<unknown[]>;
  /** The bundle's two texts (model.txt and spec.json), for predicting in the renderer (lightgbm-node/js). */
  bundle(): Promise<{ model: string; spec: string }>;
}

declare global {
  interface Window {
    lgbm: LgbmBridge;
  }
}
