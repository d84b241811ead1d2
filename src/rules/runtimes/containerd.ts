/**
 * @fileoverview containerd's rules: the majors crinit writes config for, its end-of-life releases,
 * and its release matrix against Kubernetes.
 */
import { CODES } from '../../diagnostics.js';
import type { ContainerdFacts } from '../../profile/types.js';
import type { RuntimeRules } from './types.js';

export const containerd: RuntimeRules = {
  name: 'containerd',
  product: 'containerd',
  // containerd.io comes from Docker's repository.
  publisher: 'Docker',
  versionExample: '2.3',
  // A runc v2 shim with crun or nvidia-container-runtime as its binary (containerd's runtime
  // options, BinaryName), or gVisor's shim.
  handlerKinds: ['crun', 'runsc', 'kata', 'nvidia'],
  // CDI came with containerd 1.7 (enable_cdi, off by default there; on by default from 2.0): the
  // `containerd config default` of Debian's 1.6, 1.7 and 2.x builds (docs/sources.md).
  cdiRefused: (ctx) => (ctx.version && ctx.version.major === 1 && (ctx.version.minor ?? 0) < 7 ? `containerd ${ctx.version.raw} has no CDI (enable_cdi came in 1.7)` : undefined),
  checkVersion(version, ctx) {
    if (version.major < 1 || version.major > 2) {
      ctx.err(ctx.versionPtr, `containerd ${version.major}.x is not known to this crinit (it writes config version 2 for 1.x and 3 for 2.x)`, 'use a 1.x or 2.x version such as "2.3"', CODES.badVersion);
    } else if (version.major === 1 && (version.minor ?? 0) < 7) {
      ctx.warn(ctx.versionPtr, CODES.eolRuntime, `containerd ${version.raw} is end-of-life and too old for Kubernetes 1.35 and later (they need 1.7.28+ or 2.x)`, 'use runtime.source: upstream for containerd 2.x where the distro allows it');
    }
  },
  // containerd's release matrix and KubeletCgroupDriverFromCRI (kubelet 1.36 takes the cgroup
  // driver from the runtime only, which containerd does from 2.0).
  withKubernetes(version, minorNum, ctx) {
    const k8sMinor = ctx.k8s.minor;
    if (ctx.rt.source === 'builtin') {
      if (minorNum >= 36 && (version.major < 2 || (version.major === 2 && (version.minor ?? 0) < 2))) {
        ctx.warn('/kubernetes/version', CODES.eolRuntime, `the containerd in ${ctx.distro.name} is ${version.raw} by crinit's facts, and containerd's release matrix lists 2.2+ for Kubernetes ${k8sMinor}`, 'use an OS release whose containerd is 2.2 or later, or an older Kubernetes minor');
      }
      return;
    }
    if (minorNum >= 36 && version.major < 2) {
      ctx.err(ctx.versionPtr, `Kubernetes ${k8sMinor} cannot run on containerd ${version.raw}`, 'kubelet 1.36 takes the cgroup driver from the runtime (KubeletCgroupDriverFromCRI), which containerd does only from 2.0; containerd lists 2.2+ for 1.36: use runtime.source: upstream or runtime.version "2.3"', CODES.incompatible);
    } else if (minorNum >= 35 && version.major === 1 && (version.minor ?? 0) < 7) {
      ctx.err(ctx.versionPtr, `Kubernetes ${k8sMinor} cannot run on containerd ${version.raw}`, "containerd's release matrix supports Kubernetes 1.35 on 1.7.28+ and 2.1.5+ only: use runtime.source: upstream", CODES.incompatible);
    } else if (minorNum >= 36 && version.major === 2 && (version.minor ?? 0) < 2) {
      ctx.warn(ctx.versionPtr, CODES.eolRuntime, `containerd's release matrix lists 2.2.0+ for Kubernetes ${k8sMinor}, not ${version.raw}`, 'use runtime.version "2.3"');
    }
  },
  section(ctx) {
    const c = ctx.data.containerd;
    if (!(c?.configPath && c.certsDir && c.socket && c.service && c.crictlConfigPath)) return undefined;
    return { name: 'containerd', containerd: c as ContainerdFacts };
  },
};
