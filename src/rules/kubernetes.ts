/**
 * @fileoverview Kubernetes: the minor drives its repository, the pause image and the rules of
 * the runtime that follows it; the packages, and the combinations that cannot work.
 */
import { CODES } from '../diagnostics.js';
import { parseVersion } from '../profile/normalize.js';
import type { Profile } from '../profile/types.js';
import type { Rule } from './context.js';
import { resolveRepo } from './repos.js';
import { RUNTIME_RULES } from './runtimes/index.js';
import { sysextImage } from './sysext.js';

/** kubernetes.version, read: its minor, or an error for a release crinit does not support. */
export const kubernetesVersion: Rule = {
  name: 'kubernetes version',
  run(ctx) {
    const k8s = ctx.data.kubernetes ?? {};
    const version = k8s.version !== undefined ? parseVersion(k8s.version) : undefined;
    const minor = version?.minor !== undefined ? `${version.major}.${version.minor}` : undefined;
    ctx.k8s = { ...(version ? { version } : {}), ...(minor ? { minor } : {}), ok: version !== undefined && minor !== undefined };
    if (k8s.version !== undefined && k8s.unsupported) {
      ctx.k8s.ok = false;
      ctx.err('/kubernetes/version', `the Kubernetes packages are not supported on ${ctx.distro.id}: ${k8s.unsupported}`, 'remove kubernetes.version and install kubelet by your own means, or choose another distro (see `crinit list`)', CODES.unsupported);
    } else if (version && minor && (version.major !== 1 || version.minor! < 31)) {
      ctx.k8s.ok = false;
      ctx.err('/kubernetes/version', `Kubernetes ${minor} is older than crinit supports`, 'use 1.31 or later: crinit wires its kubelet fragment in with --config-dir, on by default from 1.31 (and past end of life before that anyway)', CODES.badVersion);
    }
  },
};

/** The Kubernetes packages (or Flatcar's sysext image), and what cannot run together. */
export const kubernetes: Rule = {
  name: 'kubernetes',
  run(ctx) {
    const { k8s: parsed, pm, distro, arch, err, warn } = ctx;
    const k8sVersion = parsed.version;
    const k8sMinor = parsed.minor;
    if (!parsed.ok || !k8sVersion || !k8sMinor) return;
    const k8s = ctx.data.kubernetes ?? {};
    const minorNum = k8sVersion.minor!;
    const packages = k8s.packages ?? ['kubelet'];
    if (!packages.includes('kubelet')) {
      err('/kubernetes/packages', 'kubernetes.packages lacks kubelet', 'add kubelet: it is what crinit wires to the runtime (kubeadm needs it too)', CODES.required);
    }
    if (!k8s.kubeletDefaultsPath) err('/kubernetes', 'kubernetes.kubeletDefaultsPath is not set', 'extend a built-in profile, or set it', CODES.incomplete);
    // KUBELET_EXTRA_ARGS reaches kubelet through kubeadm's kubelet.service.d/10-kubeadm.conf.
    if (!pm?.extensions && !packages.includes('kubeadm')) {
      warn('/kubernetes/packages', CODES.kubeletWiring, "without kubeadm, nothing passes KUBELET_EXTRA_ARGS (crinit's --config-dir) to kubelet", "add kubeadm, or start kubelet with --config-dir yourself so that it reads crinit's KubeletConfiguration fragment");
    }
    let sysext: NonNullable<Profile['kubernetes']>['sysext'];
    if (pm?.extensions) {
      // Flatcar: no packages; the sysext bakery's image of this exact release, pinned by sha256.
      const url = k8s.sysext?.url;
      const sum = k8s.sysext?.sha256?.[arch];
      if (!url) err('/kubernetes', `${distro.id} has no package manager and kubernetes.sysext.url is not set`, 'extend the built-in flatcar profile, or set kubernetes.sysext.url', CODES.incomplete);
      else if (k8sVersion.kind !== 'release') {
        err('/kubernetes/version', `the sysext bakery publishes one kubernetes image per release, and ${JSON.stringify(k8s.version)} names ${k8sVersion.kind === 'minor' ? 'a minor' : 'a package version'}`, `write the release, e.g. "${k8sMinor}.1"`, CODES.badVersion);
      } else if (!sum) {
        const { file } = sysextImage(url, k8sVersion.raw, arch);
        err(
          '/kubernetes/version',
          `the kubernetes image for Flatcar is pinned by its sha256, and kubernetes.sysext.sha256.${arch} is not set`,
          `add kubernetes.sysext.sha256.${arch}: the sum of ${file} from https://extensions.flatcar.org/extensions/kubernetes/SHA256SUMS (the sysext bakery's release); crinit never installs an unverified download`,
          CODES.incomplete,
        );
      } else {
        sysext = { ...sysextImage(url, k8sVersion.raw, arch), sha256: sum };
      }
    } else {
      if (!k8s.repo) err('/kubernetes', 'kubernetes.repo is not set', 'extend a built-in profile, or set it', CODES.incomplete);
      const r = k8s.repo ? resolveRepo(ctx, k8s.repo, '/kubernetes/repo', k8sMinor, '/kubernetes/version', `kubernetes.version ${JSON.stringify(k8s.version)}`) : undefined;
      if (r) ctx.repos.push(r);
    }
    if (ctx.version) RUNTIME_RULES[ctx.rt.name]?.withKubernetes?.(ctx.version, minorNum, ctx);
    if (distro.cgroupVersion === 1 && minorNum >= 35 && k8s.failCgroupV1 !== false) {
      err('/kubernetes/version', `kubelet ${k8sMinor} does not start on a cgroup v1 host such as ${distro.id} by default`, 'boot the host with cgroup v2, or set kubernetes.failCgroupV1: false (deprecated by Kubernetes)', CODES.incompatible);
    }
    // pkgs.k8s.io's rpm releases carry their own build revision (kubelet-1.33.7-150500.1.1), so
    // a deb-style package version names nothing dnf can install: only X.Y or X.Y.Z become a spec.
    if (pm?.refusesDebVersions && k8sVersion.kind === 'exact') {
      err('/kubernetes/version', `${JSON.stringify(k8s.version)} is a package version, and pkgs.k8s.io's rpm package versions differ from its deb ones`, `write the release, "${k8sMinor}.${/^[0-9]+\.[0-9]+\.([0-9]+)/.exec(k8s.version ?? '')?.[1] ?? '1'}" (crinit installs kubelet-X.Y.Z-*), or the minor, "${k8sMinor}"`, CODES.badVersion);
    }
    // rpm-ostree layers the newest package of the minor's repository, and has no hold.
    if (pm?.layers && k8sVersion.kind !== 'minor') {
      warn('/kubernetes/version', CODES.layeredPin, `rpm-ostree on ${distro.id} layers the newest Kubernetes ${k8sMinor} package, not ${k8s.version} exactly`, `write the minor, "${k8sMinor}": the repository is per minor, and patch releases arrive with OS updates`);
    }
    ctx.parts.kubernetes = {
      version: k8sVersion,
      minor: k8sMinor,
      packages,
      hold: k8s.hold ?? true,
      repo: k8s.repo ?? '',
      kubeletDefaultsPath: k8s.kubeletDefaultsPath ?? '',
      ...(k8s.failCgroupV1 !== undefined ? { failCgroupV1: k8s.failCgroupV1 } : {}),
      ...(k8s.podSubnet ? { podSubnet: k8s.podSubnet } : {}),
      ...(k8s.serviceSubnet ? { serviceSubnet: k8s.serviceSubnet } : {}),
      ...(sysext ? { sysext } : {}),
    };
  },
};
