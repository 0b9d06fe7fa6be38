// fieldReader (src/bundle/field-reader.ts): a record's values in field order, for any field name, with
// generated code or, where code generation is disallowed, the plain loop; the encoder reads through it.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fieldReader } from "../src/bundle/field-reader.js";

const NAMES = [
  "a",
  'quote"d',
  "back\\slash",
  "new\nline",
  "ünï €",
  "__proto__",
  "0",
  "constructor",
  "`${x}`",
];

describe("fieldReader", () => {
  it("reads every field by its exact name, missing ones as undefined, whatever the name holds", () => {
    const read = fieldReader(NAMES);
    const record = Object.fromEntries(NAMES.filter((n) => n !== "constructor").map((n, i) => [n, i * 10]));
    const values: unknown[] = [];
    read(record, values);
    expect(values).toEqual(NAMES.map((n) => (n === "constructor" ? Object : record[n])));
    read({}, values);
    expect(values.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(values[5]).toBe(Object.prototype); // as record["__proto__"] reads
  });

  it("works where code generation from strings is disallowed (the loop), with the same values", () => {
    const script = `
      const { fieldReader } = await import(${JSON.stringify(join(import.meta.dirname, "../dist/bundle/field-reader.js"))});
      let generated = true;
      try { new Function("return 1"); } catch { generated = false; }
      const names = ${JSON.stringify(NAMES)};
      const values = [];
      fieldReader(names)(Object.fromEntries(names.map((n, i) => [n, i])), values);
      console.log(JSON.stringify({ generated, values }));`;
    const out = execFileSync(
      process.execPath,
      ["--disallow-code-generation-from-strings", "--input-type=module", "-e", script],
      { encoding: "utf8" },
    );
    const { generated, values } = JSON.parse(out);
    expect(generated).toBe(false);
    expect(values).toEqual(NAMES.map((_, i) => i));
  });
});
