/**
 * @fileoverview The runtimes' rules by runtime.name. A new runtime is one module here and one
 * line below (and its plan contributor in src/plan/runtimes/).
 */
import { containerd } from './containerd.js';
import { crio } from './cri-o.js';
import { docker } from './docker.js';
import { mcr } from './mcr.js';
import type { RuntimeRules } from './types.js';

export const RUNTIME_RULES: Readonly<Record<string, RuntimeRules>> = {
  containerd,
  'cri-o': crio,
  docker,
  mcr,
};

export type { RuntimeRules };
