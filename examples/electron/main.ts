// Electron main process: the full SDK with the native engine (N-API addon). The model is loaded once,
// and the renderer asks for predictions over IPC (ipcMain.handle / ipcRenderer.invoke).
//
// Packaging (electron-builder.yml beside this file): the native part is the platform package
// @lightgbm-node/<platform>, a folder holding lightgbm_node.node and lib_lightgbm side by side; both must
// stay outside app.asar. Nothing needs rebuilding for Electron: the addon is Node-API (ABI-stable) and
// prebuilt. This main process is meant to be bundled (esbuild/webpack/vite), so node_modules is not there
// to resolve the package from: electron-builder copies the package folder to resources/lightgbm, and the
// `nativeBinding` option below names the addon in it. Unbundled, the loader finds the package itself.
import { existsSync, readFileSync } from "node:fs";
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

// The addon shipped by extraResources in a packaged app; undefined (the loader's own search) in development.
const shippedAddon = join(process.resourcesPath ?? "", "lightgbm", "lightgbm_node.node");
const nativeBinding = app.isPackaged && existsSync(shippedAddon) ? shippedAddon : undefined;

app.whenReady().then(async () => {
  model = await Model.load(bundleDir, { engine: "native", nativeBinding });

  ipcMain.handle("lgbm:predict", (_event, records: Record<string, unknown>[]) => {
    if (!model) throw new Error("model not loaded");
    // Plain objects cross IPC (structured clone): named results do.
    return model.predict(records);
  });
  ipcMain.handle("lgbm:bundle", () => ({
    model: readFileSync(join(bundleDir, "model.txt"), "utf8"),
    spec: readFileSync(join(bundleDir, "spec.json"), "utf8"),
  }));

  await createWindow();
  app.on("activate", () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow();
  });
});

app.on("window-all-closed", () => app.quit());
app.on("will-quit", () => model?.dispose());
