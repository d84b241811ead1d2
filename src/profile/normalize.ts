/**
 * @fileoverview From merged layers to a normalized Profile, through the semantic rules that a
 * schema cannot express (is this source available on this distro? does this key exist?). Each
 * rule's diagnostics point at the layer and key that set the offending value.
 */
import { checkCapabilities } from '../capabilities.js';
import { CODES, type Diagnostic, type Origin, type Severity } from '../diagnostics.js';
import { crinitPaths, DEFAULT_BIN_DIR, MODULES_LOAD_PATH, STATE_DIR, SYSCTL_PATH, UNIT_DIR } from '../paths.js';
import { originOf, type OriginMap } from './merge.js';
import { joinPointer, locate, type SourceLayer } from './source.js';
import type { Distro, Profile, RuntimeSource, SourcePackaging, VersionSpec, WrittenProfile } from './types.js';

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
  if (backend === 'cloud-init' && distro.cloudInitFloor === undefined) {
    err('/distro', `distro ${distro.id} does not set distro.cloudInitFloor`, 'add distro.cloudInitFloor (the oldest cloud-init its images ship) to the distro layer', CODES.incomplete);
  }
  // Without runtime.source: the upstream package where the distro has one, else the distro's
  // own, else the one built into the image.
  const byName = data.packaging?.[runtime.name];
  const defaultSource: RuntimeSource = SOURCES.find((s) => byName?.[s]) ?? 'upstream';
  const rt = { source: defaultSource, cgroupDriver: 'systemd' as const, registryMirrors: {}, ...runtime, name: runtime.name };
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
  } else if (rt.source !== 'builtin' && !packaging.package) {
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

  // The repository and its key.
  let repo: Profile['repo'];
  if (packaging?.repo !== undefined && !packaging.unsupported) {
    const r = data.repos?.[packaging.repo];
    const keyName = r?.key;
    const key = keyName !== undefined ? data.keys?.[keyName] : undefined;
    const repoPtr = `/packaging/${rt.name}/${rt.source}/repo`;
    if (!r) err(repoPtr, `repository ${JSON.stringify(packaging.repo)} is not defined`, 'define it under repos:', CODES.reference);
    else if (!keyName || !key) {
      err(joinPointer(['repos', packaging.repo]), `repository ${JSON.stringify(packaging.repo)} names no known signing key`, 'set repos.<id>.key to a key defined under keys:, so that its packages are verified', CODES.reference);
    } else if (distro.packageManager === 'apt' && !r.apt) {
      err(joinPointer(['repos', packaging.repo]), `repository ${JSON.stringify(packaging.repo)} has no apt: entry for apt-based ${distro.id}`, 'add repos.<id>.apt with uri, suite and components', CODES.reference);
    } else if (distro.packageManager === 'dnf' && !r.yum) {
      err(joinPointer(['repos', packaging.repo]), `repository ${JSON.stringify(packaging.repo)} has no yum: entry for dnf-based ${distro.id}`, 'add repos.<id>.yum with a baseurl', CODES.reference);
    } else if (!key.armored && !key.url) {
      err(joinPointer(['keys', keyName]), `key ${JSON.stringify(keyName)} has neither the armored key nor a url to fetch it from`, 'add keys.<name>.armored (preferred), or keys.<name>.url', CODES.reference);
    } else {
      // {minor} in a repository or key URL is the runtime's minor version (CRI-O's streams).
      const minor = version && version.minor !== undefined ? `${version.major}.${version.minor}` : undefined;
      const fill = (u: string): string => (minor ? u.replace(/\{minor\}/g, minor) : u);
      const text = JSON.stringify({ r, key });
      if (text.includes('{minor}') && !minor) {
        err(versionPtr, `the ${packaging.repo} repository is per minor version, and runtime.version ${JSON.stringify(versionRaw)} names none`, 'write a minor such as "1.36"', CODES.badVersion);
      }
      repo = {
        id: packaging.repo,
        ...r,
        ...(r.apt ? { apt: { ...r.apt, uri: fill(r.apt.uri) } } : {}),
        ...(r.yum ? { yum: { ...r.yum, baseurl: fill(r.yum.baseurl) } } : {}),
        key: { name: keyName, ...key, ...(key.url ? { url: fill(key.url) } : {}) },
      };
    }
  }

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
  const cri = rt.name === 'docker' ? data.criDockerd : undefined;
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

  const reserved: [string, string][] = [
    [containerd?.configPath ?? '', 'runtime.* (cgroupDriver, sandboxImage, registryMirrors)'],
    [containerd?.crictlConfigPath ?? docker?.crictlConfigPath ?? crio?.crictlConfigPath ?? '', 'the runtime socket'],
    [crio?.dropinPath ?? '', 'runtime.cgroupDriver and runtime.sandboxImage'],
    [crio?.registriesPath ?? '', 'runtime.registryMirrors'],
    [docker?.daemonJsonPath ?? '', 'runtime.cgroupDriver and runtime.registryMirrors'],
    [cri?.binary ?? '', 'criDockerd (version and checksums)'],
    [cri?.service ? `${UNIT_DIR}/${cri.service}` : '', 'criDockerd'],
    [cri?.socketUnit ? `${UNIT_DIR}/${cri.socketUnit}` : '', 'criDockerd.socket'],
    [cri?.service ? `${UNIT_DIR}/${cri.service}.d/${RUNTIME_DROPIN}` : '', 'runtime.sandboxImage'],
    [kubeletPath ?? '', 'runtime.cgroupDriver and the runtime socket'],
    [MODULES_LOAD_PATH, 'kernel.modules'],
    [SYSCTL_PATH, 'kernel.sysctls'],
  ];
  if (packaging?.execStart && containerd?.service) reserved.push([`${UNIT_DIR}/${containerd.service}.d/${RUNTIME_DROPIN}`, 'runtime.* (it points the runtime at its config)']);
  files.forEach((f, i) => {
    // Ignition honours setuid, setgid and sticky bits only from spec 3.6.0 (earlier versions drop
    // them, 3.4 and 3.5 with a warning); crinit writes at most 3.5.0, so such a mode is refused.
    if (backend === 'ignition' && f.mode !== undefined && (parseInt(f.mode, 8) & 0o7000) !== 0) {
      err(joinPointer(['files', i, 'mode']), `mode ${f.mode} sets setuid, setgid or sticky bits, which Ignition honours only from spec 3.6.0`, 'drop the special bits, or set them in a command (chmod) under commands:', CODES.capability);
    }
    const at = joinPointer(['files', i, 'path']);
    const hit = reserved.find(([p]) => p === f.path);
    if (hit) {
      err(at, `${f.path} is generated by crinit`, `set ${hit[1]} instead of writing this file`, CODES.conflict);
    } else if (f.path.startsWith(`${STATE_DIR}/`) || crinitPaths(distro.binDir ?? DEFAULT_BIN_DIR).includes(f.path)) {
      err(at, `${f.path} is crinit's own first-boot state`, 'write your file somewhere else', CODES.conflict);
    } else if (containerd?.certsDir && f.path.startsWith(containerd.certsDir + '/') && Object.keys(rt.registryMirrors ?? {}).some((h) => f.path.startsWith(`${containerd.certsDir}/${h}/`))) {
      err(at, `${f.path} is generated by crinit from runtime.registryMirrors`, 'change runtime.registryMirrors instead', CODES.conflict);
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
    ...(repo ? { repo } : {}),
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
