/**
 * @fileoverview How cloud-init's reader types a plain scalar, and a reader of user-data that
 * types them the same way.
 *
 * cloud-init reads user-data with PyYAML's SafeLoader. A plain (unquoted) scalar gets the first
 * implicit type whose pattern it matches, among those registered for its first character; it is
 * a string only when none matches. PYYAML_IMPLICIT is that table, from PyYAML's
 * lib/yaml/resolver.py (docs/sources.md), in PyYAML's order. The documentation-only `yaml` entry
 * there (`!`, `&`, `*`) is left out: no plain scalar starts with those characters.
 *
 * Python's `$` also matches before a final newline; a plain scalar never ends with one, so `$`
 * here means the same.
 *
 * Two users:
 * - the serializer quotes every string that the table would type, so that no string depends on
 *   another library's idea of YAML 1.1 to arrive as a string (emit.ts);
 * - the verify step reads the output back with js-yaml's loader and a schema of exactly these
 *   types: strings, sequences and mappings, and the table's implicit types for plain scalars.
 *   js-yaml is a second YAML implementation beside the `yaml` that wrote the text, so a mistake
 *   of one in quoting or escaping is not hidden by the same mistake read back.
 */
import { FAILSAFE_SCHEMA, load, Type, type Schema } from '../../vendor/js-yaml.mjs';

interface Implicit {
  readonly tag: string;
  /** The characters a scalar of this type can start with ('' for the empty scalar). */
  readonly first: string;
  readonly pattern: RegExp;
}

export const PYYAML_IMPLICIT: readonly Implicit[] = [
  { tag: 'tag:yaml.org,2002:bool', first: 'yYnNtTfFoO', pattern: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/ },
  {
    tag: 'tag:yaml.org,2002:float',
    first: '-+0123456789.',
    pattern: /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  },
  { tag: 'tag:yaml.org,2002:int', first: '-+0123456789', pattern: /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/ },
  { tag: 'tag:yaml.org,2002:merge', first: '<', pattern: /^(?:<<)$/ },
  { tag: 'tag:yaml.org,2002:null', first: '~nN', pattern: /^(?:~|null|Null|NULL|)$/ },
  {
    tag: 'tag:yaml.org,2002:timestamp',
    first: '0123456789',
    pattern: /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  },
  { tag: 'tag:yaml.org,2002:value', first: '=', pattern: /^(?:=)$/ },
];

/** The types a scalar can have by its first character, in PyYAML's order ('' for the empty one). */
const BY_FIRST = new Map<string, Implicit[]>([['', PYYAML_IMPLICIT.filter((t) => t.tag === 'tag:yaml.org,2002:null')]]);
for (const t of PYYAML_IMPLICIT) for (const c of t.first) BY_FIRST.set(c, [...(BY_FIRST.get(c) ?? []), t]);

/** The type PyYAML's SafeLoader gives this text as a plain scalar; undefined for a string. */
export function pyyamlImplicitTag(text: string): string | undefined {
  const candidates = BY_FIRST.get(text === '' ? '' : text[0]!);
  if (candidates) for (const t of candidates) if (t.pattern.test(text)) return t.tag;
  return undefined;
}

/**
 * What a typed scalar reads back as: PyYAML's booleans and null as such, every other type as an
 * object naming it, which no string of the document built can equal. The SafeLoader has no
 * constructor for `=` (value) or for `<<` (merge) standing as a value, and refuses the document;
 * so does this reader, for `<<` as a key too (a merge, which crinit never writes).
 */
function construct(tag: string, text: string): unknown {
  if (tag === 'tag:yaml.org,2002:bool') return /^(?:yes|true|on)$/i.test(text);
  if (tag === 'tag:yaml.org,2002:null') return null;
  if (tag === 'tag:yaml.org,2002:value' || tag === 'tag:yaml.org,2002:merge') throw new Error(`PyYAML's SafeLoader cannot construct the plain scalar ${JSON.stringify(text)} (${tag})`);
  return { [tag]: text };
}

/**
 * js-yaml's schema for PyYAML's SafeLoader: the failsafe types and the table above. js-yaml tries
 * the implicit types in this order, as PyYAML does, and an earlier type that matches wins; the
 * first-character lists only spare PyYAML the patterns that cannot match.
 */
const PYYAML_SCHEMA: Schema = FAILSAFE_SCHEMA.extend({
  implicit: PYYAML_IMPLICIT.map(
    (t) =>
      new Type(t.tag, {
        kind: 'scalar',
        resolve: (data: unknown) => typeof data === 'string' && t.pattern.test(data),
        construct: (data: string) => construct(t.tag, data),
      }),
  ),
});

/** readAsPyYaml reads a YAML document as cloud-init's PyYAML types it; it throws on a YAML error. */
export function readAsPyYaml(text: string): unknown {
  return load(text, { schema: PYYAML_SCHEMA });
}
