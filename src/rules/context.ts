/**
 * @fileoverview What the rules share while they run: the merged profile, where to report, and
 * the normalized parts each rule fills in for the rules after it and for the Profile.
 */
import type { Diagnostic } from '../diagnostics.js';
import type { PackageManagerEntry } from '../os/package-managers.js';
import type { FirstBootSystem } from '../os/first-boot.js';
import type { Locator } from '../profile/normalize.js';
import type { BackendName, HandlerKind, Profile, Repo, RuntimeHandler, RuntimeSection, RuntimeSource, SourcePackaging, VersionSpec, WrittenProfile } from '../profile/types.js';

/** The runtime as the rules see it: the written section with its defaults. */
export interface RuntimeDraft {
  name: string;
  source: RuntimeSource;
  version?: string;
  cgroupDriver: 'systemd' | 'cgroupfs';
  sandboxImage?: string;
  registryMirrors?: Record<string, string[]>;
}

export interface RuleContext {
  readonly data: WrittenProfile;
  readonly L: Locator;
  readonly diagnostics: Diagnostic[];
  readonly distro: NonNullable<WrittenProfile['distro']>;
  readonly backend: BackendName;
  readonly firstBoot: FirstBootSystem;
  readonly pm?: PackageManagerEntry;
  readonly rt: RuntimeDraft;
  readonly arch: Profile['arch'];
  /** kubernetes.version, read; ok: no rule refused it. */
  k8s: { version?: VersionSpec; minor?: string; ok: boolean };
  /** The packaging of runtime.source (undefined: none for this distro). */
  packaging?: SourcePackaging;
  /** The runtime version in force, where it was set, and as written. */
  version?: VersionSpec;
  versionRaw?: string;
  versionPtr: string;
  repos: Repo[];
  /** The extra runtime handlers, checked. */
  handlers: RuntimeHandler[];
  /** The handler kinds the runtime takes on this distro. */
  handlerKinds: HandlerKind[];
  /** Why each other handler kind is refused here. */
  handlerRefusals: Partial<Record<HandlerKind, string>>;
  /** The parts of the Profile the rules produce, merged into it at the end. */
  parts: { -readonly [K in keyof Profile]?: Profile[K] };
  /** The runtime's own section, as its rules module checked it. */
  section?: RuntimeSection;
  /** Set by a rule that found the combination unsupported: the rules after it do not run. */
  stop: boolean;
  /** Set by a rule that leaves the profile unbuildable without an error of its own (none so far). */
  incomplete: boolean;
  err(pointer: string, message: string, hint?: string, code?: string, key?: string): void;
  warn(pointer: string, code: string, message: string, hint?: string): void;
}

/** One concern's rules: checks that a schema cannot express, and the normalized parts they yield. */
export interface Rule {
  readonly name: string;
  run(ctx: RuleContext): void;
}
