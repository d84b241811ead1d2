/**
 * @fileoverview The packages: the runtime's (a runtime built into the image has none: the image's
 * own is used, as it is) and the Kubernetes ones, each with its pin and hold.
 */
import type { Origin } from '../../diagnostics.js';
import { joinPointer } from '../../profile/source.js';
import type { PlanPackage } from '../types.js';
import type { BuildContext } from './context.js';

export function runtimePackages({ profile, at, srcPtr, versionOrigin }: BuildContext): { packages: PlanPackage[]; conflicts: readonly string[] } {
  const rt = profile.runtime;
  const pk = profile.packaging;
  // The runtime's package and those pinned with it (docker-ce-cli) share its version and epoch.
  // A repository that serves one version line (MCR's channel) is the pin itself.
  const atRuntimeVersion = (name: string, origin: Origin): PlanPackage => ({
    name,
    ...(pk.pinnedByRepository ? {} : { version: rt.version }),
    ...(pk.epoch ? { epoch: pk.epoch } : {}),
    patchSuffix: pk.patchSuffix ?? '-',
    hold: true,
    origin,
  });
  const packages: PlanPackage[] =
    rt.source === 'builtin' || !pk.package
      ? []
      : [
          atRuntimeVersion(pk.package, versionOrigin),
          ...(pk.versionedPackages ?? []).map((name, i) => atRuntimeVersion(name, at(`${srcPtr}/versionedPackages/${i}`))),
          ...(pk.extraPackages ?? []).map((name, i): PlanPackage => ({ name, patchSuffix: '-', hold: true, origin: at(`${srcPtr}/extraPackages/${i}`) })),
          ...(pk.requires ?? []).map((name, i): PlanPackage => ({ name, patchSuffix: '-', hold: false, origin: at(`${srcPtr}/requires/${i}`) })),
        ];
  // Extra runtime handlers from the distro's packages (crun), neither pinned nor held.
  for (const h of rt.handlers) {
    for (const name of [...(h.package ? [h.package] : []), ...(h.tools ?? [])]) {
      if (!packages.some((p) => p.name === name)) packages.push({ name, patchSuffix: '-', hold: false, origin: at(joinPointer(['runtime', 'handlers', h.name])) });
    }
  }
  return { packages, conflicts: rt.source === 'upstream' ? (pk.conflicts ?? []) : [] };
}

export function kubernetesPackages({ profile, at }: BuildContext): PlanPackage[] {
  const k8s = profile.kubernetes;
  if (!k8s || k8s.sysext) return [];
  return k8s.packages.map((pkg) => ({
    name: pkg,
    // cri-tools has its own patch releases within the Kubernetes minor.
    version: pkg === 'cri-tools' ? { raw: k8s.minor, kind: 'minor', major: k8s.version.major, minor: k8s.version.minor! } : k8s.version,
    patchSuffix: '-',
    hold: k8s.hold,
    origin: at(pkg === 'cri-tools' ? '/kubernetes/packages' : '/kubernetes/version'),
  }));
}
