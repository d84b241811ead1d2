/** @fileoverview One cgroup driver: systemd when systemd is init, always on cgroup v2. */
import { CODES } from '../diagnostics.js';
import type { Rule } from './context.js';

export const cgroup: Rule = {
  name: 'cgroup',
  run({ rt, distro, warn }) {
    if (rt.cgroupDriver === 'cgroupfs' && distro.cgroupVersion === 2 && distro.init === 'systemd') {
      warn(
        '/runtime/cgroupDriver',
        CODES.cgroupAdvice,
        `cgroupfs on ${distro.id}, which runs systemd on cgroup v2`,
        'the Kubernetes guide says to use the systemd driver when systemd is init, and always on cgroup v2; set runtime.cgroupDriver: systemd',
      );
    }
  },
};
