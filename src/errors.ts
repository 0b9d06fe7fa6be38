/**
 * The SDK's error classes. Every failure a user can cause or meet is one of these, with a message that
 * names the problem; `code` is stable for programs to branch on.
 */

/** A failure reported by the LightGBM library itself (its own message, from LGBM_GetLastError). */
export class LightGBMError extends Error {
  override name = "LightGBMError";
  readonly code = "ERR_LIGHTGBM";
}

/** One problem with the input: which field (and row, for batches) and what is wrong. */
export interface ValidationIssue {
  /** Field name, or a path like "rows" for structural problems. */
  field: string;
  /** Row index within a batch, when the input was a batch. */
  row?: number;
  message: string;
}

/** Bad input: every problem found in the input, not just the first. */
export class ValidationError extends Error {
  override name = "ValidationError";
  readonly code = "ERR_VALIDATION";
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[] | string) {
    const list = typeof issues === "string" ? [{ field: "", message: issues }] : issues;
    super(list.map(formatIssue).join("; "));
    this.issues = list;
  }
}

export function formatIssue(issue: ValidationIssue): string {
  const where = issue.row === undefined ? issue.field : `row ${issue.row}: ${issue.field}`;
  return where ? `${where}: ${issue.message}` : issue.message;
}

/** The native addon or the LightGBM library could not be loaded; the message lists the fixes. */
export class NativeUnavailableError extends Error {
  override name = "NativeUnavailableError";
  readonly code = "ERR_NATIVE_UNAVAILABLE";
}

/**
 * An optional peer dependency a feature needs is not installed (or does not load); the message gives the
 * exact command to install it.
 */
export class OptionalDependencyError extends Error {
  override name = "OptionalDependencyError";
  readonly code = "ERR_OPTIONAL_DEPENDENCY";
  /** The package that is missing, e.g. "onnxruntime-node". */
  readonly packageName: string;

  constructor(packageName: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.packageName = packageName;
  }
}

/** The model was disposed and cannot be used any more. */
export class DisposedError extends Error {
  override name = "DisposedError";
  readonly code = "ERR_DISPOSED";
}

/** Re-types an error thrown by the addon (tagged with a code) into the SDK's classes. */
export function fromNativeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const code = (err as { code?: string }).code;
  if (code === "ERR_LIGHTGBM") return new LightGBMError(err.message, { cause: err });
  if (code === "ERR_DISPOSED") return new DisposedError(err.message);
  return err; // TypeError / RangeError for bad arguments stay as they are
}
