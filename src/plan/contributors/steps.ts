/**
 * @fileoverview The first-boot steps, derived from the plan's nodes in the order the Kubernetes
 * guide implies: kernel first (the bridge sysctls exist only once br_netfilter is loaded), then
 * packages, then configuration that replaces packaged files, then the services that read it,
 * then the profile's commands.
 */
import { repoKeyPath } from '../../os/package-managers.js';
import type { RuntimeParts } from '../runtimes/types.js';
import type { NodePlan, PlanPackage, PlanStep } from '../types.js';
import type { BuildContext } from './context.js';

/** What the steps are derived from: the plan's nodes, and what the contributors found on the way. */
export type StepInputs = Pick<NodePlan, 'modules' | 'repos' | 'packages' | 'files' | 'directories' | 'masks' | 'services'> & {
  /** The sources placed only once their key is fetched, by repository. */
  readonly afterKey: ReadonlyMap<string, string>;
  readonly conflicts: readonly string[];
  readonly k8sPackages: readonly PlanPackage[];
  readonly runtime: RuntimeParts;
};

export function firstBootSteps(ctx: BuildContext, n: StepInputs): PlanStep[] {
  const { profile, at, crinit, pm, srcPtr, versionOrigin, k8sOrigin } = ctx;
  const k8s = profile.kubernetes;
  const proxy = profile.proxy;
  const steps: PlanStep[] = [
    { id: 'load-kernel-modules', action: { kind: 'load-modules', modules: n.modules.map((m) => m.name) }, origin: at('/kernel/modules') },
    { id: 'apply-sysctls', action: { kind: 'apply-sysctls' }, origin: at('/kernel/sysctls') },
  ];
  if (k8s) steps.push({ id: 'disable-swap', action: { kind: 'disable-swap' }, origin: k8sOrigin });
  steps.push(...(n.runtime.earlySteps ?? []));
  // dnf: a proxy without credentials goes into dnf.conf (every user's dnf reads it), set before
  // dnf's first network call. One with credentials stays out of that world-readable file: dnf
  // (libcurl) takes http_proxy and https_proxy from the environment, which crinit-step reads
  // from its root-only proxy.env for every dnf call it makes.
  const dnfProxy = proxy ? (proxy.https ?? proxy.http)! : undefined;
  if (dnfProxy && pm.proxy === 'dnf-conf' && !new URL(dnfProxy).username) {
    steps.push({ id: 'configure-dnf-proxy', action: { kind: 'configure-dnf-proxy', url: dnfProxy }, origin: at('/proxy') });
  }
  if (n.conflicts.length > 0) {
    steps.push({ id: 'remove-conflicting-packages', action: { kind: 'remove-packages', packages: n.conflicts }, origin: at(`${srcPtr}/conflicts`) });
  }
  // A key pinned by fingerprint only is fetched and checked before the index is refreshed; on
  // apt its source is placed only then (cloud-init's apt module runs `apt-get update` itself,
  // which fails on a source whose key is not there yet).
  for (const r of n.repos) {
    if (!r.key.url) continue;
    steps.push({ id: `fetch-key-${r.id}`, action: { kind: 'fetch-key', url: r.key.url, fingerprint: r.key.fingerprint, dest: repoKeyPath(pm.name, r.id) }, origin: r.origin });
    const source = n.afterKey.get(r.id);
    if (source) steps.push({ id: `add-repository-${r.id}`, action: { kind: 'place-files', paths: [source] }, origin: r.origin });
  }
  if (n.packages.length > 0 || n.k8sPackages.length > 0) {
    steps.push({ id: 'refresh-package-index', action: { kind: 'refresh-package-index' }, origin: crinit('packages') });
  }
  const held = [...n.packages, ...n.k8sPackages].filter((p) => p.hold).map((p) => p.name);
  if (held.length > 0) steps.push({ id: 'release-holds', action: { kind: 'release-holds', packages: held }, origin: versionOrigin });
  if (n.packages.length > 0) steps.push({ id: 'install-packages', action: { kind: 'install-packages', packages: n.packages }, origin: versionOrigin });
  if (k8s && n.k8sPackages.length > 0) {
    steps.push({ id: 'install-kubernetes-packages', action: { kind: 'install-packages', packages: n.k8sPackages, fromRepo: k8s.repo }, origin: k8sOrigin });
  }
  const late = n.files.filter((f) => f.phase === 'after-packages');
  if (late.length > 0) steps.push({ id: 'install-config-files', action: { kind: 'place-files', paths: late.map((f) => f.path) }, origin: at('/runtime') });
  if (held.length > 0) steps.push({ id: 'hold-packages', action: { kind: 'hold-packages', packages: held }, origin: versionOrigin });
  if (n.directories.length > 0) {
    steps.push({ id: 'create-directories', action: { kind: 'create-directories', paths: n.directories.map((d) => d.path) }, origin: n.directories[0]!.origin });
  }
  steps.push(...n.runtime.installSteps, { id: 'systemd-daemon-reload', action: { kind: 'daemon-reload' }, origin: crinit('services') });
  if (n.masks.length > 0) steps.push({ id: 'mask-units', action: { kind: 'mask-units', units: n.masks.map((m) => m.unit) }, origin: at(`${srcPtr}/mask`) });
  for (const s of n.services) {
    const base = s.unit.replace(/\.service$/, '').replace(/\.socket$/, '-socket');
    if (s.enable) steps.push({ id: `enable-${base}`, action: { kind: 'enable-service', unit: s.unit }, origin: s.origin });
    if (s.restart) steps.push({ id: `restart-${base}`, action: { kind: 'restart-service', unit: s.unit }, origin: s.origin });
    if (s.socket) steps.push({ id: `wait-for-${base}-socket`, action: { kind: 'wait-for-socket', path: s.socket }, origin: s.origin });
  }
  steps.push(...(n.runtime.finalSteps ?? []));
  profile.commands.forEach((c, i) => {
    steps.push({ id: `user-command-${i + 1}`, action: typeof c === 'string' ? { kind: 'run-shell', script: c } : { kind: 'run-command', argv: c }, origin: at(`/commands/${i}`) });
  });
  return steps;
}
