// Electron main process: the full SDK with the native engine (N-API addon). The model is loaded once,
// and the renderer asks for predictions over IPC (ipcMain.handle / ipcRenderer.invoke).
//
// Packaging: the addon (build/Release/lightgbm_node.node) and lib_lightgbm (vendor/lightgbm/) are
// native files: list node_modules/lightgbm-node/{build,vendor} under asarUnpack (electron-builder) or
// unpack them (electron-forge's auto-unpack-natives plugin), and rebuild the addon for Electron's ABI
// (`npx @electron/rebuild`; it is an N-API addon, so one build serves every Electron version).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { app, BrowserWindow, ipcMain } from "electron";
import { Model } from "lightgbm-node";

const bundleDir = join(app.getAppPath(), "models", "hr-attrition");
let model: Model | undefined;

async function createWindow(): Promise<void> {
  const win = new BrowserWindow({
    width: 900,
    height: 700,
    webPreferences: {
      preload: join(import.meta.dirname, "preload.js"),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
    },
  });
  await win.loadFile(join(import.meta.dirname, "index.html"));
}

app.whenReady().then(async () => {
  model = await Model.load(bundleDir, { engine: "native" });

  ipcMain.handle("lgbm:predict", (_event, records: Record<string, unknown>[]) => {
    if (!model) throw new Error("model not loaded");
    // Plain objects cross IPC (structured clone): named results do.
    return model.predict(records);
  });
  ipcMain.handle("lgbm:bundle", () => ({
    modelText: readFileSync(join(bundleDir, "model.txt"), "utf8"),
    spec: JSON.parse(readFileSync(join(bundleDir, "spec.json"), "utf8")),
  }));

  await createWindow();
  app.on("activate", () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow();
  });
});

app.on("window-all-closed", () => app.quit());
app.on("will-quit", () => model?.dispose());
