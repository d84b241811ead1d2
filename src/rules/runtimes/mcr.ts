/**
 * @fileoverview Mirantis Container Runtime: a dockerd, with cri-dockerd in front of it, so it
 * shares Docker Engine's section rules.
 */
import { CODES } from '../../diagnostics.js';
import { dockerdSection } from './docker.js';
import type { RuntimeRules } from './types.js';

export const mcr: RuntimeRules = {
  name: 'mcr',
  product: 'Mirantis Container Runtime',
  publisher: 'Mirantis',
  versionExample: '25.0',
  checkVersion(version, ctx) {
    if (version.major < 20) {
      ctx.err(ctx.versionPtr, `Mirantis Container Runtime ${version.raw} is older than any cri-dockerd supports`, 'use a current release such as "25.0"', CODES.badVersion);
    }
  },
  section: (ctx) => dockerdSection(ctx, 'Mirantis Container Runtime'),
};
