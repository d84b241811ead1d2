/**
 * @fileoverview NodePlan: the neutral description of what a node needs, shared by every backend.
 * It says *what* (files, packages, units, steps), never *how* a backend expresses it. Every item
 * carries its origin: the profile layer and key it came from, or crinit itself.
 */
import type { Origin } from '../diagnostics.js';
import type { Distro, RuntimeName, RuntimeSource, VersionSpec, YumSigned } from '../profile/types.js';

export interface Sourced {
  readonly origin: Origin;
}

/** How a file's contents are produced: a template rendered in the render phase, or given text. */
export type FileSource = { readonly template: string; readonly context: Readonly<Record<string, unknown>> } | { readonly inline: string };

/**
 * When a file must land relative to package installation. `after-packages` is for files a
 * package ships itself (containerd.io's config.toml) and would otherwise replace or ignore;
 * `after-key` for an apt source whose key the fetch-key step installs: apt must not read the
 * source before its key is there.
 */
export type FilePhase = 'before-packages' | 'after-packages' | 'after-key';

export interface PlanFile extends Sourced {
  readonly path: string;
  readonly mode: number;
  readonly owner: string;
  readonly group: string;
  readonly phase: FilePhase;
  readonly source: FileSource;
  /** Set when the file is a systemd drop-in: backends that model units (Ignition) write it as one. */
  readonly dropin?: { readonly unit: string; readonly name: string };
  /** A file of the profile's `files:`: the merged pointer of its entry (/files/N), for diagnostics. */
  readonly entry?: string;
}

/** A PlanFile after rendering. */
export interface RenderedFile extends Omit<PlanFile, 'source'> {
  readonly contents: string;
}

export interface PlanDirectory extends Sourced {
  readonly path: string;
  readonly mode: number;
}

export interface PlanRepo extends Sourced {
  readonly id: string;
  readonly description: string;
  /**
   * The signing key: inline (armored), or fetched on first boot from `url` and installed only if
   * its fingerprint is the pinned one.
   */
  readonly key: { readonly name: string; readonly fingerprint: string; readonly armored?: string; readonly url?: string };
  readonly apt?: { readonly uri: string; readonly suite: string; readonly components: readonly string[] };
  readonly yum?: { readonly baseurl: string; readonly signed?: YumSigned };
  /** Packages dnf must not take from this repository unless asked (exclude=); installed with --disableexcludes. */
  readonly exclude?: readonly string[];
}

/**
 * Something the node fetches from the network: the manifest lists these, and the offline check
 * reads their hosts. `url` is what the node fetches (after mirrors), `upstream` where it comes from.
 */
export interface PlanArtifact extends Sourced {
  readonly kind: 'repository' | 'key' | 'download' | 'image';
  /** A repository's id. */
  readonly id?: string;
  readonly url: string;
  readonly upstream: string;
  readonly sha256?: string;
  readonly sha512?: string;
  readonly fingerprint?: string;
  readonly version?: string;
  /** A repository's packages, with their version pins. */
  readonly packages?: readonly string[];
  /** An image pulled through the runtime's registry mirrors: the mirror URLs tried first. */
  readonly registryMirrors?: readonly string[];
}

export interface PlanPackage extends Sourced {
  readonly name: string;
  /** undefined: any version the repositories offer. */
  readonly version?: VersionSpec;
  /** The version epoch the pin needs (docker-ce: 5 on apt, 3 on dnf). */
  readonly epoch?: string;
  /** What follows the upstream version in the package's version string (for release pins). */
  readonly patchSuffix: '-' | '~';
  readonly hold: boolean;
}

export interface PlanService extends Sourced {
  readonly unit: string;
  readonly enable: boolean;
  readonly restart: boolean;
  /** A socket whose appearance proves the service came up. */
  readonly socket?: string;
}

/** A unit masked so that it cannot start (a second runtime, say). */
export interface PlanMask extends Sourced {
  readonly unit: string;
}

/** A symbolic link; Flatcar switches a system extension off by linking it to /dev/null. */
export interface PlanLink extends Sourced {
  readonly path: string;
  readonly target: string;
}

/** A file the first-boot system downloads itself and checks by sha256 (Ignition: verification.hash). */
export interface PlanDownload extends Sourced {
  readonly path: string;
  readonly url: string;
  readonly sha256: string;
  readonly mode: number;
}

export interface PlanModule extends Sourced {
  readonly name: string;
}

export interface PlanSysctl extends Sourced {
  readonly key: string;
  readonly value: string;
}

/** The first-boot steps, in order. Backends lower each kind; a kind a backend cannot express is an error. */
export type StepAction =
  | { readonly kind: 'load-modules'; readonly modules: readonly string[] }
  | { readonly kind: 'apply-sysctls' }
  | { readonly kind: 'remove-packages'; readonly packages: readonly string[] }
  | { readonly kind: 'refresh-package-index' }
  /** fromRepo: packages a repository excludes (dnf's exclude=) unless the install names it. */
  | { readonly kind: 'install-packages'; readonly packages: readonly PlanPackage[]; readonly fromRepo?: string }
  /** swapoff, and every swap line of /etc/fstab commented out, so swap stays off. */
  | { readonly kind: 'disable-swap' }
  /** dnf's own proxy setting (dnf.conf [main] proxy=). */
  | { readonly kind: 'configure-dnf-proxy'; readonly url: string }
  | { readonly kind: 'place-files'; readonly paths: readonly string[] }
  | { readonly kind: 'hold-packages'; readonly packages: readonly string[] }
  /**
   * Release crinit's own holds before its installs, so that a re-run (a new instance-id) can move
   * a held package to the newest release of its pin; hold-packages holds them again after.
   */
  | { readonly kind: 'release-holds'; readonly packages: readonly string[] }
  | { readonly kind: 'create-directories'; readonly paths: readonly string[] }
  | { readonly kind: 'daemon-reload' }
  | { readonly kind: 'enable-service'; readonly unit: string }
  | { readonly kind: 'mask-units'; readonly units: readonly string[] }
  /** Fetch a repository's key, install it only if its fingerprint is the pinned one. */
  | { readonly kind: 'fetch-key'; readonly url: string; readonly fingerprint: string; readonly dest: string }
  /** Download a release tarball, check its sha256 before anything else, install one member. */
  | { readonly kind: 'install-archive'; readonly url: string; readonly sha256: string; readonly arch: string; readonly member: string; readonly dest: string; readonly neededBy: string }
  /**
   * A release archive of one whole tree (Kata's /opt/kata), checked against its sha256 before it
   * is opened, then unpacked in place of root: every member must lie under root.
   */
  | { readonly kind: 'install-tree'; readonly url: string; readonly sha256: string; readonly arch: string; readonly root: string; readonly neededBy: string }
  /** One released file, checked against its sha512 before it is installed (mode 0755) at dest. */
  | { readonly kind: 'install-binary'; readonly url: string; readonly sha512: string; readonly arch: string; readonly dest: string; readonly neededBy: string }
  | { readonly kind: 'restart-service'; readonly unit: string }
  | { readonly kind: 'wait-for-socket'; readonly path: string }
  /** A command; writes names the files it makes, which the plan owns like any other. */
  | { readonly kind: 'run-command'; readonly argv: readonly string[]; readonly writes?: readonly string[] }
  | { readonly kind: 'run-shell'; readonly script: string };

export type PlanStep = Sourced & {
  /** A stable, unique name: it appears in logs and in the failure record. */
  readonly id: string;
  readonly action: StepAction;
};

/**
 * A file or unit of crinit's first-boot machinery whose contents the backend writes, because they
 * are the steps it lowers (Ignition's crinit-firstboot script and unit), or an archive's unpack
 * unit and its download. Keyed by path like every other node, so no user file can take it; the
 * backend writes exactly these and checks that it does.
 */
export interface PlanMachinery extends Sourced {
  readonly path: string;
  readonly role: 'runner-script' | 'runner-unit' | 'state-directory' | 'unpack-unit' | 'download';
  /** The unit's name, for a unit. */
  readonly unit?: string;
  /** What it is, for collision messages. */
  readonly what: string;
}

export interface NodePlan<F = PlanFile> {
  readonly target: { readonly distro: Distro; readonly runtime: RuntimeName; readonly source: RuntimeSource };
  /** The profile's name as the user gave it, e.g. ubuntu-24.04/containerd or node.yaml. */
  readonly name: string;
  readonly chain: string;
  readonly repos: readonly PlanRepo[];
  readonly packages: readonly PlanPackage[];
  readonly directories: readonly PlanDirectory[];
  readonly files: readonly F[];
  readonly modules: readonly PlanModule[];
  readonly sysctls: readonly PlanSysctl[];
  readonly services: readonly PlanService[];
  readonly masks: readonly PlanMask[];
  readonly links: readonly PlanLink[];
  /** Files fetched and verified by the first-boot system itself (Ignition backends only). */
  readonly downloads: readonly PlanDownload[];
  /** Ignition configs to merge into the output (Ignition backends only), in order. */
  readonly ignitionSnippets: readonly ({ readonly path: string } & Sourced)[];
  readonly ignitionVersion?: { readonly value: string } & Sourced;
  /** kubelet and runtime share this one value, so they cannot disagree. */
  readonly kubelet: { readonly cgroupDriver: 'systemd' | 'cgroupfs'; readonly runtimeEndpoint: string } & Sourced;
  /** The proxy, for backends that set it themselves (Ignition's ignition.proxy). */
  readonly proxy?: { readonly http?: string; readonly https?: string; readonly noProxy: readonly string[] } & Sourced;
  readonly artifacts: readonly PlanArtifact[];
  readonly steps: readonly PlanStep[];
  readonly machinery: readonly PlanMachinery[];
}

export type RenderedPlan = NodePlan<RenderedFile> & {
  /** Rendered with each template's notes (--annotate): backends render their own files so too. */
  readonly annotate?: boolean;
};
