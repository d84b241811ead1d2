/** @fileoverview The distro layer names everything the rules and the plan need of it. */
import { CODES } from '../diagnostics.js';
import type { Distro } from '../profile/types.js';
import type { Rule } from './context.js';

const DISTRO_REQUIRED: readonly (keyof Distro)[] = ['id', 'name', 'family', 'packageManager', 'osRelease', 'cgroupVersion', 'init'];

export const distroKeys: Rule = {
  name: 'distro',
  run({ distro, firstBoot, err }) {
    for (const k of DISTRO_REQUIRED) {
      if (distro[k] === undefined) err('/distro', `distro ${distro.id} does not set distro.${k}`, `add distro.${k} to the distro layer`, CODES.incomplete);
    }
    for (const [k, hint] of Object.entries(firstBoot.requiredDistroKeys)) {
      if (distro[k as keyof Distro] === undefined) err('/distro', `distro ${distro.id} does not set distro.${k}`, hint, CODES.incomplete);
    }
  },
};
