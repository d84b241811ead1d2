/**
 * @fileoverview Repositories and their keys: each one named is defined, signed by a known key,
 * described for the package manager in use, and filled with the minor it serves ({minor}).
 */
import { CODES } from '../diagnostics.js';
import { joinPointer } from '../profile/source.js';
import type { Repo } from '../profile/types.js';
import type { Rule, RuleContext } from './context.js';
import { RUNTIME_RULES } from './runtimes/index.js';

/** resolveRepo checks one repository and returns it as the Profile holds it (only what the package manager reads). */
export function resolveRepo(ctx: RuleContext, repoId: string, repoPtr: string, minor: string | undefined, minorPtr: string, minorWhat: string): Repo | undefined {
  const { data, pm, distro, err, arch } = ctx;
  const r = data.repos?.[repoId];
  const keyName = r?.key;
  const key = keyName !== undefined ? data.keys?.[keyName] : undefined;
  const kind = pm?.repositories;
  if (!r) err(repoPtr, `repository ${JSON.stringify(repoId)} is not defined`, 'define it under repos:', CODES.reference);
  else if (!keyName || !key) {
    err(joinPointer(['repos', repoId]), `repository ${JSON.stringify(repoId)} names no known signing key`, 'set repos.<id>.key to a key defined under keys:, so that its packages are verified', CODES.reference);
  } else if (kind && !r[kind]) {
    err(joinPointer(['repos', repoId]), `repository ${JSON.stringify(repoId)} has no ${kind}: entry for ${pm.name}-based ${distro.id}`, REPO_HINTS[kind], CODES.reference);
  } else if (!key.armored && !key.url) {
    err(joinPointer(['keys', keyName]), `key ${JSON.stringify(keyName)} has neither the armored key nor a url to fetch it from`, 'add keys.<name>.armored (preferred), or keys.<name>.url', CODES.reference);
  } else {
    const fill = (u: string): string => (minor ? u.replace(/\{minor\}/g, minor) : u).replace(/\{arch\}/g, arch);
    if (!minor && (namesMinor(r) || namesMinor(key))) {
      err(minorPtr, `the ${repoId} repository is per minor version, and ${minorWhat} names none`, 'write a minor such as "1.36"', CODES.badVersion);
    }
    // Only what the package manager in use reads is kept.
    const { apt, yum, ...rest } = r;
    const described = { apt, yum };
    return {
      ...rest,
      id: repoId,
      ...(kind ? { [kind]: FILLED[kind](described[kind] as never, fill) } : {}),
      key: { name: keyName, ...key, ...(key.url ? { url: fill(key.url) } : {}) },
    };
  }
  return undefined;
}

const minorIn = new WeakMap<object, boolean>();

/** Whether a repository or key names {minor} anywhere (worked out once for the shared built-in ones). */
function namesMinor(value: object): boolean {
  let found = minorIn.get(value);
  if (found === undefined) minorIn.set(value, (found = JSON.stringify(value).includes('{minor}')));
  return found;
}

/** A repository description with {minor} filled in its URL. */
const FILLED: { readonly [K in 'apt' | 'yum']: (entry: NonNullable<Repo[K]>, fill: (u: string) => string) => NonNullable<Repo[K]> } = {
  apt: (e, fill) => ({ ...e, uri: fill(e.uri) }),
  yum: (e, fill) => ({ ...e, baseurl: fill(e.baseurl) }),
};

const REPO_HINTS: Readonly<Record<'apt' | 'yum', string>> = {
  apt: 'add repos.<id>.apt with uri, suite and components',
  yum: 'add repos.<id>.yum with a baseurl',
};

/** The runtime's repository, per minor of the runtime version. */
export const runtimeRepository: Rule = {
  name: 'runtime repository',
  run(ctx) {
    const { packaging, version, rt, pm } = ctx;
    if (packaging?.repo === undefined || packaging.unsupported) return;
    const built = RUNTIME_RULES[rt.name]?.repository;
    if (built) {
      const r = built(ctx);
      const kind = pm?.repositories;
      // Only what the package manager in use reads is kept.
      if (r) ctx.repos.push({ id: r.id, key: r.key, ...(r.pointers ? { pointers: r.pointers } : {}), ...(r.description ? { description: r.description } : {}), ...(kind && r[kind] ? { [kind]: r[kind] } : {}) });
      return;
    }
    const minor = version && version.minor !== undefined ? `${version.major}.${version.minor}` : undefined;
    const r = resolveRepo(ctx, packaging.repo, `/packaging/${rt.name}/${rt.source}/repo`, minor, ctx.versionPtr, `runtime.version ${JSON.stringify(ctx.versionRaw)}`);
    if (r) ctx.repos.push(r);
  },
};
