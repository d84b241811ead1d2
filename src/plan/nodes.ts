/**
 * @fileoverview Helpers the plan's contributors share: a file node from a template, where a value
 * came from, and the header every generated file names its profile with.
 */
import type { Origin } from '../diagnostics.js';
import type { RuntimeHandler } from '../profile/types.js';
import type { PlanFile, PlanStep } from './types.js';

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
