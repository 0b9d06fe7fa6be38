/**
 * The record schema derived from a spec: a zod object (types for TS users, the reference validator and
 * the source of error messages) and its JSON Schema (for OpenAPI). The encoder's hand-written fast
 * checker must accept exactly what this schema accepts; a property test holds them together.
 */
import * as z from "zod";
import { isNumberText } from "../csv/cell.js";
import type { ValidationIssue } from "../errors.js";
import type { FieldSpec, Spec } from "./spec.js";

/** How fields not in the spec are treated. Default `ignore`: see EncoderOptions. */
export type ExtraFields = "reject" | "ignore";

/**
 * How a nullable field absent from a record is treated: `missing` (NaN, as null) or `error` (the record
 * must name every field; null says "missing"). Default: the spec's `absentFields`, else `missing`.
 */
export type AbsentFields = "error" | "missing";

/** A record as users send it: field name → value. */
export type InputRecord = Record<string, unknown>;

export interface RecordSchema {
  /** Validates one record (null/absent values allowed only for nullable fields). */
  zod: z.ZodObject;
  /** JSON Schema (draft 2020-12) of one record. */
  jsonSchema: Record<string, unknown>;
}

/** Describes a value the way error messages quote it: strings quoted, NaN and Infinity by name. */
export function show(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "number") return String(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (Array.isArray(v)) return "an array";
  if (v === null) return "null";
  if (typeof v === "object") return "an object";
  return String(v);
}

/** The message for a value a field does not accept (the zod schema's error function). */
export function fieldMessage(f: FieldSpec, v: unknown): string {
  if (v === undefined && f.nullable)
    return "is required: the record has no such field (send null for a missing value)";
  if (v == null) return `is required (may not be missing), got ${show(v)}`;
  switch (f.type) {
    case "number":
    case "integer": {
      const what = f.type === "integer" ? "an integer" : "a number";
      if (typeof v === "number" && !Number.isFinite(v)) {
        return `expected ${what}, got ${show(v)}${f.nullable ? " (use null for a missing value)" : ""}`;
      }
      return `expected ${what}, got ${show(v)}`;
    }
    case "boolean":
      return `expected true, false, 0 or 1, got ${show(v)}`;
    case "category":
      if (typeof v !== "string" && !(typeof v === "number" && f.values.some(isNumberText)))
        return `expected a string, got ${show(v)}`;
      return `expected one of ${shortList(f.values)}, got ${show(v)}`;
  }
}

/** A list for messages: at most 20 values, then how many more. */
function shortList(values: readonly string[]): string {
  return values.length <= 20
    ? values.join(", ")
    : `${values.slice(0, 20).join(", ")}, ... (${values.length - 20} more)`;
}

/** Number schemas that also take ±Infinity: documented as plain numbers (JSON has no infinity). */
const infiniteNumbers = new WeakSet<z.ZodType>();

function fieldSchema(f: FieldSpec, absent: AbsentFields): z.ZodType {
  const error = (iss: { input: unknown }) => fieldMessage(f, iss.input);
  let s: z.ZodType;
  switch (f.type) {
    case "number":
      // zod 4's number rejects NaN and ±Infinity.
      s = z.number({ error });
      if (f.infinite) {
        s = z.union([s, z.literal(Number.POSITIVE_INFINITY), z.literal(Number.NEGATIVE_INFINITY)], { error });
        infiniteNumbers.add(s);
      }
      break;
    case "integer":
      s = z.int({ error });
      break;
    case "boolean":
      s = z.union([z.boolean(), z.literal(0), z.literal(1)], { error });
      break;
    case "category": {
      // Values that are a number's text also match that number (a pandas category of integers).
      const numbers = new Set(f.values.filter(isNumberText));
      if (f.unknown === "error") {
        s = z.enum(f.values as [string, ...string[]], { error });
        if (numbers.size)
          s = z.union([s, z.number().refine((n) => numbers.has(String(n)), { error })], { error });
      } else {
        s = z.string({ error });
        if (numbers.size) s = z.union([s, z.number()], { error });
        s = s.meta({ examples: f.values.slice(0, 20) });
      }
      break;
    }
  }
  if (f.nullable) s = absent === "error" ? s.nullable() : s.nullable().optional();
  return s.meta({ description: describeField(f) });
}

function describeField(f: FieldSpec): string {
  const parts: string[] = [f.type];
  if (f.type !== "category" && f.type !== "boolean" && f.range)
    parts.push(`training range ${f.range[0]}..${f.range[1]}`);
  if (f.type === "number" && f.infinite) parts.push("±Infinity accepted");
  if (f.type === "category" && f.unknown !== "error") {
    parts.push(
      `known values: ${shortList(f.values)}; unknown values are encoded as ${f.unknown === "ignore" ? "all-zero one-hot" : "missing"}`,
    );
  }
  if (f.nullable) parts.push("may be null");
  return parts.join("; ");
}

export function buildRecordSchema(
  spec: Spec,
  extraFields: ExtraFields = "ignore",
  absentFields: AbsentFields = "missing",
): RecordSchema {
  const shape: Record<string, z.ZodType> = {};
  for (const f of spec.fields) shape[f.name] = fieldSchema(f, absentFields);
  const zod =
    extraFields === "reject"
      ? z.strictObject(shape, { error: (iss) => unknownKeysMessage(iss) })
      : z.object(shape, { error: () => `expected a record (an object of field values)` });
  return {
    zod,
    get jsonSchema() {
      // Built on first use: most callers never need it.
      const value = z.toJSONSchema(zod, {
        io: "input",
        unrepresentable: "any",
        override: (ctx) => {
          if (!infiniteNumbers.has(ctx.zodSchema as unknown as z.ZodType)) return;
          for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
          ctx.jsonSchema.type = "number";
        },
      }) as Record<string, unknown>;
      Object.defineProperty(this, "jsonSchema", { value, enumerable: true });
      return value;
    },
  };
}

function unknownKeysMessage(iss: { code?: string; keys?: string[]; input?: unknown }): string {
  if (iss.code === "unrecognized_keys") return `is not a field of this model`;
  return `expected a record (an object of field values)`;
}

/** Every problem zod finds in one record, as ValidationIssues (row set for batches). */
export function recordIssues(schema: RecordSchema, record: unknown, row?: number): ValidationIssue[] {
  const result = schema.zod.safeParse(record);
  if (result.success) return [];
  const issues: ValidationIssue[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        issues.push(withRow({ field: key, message: "is not a field of this model" }, row));
    } else {
      issues.push(
        withRow({ field: issue.path.map(String).join(".") || "record", message: issue.message }, row),
      );
    }
  }
  return issues;
}

function withRow(issue: ValidationIssue, row: number | undefined): ValidationIssue {
  return row === undefined ? issue : { ...issue, row };
}
