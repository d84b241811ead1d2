/**
 * @fileoverview The registry of package managers: what each one is on a node (where repository
 * keys go, which repository files it reads, which of its services fetch, whether it layers or
 * holds), and the commands a cloud-init node runs with it. Everything that differs between apt,
 * dnf, rpm-ostree and "none" is here, as data or one function per entry; the rest of crinit asks
 * the entry instead of comparing names. A new package manager is one more entry.
 */
import type { PackageManager, VersionSpec } from '../profile/types.js';

/** A package with its pin, as the plan holds it. */
export interface PinnedPackage {
  readonly name: string;
  readonly version?: VersionSpec;
  readonly epoch?: string;
  readonly patchSuffix: '-' | '~';
}

/** The commands of package steps; absent where the package manager has none (layering, none). */
export interface PackageCommands {
  /** name=glob (apt) or name-glob (dnf). */
  readonly spec: (p: PinnedPackage) => string;
  readonly refresh: readonly string[];
  /** The install command line for these specs; fromRepo lifts that repository's exclude=. */
  readonly install: (specs: readonly string[], fromRepo?: string) => string[];
  /** The hold step's command lines, in order (dnf needs its versionlock plugin first). */
  readonly hold: (packages: readonly string[]) => { readonly id?: string; readonly argv: string[]; readonly retries?: number }[];
  /** A script releasing crinit's own holds of the packages named ("$@"), where they are held. */
  readonly releaseHolds: string;
  /** `sh -c` words removing those of "$@" that are installed (a name the system lacks is fine). */
  readonly removeInstalled: string;
}

export interface PackageManagerEntry {
  readonly name: PackageManager;
  /** Which repository description it reads: an apt source, a yum .repo, or none. */
  readonly repositories?: 'apt' | 'yum';
  /**
   * cloud-init's apt module must be told to keep the image's own sources (apt:
   * preserve_sources_list) once the document has repositories (apt).
   */
  readonly preserveSourcesList?: boolean;
  /** Where a repository's pinned key goes. */
  readonly keyDir?: string;
  /** Whether a repository's exclude= (kept out of routine upgrades) is honoured and liftable. */
  readonly excludes: boolean;
  /** Packages come as a new deployment the machine boots into (one reboot), not installed in place. */
  readonly layers: boolean;
  /**
   * A deb-style package version names nothing it can install: pkgs.k8s.io's rpm releases carry
   * their own build revision, so an exact Kubernetes version is refused (dnf).
   */
  readonly refusesDebVersions?: boolean;
  /** Whether it can hold a package at its version. */
  readonly holds: boolean;
  /** The proxy: apt's own conf.d file, or dnf.conf's [main] proxy= set by a step. */
  readonly proxy?: 'apt-conf' | 'dnf-conf';
  /** The OS's own services that fetch (they get the proxy drop-in too). */
  readonly fetchingUnits: readonly string[];
  /** cloud-init nodes: the package steps' commands. */
  readonly commands?: PackageCommands;
  /** Why packages cannot be installed, for the Ignition backend's refusal. */
  readonly noPackages?: string;
  /** Software comes as system extension images (the sysext bakery's), never as packages. */
  readonly extensions: boolean;
}

/** versionGlob turns a version spec into the pattern apt (`name=…`) and dnf (`name-…`) accept. */
export function versionGlob(v: VersionSpec, patchSuffix: '-' | '~'): string {
  switch (v.kind) {
    case 'major':
    case 'minor':
      return `${v.raw}.*`;
    case 'release':
      return `${v.raw}${patchSuffix}*`;
    case 'exact':
      return v.raw;
  }
}

function glob(p: PinnedPackage): string {
  return `${p.epoch !== undefined && p.version!.kind !== 'exact' ? `${p.epoch}:` : ''}${versionGlob(p.version!, p.patchSuffix)}`;
}

/** The name a repository gets in apt sources and yum repo files. */
export function repoName(id: string): string {
  return `crinit-${id}`;
}

const APT_ENV = ['env', 'DEBIAN_FRONTEND=noninteractive', 'NEEDRESTART_MODE=a'];
// apt waits up to 10 minutes for a dpkg lock held by apt-daily or unattended-upgrades, and
// retries each download; crinit-step retries the whole command on top of that.
const APT_GET = [...APT_ENV, 'apt-get', '-q', '-o', 'Acquire::Retries=5', '-o', 'DPkg::Lock::Timeout=600'];
const DNF = ['dnf', '-y', '-q', '--setopt=retries=10'];

/**
 * dnf install puts a missing package in at the newest release of its pin; the upgrade moves one
 * already installed (a re-run) to that release too. On a first run it has nothing to do.
 */
const DNF_INSTALL = `set -e; ${DNF.join(' ')} install "$@"; ${DNF.join(' ')} upgrade "$@"`;

/**
 * removeInstalled: a loop keeping those of "$@" that are installed, then the removal. A name the
 * system does not know is not an error, so one list serves fresh images with and without them.
 */
const removeInstalled = (installed: string, remove: string): string =>
  `for p in "$@"; do shift; if ${installed}; then set -- "$@" "$p"; fi; done; if [ "$#" -eq 0 ]; then exit 0; fi; ${remove}`;

const APT: PackageManagerEntry = {
  name: 'apt',
  extensions: false,
  repositories: 'apt',
  preserveSourcesList: true,
  keyDir: '/etc/apt/keyrings',
  excludes: false,
  layers: false,
  holds: true,
  proxy: 'apt-conf',
  fetchingUnits: [],
  commands: {
    spec: (p) => (p.version ? `${p.name}=${glob(p)}` : p.name),
    refresh: [...APT_GET, 'update'],
    install: (specs) => [...APT_GET, '-o', 'Dpkg::Options::=--force-confold', 'install', '-y', ...specs],
    hold: (packages) => [{ argv: ['apt-mark', 'hold', ...packages] }],
    // crinit's own holds of an earlier run, released only where they are held, so that a re-run
    // can install the newest release of each pin; the hold step sets them again.
    releaseHolds: 'for p in "$@"; do if apt-mark showhold "$p" 2>/dev/null | grep -qx "$p"; then apt-mark unhold "$p" || exit 1; fi; done',
    removeInstalled: removeInstalled('dpkg-query -W -f "\\${db:Status-Abbrev}" "$p" 2>/dev/null | grep -q "^ii"', 'exec env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 remove -y "$@"'),
  },
};

const DNF_ENTRY: PackageManagerEntry = {
  name: 'dnf',
  extensions: false,
  repositories: 'yum',
  keyDir: '/etc/pki/rpm-gpg',
  excludes: true,
  layers: false,
  refusesDebVersions: true,
  holds: true,
  proxy: 'dnf-conf',
  fetchingUnits: [],
  commands: {
    spec: (p) => (p.version ? `${p.name}-${glob(p)}` : p.name),
    // --refresh: a re-run days later must see the releases published since, as apt-get update does.
    refresh: [...DNF, 'makecache', '--refresh'],
    install: (specs, fromRepo) => ['sh', '-c', DNF_INSTALL, 'sh', ...(fromRepo ? [`--disableexcludes=${repoName(fromRepo)}`] : []), ...specs],
    hold: (packages) => [
      { id: 'install-versionlock-plugin', argv: [...DNF, 'install', 'dnf-command(versionlock)'], retries: 3 },
      { argv: ['dnf', '-q', 'versionlock', 'add', ...packages] },
    ],
    releaseHolds: 'locks=$(dnf -q versionlock list 2>/dev/null) || exit 0; for p in "$@"; do if printf "%s\\n" "$locks" | grep -q "^$p-[0-9]*:"; then dnf -q versionlock delete "$p" || exit 1; fi; done',
    removeInstalled: removeInstalled('rpm -q --quiet "$p"', 'exec dnf -y -q remove "$@"'),
  },
};

const RPM_OSTREE: PackageManagerEntry = {
  name: 'rpm-ostree',
  extensions: false,
  repositories: 'yum',
  keyDir: '/etc/pki/rpm-gpg',
  excludes: false,
  layers: true,
  holds: false,
  // rpm-ostreed downloads what rpm-ostree layers, and zincati the OS updates.
  fetchingUnits: ['rpm-ostreed.service', 'zincati.service'],
  noPackages: 'only by layering with rpm-ostree',
};

const NONE: PackageManagerEntry = {
  name: 'none',
  extensions: true,
  excludes: false,
  layers: false,
  holds: false,
  fetchingUnits: [],
  noPackages: 'it has no package manager',
};

const REGISTRY: Readonly<Record<PackageManager, PackageManagerEntry>> = { apt: APT, dnf: DNF_ENTRY, 'rpm-ostree': RPM_OSTREE, none: NONE };

/** findPackageManager returns a package manager's entry, or undefined for a name it does not know. */
export function findPackageManager(name: string): PackageManagerEntry | undefined {
  return Object.hasOwn(REGISTRY, name) ? REGISTRY[name as PackageManager] : undefined;
}

/** packageManager returns a package manager's registry entry. */
export function packageManager(name: PackageManager): PackageManagerEntry {
  const entry = REGISTRY[name];
  if (!entry) throw new Error(`internal: no package manager ${name} in the registry`);
  return entry;
}

/** Where a repository's key is installed: apt reads armored keys from signed-by, dnf and rpm-ostree from gpgkey. */
export function repoKeyPath(name: PackageManager, repoId: string): string {
  return `${packageManager(name).keyDir ?? '/etc/pki/rpm-gpg'}/${repoName(repoId)}.asc`;
}

/** A repository as the plan holds it, as much of it as its file needs. */
export interface RepositoryOf {
  readonly id: string;
  readonly description: string;
  readonly key: { readonly armored?: string };
  readonly apt?: { readonly uri: string; readonly suite: string; readonly components: readonly string[] };
  readonly yum?: { readonly baseurl: string; readonly signed?: 'packages' | 'metadata' };
  readonly exclude?: readonly string[];
}

/** The file that describes a repository to the package manager, from a template. */
export interface RepositoryFile {
  readonly path: string;
  readonly template: string;
  readonly context: Readonly<Record<string, unknown>>;
  /** apt must not read the source before the fetch-key step has installed its key. */
  readonly afterKey: boolean;
}

/** How each kind of repository description is written: an apt one-line source, a yum .repo file. */
const REPOSITORY_FILES: { readonly [K in 'apt' | 'yum']: (r: RepositoryOf, keyPath: string, pm: PackageManagerEntry, profile: string) => RepositoryFile | undefined } = {
  apt: (r, keyPath, _pm, profile) =>
    r.apt && {
      path: `/etc/apt/sources.list.d/${repoName(r.id)}.list`,
      template: 'apt/source.list.hbs',
      context: { profile, inline: !!r.key.armored, line: `deb [signed-by=${keyPath}] ${[r.apt.uri, r.apt.suite, ...r.apt.components].join(' ')}` },
      afterKey: !r.key.armored,
    },
  yum: (r, keyPath, pm, profile) =>
    r.yum && {
      path: `/etc/yum.repos.d/${repoName(r.id)}.repo`,
      template: 'yum/repo.hbs',
      context: { profile, id: repoName(r.id), name: r.description, baseurl: r.yum.baseurl, gpgkey: keyPath, metadataSigned: r.yum.signed === 'metadata', exclude: pm.excludes ? (r.exclude?.join(' ') ?? '') : '', fetched: !r.key.armored },
      afterKey: false,
    },
};

/** The file describing a repository to this package manager; undefined where it reads none. */
export function repositoryFile(name: PackageManager, r: RepositoryOf, profile: string): RepositoryFile | undefined {
  const pm = packageManager(name);
  return pm.repositories ? REPOSITORY_FILES[pm.repositories](r, repoKeyPath(name, r.id), pm, profile) : undefined;
}
