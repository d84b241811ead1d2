/**
 * @fileoverview The rules a schema cannot express (is this source available on this distro? does
 * this key exist? can these two run together?), one small module per concern, run in this order
 * over the merged layers. Each rule's diagnostics point at the layer and key that set the
 * offending value; the normalized parts they yield make the Profile the plan is built from.
 */
import type { Diagnostic } from '../diagnostics.js';
import { CODES } from '../diagnostics.js';
import { FIRST_BOOT } from '../os/first-boot.js';
import { findPackageManager } from '../os/package-managers.js';
import { DEFAULT_BIN_DIR } from '../paths.js';
import type { OriginMap } from '../profile/merge.js';
import { Locator } from '../profile/normalize.js';
import type { SourceLayer } from '../profile/source.js';
import type { Distro, Profile, RuntimeSource, WrittenProfile } from '../profile/types.js';
import { capabilities } from './capabilities.js';
import { cgroup } from './cgroup.js';
import type { Rule, RuleContext } from './context.js';
import { distroKeys } from './distro.js';
import { files, kubelet } from './files.js';
import { handlers } from './handlers.js';
import { kernel } from './kernel.js';
import { kubernetes, kubernetesVersion } from './kubernetes.js';
import { mirrors } from './mirrors.js';
import { proxy } from './proxy.js';
import { runtimeRepository } from './repos.js';
import { runtimeDefaults, runtimeSection, runtimeSource, runtimeVersion, SOURCES } from './runtime.js';
import { runtimeSysext } from './sysext.js';

/** Every rule, in the order they run: later rules read what earlier ones normalized. */
export const RULES: readonly Rule[] = [
  distroKeys,
  kubernetesVersion,
  runtimeDefaults,
  runtimeSource,
  capabilities,
  runtimeVersion,
  runtimeRepository,
  runtimeSysext,
  kubernetes,
  proxy,
  mirrors,
  kernel,
  cgroup,
  runtimeSection,
  handlers,
  kubelet,
  files,
];

/**
 * Top-level profile keys whose per-node values are checked by re-running only these rules (and
 * re-keying only their plan nodes), in RULES order: no other rule or plan contributor reads the
 * key, which test/value-check.test.ts enforces. capabilities reads every key's shape. A per-node value under any other key takes the full check.
 */
export const LOCAL_RULES: Readonly<Record<string, readonly Rule[]>> = { files: [capabilities, files] };

/**
 * ruleContext starts the rules' shared context over merged layers, or gives only diagnostics
 * when the profile names no distro or runtime.
 */
export function ruleContext(data: WrittenProfile, origins: OriginMap, chain: string, entry?: SourceLayer): { ctx?: RuleContext; locator: Locator; diagnostics: Diagnostic[] } {
  const L = new Locator(origins, chain, entry);
  const diagnostics: Diagnostic[] = [];
  const err = (pointer: string, message: string, hint?: string, code: string = CODES.required, key?: string) => diagnostics.push(L.diag('error', code, pointer, message, hint, key));
  const warn = (pointer: string, code: string, message: string, hint?: string) => diagnostics.push(L.diag('warning', code, pointer, message, hint));

  const distro = data.distro;
  const runtime = data.runtime;
  if (!distro?.id || !runtime?.name) {
    err('', `this profile names no ${!distro?.id ? 'distro' : 'runtime'}`, 'start it with `extends: DISTRO/RUNTIME`, e.g. `extends: ubuntu-24.04/containerd` (see `crinit list`)', CODES.incomplete);
    return { locator: L, diagnostics };
  }
  const backend = distro.backend ?? 'cloud-init';
  // Without runtime.source: the upstream package where the distro has one, else the distro's
  // own, else the one built into the image.
  const byName = data.packaging?.[runtime.name];
  const defaultSource: RuntimeSource = SOURCES.find((s) => byName?.[s]) ?? 'upstream';
  const ctx: RuleContext = {
    data,
    L,
    diagnostics,
    distro,
    backend,
    firstBoot: FIRST_BOOT[backend],
    ...(distro.packageManager ? { pm: findPackageManager(distro.packageManager) } : {}),
    rt: { source: defaultSource, cgroupDriver: 'systemd', registryMirrors: {}, ...runtime, name: runtime.name },
    arch: data.arch ?? 'amd64',
    k8s: { ok: false },
    versionPtr: '/runtime/version',
    repos: [],
    handlers: [],
    handlerKinds: [],
    handlerRefusals: {},
    parts: {},
    stop: false,
    incomplete: false,
    err,
    warn,
  };
  return { ctx, locator: L, diagnostics };
}

/** runRules runs rules in order over a context, until one stops it; false when one did. */
export function runRules(ctx: RuleContext, rules: readonly Rule[] = RULES): boolean {
  for (const rule of rules) {
    rule.run(ctx);
    if (ctx.stop) return false;
  }
  return true;
}

/**
 * applyRules runs the rules and returns the Profile, or only diagnostics when an error makes a
 * profile impossible to build.
 */
export function applyRules(
  data: WrittenProfile,
  origins: OriginMap,
  chain: string,
  entry?: SourceLayer,
): { profile?: Profile; locator: Locator; diagnostics: Diagnostic[] } {
  const { ctx, locator: L, diagnostics } = ruleContext(data, origins, chain, entry);
  if (!ctx || !runRules(ctx)) return { locator: L, diagnostics };
  const distro = ctx.distro;
  const backend = ctx.backend;

  const { packaging, version, rt, parts, section } = ctx;
  if (diagnostics.some((d) => d.severity === 'error') || !packaging || !version || !section || ctx.incomplete) return { locator: L, diagnostics };
  const profile: Profile = {
    ...(parts as Required<Pick<Profile, 'mirrors' | 'kernel' | 'kubelet' | 'files'>>),
    chain,
    arch: ctx.arch,
    distro: { ...(distro as Distro), backend, binDir: distro.binDir ?? DEFAULT_BIN_DIR },
    runtime: {
      ...section,
      source: rt.source,
      version,
      cgroupDriver: rt.cgroupDriver,
      sandboxImage: rt.sandboxImage!,
      registryMirrors: Object.keys(rt.registryMirrors ?? {})
        .sort()
        .map((h) => [h, rt.registryMirrors![h]!] as const),
      handlers: ctx.handlers,
      handlerKinds: ctx.handlerKinds,
      handlerRefusals: ctx.handlerRefusals,
    },
    packaging,
    repos: ctx.repos,
    commands: data.commands ?? [],
    ignition: { ...(data.ignition?.version ? { version: data.ignition.version } : {}), snippets: data.ignition?.snippets ?? [] },
  };
  return { profile, locator: L, diagnostics };
}
