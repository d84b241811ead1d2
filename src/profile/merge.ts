/**
 * @fileoverview Merging profile layers, with the origin of every merged value kept.
 *
 * Merge rules, written once (one table, MERGE_STRATEGIES):
 *   1. Mappings merge key by key; a later layer's key replaces an earlier one's.
 *   2. Scalars and lists replace, unless the table below says otherwise.
 *   3. `files` is keyed by `path`: a later layer's entry with the same path replaces the earlier
 *      one in place (reported, so that it is never silent); new paths are appended (Ignition's
 *      keyed-list rule). Two entries with one path in the same layer are a mistake, reported too.
 *   4. `commands` appends: every layer's commands run, base layers first.
 *   5. `kernel.modules` is a union in first-seen order: a layer can add modules, never drop the
 *      ones the Kubernetes guide requires.
 *   6. `extends` is not merged; it only names the parent layer.
 */
import { CODES, type Diagnostic } from '../diagnostics.js';
import { joinPointer, locate, type SourceLayer } from './source.js';

export type MergeStrategy = { kind: 'append' } | { kind: 'union' } | { kind: 'keyed'; key: string };

export const MERGE_STRATEGIES: Readonly<Record<string, MergeStrategy>> = {
  '/files': { kind: 'keyed', key: 'path' },
  '/commands': { kind: 'append' },
  '/kernel/modules': { kind: 'union' },
};

/** Where a merged value came from. */
export interface ValueOrigin {
  readonly layer: SourceLayer;
  readonly pointer: string;
}

/** Where each merged value came from, by merged pointer. */
export interface OriginMap {
  get(pointer: string): ValueOrigin | undefined;
}

/** Every pointer of a cached merge's origins and every pointer above one, worked out once per merge. */
const basePointers = new WeakMap<ReadonlyMap<string, ValueOrigin>, ReadonlySet<string>>();
function pointersOf(base: ReadonlyMap<string, ValueOrigin>): ReadonlySet<string> {
  let all = basePointers.get(base);
  if (!all) {
    const set = new Set<string>();
    for (const k of base.keys()) {
      for (let p = k; !set.has(p); p = p.slice(0, Math.max(0, p.lastIndexOf('/')))) {
        set.add(p);
        if (p === '') break;
      }
    }
    basePointers.set(base, (all = set));
  }
  return all;
}

/**
 * The origins of one merge: its own entries over those of the cached built-in merge it starts
 * from, which it never copies or changes (a forgotten base entry is only hidden).
 */
class Origins implements OriginMap {
  private readonly own = new Map<string, ValueOrigin>();
  private readonly hidden = new Set<string>();
  constructor(private readonly base?: ReadonlyMap<string, ValueOrigin>) {}

  get(pointer: string): ValueOrigin | undefined {
    return this.own.get(pointer) ?? (this.base && !this.hidden.has(pointer) ? this.base.get(pointer) : undefined);
  }

  set(pointer: string, origin: ValueOrigin): void {
    this.own.set(pointer, origin);
  }

  /** Forgets the origins at a pointer and below it. */
  forget(at: string): void {
    const under = (k: string): boolean => k === at || k.startsWith(at + '/');
    for (const k of [...this.own.keys()]) if (under(k)) this.own.delete(k);
    // Most pointers a user layer sets (its own files, say) hold nothing of the base merge.
    if (this.base && pointersOf(this.base).has(at)) for (const k of this.base.keys()) if (under(k)) this.hidden.add(k);
  }

  /** The entries, for a merge to keep (only a merge without a base is cached). */
  entries(): Map<string, ValueOrigin> {
    return this.own;
  }
}

/** A keyed entry that took the place of another with the same key (a file path). */
export interface Replacement {
  /** The merged pointer of the entry, e.g. /files/2. */
  readonly at: string;
  readonly key: string;
  readonly earlier: ValueOrigin;
  readonly later: ValueOrigin;
}

type Json = unknown;

function isPlainObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone(v: Json): Json {
  return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as Json);
}

/** record sets the origin of `value` and all of its descendants. */
function record(origins: Origins, at: string, layer: SourceLayer, from: string, value: Json): void {
  origins.set(at, { layer, pointer: from });
  if (Array.isArray(value)) {
    value.forEach((item, i) => record(origins, `${at}/${i}`, layer, `${from}/${i}`, item));
  } else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      record(origins, at + joinPointer([k]), layer, from + joinPointer([k]), v);
    }
  }
}


/**
 * The containers a merge made itself, which it may change in place. Everything else (the cached
 * merge of the built-in layers, a layer's own data) is shared and copied before a change: a
 * merge copies only the paths it writes, never the whole tree.
 */
type Owned = WeakSet<object>;

function own<T extends object>(owned: Owned, v: T): T {
  if (owned.has(v)) return v;
  const copy = (Array.isArray(v) ? [...v] : { ...v }) as T;
  owned.add(copy);
  return copy;
}

function mergeValue(
  owned: Owned,
  target: Record<string, Json>,
  key: string,
  at: string,
  value: Json,
  layer: SourceLayer,
  from: string,
  origins: Origins,
  replaced: Replacement[],
): void {
  const strategy = MERGE_STRATEGIES[at];
  if (strategy && Array.isArray(value) && target[key] === undefined) {
    // The first layer to set a merged list starts it empty, so that its own entries follow the
    // same rule as everyone else's (a repeated key is seen in any layer).
    target[key] = own(owned, []);
    origins.set(at, { layer, pointer: from });
  }
  const current = target[key];
  if (strategy && Array.isArray(value) && Array.isArray(current)) {
    const existing: Json[] = own(owned, current);
    target[key] = existing;
    if (strategy.kind === 'append') {
      value.forEach((item, i) => {
        record(origins, `${at}/${existing.length}`, layer, `${from}/${i}`, item);
        existing.push(clone(item));
      });
    } else if (strategy.kind === 'union') {
      value.forEach((item, i) => {
        if (existing.some((e) => JSON.stringify(e) === JSON.stringify(item))) return;
        record(origins, `${at}/${existing.length}`, layer, `${from}/${i}`, item);
        existing.push(clone(item));
      });
    } else {
      value.forEach((item, i) => {
        const id = isPlainObject(item) ? item[strategy.key] : undefined;
        const idx = existing.findIndex((e) => isPlainObject(e) && id !== undefined && e[strategy.key] === id);
        const slot = idx >= 0 ? idx : existing.length;
        const earlier = idx >= 0 ? origins.get(`${at}/${slot}`) : undefined;
        if (earlier) replaced.push({ at: `${at}/${slot}`, key: String(id), earlier, later: { layer, pointer: `${from}/${i}` } });
        origins.forget(`${at}/${slot}`);
        record(origins, `${at}/${slot}`, layer, `${from}/${i}`, item);
        existing[slot] = clone(item);
      });
    }
    return;
  }
  if (isPlainObject(value) && isPlainObject(current)) {
    origins.set(at, origins.get(at) ?? { layer, pointer: from });
    const into = (target[key] = own(owned, current));
    for (const [k, v] of Object.entries(value)) {
      mergeValue(owned, into, k, at + joinPointer([k]), v, layer, from + joinPointer([k]), origins, replaced);
    }
    return;
  }
  origins.forget(at);
  record(origins, at, layer, from, value);
  target[key] = clone(value);
}

/**
 * mergeLayers merges the layers in order (earliest first) and returns the data, its origins, and
 * every keyed entry that replaced another.
 */
export function mergeLayers(layers: readonly SourceLayer[]): { data: Record<string, Json>; origins: OriginMap; replaced: Replacement[] } {
  // The built-in layers come first and never change: their merge is worked out once and copied.
  const builtins = layers.findIndex((l) => !l.id.startsWith('builtin:'));
  const prefix = builtins === -1 ? layers.length : builtins;
  const start = prefix > 0 ? mergedPrefix(layers.slice(0, prefix)) : undefined;
  const owned: Owned = new WeakSet();
  const data: Record<string, Json> = own(owned, start ? start.data : {});
  const origins = new Origins(start?.origins);
  const replaced: Replacement[] = [...(start?.replaced ?? [])];
  mergeInto(owned, data, origins, replaced, layers.slice(start ? prefix : 0));
  return { data, origins, replaced };
}

/** mergeInto merges the layers, in order, into data, recording origins and replacements. */
function mergeInto(owned: Owned, data: Record<string, Json>, origins: Origins, replaced: Replacement[], layers: readonly SourceLayer[]): void {
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer.data)) {
      if (k === 'extends') continue;
      mergeValue(owned, data, k, joinPointer([k]), v, layer, joinPointer([k]), origins, replaced);
    }
  }
}

const prefixCache = new Map<string, { data: Record<string, Json>; origins: ReadonlyMap<string, ValueOrigin>; replaced: Replacement[] }>();

/** The merge of a run of built-in layers, worked out once per run; merges copy the paths they change. */
function mergedPrefix(layers: readonly SourceLayer[]): { data: Record<string, Json>; origins: ReadonlyMap<string, ValueOrigin>; replaced: Replacement[] } {
  const key = layers.map((l) => l.id).join('\n');
  let m = prefixCache.get(key);
  if (!m) {
    const origins = new Origins();
    m = { data: {}, origins: origins.entries(), replaced: [] };
    mergeInto(new WeakSet(), m.data, origins, m.replaced, layers);
    // Shared by every merge that starts from it: frozen, so that nothing can change it in place.
    deepFreeze(m.data);
    prefixCache.set(key, m);
  }
  return m;
}

function deepFreeze(v: Json): void {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
}

/** originOf finds the origin of the value at `pointer`, or of its nearest recorded ancestor. */
export function originOf(origins: OriginMap, pointer: string): ValueOrigin | undefined {
  let p = pointer;
  for (;;) {
    const o = origins.get(p);
    if (o) return o;
    if (p === '') return undefined;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

/**
 * replacementDiagnostics reports each keyed replacement at the later entry: within one layer it
 * is an error (which of the two was meant?), across layers a warning (a layer may replace a file
 * of the layer it extends, but never silently).
 */
export function replacementDiagnostics(replaced: readonly Replacement[], chain: string): Diagnostic[] {
  return replaced.map((r) => {
    const earlier = locate(r.earlier.layer, r.earlier.pointer).position;
    const where = earlier ? `${r.earlier.layer.file}:${earlier.line}` : r.earlier.layer.file;
    const same = r.earlier.layer === r.later.layer;
    return {
      severity: same ? ('error' as const) : ('warning' as const),
      code: same ? CODES.conflict : CODES.fileReplaced,
      message: same ? `this files entry repeats the path ${r.key} of the entry at ${where}` : `this files entry replaces the file ${r.key} of ${where} (layer ${r.earlier.layer.name})`,
      hint: same ? 'keep one entry per path' : 'a later layer replaces a file of the layer it extends; rename the path if both files are meant',
      file: r.later.layer.file,
      ...locate(r.later.layer, `${r.later.pointer}/path`),
      chain,
    };
  });
}
