/**
 * @fileoverview From merged layers to a normalized Profile, through the semantic rules that a
 * schema cannot express (is this source available on this distro? does this key exist?). Each
 * rule's diagnostics point at the layer and key that set the offending value.
 */
import { checkCapabilities } from '../capabilities.js';
import { CODES, type Diagnostic, type Origin, type Severity } from '../diagnostics.js';
import { findPackageManager } from '../os/package-managers.js';
import { crinitPaths, DEFAULT_BIN_DIR, STATE_DIR } from '../paths.js';
import { originOf, type OriginMap } from './merge.js';
import { joinPointer, locate, type SourceLayer } from './source.js';
import type { Arch, Distro, Profile, Repo, RuntimeSource, SourcePackaging, VersionSpec, WrittenProfile } from './types.js';

/** The sysctls and modules the Kubernetes container-runtime guide requires, with their values. */
export const REQUIRED_SYSCTLS: Readonly<Record<string, string>> = {
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.bridge.bridge-nf-call-ip6tables': '1',
  'net.ipv4.ip_forward': '1',
};
export const REQUIRED_MODULES: readonly string[] = ['overlay', 'br_netfilter'];

/** Finds where a merged value came from, as a diagnostic location and as a plan origin. */
export class Locator {
  constructor(
    private readonly origins: OriginMap,
    readonly chain: string,
    /** The outermost layer (the file the user named): where a whole-profile problem is reported. */
    private readonly entry?: SourceLayer,
  ) {}

  origin(pointer: string): Origin {
    const o = originOf(this.origins, pointer);
    return o ? { layer: o.layer.name, file: o.layer.file, pointer: o.pointer } : { layer: 'crinit', file: '(generated)', pointer };
  }

  /** Whether the value at pointer comes from one of crinit's built-in layers (not the user's). */
  isBuiltin(pointer: string): boolean {
    return originOf(this.origins, pointer)?.layer.id.startsWith('builtin:') ?? false;
  }

  diag(severity: Severity, code: string, pointer: string, message: string, hint?: string, key?: string): Diagnostic {
    const o = originOf(this.origins, pointer) ?? (this.entry ? { layer: this.entry, pointer: '' } : undefined);
    const where = o ? locate(o.layer, o.pointer, key) : {};
    return {
      severity,
      code,
      message,
      ...(hint ? { hint } : {}),
      ...(o ? { file: o.layer.file } : {}),
      ...where,
      chain: this.chain,
    };
  }
}

/** kubeadm's default service subnet (ClusterConfiguration.networking.serviceSubnet). */
export const DEFAULT_SERVICE_SUBNET = '10.96.0.0/12';

/** parseVersion reads runtime.version; undefined when it names no containerd major. */
export function parseVersion(raw: string): VersionSpec | undefined {
  const plain = /^([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?$/.exec(raw);
  if (plain) {
    const kind = plain[3] !== undefined ? 'release' : plain[2] !== undefined ? 'minor' : 'major';
    return { raw, kind, major: Number(plain[1]), ...(plain[2] !== undefined ? { minor: Number(plain[2]) } : {}) };
  }
  // An exact package version, possibly with an epoch: [E:]MAJOR.MINOR…[-~+]…
  const exact = /^(?:[0-9]+:)?([0-9]+)(?:\.([0-9]+))?/.exec(raw);
  if (!exact) return undefined;
  return { raw, kind: 'exact', major: Number(exact[1]), ...(exact[2] !== undefined ? { minor: Number(exact[2]) } : {}) };
}

/** A sysext bakery image of one release: its URL ({version}, {arch} filled; the bakery names arches x86-64 and arm64) and file name. */
function sysextImage(url: string, release: string, arch: Arch): { url: string; file: string } {
  const filled = url.replace(/\{version\}/g, release).replace(/\{arch\}/g, arch === 'amd64' ? 'x86-64' : 'arm64');
  return { url: filled, file: filled.replace(/^.*\//, '') };
}

const DISTRO_REQUIRED: readonly (keyof Distro)[] = ['id', 'name', 'family', 'packageManager', 'osRelease', 'cgroupVersion', 'init'];

/** The drop-in that points a built-in runtime's unit at crinit's config file. */
export const RUNTIME_DROPIN = '10-crinit-config.conf';

const SOURCES: readonly RuntimeSource[] = ['upstream', 'distro', 'builtin'];

/**
 * normalizeProfile applies the rules and returns the Profile, or only diagnostics when an error
 * makes a profile impossible to build.
 */
export function normalizeProfile(
  data: WrittenProfile,
  origins: OriginMap,
  chain: string,
  entry?: SourceLayer,
): { profile?: Profile; locator: Locator; diagnostics: Diagnostic[] } {
  const L = new Locator(origins, chain, entry);
  const diagnostics: Diagnostic[] = [];
  const err = (pointer: string, message: string, hint?: string, code: string = CODES.required, key?: string) =>
    diagnostics.push(L.diag('error', code, pointer, message, hint, key));
  const warn = (pointer: string, code: string, message: string, hint?: string) =>
    diagnostics.push(L.diag('warning', code, pointer, message, hint));

  const distro = data.distro;
  const runtime = data.runtime;
  if (!distro?.id || !runtime?.name) {
    err(
      '',
      `this profile names no ${!distro?.id ? 'distro' : 'runtime'}`,
      'start it with `extends: DISTRO/RUNTIME`, e.g. `extends: ubuntu-24.04/containerd` (see `crinit list`)',
      CODES.incomplete,
    );
    return { locator: L, diagnostics };
  }
  for (const k of DISTRO_REQUIRED) {
    if (distro[k] === undefined) err('/distro', `distro ${distro.id} does not set distro.${k}`, `add distro.${k} to the distro layer`, CODES.incomplete);
  }
  const backend = distro.backend ?? 'cloud-init';
  const pmEntry = distro.packageManager ? findPackageManager(distro.packageManager) : undefined;
  if (backend === 'cloud-init' && distro.cloudInitFloor === undefined) {
    err('/distro', `distro ${distro.id} does not set distro.cloudInitFloor`, 'add distro.cloudInitFloor (the oldest cloud-init its images ship) to the distro layer', CODES.incomplete);
  }
  // Without runtime.source: the upstream package where the distro has one, else the distro's
  // own, else the one built into the image.
  const byName = data.packaging?.[runtime.name];
  const defaultSource: RuntimeSource = SOURCES.find((s) => byName?.[s]) ?? 'upstream';
  const rt = { source: defaultSource, cgroupDriver: 'systemd' as const, registryMirrors: {}, ...runtime, name: runtime.name };

  // Kubernetes: its minor drives its repository, the pause image and the CRI-O minor.
  const k8s = data.kubernetes ?? {};
  const k8sVersion = k8s.version !== undefined ? parseVersion(k8s.version) : undefined;
  const k8sMinor = k8sVersion?.minor !== undefined ? `${k8sVersion.major}.${k8sVersion.minor}` : undefined;
  let k8sOk = k8sVersion !== undefined && k8sMinor !== undefined;
  if (k8s.version !== undefined && k8s.unsupported) {
    k8sOk = false;
    err('/kubernetes/version', `the Kubernetes packages are not supported on ${distro.id}: ${k8s.unsupported}`, 'remove kubernetes.version and install kubelet by your own means, or choose another distro (see `crinit list`)', CODES.unsupported);
  } else if (k8sVersion && k8sMinor && (k8sVersion.major !== 1 || k8sVersion.minor! < 31)) {
    k8sOk = false;
    err('/kubernetes/version', `Kubernetes ${k8sMinor} is older than crinit supports`, 'use 1.31 or later: crinit wires its kubelet fragment in with --config-dir, on by default from 1.31 (and past end of life before that anyway)', CODES.badVersion);
  }
  // CRI-O's minor follows Kubernetes': a built-in default follows it, the user's own must match.
  if (k8sMinor && rt.name === 'cri-o') {
    if (runtime.version === undefined) rt.version = k8sMinor;
    else {
      const v = parseVersion(runtime.version);
      if (v && v.minor !== undefined && `${v.major}.${v.minor}` !== k8sMinor) {
        err('/runtime/version', `CRI-O ${v.major}.${v.minor} does not match Kubernetes ${k8sMinor}`, `CRI-O releases one minor per Kubernetes minor: set runtime.version to "${k8sMinor}", or remove it and crinit follows kubernetes.version`, CODES.incompatible);
      }
    }
  }
  // The pause image: the one the Kubernetes minor expects, unless the user's layers name one.
  if (k8sMinor && L.isBuiltin('/runtime/sandboxImage')) {
    const pause = k8s.pauseImages?.[k8sMinor];
    if (pause) rt.sandboxImage = pause;
    else {
      warn('/kubernetes/version', CODES.pauseImage, `crinit does not know the pause image Kubernetes ${k8sMinor} expects, so the runtime's default ${rt.sandboxImage ?? ''} stays`, 'set runtime.sandboxImage to the image `kubeadm config images list` prints for this version');
    }
  }
  if (!rt.sandboxImage) err('/runtime', 'runtime.sandboxImage is not set', 'set runtime.sandboxImage, e.g. registry.k8s.io/pause:3.10.2', CODES.incomplete);

  // The runtime source must exist on this distro.
  const byRuntime = data.packaging?.[rt.name] ?? {};
  const packaging: SourcePackaging | undefined = byRuntime[rt.source];
  if (!packaging) {
    const available = SOURCES.filter((s) => byRuntime[s]);
    const why =
      rt.source === 'upstream'
        ? `${rt.name === 'cri-o' ? "CRI-O's project" : 'Docker'} publishes no repository for this distro`
        : rt.source === 'distro'
          ? `crinit knows no ${rt.name} package of this distro's own`
          : `${rt.name} is not part of this distro's image`;
    err(
      '/runtime/source',
      `runtime.source ${JSON.stringify(rt.source)} is not available for ${rt.name} on ${distro.id}`,
      available.length ? `use runtime.source: ${available.join(' or ')} (${why})` : `crinit has no ${rt.name} packaging for ${distro.id}`,
      CODES.unsupported,
    );
  } else if (packaging.unsupported) {
    err(
      `/packaging/${rt.name}/${rt.source}`,
      `${rt.name} is not supported on ${distro.id}: ${packaging.unsupported}`,
      SOURCES.some((x) => x !== rt.source && byRuntime[x]) ? 'choose another runtime.source' : 'choose another runtime or distro (see `crinit list`)',
      CODES.unsupported,
    );
    // An unsupported combination is refused for that reason alone.
    return { locator: L, diagnostics };
  } else if (rt.source === 'builtin' && runtime.version !== undefined) {
    err(
      '/runtime/version',
      `${rt.name} is built into the ${distro.name} image, so its version is the image's, not the profile's`,
      'remove runtime.version; pick the OS release (stream or channel) for the runtime version you need',
      CODES.unsupported,
    );
  } else if (rt.source !== 'builtin' && !packaging.package && !packaging.sysextUrl) {
    err(`/packaging/${rt.name}/${rt.source}`, `packaging.${rt.name}.${rt.source} names no package`, 'add its package: name', CODES.incomplete);
  }

  diagnostics.push(...checkCapabilities(data, backend, L));

  // The version: the user's, else the distro's pinned default for that source.
  const versionRaw = rt.version ?? packaging?.version;
  const versionPtr = rt.version !== undefined ? '/runtime/version' : `/packaging/${rt.name}/${rt.source}/version`;
  const version = versionRaw !== undefined ? parseVersion(versionRaw) : undefined;
  if (packaging && !version) {
    err(versionPtr, `runtime.version is not a ${rt.name} version`, `write a quoted version such as "${rt.name === 'docker' ? '29' : '2.3'}"`, CODES.badVersion);
  } else if (rt.name === 'cri-o') {
    if (version && (version.major !== 1 || version.minor === undefined)) {
      err(versionPtr, `CRI-O ${version.raw} is not a 1.x minor`, 'write the minor of the Kubernetes release the node runs, e.g. "1.36" (CRI-O minors follow Kubernetes)', CODES.badVersion);
    }
  } else if (rt.name === 'docker') {
    if (version && version.major < 20) {
      err(versionPtr, `Docker Engine ${version.raw} is older than any cri-dockerd supports`, 'use a current release such as "29"', CODES.badVersion);
    }
  } else if (version && (version.major < 1 || version.major > 2)) {
    err(
      versionPtr,
      `containerd ${version.major}.x is not known to this crinit (it writes config version 2 for 1.x and 3 for 2.x)`,
      'use a 1.x or 2.x version such as "2.3"',
      CODES.badVersion,
    );
  } else if (version && version.major === 1 && (version.minor ?? 0) < 7) {
    warn(
      versionPtr,
      CODES.eolRuntime,
      `containerd ${version.raw} is end-of-life and too old for Kubernetes 1.35 and later (they need 1.7.28+ or 2.x)`,
      'use runtime.source: upstream for containerd 2.x where the distro allows it',
    );
  }

  // A repository and its key; {minor} in its URLs is the minor of what it serves.
  const resolveRepo = (repoId: string, repoPtr: string, minor: string | undefined, minorPtr: string, minorWhat: string): Repo | undefined => {
    const r = data.repos?.[repoId];
    const keyName = r?.key;
    const key = keyName !== undefined ? data.keys?.[keyName] : undefined;
    if (!r) err(repoPtr, `repository ${JSON.stringify(repoId)} is not defined`, 'define it under repos:', CODES.reference);
    else if (!keyName || !key) {
      err(joinPointer(['repos', repoId]), `repository ${JSON.stringify(repoId)} names no known signing key`, 'set repos.<id>.key to a key defined under keys:, so that its packages are verified', CODES.reference);
    } else if (pmEntry?.repositories === 'apt' && !r.apt) {
      err(joinPointer(['repos', repoId]), `repository ${JSON.stringify(repoId)} has no apt: entry for apt-based ${distro.id}`, 'add repos.<id>.apt with uri, suite and components', CODES.reference);
    } else if (pmEntry?.repositories === 'yum' && !r.yum) {
      err(joinPointer(['repos', repoId]), `repository ${JSON.stringify(repoId)} has no yum: entry for dnf-based ${distro.id}`, 'add repos.<id>.yum with a baseurl', CODES.reference);
    } else if (!key.armored && !key.url) {
      err(joinPointer(['keys', keyName]), `key ${JSON.stringify(keyName)} has neither the armored key nor a url to fetch it from`, 'add keys.<name>.armored (preferred), or keys.<name>.url', CODES.reference);
    } else {
      const fill = (u: string): string => (minor ? u.replace(/\{minor\}/g, minor) : u);
      if (JSON.stringify({ r, key }).includes('{minor}') && !minor) {
        err(minorPtr, `the ${repoId} repository is per minor version, and ${minorWhat} names none`, 'write a minor such as "1.36"', CODES.badVersion);
      }
      // Only what the package manager in use reads is kept.
      const { apt, yum, ...rest } = r;
      return {
        ...rest,
        id: repoId,
        ...(apt && pmEntry?.repositories === 'apt' ? { apt: { ...apt, uri: fill(apt.uri) } } : {}),
        ...(yum && pmEntry?.repositories === 'yum' ? { yum: { ...yum, baseurl: fill(yum.baseurl) } } : {}),
        key: { name: keyName, ...key, ...(key.url ? { url: fill(key.url) } : {}) },
      };
    }
    return undefined;
  };

  const repos: Repo[] = [];
  if (packaging?.repo !== undefined && !packaging.unsupported) {
    const minor = version && version.minor !== undefined ? `${version.major}.${version.minor}` : undefined;
    const r = resolveRepo(packaging.repo, `/packaging/${rt.name}/${rt.source}/repo`, minor, versionPtr, `runtime.version ${JSON.stringify(versionRaw)}`);
    if (r) repos.push(r);
  }

  // A runtime that comes as a Flatcar system extension: one image per release, pinned by a sum
  // the profile gives.
  let runtimeSysext: Profile['runtimeSysext'];
  if (packaging?.sysextUrl && !packaging.unsupported && version) {
    const arch = data.arch ?? 'amd64';
    const facts = rt.name === 'cri-o' ? data.crio?.sysext : undefined;
    const sum = facts?.sha256?.[arch];
    const { url: filled, file } = sysextImage(packaging.sysextUrl, version.raw, arch);
    if (version.kind !== 'release') {
      err(versionPtr, `${rt.name} on ${distro.id} comes as the sysext bakery's image of one release, and ${JSON.stringify(version.raw)} names ${version.kind === 'minor' ? 'a minor' : 'no release'}`, `set runtime.version to a release, e.g. "${version.major}.${version.minor ?? 0}.1"`, CODES.sysextPin);
    } else if (!sum) {
      err(
        versionPtr,
        `the ${rt.name} image for ${distro.id} is pinned by its sha256, and crio.sysext.sha256.${arch} is not set`,
        `add crio.sysext.sha256.${arch}: the sum of ${file} from https://extensions.flatcar.org/extensions/crio/SHA256SUMS (the sysext bakery's release); crinit never installs an unverified download`,
        CODES.sysextPin,
      );
    } else {
      runtimeSysext = { name: rt.name === 'cri-o' ? 'crio' : rt.name, url: filled, sha256: sum, file };
    }
  }

  // Kubernetes: the packages, and the combinations that cannot work.
  let kubernetes: Profile['kubernetes'];
  if (k8sOk && k8sVersion && k8sMinor) {
    const minorNum = k8sVersion.minor!;
    const packages = k8s.packages ?? ['kubelet'];
    if (!packages.includes('kubelet')) {
      err('/kubernetes/packages', 'kubernetes.packages lacks kubelet', 'add kubelet: it is what crinit wires to the runtime (kubeadm needs it too)', CODES.required);
    }
    if (!k8s.kubeletDefaultsPath) err('/kubernetes', 'kubernetes.kubeletDefaultsPath is not set', 'extend a built-in profile, or set it', CODES.incomplete);
    // KUBELET_EXTRA_ARGS reaches kubelet through kubeadm's kubelet.service.d/10-kubeadm.conf.
    if (!pmEntry?.extensions && !packages.includes('kubeadm')) {
      warn('/kubernetes/packages', CODES.kubeletWiring, "without kubeadm, nothing passes KUBELET_EXTRA_ARGS (crinit's --config-dir) to kubelet", "add kubeadm, or start kubelet with --config-dir yourself so that it reads crinit's KubeletConfiguration fragment");
    }
    let sysext: NonNullable<Profile['kubernetes']>['sysext'];
    if (pmEntry?.extensions) {
      // Flatcar: no packages; the sysext bakery's image of this exact release, pinned by sha256.
      const arch = data.arch ?? 'amd64';
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
      const r = k8s.repo ? resolveRepo(k8s.repo, '/kubernetes/repo', k8sMinor, '/kubernetes/version', `kubernetes.version ${JSON.stringify(k8s.version)}`) : undefined;
      if (r) repos.push(r);
    }
    // containerd's release matrix and KubeletCgroupDriverFromCRI (kubelet 1.36 takes the cgroup
    // driver from the runtime only, which containerd does from 2.0).
    if (rt.name === 'containerd' && version && rt.source === 'builtin' && minorNum >= 36 && (version.major < 2 || (version.major === 2 && (version.minor ?? 0) < 2))) {
      warn('/kubernetes/version', CODES.eolRuntime, `the containerd in ${distro.name} is ${version.raw} by crinit's facts, and containerd's release matrix lists 2.2+ for Kubernetes ${k8sMinor}`, 'use an OS release whose containerd is 2.2 or later, or an older Kubernetes minor');
    }
    if (rt.name === 'containerd' && version && rt.source !== 'builtin') {
      if (minorNum >= 36 && version.major < 2) {
        err(versionPtr, `Kubernetes ${k8sMinor} cannot run on containerd ${version.raw}`, 'kubelet 1.36 takes the cgroup driver from the runtime (KubeletCgroupDriverFromCRI), which containerd does only from 2.0; containerd lists 2.2+ for 1.36: use runtime.source: upstream or runtime.version "2.3"', CODES.incompatible);
      } else if (minorNum >= 35 && version.major === 1 && (version.minor ?? 0) < 7) {
        err(versionPtr, `Kubernetes ${k8sMinor} cannot run on containerd ${version.raw}`, "containerd's release matrix supports Kubernetes 1.35 on 1.7.28+ and 2.1.5+ only: use runtime.source: upstream", CODES.incompatible);
      } else if (minorNum >= 36 && version.major === 2 && (version.minor ?? 0) < 2) {
        warn(versionPtr, CODES.eolRuntime, `containerd's release matrix lists 2.2.0+ for Kubernetes ${k8sMinor}, not ${version.raw}`, 'use runtime.version "2.3"');
      }
    }
    if (distro.cgroupVersion === 1 && minorNum >= 35 && k8s.failCgroupV1 !== false) {
      err('/kubernetes/version', `kubelet ${k8sMinor} does not start on a cgroup v1 host such as ${distro.id} by default`, 'boot the host with cgroup v2, or set kubernetes.failCgroupV1: false (deprecated by Kubernetes)', CODES.incompatible);
    }
    // pkgs.k8s.io's rpm releases carry their own build revision (kubelet-1.33.7-150500.1.1), so
    // a deb-style package version names nothing dnf can install: only X.Y or X.Y.Z become a spec.
    if (pmEntry?.repositories === 'yum' && !pmEntry.layers && k8sVersion.kind === 'exact') {
      err('/kubernetes/version', `${JSON.stringify(k8s.version)} is a package version, and pkgs.k8s.io's rpm package versions differ from its deb ones`, `write the release, "${k8sMinor}.${/^[0-9]+\.[0-9]+\.([0-9]+)/.exec(k8s.version ?? '')?.[1] ?? '1'}" (crinit installs kubelet-X.Y.Z-*), or the minor, "${k8sMinor}"`, CODES.badVersion);
    }
    // rpm-ostree layers the newest package of the minor's repository, and has no hold.
    if (pmEntry?.layers && k8sVersion.kind !== 'minor') {
      warn('/kubernetes/version', CODES.layeredPin, `rpm-ostree on ${distro.id} layers the newest Kubernetes ${k8sMinor} package, not ${k8s.version} exactly`, `write the minor, "${k8sMinor}": the repository is per minor, and patch releases arrive with OS updates`);
    }
    kubernetes = {
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
  }

  // The proxy, and the addresses that must bypass it.
  let proxy: Profile['proxy'];
  if (data.proxy) {
    const p = data.proxy;
    if (!p.http && !p.https) err('/proxy', 'proxy names neither an http nor an https proxy', 'set proxy.http and/or proxy.https, e.g. http://proxy.example.com:3128', CODES.required);
    // What must bypass it: the node itself, the metadata service, the cluster's pod and service
    // networks (kubeadm's default service subnet when none is set) and the API endpoint.
    const endpointHost = k8s.controlPlaneEndpoint?.replace(/:[0-9]+$/, '').replace(/^\[(.*)\]$/, '$1');
    const noProxy = [...(p.noProxy ?? []), 'localhost', '127.0.0.1', '::1', '169.254.169.254', ...(k8s.podSubnet ? [k8s.podSubnet] : []), k8s.serviceSubnet ?? DEFAULT_SERVICE_SUBNET, ...(endpointHost ? [endpointHost] : [])];
    if (!endpointHost) {
      warn('/proxy', CODES.proxyEndpoint, "the kubelet will reach the cluster's API server through the proxy: kubernetes.controlPlaneEndpoint is not set, so its host is not in NO_PROXY", 'set kubernetes.controlPlaneEndpoint (kubeadm\'s controlPlaneEndpoint, e.g. k8s-api.example.com:6443), or add its host to proxy.noProxy');
    }
    if (backend === 'ignition' && p.https?.startsWith('http://')) {
      warn('/proxy/https', CODES.proxyPlaintext, 'Ignition warns about an http:// proxy for https:// resources ("insecure plaintext HTTP proxy")', 'the TLS of each download still runs end to end through the proxy (CONNECT); use an https:// proxy URL to silence the warning');
    }
    proxy = { ...(p.http ? { http: p.http } : {}), ...(p.https ? { https: p.https } : {}), noProxy: noProxy.filter((x, i) => noProxy.indexOf(x) === i) };
  }

  // Mirrors: a URL prefix maps to a URL prefix, an image prefix to an image prefix.
  const mirrors = Object.entries(data.mirrors ?? {});
  for (const [from, to] of mirrors) {
    const isUrl = (x: string): boolean => /^https?:\/\//.test(x);
    if (isUrl(from) !== isUrl(to)) {
      err(joinPointer(['mirrors', from]), `mirror ${JSON.stringify(from)} maps ${isUrl(from) ? 'a URL prefix to an image prefix' : 'an image prefix to a URL'}`, 'map a URL prefix to a URL prefix (https://pkgs.k8s.io/: https://mirror.example.com/k8s/), or an image prefix to an image prefix (registry.k8s.io/: registry.example.com/k8s/)', CODES.reference);
    } else if (from.endsWith('/') !== to.endsWith('/')) {
      err(joinPointer(['mirrors', from]), `mirror ${JSON.stringify(from)} and its target disagree on the trailing /`, 'end both with / (a directory prefix), or neither', CODES.reference);
    }
  }
  mirrors.sort(([a], [b]) => b.length - a.length || (a < b ? -1 : 1));

  // The guide's kernel prerequisites cannot be switched off.
  const sysctls = data.kernel?.sysctls ?? {};
  for (const [k, v] of Object.entries(REQUIRED_SYSCTLS)) {
    if (sysctls[k] === undefined) err('/kernel/sysctls', `kernel.sysctls lacks ${k}`, `Kubernetes needs ${k} = ${v}; add it back`);
    else if (sysctls[k] !== v) err(joinPointer(['kernel', 'sysctls', k]), `${k} must be ${v} on a Kubernetes node`, `set it to "${v}" (Kubernetes container-runtime prerequisite)`);
  }
  const modules = data.kernel?.modules ?? [];
  for (const m of REQUIRED_MODULES) {
    if (!modules.includes(m)) err('/kernel/modules', `kernel.modules lacks ${m}`, `Kubernetes needs the ${m} module; add it back`);
  }

  if (rt.cgroupDriver === 'cgroupfs' && distro.cgroupVersion === 2 && distro.init === 'systemd') {
    warn(
      '/runtime/cgroupDriver',
      CODES.cgroupAdvice,
      `cgroupfs on ${distro.id}, which runs systemd on cgroup v2`,
      'the Kubernetes guide says to use the systemd driver when systemd is init, and always on cgroup v2; set runtime.cgroupDriver: systemd',
    );
  }

  // A user file may not take over a file that crinit generates from profile keys.
  const files = data.files ?? [];
  const isContainerd = rt.name === 'containerd';
  const containerd = isContainerd ? data.containerd : undefined;
  const docker = rt.name === 'docker' ? data.docker : undefined;
  const crio = rt.name === 'cri-o' ? data.crio : undefined;
  const cri = rt.name === 'docker' && data.criDockerd ? { ...data.criDockerd, ...(packaging?.criDockerdBinary ? { binary: packaging.criDockerdBinary } : {}) } : undefined;
  const arch = data.arch ?? 'amd64';
  const complete = isContainerd
    ? !!(containerd?.configPath && containerd.certsDir && containerd.socket && containerd.service && containerd.crictlConfigPath)
    : rt.name === 'cri-o'
      ? !!(crio?.service && crio.socket && crio.dropinPath && crio.registriesPath && crio.crictlConfigPath)
      : !!(docker?.service && docker.socket && docker.daemonJsonPath && docker.crictlConfigPath && cri?.version && cri.url && cri.binary && cri.service && cri.socketUnit && cri.socket);
  if (!complete) err('', `the ${rt.name} runtime layer is incomplete`, `extend a built-in DISTRO/${rt.name} profile`, CODES.incomplete);
  if (cri && !cri.sha256?.[arch]) {
    err('/criDockerd/sha256', `criDockerd.sha256 has no checksum for ${arch}`, `add criDockerd.sha256.${arch}: the sha256 of the ${arch} tarball; crinit never installs an unverified download`, CODES.incomplete);
  }
  // containers-registries.conf has no catch-all mirror.
  if (rt.name === 'cri-o' && rt.registryMirrors && '_default' in rt.registryMirrors) {
    err(joinPointer(['runtime', 'registryMirrors', '_default']), 'CRI-O has no mirror for every registry (_default)', 'name each registry host to mirror, e.g. docker.io', CODES.unsupported);
  }
  // Docker built into an Ignition distro's image: its cgroup driver is dockerd's default, systemd on
  // cgroup v2 (moby/moby#40846; Flatcar's cgroups guide). crinit does not also set it, since the
  // image's unit may pass it as a flag and dockerd refuses an option given twice.
  if (rt.name === 'docker' && rt.source === 'builtin' && rt.cgroupDriver !== 'systemd') {
    err('/runtime/cgroupDriver', `the Docker Engine built into ${distro.name} runs the systemd cgroup driver (its default on cgroup v2), not ${rt.cgroupDriver}`, 'use runtime.cgroupDriver: systemd, as the Kubernetes guide asks on cgroup v2', CODES.unsupported);
  }
  // Docker's registry-mirrors apply to Docker Hub only.
  if (rt.name === 'docker') {
    for (const host of Object.keys(rt.registryMirrors ?? {})) {
      if (host !== 'docker.io') {
        err(
          joinPointer(['runtime', 'registryMirrors', host]),
          `Docker Engine can mirror docker.io only, not ${host}`,
          'keep only runtime.registryMirrors["docker.io"] for docker (daemon.json registry-mirrors), or use containerd',
          CODES.unsupported,
        );
      }
    }
  }
  const kubeletPath = data.kubelet?.configFragmentPath;
  if (!kubeletPath) err('/kubelet', 'kubelet.configFragmentPath is not set', 'extend a built-in profile, or set it', CODES.incomplete);

  files.forEach((f, i) => {
    // Ignition honours setuid, setgid and sticky bits only from spec 3.6.0 (earlier versions drop
    // them, 3.4 and 3.5 with a warning); crinit writes at most 3.5.0, so such a mode is refused.
    if (backend === 'ignition' && f.mode !== undefined && (parseInt(f.mode, 8) & 0o7000) !== 0) {
      err(joinPointer(['files', i, 'mode']), `mode ${f.mode} sets setuid, setgid or sticky bits, which Ignition honours only from spec 3.6.0`, 'drop the special bits, or set them in a command (chmod) under commands:', CODES.capability);
    }
    // What else crinit writes is in the plan, where one check finds every collision
    // (src/plan/collisions.ts). Its run records and first-boot scripts are not plan files.
    const at = joinPointer(['files', i, 'path']);
    if (f.path.startsWith(`${STATE_DIR}/`) || crinitPaths(distro.binDir ?? DEFAULT_BIN_DIR).includes(f.path)) {
      err(at, `${f.path} is crinit's own first-boot state`, 'write your file somewhere else', CODES.conflict);
    }
  });

  if (diagnostics.some((d) => d.severity === 'error') || !packaging || !version || !complete || !kubeletPath) {
    return { locator: L, diagnostics };
  }

  const profile: Profile = {
    chain,
    arch,
    distro: {
      ...(distro as Distro),
      backend,
      binDir: distro.binDir ?? DEFAULT_BIN_DIR,
    },
    runtime: {
      name: rt.name as Profile['runtime']['name'],
      source: rt.source,
      version,
      cgroupDriver: rt.cgroupDriver,
      sandboxImage: rt.sandboxImage!,
      registryMirrors: Object.keys(rt.registryMirrors ?? {})
        .sort()
        .map((h) => [h, rt.registryMirrors![h]!] as const),
    },
    packaging,
    repos,
    ...(runtimeSysext ? { runtimeSysext } : {}),
    ...(kubernetes ? { kubernetes } : {}),
    ...(proxy ? { proxy } : {}),
    mirrors,
    ...(containerd ? { containerd: containerd as NonNullable<Profile['containerd']> } : {}),
    ...(docker ? { docker: docker as NonNullable<Profile['docker']> } : {}),
    ...(crio ? { crio: crio as NonNullable<Profile['crio']> } : {}),
    ...(cri ? { criDockerd: cri as NonNullable<Profile['criDockerd']> } : {}),
    kernel: {
      modules,
      sysctls: Object.keys(sysctls)
        .sort()
        .map((k) => [k, sysctls[k]!] as const),
    },
    kubelet: { configFragmentPath: kubeletPath },
    files,
    commands: data.commands ?? [],
    ignition: { ...(data.ignition?.version ? { version: data.ignition.version } : {}), snippets: data.ignition?.snippets ?? [] },
  };
  return { profile, locator: L, diagnostics };
}
