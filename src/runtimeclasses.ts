/**
 * @fileoverview The cluster side of runtime.handlers: one RuntimeClass (node.k8s.io/v1) per extra
 * handler, its handler: the name the runtime's configuration uses, so that a pod with
 * runtimeClassName: NAME runs on it. Where crinit installs the kubelet it also labels the node
 * for each handler, and the RuntimeClass schedules its pods onto nodes with that label.
 */
import { handlerLabel } from './plan/nodes.js';
import type { Profile } from './profile/types.js';

export interface RuntimeClass {
  readonly apiVersion: 'node.k8s.io/v1';
  readonly kind: 'RuntimeClass';
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly handler: string;
  /** Where crinit labels the nodes (with Kubernetes packages: the kubelet's --node-labels). */
  readonly scheduling?: { readonly nodeSelector: Readonly<Record<string, string>> };
}

/** runtimeClasses gives the RuntimeClass objects of a profile's extra handlers, in name order. */
export function runtimeClasses(profile: Profile): RuntimeClass[] {
  return profile.runtime.handlers.map((h) => ({
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: h.name, labels: { 'app.kubernetes.io/managed-by': 'crinit', 'runtime.crinit.dev/kind': h.kind } },
    handler: h.name,
    ...(profile.kubernetes ? { scheduling: { nodeSelector: { [handlerLabel(h.name)]: 'true' } } } : {}),
  }));
}
