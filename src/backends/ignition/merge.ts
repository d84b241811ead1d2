/**
 * @fileoverview Merging a user's Ignition snippet into crinit's config, by Ignition's rules
 * (docs/operator-notes.md "Config Merging"): the child (the snippet) overrides the parent (crinit)
 * field by field; lists whose entries have a key are merged by key, and the child's entry is
 * merged over the parent's; other lists are appended. storage.files, directories and links share
 * one key space (path), so a snippet's link replaces crinit's file at the same path.
 *
 * One deliberate refinement: when the child gives a resource a new `source`, the parent's
 * compression, hash and headers belong to the old bytes and are dropped with them (Ignition would
 * keep a parent's `compression: gzip` under the child's plain data, unless the child wrote
 * `compression: ""` as Butane does).
 */

/** Every place the snippet overrode one of crinit's entries: for the conflict report. */
export interface Override {
  /** e.g. storage.files /etc/containerd/config.toml, or systemd.units containerd.service. */
  readonly what: string;
  /** The key of crinit's entry: a path or a unit name. */
  readonly key: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** The key field of each keyed list, by its path in the config (lists not named here are appended). */
const LIST_KEYS: Readonly<Record<string, string>> = {
  'ignition.config.merge': 'source',
  'ignition.security.tls.certificateAuthorities': 'source',
  'storage.disks': 'device',
  'storage.disks[].partitions': 'number',
  'storage.raid': 'name',
  'storage.filesystems': 'device',
  'storage.luks': 'name',
  'systemd.units': 'name',
  'systemd.units[].dropins': 'name',
  'passwd.users': 'name',
  'passwd.groups': 'name',
  'httpHeaders': 'name',
};

/** Lists that share one key space: a path appears in at most one of them. */
const NODE_LISTS = ['files', 'directories', 'links'] as const;

function isObj(v: Json | undefined): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function listKey(path: string): string | undefined {
  return LIST_KEYS[path] ?? (path.endsWith('.httpHeaders') ? 'name' : undefined);
}

function mergeValue(parent: Json | undefined, child: Json, path: string, overrides: Override[]): Json {
  if (isObj(parent) && isObj(child)) return mergeObject(parent, child, path, overrides);
  if (Array.isArray(parent) && Array.isArray(child)) return mergeList(parent, child, path, overrides);
  return child;
}

function mergeObject(parent: Obj, child: Obj, path: string, overrides: Override[]): Obj {
  const out: Obj = { ...parent };
  // A resource with a new source: the parent's description of the old bytes goes with them.
  if (typeof child.source === 'string' && child.source !== parent.source) {
    delete out.compression;
    delete out.verification;
    delete out.httpHeaders;
  }
  for (const [k, v] of Object.entries(child)) {
    const p = path ? `${path}.${k}` : k;
    out[k] = k in out ? mergeValue(out[k], v, p, overrides) : v;
  }
  return out;
}

function mergeList(parent: Json[], child: Json[], path: string, overrides: Override[]): Json[] {
  const key = listKey(path);
  if (path === 'kernelArguments.shouldExist' || path === 'kernelArguments.shouldNotExist') {
    return [...parent, ...child.filter((c) => !parent.includes(c))];
  }
  if (!key) return [...parent, ...child];
  const out = [...parent];
  for (const c of child) {
    const i = isObj(c) ? out.findIndex((p) => isObj(p) && p[key] === c[key]) : -1;
    if (i < 0) {
      out.push(c);
      continue;
    }
    // An override is a value of crinit's that the child changes; adding to an entry (a drop-in
    // to a unit, say) is not one.
    const p = out[i] as Obj;
    const changed = Object.entries(c as Obj).some(([k, v]) => k !== key && !Array.isArray(v) && k in p && JSON.stringify(p[k]) !== JSON.stringify(v));
    if (changed || path === 'systemd.units[].dropins') overrides.push({ what: path.replace('[]', ''), key: String((c as Obj)[key]) });
    out[i] = mergeValue(out[i], c, `${path}[]`, overrides);
  }
  return out;
}

/**
 * mergeIgnition returns the parent config with the child merged over it, and each crinit entry
 * the child overrode. Neither input is modified.
 */
export function mergeIgnition(parent: Obj, child: Obj): { config: Obj; overrides: Override[] } {
  const overrides: Override[] = [];
  const { storage: childStorage, ...childRest } = child;
  const merged = mergeObject(parent, childRest, '', overrides);
  if (isObj(childStorage)) {
    const base: Obj = isObj(merged.storage) ? { ...merged.storage } : {};
    const { files, directories, links, ...others } = childStorage;
    const storage = mergeObject(base, others, 'storage', overrides);
    // files, directories and links: one key space, by path.
    const lists: Record<(typeof NODE_LISTS)[number], Json[]> = {
      files: Array.isArray(storage.files) ? [...storage.files] : [],
      directories: Array.isArray(storage.directories) ? [...storage.directories] : [],
      links: Array.isArray(storage.links) ? [...storage.links] : [],
    };
    const incoming: Record<(typeof NODE_LISTS)[number], Json | undefined> = { files, directories, links };
    for (const kind of NODE_LISTS) {
      const entries = incoming[kind];
      if (!Array.isArray(entries)) continue;
      for (const c of entries) {
        if (!isObj(c)) continue;
        let merged_: Json = c;
        for (const other of NODE_LISTS) {
          const i = lists[other].findIndex((p) => isObj(p) && p.path === c.path);
          if (i < 0) continue;
          overrides.push({ what: `storage.${other}`, key: String(c.path) });
          const [old] = lists[other].splice(i, 1);
          // The same kind merges field by field; another kind is replaced.
          if (other === kind) merged_ = mergeObject(old as Obj, c, `storage.${kind}[]`, overrides);
        }
        lists[kind].push(merged_);
      }
    }
    for (const kind of NODE_LISTS) {
      if (lists[kind].length > 0) storage[kind] = lists[kind];
      else delete storage[kind];
    }
    merged.storage = storage;
  }
  return { config: merged, overrides };
}
