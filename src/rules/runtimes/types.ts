/**
 * @fileoverview What a runtime's own rules module provides: the checks of its version, of its
 * section of the profile, and what it needs with Kubernetes. One module per runtime, registered
 * in ./index.ts; the shared rules ask it instead of comparing runtime names.
 */
import type { HandlerKind, Repo, RuntimeSection, VersionSpec } from '../../profile/types.js';
import type { RuleContext } from '../context.js';

export interface RuntimeRules {
  readonly name: string;
  /** What the product is called in messages. */
  readonly product: string;
  /** Who publishes its upstream repository, for "publishes no repository for this distro". */
  readonly publisher: string;
  /** A version to write, for hints. */
  readonly versionExample: string;
  /** Its minor follows Kubernetes' (CRI-O): a built-in default follows kubernetes.version, the user's must match. */
  readonly followsKubernetesMinor?: boolean;
  /** The sysext bakery's name for its image, and the profile key holding that image's sums. */
  readonly sysext?: { readonly name: string; readonly sumsKey: string; readonly sums: (ctx: RuleContext) => Readonly<Record<string, string>> | undefined };
  /** Checks the version in force (at ctx.versionPtr). */
  checkVersion(version: VersionSpec, ctx: RuleContext): void;
  /** Checks the version against the Kubernetes minor (minorNum: its minor number). */
  withKubernetes?(version: VersionSpec, minorNum: number, ctx: RuleContext): void;
  /**
   * Its repository, when the runtime builds it from its own section (MCR: the subscriber's
   * repository, channel and key) instead of naming one under repos:. Both the apt and the yum
   * description may be given; the package manager in use keeps its own.
   */
  repository?(ctx: RuleContext): Repo | undefined;
  /** Why crinit gives it no extra runtime handlers (runtime.handlers); undefined where it does. */
  readonly handlersRefused?: string;
  /** The handler kinds its plan contributor configures. */
  readonly handlerKinds?: readonly HandlerKind[];
  /** Why it does not take a kind it leaves out of handlerKinds, where there is more to say than "not yet". */
  readonly handlerReasons?: Readonly<Partial<Record<HandlerKind, string>>>;
  /** Why this runtime release cannot take CDI devices (containerd 1.6), or undefined when it can. */
  readonly cdiRefused?: (ctx: RuleContext) => string | undefined;
  /**
   * Its section of the profile, checked: its variant of the runtime union; undefined when the
   * section is incomplete, 'refused' when its own error already says why there is none.
   */
  section(ctx: RuleContext): RuntimeSection | 'refused' | undefined;
}
