/**
 * @fileoverview Docker Engine with cri-dockerd: dockerd's versions cri-dockerd supports, the
 * cri-dockerd release pinned per architecture, dockerd's own cgroup driver where it is built
 * into the image, and registry mirrors for Docker Hub only. Mirantis Container Runtime is a
 * dockerd too, and shares dockerd's rules (./mcr.ts).
 */
import { CODES } from '../../diagnostics.js';
import { joinPointer } from '../../profile/source.js';
import type { CriDockerdFacts, DockerFacts, RuntimeSection } from '../../profile/types.js';
import type { RuleContext } from '../context.js';
import type { RuntimeRules } from './types.js';

/**
 * dockerd's section, checked: what every runtime that is a dockerd shares (Docker Engine, and
 * Mirantis Container Runtime in ./mcr.ts). Undefined when the section is incomplete.
 */
export function dockerdChecks(ctx: RuleContext, product: string): DockerFacts | undefined {
  const { rt, data } = ctx;
  const docker = data.docker;
  // Docker built into an Ignition distro's image: its cgroup driver is dockerd's default, systemd
  // on cgroup v2 (moby/moby#40846; Flatcar's cgroups guide). crinit does not also set it, since
  // the image's unit may pass it as a flag and dockerd refuses an option given twice.
  if (rt.source === 'builtin' && rt.cgroupDriver !== 'systemd') {
    ctx.err('/runtime/cgroupDriver', `the ${product} built into ${ctx.distro.name} runs the systemd cgroup driver (its default on cgroup v2), not ${rt.cgroupDriver}`, 'use runtime.cgroupDriver: systemd, as the Kubernetes guide asks on cgroup v2', CODES.unsupported);
  }
  // dockerd's registry-mirrors apply to Docker Hub only.
  for (const host of Object.keys(rt.registryMirrors ?? {})) {
    if (host !== 'docker.io') {
      ctx.err(
        joinPointer(['runtime', 'registryMirrors', host]),
        `${product} can mirror docker.io only, not ${host}`,
        `keep only runtime.registryMirrors["docker.io"] for ${rt.name} (daemon.json registry-mirrors), or use containerd`,
        CODES.unsupported,
      );
    }
  }
  if (!(docker?.service && docker.socket && docker.daemonJsonPath && docker.crictlConfigPath)) return undefined;
  return docker as DockerFacts;
}

/** Docker Engine's sections: dockerd's, and the cri-dockerd release crinit installs in front of it. */
function dockerSection(ctx: RuleContext): RuntimeSection | undefined {
  const { data } = ctx;
  const cri = data.criDockerd ? { ...data.criDockerd, ...(ctx.packaging?.criDockerdBinary ? { binary: ctx.packaging.criDockerdBinary } : {}) } : undefined;
  if (cri && !cri.sha256?.[ctx.arch]) {
    ctx.err('/criDockerd/sha256', `criDockerd.sha256 has no checksum for ${ctx.arch}`, `add criDockerd.sha256.${ctx.arch}: the sha256 of the ${ctx.arch} tarball; crinit never installs an unverified download`, CODES.incomplete);
  }
  const docker = dockerdChecks(ctx, 'Docker Engine');
  const complete = !!(docker && cri?.version && cri.url && cri.binary && cri.service && cri.socketUnit && cri.socket);
  if (!complete) return undefined;
  return { name: 'docker', docker: docker!, criDockerd: cri as CriDockerdFacts };
}

export const docker: RuntimeRules = {
  name: 'docker',
  product: 'Docker Engine',
  publisher: 'Docker',
  versionExample: '29',
  handlersRefused: "cri-dockerd starts a pod's sandbox with the RuntimeClass's handler (core/sandbox_run.go) but creates the pod's containers without it (core/container_create.go), so the pod would not run on the handler",
  checkVersion(version, ctx) {
    if (version.major < 20) {
      ctx.err(ctx.versionPtr, `Docker Engine ${version.raw} is older than any cri-dockerd supports`, 'use a current release such as "29"', CODES.badVersion);
    }
  },
  section: dockerSection,
};
