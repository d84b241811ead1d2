/**
 * @fileoverview The runtimes' plan contributors by runtime.name. A new runtime is one module
 * here and one line below (and its rules in src/rules/runtimes/).
 */
import { containerd } from './containerd.js';
import { crio } from './cri-o.js';
import { docker } from './docker.js';
import { mcr } from './mcr.js';
import type { Profile, RuntimeName } from '../../profile/types.js';
import type { At, Header } from '../nodes.js';
import type { RuntimeContributor, RuntimeParts } from './types.js';

export const RUNTIME_CONTRIBUTORS: { readonly [N in RuntimeName]: RuntimeContributor<N> } = {
  containerd,
  'cri-o': crio,
  docker,
  mcr,
};

/** A runtime contributor bound to one profile. */
export interface BoundRuntime {
  parts(header: Header, at: At, srcPtr: string): RuntimeParts;
  facts(): Record<string, unknown>;
}

/**
 * The contributor of a profile's runtime, bound to it: the one place the union's name picks its
 * module (the registry is keyed by the variant's name, so the profile is that contributor's).
 */
export function runtimeContributor(profile: Profile): BoundRuntime {
  const c = RUNTIME_CONTRIBUTORS[profile.runtime.name] as RuntimeContributor;
  return { parts: (header, at, srcPtr) => c.parts(profile as never, header, at, srcPtr), facts: () => c.facts?.(profile as never) ?? {} };
}
