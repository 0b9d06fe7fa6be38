/**
 * The server's own routes, with the API key when one was entered. The key lives in memory, and in
 * sessionStorage only when the person asks (the tab's storage, gone when the tab closes); never in
 * localStorage or a cookie.
 */

const STORAGE = "lgbm-api-key";

let key: string | undefined = readStored();

function readStored(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE) ?? undefined;
  } catch {
    return undefined; // storage disabled
  }
}

export function hasKey(): boolean {
  return key !== undefined;
}

export function keyRemembered(): boolean {
  return readStored() !== undefined;
}

/** Sets (or with undefined, forgets) the key; `remember`: also in this tab's sessionStorage. */
export function setKey(value: string | undefined, remember = false): void {
  key = value || undefined;
  try {
    if (key && remember) sessionStorage.setItem(STORAGE, key);
    else sessionStorage.removeItem(STORAGE);
  } catch {
    // storage disabled: memory only
  }
}

/** An answer other than 2xx: its status and the server's JSON error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; issues?: { field: string; message: string }[] } | undefined,
  ) {
    super(body?.error ?? `HTTP ${status}`);
  }
}

export async function api<T>(path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) throw new ApiError(res.status, json as ApiError["body"]);
  return json as T;
}
