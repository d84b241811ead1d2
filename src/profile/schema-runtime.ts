/**
 * @fileoverview What the validator compiled at build time (scripts/build-validator.mjs) calls
 * besides the formats: the length of a string in code points (JSON Schema's minLength and
 * maxLength count characters, not UTF-16 units), and the equality of two JSON values
 * (uniqueItems). With these, crinit needs no JSON Schema library at run time.
 */

/** The number of code points in a string. */
export function ucs2length(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** Whether two JSON values are equal: same type, same scalars, same items and keys, deeply. */
export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => equal(x, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
