/**
 * Generators of hostile values, shared by the adversarial properties and the reliability suite:
 * quotes, backslashes, newlines, ${}, $(…), %{, non-ASCII, control characters, spliced into
 * plausible values so that both outcomes (refused, accepted) are exercised.
 */
import fc from 'fast-check';

export const FRAGMENTS = ['"', "'", '\\', '\n', '\r\n', '\t', '${HOME}', '$(id)', '`id`', '%{ if x }', '#', ';', '=', ':', ' ', '[', ']', '{', '}', 'é', '日本', '😀', '\u0000', '\u0085', '\u2028', '\ufeff', '<<', '--', '/', '..', '@', 'a', 'Z', '0', '.'];

/** Strings built from nasty fragments and arbitrary code points. */
export const nasty = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ unit: 'binary', maxLength: 4 })), { maxLength: 8 })
  .map((parts) => parts.join(''));

/** A plausible value with something nasty spliced in. */
export const spliced = (base: string): fc.Arbitrary<string> => fc.tuple(nasty, fc.nat(base.length)).map(([n, at]) => base.slice(0, at) + n + base.slice(at));
