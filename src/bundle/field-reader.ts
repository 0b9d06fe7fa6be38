/**
 * Reads a record's fields, in a fixed order, into a reused array: what the encoder and the drift monitor
 * do for every record the server predicts.
 *
 * Why generated code: `record[name]` at one place in a loop over the field names sees another key on
 * every turn, so V8 makes that load megamorphic (a hash lookup of about 100 instructions, counted with
 * callgrind: some 2,000 a /predict request between the encoder and drift). A function with one
 * `r["name"]` per field keeps each load at a site of its own, a plain property load for the usual record
 * shape. fastify's serializer (fast-json-stringify) and validator (ajv) compile their schemas the same
 * way. Names go in as JSON string literals; where code generation is disallowed (node's
 * --disallow-code-generation-from-strings), the loop is used instead. In a web page (a document: a
 * browser, an Electron renderer) the loop is used without trying: under a Content-Security-Policy without
 * 'unsafe-eval' the browser reports even a caught `new Function` as a violation.
 */
export type FieldReader = (record: object, values: unknown[]) => void;

const inPage = typeof (globalThis as { document?: unknown }).document !== "undefined";

export function fieldReader(names: readonly string[]): FieldReader {
  const loop: FieldReader = (r, v) => {
    for (let i = 0; i < names.length; i++) v[i] = (r as Record<string, unknown>)[names[i]];
  };
  if (inPage) return loop;
  const body = names.map((n, i) => `v[${i}] = r[${JSON.stringify(String(n))}];`).join("\n");
  try {
    return new Function("r", "v", `"use strict";\n${body}`) as FieldReader;
  } catch {
    return loop;
  }
}
