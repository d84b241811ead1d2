/**
 * @fileoverview The runtimes' plan contributors by runtime.name. A new runtime is one module
 * here and one line below (and its rules in src/rules/runtimes/).
 */
import { containerd } from './containerd.js';
import { crio } from './cri-o.js';
import { docker } from './docker.js';
import { mcr } from './mcr.js';
import type { RuntimeContributor } from './types.js';

export const RUNTIME_CONTRIBUTORS: Readonly<Record<string, RuntimeContributor>> = {
  containerd,
  'cri-o': crio,
  docker,
  mcr,
};

export type { RuntimeContributor };
