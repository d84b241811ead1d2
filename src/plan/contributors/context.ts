/**
 * @fileoverview What every contributor of the plan is given: the profile (its pause image already
 * mirrored), where each value came from, and the registries' entries for this distro.
 */
import type { Origin } from '../../diagnostics.js';
import type { FirstBootSystem } from '../../os/first-boot.js';
import type { PackageManagerEntry } from '../../os/package-managers.js';
import type { Locator } from '../../profile/normalize.js';
import type { Profile } from '../../profile/types.js';
import type { At, Header } from '../nodes.js';

export interface BuildContext {
  /** The profile as the rules made it; `profile` below has the pause image mirrored. */
  readonly original: Profile;
  readonly profile: Profile;
  readonly name: string;
  readonly header: Header;
  readonly L: Locator;
  readonly at: At;
  /** An origin for what crinit adds on its own. */
  readonly crinit: (what: string) => Origin;
  readonly mirror: (value: string) => string;
  readonly pm: PackageManagerEntry;
  readonly firstBoot: FirstBootSystem;
  /** /packaging/RUNTIME/SOURCE: where the runtime's packaging was set. */
  readonly srcPtr: string;
  readonly k8sOrigin: Origin;
  readonly versionOrigin: Origin;
}
