// Minimal local declarations of the few Electron APIs this example uses (Electron itself is not a
// dependency: it cannot be downloaded here, and the SDK does not need it). In a real app, delete this
// file and `npm install --save-dev electron`: its own types replace these.
declare module "electron" {
  export interface IpcMainInvokeEvent {
    readonly sender: unknown;
  }
  export interface WebPreferences {
    preload?: string;
    contextIsolation?: boolean;
    nodeIntegration?: boolean;
    sandbox?: boolean;
  }
  export class BrowserWindow {
    constructor(options?: { width?: number; height?: number; webPreferences?: WebPreferences });
    loadFile(path: string): Promise<void>;
    static getAllWindows(): BrowserWindow[];
  }
  export const app: {
    whenReady(): Promise<void>;
    on(event: "window-all-closed" | "activate" | "will-quit", listener: () => void): void;
    quit(): void;
    getAppPath(): string;
    readonly isPackaged: boolean;
  };
  export const ipcMain: {
    handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => unknown): void;
  };
  export const ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<any>;
  };
  export const contextBridge: {
    exposeInMainWorld(apiKey: string, api: Record<string, unknown>): void;
  };
}

// Electron adds the app's resources folder (where extraResources land, outside app.asar) to `process`.
declare namespace NodeJS {
  interface Process {
    readonly resourcesPath: string;
  }
}
