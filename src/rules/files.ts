/**
 * @fileoverview The kubelet fragment's path, and the user's files: modes the first-boot system
 * can write, and nothing under crinit's state directory. Every other path crinit writes is a
 * plan node, where one check finds every collision (src/plan/collisions.ts).
 */
import { CODES } from '../diagnostics.js';
import { STATE_DIR } from '../paths.js';
import { joinPointer } from '../profile/source.js';
import type { Rule } from './context.js';

export const kubelet: Rule = {
  name: 'kubelet',
  run(ctx) {
    const path = ctx.data.kubelet?.configFragmentPath;
    if (!path) {
      ctx.incomplete = true;
      ctx.err('/kubelet', 'kubelet.configFragmentPath is not set', 'extend a built-in profile, or set it', CODES.incomplete);
      return;
    }
    ctx.parts.kubelet = { configFragmentPath: path };
  },
};

export const files: Rule = {
  name: 'files',
  run(ctx) {
    const files = ctx.data.files ?? [];
    const special = ctx.firstBoot.specialModeBits;
    files.forEach((f, i) => {
      if (special && f.mode !== undefined && (parseInt(f.mode, 8) & 0o7000) !== 0) {
        ctx.err(joinPointer(['files', i, 'mode']), `mode ${f.mode} sets setuid, setgid or sticky bits, which ${special}`, 'drop the special bits, or set them in a command (chmod) under commands:', CODES.capability);
      }
      // The run records (steps, failed, done, previous runs) are the step runner's, not plan files.
      if (f.path.startsWith(`${STATE_DIR}/`)) {
        ctx.err(joinPointer(['files', i, 'path']), `${f.path} is crinit's own first-boot state`, 'write your file somewhere else', CODES.conflict);
      }
    });
    ctx.parts.files = files;
  },
};
