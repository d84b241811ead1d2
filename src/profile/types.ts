/**
 * @fileoverview The profile as written (one layer, any subset of keys) and the normalized
 * profile that the plan is built from (every key resolved, one runtime source chosen).
 */

export type Family = 'debian' | 'rhel' | 'coreos';
export type PackageManager = 'apt' | 'dnf' | 'rpm-ostree' | 'none';
export type BackendName = 'cloud-init' | 'ignition';
export type CgroupDriver = 'systemd' | 'cgroupfs';
/** upstream: the project's packages; distro: the distribution's; builtin: in the OS image. */
export type RuntimeSource = 'upstream' | 'distro' | 'builtin';

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
    handlers?: Record<string, { kind?: HandlerKind; default?: boolean; version?: string; sha512?: Partial<Record<Arch, Record<string, string>>>; sha256?: Partial<Record<Arch, string>>; cdi?: boolean }>;
  };
  /** How each runtime-handler kind is installed on the distro (built-in distro layers). */
  handlerPackaging?: Partial<Record<HandlerKind, HandlerPackage>>;
  containerd?: Partial<ContainerdFacts>;
  docker?: Partial<DockerFacts>;
  crio?: Partial<CrioFacts>;
  criDockerd?: Partial<CriDockerdFacts>;
  mcr?: Partial<McrFacts>;
  arch?: Arch;
  kernel?: { modules?: string[]; sysctls?: Record<string, string> };
  kubelet?: { configFragmentPath?: string };
  kubernetes?: Partial<KubernetesLayer>;
  proxy?: ProxySettings;
  mirrors?: Record<string, string>;
  files?: UserFile[];
  commands?: (string | string[])[];
  ignition?: { version?: string; snippets?: string[] };
  terraform?: { variables?: string[] };
}

/**
 * The `kubernetes:` section. Built-in layers carry the facts (repository, defaults file, pause
 * images); the user's `version` switches the packages on.
 */
export interface KubernetesLayer {
  /** A minor ("1.36"), a release ("1.36.1") or an exact package version ("1.36.1-1.1"). */
  version: string;
  packages: string[];
  hold: boolean;
  repo: string;
  /** Where the kubelet package reads KUBELET_EXTRA_ARGS from (/etc/default/kubelet, /etc/sysconfig/kubelet). */
  kubeletDefaultsPath: string;
  /** The pause image each Kubernetes minor expects. */
  pauseImages: Record<string, string>;
  /** Written into the KubeletConfiguration fragment; false lets kubelet >= 1.35 start on cgroup v1. */
  failCgroupV1: boolean;
  podSubnet: string;
  serviceSubnet: string;
  controlPlaneEndpoint: string;
  /** Why this distro cannot take the Kubernetes packages: crinit refuses them with this reason. */
  unsupported: string;
  /**
   * Flatcar: the packages come as a system extension image instead (the sysext bakery's), one
   * per release, pinned by its sha256 per architecture.
   */
  sysext: { url?: string; sha256?: Partial<Record<Arch, string>> };
}

export interface ProxySettings {
  http?: string;
  https?: string;
  noProxy?: string[];
}

export interface Distro {
  id: string;
  name: string;
  family: Family;
  packageManager: PackageManager;
  /** Which first-boot system provisions this distro; default cloud-init. */
  backend: BackendName;
  osRelease: { id: string; versionId?: string; codename?: string };
  /** cloud-init distros only: the oldest cloud-init their images ship. */
  cloudInitFloor?: string;
  /** Where crinit puts its first-boot scripts (writable, on PATH). */
  binDir: string;
  cgroupVersion: 1 | 2;
  init: 'systemd';
}

export interface SigningKey {
  description?: string;
  fingerprint: string;
  /** The key itself, shipped inline; or, when only the fingerprint is pinned, where to fetch it. */
  armored?: string;
  url?: string;
}

export interface Repo {
  id: string;
  /** Where the repository and its key were set, when not under repos: and keys: (MCR's mcr:). */
  pointers?: { readonly repo: string; readonly key: string };
  description?: string;
  key: SigningKey & { name: string };
  apt?: { uri: string; suite: string; components: string[] };
  yum?: { baseurl: string; signed?: YumSigned };
}

/**
 * What a dnf repository's key signs: each package (gpgcheck), or only the repository's metadata,
 * which holds each package's checksum (repo_gpgcheck; NVIDIA's repository).
 */
export type YumSigned = 'packages' | 'metadata';

export interface SourcePackaging {
  repo?: string;
  /** Handler binaries the package itself brings (CRI-O's crun), used before the distro's own. */
  bundledHandlers?: Partial<Record<HandlerKind, string>>;
  /** The conmon the package brings, for the monitor of each extra handler (CRI-O). */
  conmonPath?: string;
  /** The package to install; none for a runtime built into the image. */
  package?: string;
  version: string;
  patchSuffix?: '-' | '~';
  conflicts?: string[];
  /** Installed with the package, neither pinned nor held (container-selinux). */
  requires?: string[];
  /** Why this source cannot be used on this distro: crinit refuses it with this reason. */
  unsupported?: string;
  /** Installed and held with the package, pinned to its version and epoch (docker-ce-cli). */
  versionedPackages?: string[];
  /**
   * The repository serves one version line (MCR's channel): its packages are installed from it
   * without a version pin, and held.
   */
  pinnedByRepository?: boolean;
  /** Installed and held with the package, unpinned (containerd.io with docker-ce). */
  extraPackages?: string[];
  /** The version epoch the pin needs (docker-ce: 5 on apt, 3 on dnf). */
  epoch?: string;
  note?: string;
  /** The config.toml version to write, when the version alone cannot tell (builtin runtimes). */
  configVersion?: 2 | 3;
  /** The runtime binary, when the image's unit must be told to read crinit's config. */
  execStart?: string;
  /** Whether crinit enables the service (default true); false where the image starts it itself. */
  enable?: boolean;
  /** Units to mask so that no second runtime starts. */
  mask?: string[];
  /** Flatcar system extensions to switch off (linked to /dev/null in /etc/extensions). */
  disableSysexts?: string[];
  /** docker: where cri-dockerd goes on this distro, when not criDockerd.binary (Flatcar: /opt/bin). */
  criDockerdBinary?: string;
  /**
   * The runtime comes as a system extension image instead of a package (Flatcar's sysext
   * bakery): its URL, with {version} (a release) and {arch} (x86-64 or arm64).
   */
  sysextUrl?: string;
}

export type RuntimeName = 'containerd' | 'cri-o' | 'docker' | 'mcr';

/** How a handler kind is installed on a distro: a package, or its project's release files. */
export interface HandlerPackage {
  package?: string;
  binary?: string;
  /** The repository under repos: its package comes from (NVIDIA's), when not the distro's own. */
  repo?: string;
  /** Why crinit does not install this kind on the distro: it is refused with this reason. */
  unsupported?: string;
  /** The release files, each checked against the sha512 the profile gives; {version}, {arch}, {file} in url. */
  download?: { url: string; files: string[]; arch?: Partial<Record<Arch, string>> };
  /**
   * One release archive of a whole tree (Kata's), checked against the sha256 the profile gives,
   * unpacked in place of root; {version} and {arch} in url. Releases before minVersion are
   * refused: binary is where this layout puts the shim.
   */
  archive?: { url: string; root: string; minVersion: string; arch?: Partial<Record<Arch, string>> };
  /** Distro packages the install step needs (zstd for a .tar.zst). */
  tools?: string[];
}

/** The kinds of extra runtime handler (runtime.handlers). */
export type HandlerKind = 'crun' | 'runsc' | 'kata' | 'nvidia';

/** An extra runtime handler: the name a RuntimeClass's handler: uses, and how it is installed. */
export interface RuntimeHandler {
  readonly name: string;
  readonly kind: HandlerKind;
  readonly binary: string;
  /** The distro package that installs it. */
  readonly package?: string;
  /** Pods without a RuntimeClass run on it. */
  readonly default: boolean;
  /** The release files crinit downloads, each checked against its sha512, and where each goes. */
  readonly downloads?: readonly { readonly url: string; readonly sha512: string; readonly dest: string }[];
  /** The release archive crinit downloads, checked against its sha256, and the tree it replaces. */
  readonly archive?: { readonly url: string; readonly sha256: string; readonly root: string };
  /** Distro packages its install step needs. */
  readonly tools?: readonly string[];
  /** NVIDIA: devices are handed to containers through CDI (a spec generated on first boot). */
  readonly cdi?: boolean;
  /** What the node must have before anything is installed (the NVIDIA driver), checked first. */
  readonly needs?: { readonly path: string; readonly what: string };
}
export type Arch = 'amd64' | 'arm64';

export interface CrioFacts {
  /** Flatcar: the sum of the sysext bakery's crio image per architecture, which the profile gives. */
  sysext?: { sha256?: Partial<Record<Arch, string>> };
  service: string;
  socket: string;
  dropinPath: string;
  registriesPath: string;
  crictlConfigPath: string;
}

export interface DockerFacts {
  service: string;
  socket: string;
  daemonJsonPath: string;
  crictlConfigPath: string;
}

export interface CriDockerdFacts {
  version: string;
  /** With {version} and {arch} placeholders. */
  url: string;
  sha256: Partial<Record<Arch, string>>;
  binary: string;
  service: string;
  socketUnit: string;
  socket: string;
}

/**
 * Mirantis Container Runtime: the facts of the subscriber's own repository access, and the units
 * of the cri-dockerd that ships with it. The CRI socket is not among them: it is read on the
 * node from the socket unit.
 */
export interface McrFacts {
  /** The repository root, https://repos.mirantis.com unless the subscriber has another. */
  repository: string;
  /** The update channel: stable-<runtime.version> unless set (stable-25.0, stable-25.0.14). */
  channel: string;
  /** The repository signing key's fingerprint, which the subscriber has from Mirantis. */
  keyFingerprint: string;
  criDockerdService: string;
  criDockerdSocketUnit: string;
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

/**
 * What each runtime's own section gives the plan, by runtime.name: one variant per runtime, so
 * that a runtime's plan contributor reads its facts without asking whether they are there.
 */
export type RuntimeSection =
  | { readonly name: 'containerd'; readonly containerd: ContainerdFacts }
  | { readonly name: 'cri-o'; readonly crio: CrioFacts }
  | { readonly name: 'docker'; readonly docker: DockerFacts; readonly criDockerd: CriDockerdFacts }
  | { readonly name: 'mcr'; readonly docker: DockerFacts; readonly mcr: McrFacts };

/** What every runtime has, whatever its name. */
export interface RuntimeCommon {
  readonly source: RuntimeSource;
  readonly version: VersionSpec;
  readonly cgroupDriver: CgroupDriver;
  readonly sandboxImage: string;
  readonly registryMirrors: readonly (readonly [host: string, urls: readonly string[]])[];
  /** Extra handlers beside runc, in name order. */
  readonly handlers: readonly RuntimeHandler[];
  /** The handler kinds this runtime takes on this distro (what `crinit list` shows). */
  readonly handlerKinds: readonly HandlerKind[];
  /** Why each other handler kind is refused on this distro and runtime (crinit list --json). */
  readonly handlerRefusals: Readonly<Partial<Record<HandlerKind, string>>>;
}

/** The runtime of a normalized profile: a discriminated union on name. */
export type ProfileRuntime = RuntimeCommon & RuntimeSection;

/** The runtime named N. */
export type RuntimeOf<N extends RuntimeName> = RuntimeCommon & Extract<RuntimeSection, { readonly name: N }>;

/** A profile whose runtime is named N: what that runtime's plan contributor is given. */
export type ProfileOf<N extends RuntimeName> = Profile & { readonly runtime: RuntimeOf<N> };

/** The normalized profile: what the plan builder consumes. Pointers name where each part came from. */
export interface Profile {
  readonly chain: string;
  readonly distro: Distro;
  readonly arch: Arch;
  readonly runtime: ProfileRuntime;
  readonly packaging: SourcePackaging;
  /** The runtime's repository, then the Kubernetes one, as the plan adds them. */
  readonly repos: readonly Repo[];
  /** Set when kubernetes.version is: the Kubernetes packages and the kubelet wiring. */
  readonly kubernetes?: {
    readonly version: VersionSpec;
    /** "1.36": the repository, the pause image and the compatibility rules follow it. */
    readonly minor: string;
    readonly packages: readonly string[];
    readonly hold: boolean;
    /** The repository id they come from. */
    readonly repo: string;
    readonly kubeletDefaultsPath: string;
    readonly failCgroupV1?: boolean;
    readonly podSubnet?: string;
    readonly serviceSubnet?: string;
    /** Flatcar: the system extension image in place of packages. */
    readonly sysext?: { readonly url: string; readonly sha256: string; readonly file: string };
  };
  readonly proxy?: { readonly http?: string; readonly https?: string; readonly noProxy: readonly string[] };
  /** URL or image prefixes and what replaces them, longest prefix first. */
  readonly mirrors: readonly (readonly [from: string, to: string])[];
  /** Set when the runtime comes as a system extension image (Flatcar). */
  readonly runtimeSysext?: { readonly name: string; readonly url: string; readonly sha256: string; readonly file: string };
  readonly kernel: { readonly modules: readonly string[]; readonly sysctls: readonly (readonly [string, string])[] };
  readonly kubelet: { readonly configFragmentPath: string };
  readonly files: readonly UserFile[];
  readonly commands: readonly (string | readonly string[])[];
  readonly ignition: { readonly version?: string; readonly snippets: readonly string[] };
}
