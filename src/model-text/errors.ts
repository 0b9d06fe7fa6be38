/** A LightGBM text model that cannot be read, with the 1-based line where the problem is. */
export class ModelParseError extends Error {
  readonly code = "ERR_MODEL_PARSE";
  /** 1-based line number in the model text (1 for an empty or unreadable file). */
  readonly line: number;

  constructor(message: string, line: number) {
    super(`line ${line}: ${message}`);
    this.name = "ModelParseError";
    this.line = line;
  }
}
