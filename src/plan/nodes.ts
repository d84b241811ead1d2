/**
 * @fileoverview Helpers the plan's contributors share: a file node from a template, where a value
 * came from, and the header every generated file names its profile with.
 */
import type { Origin } from '../diagnostics.js';
import type { RuntimeHandler } from '../profile/types.js';
import { joinPointer } from '../profile/source.js';
import type { PlanArtifact, PlanFile, PlanStep } from './types.js';

export type At = (pointer: string) => Origin;
export type Header = { readonly profile: string; readonly chain: string };

/** A root-owned 0644 file rendered from a template before the packages, unless extra says otherwise. */
export function file(path: string, template: string, context: Record<string, unknown>, origin: Origin, extra: Partial<PlanFile> = {}): PlanFile {
  return { path, mode: 0o644, owner: 'root', group: 'root', phase: 'before-packages', source: { template, context }, origin, ...extra };
}

/**
 * The node label the kubelet sets for an extra runtime handler (--node-labels), and its
 * RuntimeClass selects nodes by: outside the kubernetes.io and k8s.io namespaces, which the
 * NodeRestriction admission plugin keeps from kubelets.
 */
export function handlerLabel(handler: string): string {
  return `runtime.crinit.dev/${handler}`;
}

/** mirrorFn rewrites a URL or image reference by the longest matching `mirrors:` prefix. */
export function mirrorFn(mirrors: readonly (readonly [string, string])[]): (value: string) => string {
  return (value) => {
    const hit = mirrors.find(([from]) => value.startsWith(from));
    return hit ? hit[1] + value.slice(hit[0].length) : value;
  };
}

/** The server a registry host's hosts.toml names (docker.io's API lives elsewhere). */
export function registryServer(host: string): string | undefined {
  if (host === '_default') return undefined;
  if (host === 'docker.io') return 'https://registry-1.docker.io';
  return `https://${host}`;
}

/** The registry host of an image reference, as containerd resolves it (no host: docker.io). */
export function imageRegistry(ref: string): string {
  const first = ref.split('/')[0]!;
  return ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

/**
 * The first-boot check of a runtime's extra handlers (step check-runtime-handlers), after the
 * runtime restarted: each handler's binary is there, then `reported`, shell lines of the runtime's
 * own that find $name in what the runtime reports and exit 1 saying so where they do not.
 */
export function handlerCheckStep(handlers: readonly RuntimeHandler[], reported: readonly string[], origin: Origin): PlanStep {
  const script = [
    'set -eu',
    'while [ "$#" -ge 2 ]; do',
    '  name=$1; bin=$2; shift 2',
    '  if [ ! -x "$bin" ]; then echo "crinit: the $name handler\'s binary $bin is not installed" >&2; exit 1; fi',
    ...reported.map((l) => `  ${l}`),
    'done',
  ].join('\n');
  return { id: 'check-runtime-handlers', action: { kind: 'run-command', argv: ['sh', '-c', script, 'sh', ...handlers.flatMap((h) => [h.name, h.binary])] }, origin };
}

/** A handler's needs, checked before anything is installed: $1 is the path, $2 what it is, $3 the handler. */
const CHECK_NEEDS = 'if [ ! -e "$1" ]; then echo "crinit: the $3 handler needs $2 ($1 is missing), which crinit does not install" >&2; exit 1; fi';

/**
 * The steps and artifacts of a runtime's extra handlers, alike on every runtime that takes them:
 * what a handler needs on the machine (the NVIDIA driver, KVM), checked before anything is
 * installed (earlySteps); the files its project publishes (runsc's), each checked by its sha512,
 * and the archive of a whole tree (Kata's), checked by its sha256, all before `neededBy`
 * restarts (installSteps); and each download for `crinit manifest`. URLs go through mirror.
 */
export function handlerInstall(
  handlers: readonly RuntimeHandler[],
  mirror: (url: string) => string,
  arch: string,
  neededBy: string,
  at: At,
): { earlySteps: PlanStep[]; installSteps: PlanStep[]; artifacts: PlanArtifact[] } {
  const version = (h: RuntimeHandler) => at(joinPointer(['runtime', 'handlers', h.name, 'version']));
  const earlySteps: PlanStep[] = handlers.flatMap((h) =>
    h.needs ? [{ id: `check-${h.name}-needs`, action: { kind: 'run-command' as const, argv: ['sh', '-c', CHECK_NEEDS, 'sh', h.needs.path, h.needs.what, h.name] }, origin: at(joinPointer(['runtime', 'handlers', h.name])) }] : [],
  );
  const installSteps: PlanStep[] = [
    ...handlers.flatMap((h) =>
      (h.downloads ?? []).map((d) => ({
        id: `install-${h.name}-${d.dest.slice(d.dest.lastIndexOf('/') + 1)}`,
        action: { kind: 'install-binary' as const, url: mirror(d.url), sha512: d.sha512, arch, dest: d.dest, neededBy },
        origin: version(h),
      })),
    ),
    ...handlers.flatMap((h) =>
      h.archive ? [{ id: `install-${h.name}`, action: { kind: 'install-tree' as const, url: mirror(h.archive.url), sha256: h.archive.sha256, arch, root: h.archive.root, neededBy }, origin: version(h) }] : [],
    ),
  ];
  const artifacts: PlanArtifact[] = handlers.flatMap((h) => [
    ...(h.downloads ?? []).map((d) => ({ kind: 'download' as const, url: mirror(d.url), upstream: d.url, sha512: d.sha512, origin: version(h) })),
    ...(h.archive ? [{ kind: 'download' as const, url: mirror(h.archive.url), upstream: h.archive.url, sha256: h.archive.sha256, origin: version(h) }] : []),
  ]);
  return { earlySteps, installSteps, artifacts };
}
