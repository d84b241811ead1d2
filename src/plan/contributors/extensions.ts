/**
 * @fileoverview System extensions (Flatcar): images downloaded and verified by Ignition, linked
 * where systemd-sysext merges them on every boot (the sysext bakery's layout), and the image's
 * own extensions switched off by a link to /dev/null.
 */
import type { Origin } from '../../diagnostics.js';
import type { PlanArtifact, PlanDownload, PlanLink } from '../types.js';
import type { BuildContext } from './context.js';

export function extensionNodes({ profile, at, mirror, srcPtr, versionOrigin, k8sOrigin }: BuildContext): { links: PlanLink[]; downloads: PlanDownload[]; artifacts: PlanArtifact[] } {
  const links: PlanLink[] = (profile.packaging.disableSysexts ?? []).map((name, i) => ({ path: `/etc/extensions/${name}.raw`, target: '/dev/null', origin: at(`${srcPtr}/disableSysexts/${i}`) }));
  const downloads: PlanDownload[] = [];
  const artifacts: PlanArtifact[] = [];
  const add = (name: string, sx: { readonly url: string; readonly sha256: string; readonly file: string }, version: string, origin: Origin): void => {
    const url = mirror(sx.url);
    const path = `/opt/extensions/${name}/${sx.file}`;
    downloads.push({ path, url, sha256: sx.sha256, mode: 0o644, origin });
    links.push({ path: `/etc/extensions/${name}.raw`, target: path, origin });
    artifacts.push({ kind: 'download', url, upstream: sx.url, sha256: sx.sha256, version, origin });
  };
  if (profile.runtimeSysext) add(profile.runtimeSysext.name, profile.runtimeSysext, profile.runtime.version.raw, versionOrigin);
  if (profile.kubernetes?.sysext) add('kubernetes', profile.kubernetes.sysext, profile.kubernetes.version.raw, k8sOrigin);
  return { links, downloads, artifacts };
}
