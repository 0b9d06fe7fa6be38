/** Option parsing shared by the CLI commands. */

/** An optional integer flag (commander gives strings): undefined when absent, RangeError when not an integer. */
export function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n))
    throw new RangeError(`--${name} must be an integer, got ${JSON.stringify(value)}`);
  return n;
}
