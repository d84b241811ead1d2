/**
 * @fileoverview CRI-O's rules: its minor follows Kubernetes', it comes as the sysext bakery's
 * image on Flatcar, and containers-registries.conf has no catch-all mirror.
 */
import { CODES } from '../../diagnostics.js';
import { joinPointer } from '../../profile/source.js';
import type { CrioFacts } from '../../profile/types.js';
import type { RuntimeRules } from './types.js';

export const crio: RuntimeRules = {
  name: 'cri-o',
  product: 'CRI-O',
  publisher: "CRI-O's project",
  versionExample: '1.36',
  // crun, from what the cri-o package bundles (or the distro's crun), and Kata: a
  // [crio.runtime.runtimes] table each in crinit's drop-in.
  handlerKinds: ['crun', 'kata'],
  handlerReasons: {
    // google/gvisor g3doc/user_guide/containerd/crio.md (docs/sources.md).
    runsc: "gVisor calls its CRI-O recipe best-effort, for CRI-O 1.37 and later, with SELinux labelling off for every container",
    // NVIDIA/nvidia-container-toolkit internal/oci/runtime_low_level.go, api/config/v1/config.go.
    nvidia: "nvidia-container-runtime runs the first of runc and crun it finds on PATH, and CRI-O's packages keep theirs in /usr/libexec/crio; crinit does not rewrite the toolkit's configuration to name it",
  },
  followsKubernetesMinor: true,
  sysext: { name: 'crio', sumsKey: 'crio.sysext.sha256', sums: (ctx) => ctx.data.crio?.sysext?.sha256 },
  checkVersion(version, ctx) {
    if (version.major !== 1 || version.minor === undefined) {
      ctx.err(ctx.versionPtr, `CRI-O ${version.raw} is not a 1.x minor`, 'write the minor of the Kubernetes release the node runs, e.g. "1.36" (CRI-O minors follow Kubernetes)', CODES.badVersion);
    }
  },
  section(ctx) {
    const crio = ctx.data.crio;
    // containers-registries.conf has no catch-all mirror.
    if (ctx.rt.registryMirrors && '_default' in ctx.rt.registryMirrors) {
      ctx.err(joinPointer(['runtime', 'registryMirrors', '_default']), 'CRI-O has no mirror for every registry (_default)', 'name each registry host to mirror, e.g. docker.io', CODES.unsupported);
    }
    if (!(crio?.service && crio.socket && crio.dropinPath && crio.registriesPath && crio.crictlConfigPath)) return undefined;
    return { name: 'cri-o', crio: crio as CrioFacts };
  },
};
