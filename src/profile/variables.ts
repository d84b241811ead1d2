/**
 * @fileoverview Per-node variables: `${name}` placeholders in profile values, for names the
 * profile declares under `terraform.variables` (or the command line adds).
 *
 * - Rendered directly, each placeholder takes the value given (`--var name=value`).
 * - Rendered as a Terraform template (`--format tftpl`), each placeholder becomes a sentinel
 *   word that every format carries unquoted, and after rendering the sentinel turns back into a
 *   live `${name}` while every other `${` and `%{` is escaped (see src/tftpl.ts).
 * Placeholders with undeclared names are ordinary text.
 */
import { CODES, type Diagnostic } from '../diagnostics.js';
import { locate, type SourceLayer } from './source.js';

export interface VariableOptions {
  /** Values for direct rendering. */
  readonly values?: Readonly<Record<string, string>>;
  /** Set for a Terraform template: these names (and the declared ones) stay live. */
  readonly templateNames?: readonly string[];
}

/** Values that can be put into YAML, TOML and shell text as they are. */
const SIMPLE_VALUE = /^[A-Za-z0-9._:/@+=,~-]*$/;

/** isSimpleValue tells whether a per-node value can go into YAML, TOML and shell text as it is. */
export function isSimpleValue(value: string): boolean {
  return SIMPLE_VALUE.test(value);
}

/** The word that stands for variable number i while a template is rendered. */
export function sentinel(i: number): string {
  return `crinittfvar${i}x`;
}

/** Matches a sentinel word (add the g flag to find them all). */
export const SENTINEL = /crinittfvar\d+x/;

const NAME = /^[a-z_][a-z0-9_]*$/;

function declaredIn(layer: SourceLayer): string[] {
  const tf = layer.data.terraform as { variables?: unknown } | undefined;
  return Array.isArray(tf?.variables) ? tf.variables.filter((v): v is string => typeof v === 'string' && NAME.test(v)) : [];
}

const placeholders = new WeakMap<SourceLayer, boolean>();

/** Whether a layer's values contain `${` anywhere (worked out once per layer). */
function mayHoldPlaceholders(layer: SourceLayer): boolean {
  let found = placeholders.get(layer);
  if (found === undefined) placeholders.set(layer, (found = JSON.stringify(layer.data).includes('${')));
  return found;
}

function substitute(value: unknown, map: ReadonlyMap<string, string>, pattern: RegExp): unknown {
  if (typeof value === 'string') return value.replace(pattern, (_m, name: string) => map.get(name)!);
  if (Array.isArray(value)) return value.map((v) => substitute(v, map, pattern));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'terraform' ? v : substitute(v, map, pattern)]));
  }
  return value;
}

/**
 * substituteVariables replaces declared placeholders in every layer's values. It returns the
 * new layers and, for a template, which sentinel stands for which name.
 */
export function substituteVariables(
  layers: readonly SourceLayer[],
  opts: VariableOptions,
  chain: string,
): { layers: SourceLayer[]; sentinels: Map<string, string>; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const declared = new Set<string>([...layers.flatMap(declaredIn), ...(opts.templateNames ?? []), ...Object.keys(opts.values ?? {})]);
  const map = new Map<string, string>();
  const sentinels = new Map<string, string>();
  [...declared].sort().forEach((name, i) => {
    if (opts.templateNames) {
      map.set(name, sentinel(i));
      sentinels.set(sentinel(i), name);
    } else if (opts.values?.[name] !== undefined) {
      map.set(name, opts.values[name]!);
    } else {
      const layer = layers.find((l) => declaredIn(l).includes(name));
      const at = layer ? locate(layer, `/terraform/variables/${declaredIn(layer).indexOf(name)}`) : {};
      diagnostics.push({
        severity: 'error',
        code: CODES.variable,
        message: `the variable ${JSON.stringify(name)} is declared but has no value`,
        hint: `pass --var ${name}=VALUE, or render a Terraform template with --format tftpl`,
        ...(layer ? { file: layer.file } : {}),
        ...at,
        chain,
      });
    }
  });
  if (map.size === 0) return { layers: [...layers], sentinels, diagnostics };
  const names = [...map.keys()].map((n) => n.replace(/[^a-z0-9_]/g, '')).join('|');
  const pattern = new RegExp(`\\$\\{(${names})\\}`, 'g');
  return {
    // A layer with no placeholder at all (a built-in one, say) stays the same object, so that
    // what was worked out about it (its schema verdict) is kept.
    layers: layers.map((l) => (mayHoldPlaceholders(l) ? { ...l, data: substitute(l.data, map, pattern) as Record<string, unknown> } : l)),
    sentinels,
    diagnostics,
  };
}
