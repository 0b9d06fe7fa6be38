/** The error envelopes of the classic API, which every route's responses refer to. */

export type Schema = Record<string, unknown>;

export const errorSchema: Schema = {
  $id: "Error",
  type: "object",
  description: "What went wrong; request_id is also on every server log line of the request",
  required: ["error"],
  properties: {
    error: { type: "string" },
    code: { type: "string", description: "Stable code to branch on, e.g. ERR_NO_MODEL" },
    request_id: { type: "string" },
  },
};

export const validationErrorSchema: Schema = {
  $id: "ValidationError",
  type: "object",
  description: "Records the model refuses: every problem, one issue per bad field (and row in a batch)",
  required: ["error", "issues", "request_id"],
  properties: {
    error: { type: "string", const: "validation failed" },
    issues: {
      type: "array",
      items: {
        type: "object",
        required: ["field", "message"],
        properties: {
          field: { type: "string" },
          row: { type: "integer", description: "Row within a batch" },
          message: { type: "string" },
        },
      },
    },
    request_id: { type: "string" },
  },
  examples: [
    {
      error: "validation failed",
      issues: [{ field: "satisfaction_level", message: 'expected a number, got "high"' }],
      request_id: "9f3a61c2d0b4-1k7",
    },
  ],
};

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed JSON, or a request the route's schema refuses",
  401: "Missing or unknown API key (when keys are configured)",
  404: "No such model (or version)",
  413: "Body over the size limit, or a response that would be over --max-response-bytes",
  415: "Content type other than application/json, a charset other than UTF-8, or a Content-Encoding",
  422: "Validation failed: one issue per bad field (and row)",
  429: "Rate limit exceeded, or too many failed API keys from this address (Retry-After)",
  500: "Internal error; the request id is in the server log",
  503: "Not ready, or shutting down",
};

/** Response schemas of the classic API's errors with these statuses. */
export function errors(...statuses: number[]): Record<number, Schema> {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: ERROR_DESCRIPTIONS[s], $ref: s === 422 ? "ValidationError#" : "Error#" },
    ]),
  );
}

/** Errors any authenticated route may answer. */
export const AUTH_ERRORS = [401, 429, 500] as const;
