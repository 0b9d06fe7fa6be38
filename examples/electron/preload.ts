// Preload (sandboxed, context-isolated): exposes a narrow API to the renderer, nothing else of Node.
import { contextBridge, ipcRenderer } from "electron";
import type { LgbmBridge } from "./api.js";

const api: LgbmBridge = {
  predict: (records) => ipcRenderer.invoke("lgbm:predict", records),
  bundle: () => ipcRenderer.invoke("lgbm:bundle"),
};

contextBridge.exposeInMainWorld("lgbm", { ...api });
