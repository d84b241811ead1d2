/**
 * @fileoverview What a runtime's plan contributor adds: its files, directories, services and
 * downloads, and the CRI endpoint kubelet and crictl use. The rest (kernel, packages, kubelet,
 * crictl, proxy) is shared, in src/plan/build.ts.
 */
import type { ProfileOf, RuntimeName } from '../../profile/types.js';
import type { At, Header } from '../nodes.js';
import type { PlanArtifact, PlanDirectory, PlanFile, PlanService, PlanStep } from '../types.js';

export interface RuntimeParts {
  /** Files written before the shared crictl and kubelet files, and after them. */
  readonly files: PlanFile[];
  readonly lateFiles: PlanFile[];
  readonly directories: PlanDirectory[];
  /** In start order. */
  readonly services: PlanService[];
  /** The units that fetch (images, mostly) and so get the proxy drop-in. */
  readonly proxyUnits: readonly string[];
  /** Steps before any package is touched (what a handler needs on the machine, the GPU driver). */
  readonly earlySteps?: PlanStep[];
  /** Steps between the packages and daemon-reload (a download the runtime needs). */
  readonly installSteps: PlanStep[];
  /** Steps after its services are enabled and restarted (a check on a socket read on the node). */
  readonly finalSteps?: PlanStep[];
  /** The kubelet's and crictl's CRI endpoint. */
  readonly endpoint: string;
  /** The host has more than one CRI socket, so kubeadm must be told this one (the kubelet fragment says so). */
  readonly manySockets: boolean;
  readonly crictlConfigPath: string;
  readonly crictlOrigin: string;
  /** What the runtime downloads (cri-dockerd's release). */
  readonly artifacts: PlanArtifact[];
}

/** A runtime's plan contributor, given the profiles whose runtime it is (its variant of the union). */
export interface RuntimeContributor<N extends RuntimeName = RuntimeName> {
  readonly name: N;
  parts(profile: ProfileOf<N>, header: Header, at: At, srcPtr: string): RuntimeParts;
  /** Facts `crinit list` shows for it (containerd's config.toml version). */
  facts?(profile: ProfileOf<N>): Record<string, unknown>;
}
