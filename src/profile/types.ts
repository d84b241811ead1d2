/**
 * @fileoverview The profile as written (one layer, any subset of keys) and the normalized
 * profile that the plan is built from (every key resolved, one runtime source chosen).
 */

export type Family = 'debian' | 'rhel';
export type PackageManager = 'apt' | 'dnf';
export type CgroupDriver = 'systemd' | 'cgroupfs';
export type RuntimeSource = 'upstream' | 'distro';

/** One layer as written. Every key is optional; the schema is the authority on shapes. */
export interface WrittenProfile {
  extends?: string;
  description?: string;
  distro?: Partial<Distro>;
  keys?: Record<string, SigningKey>;
  repos?: Record<string, Omit<Repo, 'id' | 'key'> & { key?: string }>;
  packaging?: Record<string, Partial<Record<RuntimeSource, SourcePackaging>>>;
  runtime?: {
    name?: string;
    version?: string;
    source?: RuntimeSource;
    cgroupDriver?: CgroupDriver;
    sandboxImage?: string;
    registryMirrors?: Record<string, string[]>;
  };
  containerd?: Partial<ContainerdFacts>;
  kernel?: { modules?: string[]; sysctls?: Record<string, string> };
  kubelet?: { configFragmentPath?: string };
  files?: UserFile[];
  commands?: (string | string[])[];
  terraform?: { variables?: string[] };
}

export interface Distro {
  id: string;
  name: string;
  family: Family;
  packageManager: PackageManager;
  osRelease: { id: string; versionId: string; codename?: string };
  cloudInitFloor: string;
  cgroupVersion: 1 | 2;
  init: 'systemd';
}

export interface SigningKey {
  description?: string;
  fingerprint: string;
  armored: string;
}

export interface Repo {
  id: string;
  description?: string;
  key: SigningKey & { name: string };
  apt?: { uri: string; suite: string; components: string[] };
  yum?: { baseurl: string };
}

export interface SourcePackaging {
  repo?: string;
  package: string;
  version: string;
  patchSuffix?: '-' | '~';
  conflicts?: string[];
  note?: string;
}

export interface ContainerdFacts {
  service: string;
  socket: string;
  configPath: string;
  certsDir: string;
  crictlConfigPath: string;
}

export interface UserFile {
  path: string;
  content: string;
  mode?: string;
  owner?: string;
  when?: 'before-packages' | 'after-packages';
}

/**
 * The version the user asked for: a major ("2"), a minor ("2.3"), a release ("2.3.5") or an
 * exact package version ("2.3.5-1~ubuntu.24.04~noble"), with the containerd major it implies.
 */
export interface VersionSpec {
  readonly raw: string;
  readonly kind: 'major' | 'minor' | 'release' | 'exact';
  readonly major: number;
  readonly minor?: number;
}

/** The normalized profile: what the plan builder consumes. Pointers name where each part came from. */
export interface Profile {
  readonly chain: string;
  readonly distro: Distro;
  readonly runtime: {
    readonly name: 'containerd';
    readonly source: RuntimeSource;
    readonly version: VersionSpec;
    readonly cgroupDriver: CgroupDriver;
    readonly sandboxImage: string;
    readonly registryMirrors: readonly (readonly [host: string, urls: readonly string[]])[];
  };
  readonly packaging: SourcePackaging;
  readonly repo?: Repo;
  readonly containerd: ContainerdFacts;
  readonly kernel: { readonly modules: readonly string[]; readonly sysctls: readonly (readonly [string, string])[] };
  readonly kubelet: { readonly configFragmentPath: string };
  readonly files: readonly UserFile[];
  readonly commands: readonly (string | readonly string[])[];
}
