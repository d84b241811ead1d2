/**
 * @fileoverview Resolving a profile's `extends` chain into ordered layers:
 * base > DISTRO > RUNTIME > user files (outermost last) > --set values.
 * Cycles are refused, and every layer is named in the chain that diagnostics carry.
 */
import { commentText } from './formats.js';
import { posix } from 'node:path';
import { parse as parseYamlValue } from 'yaml';
import { ASSETS } from '../assets.generated.js';
import { BUILTIN_DATA } from '../builtin-data.generated.js';
import { CODES, hasErrors, type Diagnostic } from '../diagnostics.js';
import { closest, validateLayer } from './schema.js';
import { builtinSourceLayer, joinPointer, locate, parseLayer, type SourceLayer } from './source.js';
import { substituteVariables, type VariableOptions } from './variables.js';

/** The names of the embedded profiles under profiles/KIND/ (sorted), worked out once per process. */
const builtinNames = new Map<string, readonly string[]>();
function namesUnder(kind: 'distros' | 'runtimes'): string[] {
  let names = builtinNames.get(kind);
  if (!names) {
    const prefix = `profiles/${kind}/`;
    names = Object.keys(ASSETS)
      .filter((k) => k.startsWith(prefix) && k.endsWith('.yaml'))
      .map((k) => k.slice(prefix.length, -'.yaml'.length))
      .sort();
    builtinNames.set(kind, names);
  }
  return [...names];
}

/** The built-in distros and runtimes, from profiles/ (sorted). */
export function builtinDistros(): string[] {
  return namesUnder('distros');
}

export function builtinRuntimes(): string[] {
  return namesUnder('runtimes');
}

/** isBuiltinName tells "ubuntu-24.04/containerd" apart from a file path. */
export function isBuiltinName(ref: string): boolean {
  return /^[a-z0-9][a-z0-9.-]*\/[a-z0-9][a-z0-9-]*$/.test(ref) && !/\.ya?ml$/.test(ref);
}

/** What compile() is asked to build: a built-in name, or a user profile file. */
export type ProfileEntry = { builtin: string } | { path: string; text: string };

export interface ResolveOptions {
  /** Reads a file that a user profile extends; undefined when it does not exist. */
  readonly readFile?: (path: string) => string | undefined;
  /** --set key=value overrides, applied after every file. */
  readonly set?: readonly string[];
  /** Per-node variables: values, or names kept live in a Terraform template. */
  readonly variables?: VariableOptions;
}

export interface Resolved {
  readonly layers: readonly SourceLayer[];
  readonly chain: string;
  readonly diagnostics: Diagnostic[];
  /** For a Terraform template: which sentinel word stands for which variable. */
  readonly sentinels: ReadonlyMap<string, string>;
}

/** The built-in layers, parsed once per process: they are embedded and never change. */
const builtinCache = new Map<string, SourceLayer>();

function builtinLayer(kind: 'base' | 'distros' | 'runtimes', name: string): SourceLayer {
  const key = kind === 'base' ? 'profiles/base.yaml' : `profiles/${kind}/${name}.yaml`;
  const cached = builtinCache.get(key);
  if (cached) return cached;
  const text = ASSETS[key];
  const data = BUILTIN_DATA[key];
  if (text === undefined || data === undefined) throw new Error(`internal: missing built-in profile ${key}`);
  // Parsed at build time (scripts/embed-assets.mjs); its YAML is read again only for a position.
  const layer = builtinSourceLayer(kind === 'base' ? 'base' : name, key, `builtin:${key}`, text, data);
  builtinCache.set(key, layer);
  return layer;
}

interface BuiltinRefError {
  message: string;
  hint: string;
}

function builtinLayers(ref: string): SourceLayer[] | BuiltinRefError {
  const [distro, runtime] = ref.split('/') as [string, string];
  const distros = builtinDistros();
  const runtimes = builtinRuntimes();
  if (!distros.includes(distro)) {
    const guess = closest(distro, distros);
    return {
      message: `unknown distro ${JSON.stringify(distro)} in ${JSON.stringify(ref)}`,
      hint: `${guess ? `did you mean ${JSON.stringify(`${guess}/${runtimes.includes(runtime) ? runtime : (closest(runtime, runtimes) ?? runtime)}`)}? ` : ''}the distros: ${distros.join(', ')} (see \`crinit list\`)`,
    };
  }
  if (!runtimes.includes(runtime)) {
    const guess = closest(runtime, runtimes);
    return {
      message: `unknown runtime ${JSON.stringify(runtime)} in ${JSON.stringify(ref)}`,
      hint: `${guess ? `did you mean ${JSON.stringify(`${distro}/${guess}`)}? ` : ''}the runtimes: ${runtimes.join(', ')} (see \`crinit list\`)`,
    };
  }
  return [builtinLayer('base', 'base'), builtinLayer('distros', distro), builtinLayer('runtimes', runtime)];
}

/**
 * parseSet turns `a.b.c=value` into a one-key layer. The value is read as YAML, so
 * `--set kernel.modules=[ip_vs]` and `--set runtime.version='"2.3"'` work.
 */
function parseSet(arg: string, index: number): { layer?: SourceLayer; diagnostic?: Diagnostic } {
  const file = `--set #${index + 1}`;
  const eq = arg.indexOf('=');
  const path = eq > 0 ? arg.slice(0, eq) : '';
  if (eq <= 0 || !/^[A-Za-z0-9_.-]+$/.test(path) || path.split('.').some((s) => s === '')) {
    return {
      diagnostic: {
        severity: 'error',
        code: CODES.badSet,
        message: `cannot read --set ${JSON.stringify(arg.length > 80 ? arg.slice(0, 80) + '…' : arg)}`,
        hint: 'write --set key.path=value, e.g. --set runtime.cgroupDriver=systemd',
        file,
        position: { line: 1, col: 1 },
      },
    };
  }
  let value: unknown;
  const raw = arg.slice(eq + 1);
  try {
    value = parseYamlValue(raw, { version: '1.2' });
  } catch {
    value = raw;
  }
  // Keep version-like values strings ("2.3" would otherwise become the number 2.3).
  if (typeof value === 'number' || value === null) value = raw;
  const parts = path.split('.');
  const data: Record<string, unknown> = {};
  let cursor = data;
  parts.forEach((p, i) => {
    if (i === parts.length - 1) cursor[p] = value;
    else cursor = cursor[p] = {} as Record<string, unknown>;
  });
  return {
    layer: {
      name: `--set ${path}`,
      file,
      id: `set:${index}`,
      text: arg,
      data,
      fixedPosition: { line: 1, col: eq + 2 },
    },
  };
}

/**
 * resolveProfile loads the entry and everything it extends, validates every layer against the
 * schema, and returns the layers in merge order.
 */
export function resolveProfile(entry: ProfileEntry, options: ResolveOptions = {}): Resolved {
  const diagnostics: Diagnostic[] = [];
  let layers: SourceLayer[] = [];

  if ('builtin' in entry) {
    const got = isBuiltinName(entry.builtin) ? builtinLayers(entry.builtin) : undefined;
    if (!got || !Array.isArray(got)) {
      diagnostics.push({
        severity: 'error',
        code: CODES.unknownProfile,
        message: got?.message ?? `${JSON.stringify(entry.builtin)} is neither a built-in DISTRO/RUNTIME name nor a profile file`,
        hint: got?.hint ?? 'pass a built-in name such as ubuntu-24.04/containerd (see `crinit list`) or a path to a .yaml profile',
      });
      return { layers: [], chain: entry.builtin, diagnostics, sentinels: new Map() };
    }
    layers = got;
  } else {
    // Walk the user's extends chain from the entry file outwards.
    const userLayers: SourceLayer[] = [];
    let current: { path: string; text: string } | undefined = { path: entry.path, text: entry.text };
    const seen: string[] = [];
    while (current) {
      const id = posix.normalize(current.path);
      const parsed = parseLayer(posix.basename(current.path), current.path, id, current.text);
      diagnostics.push(...parsed.diagnostics);
      if (!parsed.layer) break;
      const layer = parsed.layer;
      userLayers.unshift(layer);
      seen.push(id);
      current = undefined;
      const ext = layer.data.extends;
      if (ext === undefined) break;
      if (typeof ext !== 'string') break; // the schema reports it
      const here = locate(layer, joinPointer(['extends']));
      if (isBuiltinName(ext)) {
        const got = builtinLayers(ext);
        if (!Array.isArray(got)) {
          diagnostics.push({ severity: 'error', code: CODES.unknownProfile, ...got, file: layer.file, ...here });
        } else {
          layers = got;
        }
        break;
      }
      const target = posix.normalize(posix.join(posix.dirname(layer.id), ext));
      const resolvedTarget = ext.startsWith('/') ? posix.normalize(ext) : target;
      if (seen.includes(resolvedTarget)) {
        const cycle = [...seen, resolvedTarget].map((s) => posix.basename(s)).join(' > ');
        diagnostics.push({
          severity: 'error',
          code: CODES.extendsCycle,
          message: `extends cycle: ${cycle}`,
          hint: 'remove one of these extends so that the chain ends at a built-in DISTRO/RUNTIME',
          file: layer.file,
          ...here,
        });
        break;
      }
      const text = options.readFile?.(resolvedTarget);
      if (text === undefined) {
        diagnostics.push({
          severity: 'error',
          code: CODES.fileNotFound,
          message: `cannot read the extended profile ${JSON.stringify(ext)}`,
          hint: `check the path; it is resolved relative to ${layer.file}, or use a built-in name such as ubuntu-24.04/containerd`,
          file: layer.file,
          ...here,
        });
        break;
      }
      current = { path: resolvedTarget, text };
    }
    layers = [...layers, ...userLayers];
  }

  (options.set ?? []).forEach((arg, i) => {
    const { layer, diagnostic } = parseSet(arg, i);
    if (diagnostic) diagnostics.push(diagnostic);
    if (layer) layers.push(layer);
  });

  const chain = commentText(layers.map((l) => l.name).join(' > ') || ('path' in entry ? posix.basename(entry.path) : entry.builtin));
  const withChain: Diagnostic[] = diagnostics.map((d) => ({ ...d, chain: d.chain ?? chain }));
  if (hasErrors(withChain)) return { layers, chain, diagnostics: withChain, sentinels: new Map() };
  const vars = substituteVariables(layers, options.variables ?? {}, chain);
  withChain.push(...vars.diagnostics);
  for (const layer of vars.layers) withChain.push(...validateLayer(layer, chain));
  return { layers: vars.layers, chain, diagnostics: withChain, sentinels: vars.sentinels };
}
