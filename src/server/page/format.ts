/** Numbers as the page shows them. */

const grouped = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });

export const int = (x: number): string => grouped.format(x);

/** A share as a percentage: 95.2%, 0.04%, 100%. */
export function percent(x: number): string {
  const p = x * 100;
  if (p !== 0 && Math.abs(p) < 0.1) return `${p.toPrecision(1)}%`;
  return `${Number(p.toFixed(1))}%`;
}

/** A value with about `digits` significant digits, without exponent for everyday magnitudes. */
export function num(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e7) return String(Number(x.toPrecision(digits)));
  return x.toExponential(digits - 1);
}

/** A contribution: signed, 3 significant digits (+0.842, −1.13). */
export function signed(x: number): string {
  const t = num(Math.abs(x), 3);
  return x < 0 ? `−${t}` : `+${t}`;
}

/** A field's value as the record holds it. */
export function shown(v: unknown): string {
  if (v === null || v === undefined) return "missing";
  if (typeof v === "number") return num(v, 6);
  return String(v);
}
