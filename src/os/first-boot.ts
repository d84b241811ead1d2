/**
 * @fileoverview What each first-boot system (distro.backend) is, as data the rules and the plan
 * read: the distro keys it needs, the file modes it can write, whether it warns about a plaintext
 * proxy, and the machinery crinit adds to run what it cannot express itself. The backends that
 * write their documents are registered above, in src/backends/registry.ts.
 */
import { FIRSTBOOT_NAME, FIRSTBOOT_UNIT, STATE_DIR, UNIT_DIR } from '../paths.js';
import type { BackendName } from '../profile/types.js';

export interface FirstBootSystem {
  /** distro keys it needs, each with the hint for when it is missing. */
  readonly requiredDistroKeys: Readonly<Record<string, string>>;
  /** Why a file mode with setuid, setgid or sticky bits cannot be written ("which …"); undefined: it can. */
  readonly specialModeBits?: string;
  /** It warns about an http:// proxy for https:// resources (Ignition does). */
  readonly warnsPlaintextProxy: boolean;
  /**
   * The script and unit that run the steps it cannot express (Ignition's crinit-firstboot), as
   * paths in binDir and the unit directory; cloud-init runs them as runcmd entries.
   */
  readonly runner?: (binDir: string) => { readonly script: string; readonly unit: string; readonly unitPath: string };
  /** How it fetches a key pinned by fingerprint only: crinit's python fetcher file, or gpg inline. */
  readonly keyFetcher: 'python-script' | 'gpg-inline';
  /** How it unpacks a verified release archive: a first-boot step, or a oneshot unit per archive. */
  readonly unpacker: 'step' | 'unit';
}

export const FIRST_BOOT: Readonly<Record<BackendName, FirstBootSystem>> = {
  'cloud-init': {
    requiredDistroKeys: { cloudInitFloor: 'add distro.cloudInitFloor (the oldest cloud-init its images ship) to the distro layer' },
    warnsPlaintextProxy: false,
    keyFetcher: 'python-script',
    unpacker: 'step',
  },
  ignition: {
    requiredDistroKeys: {},
    // Ignition honours setuid, setgid and sticky bits only from spec 3.6.0 (earlier versions drop
    // them, 3.4 and 3.5 with a warning); crinit writes at most 3.5.0.
    specialModeBits: 'Ignition honours only from spec 3.6.0',
    warnsPlaintextProxy: true,
    runner: (binDir) => ({ script: `${binDir}/${FIRSTBOOT_NAME}`, unit: FIRSTBOOT_UNIT, unitPath: `${UNIT_DIR}/${FIRSTBOOT_UNIT}` }),
    keyFetcher: 'gpg-inline',
    unpacker: 'unit',
  },
};

/** The oneshot unit that unpacks the archive installing dest (Ignition). */
export function unpackUnitName(dest: string): string {
  return `crinit-unpack-${dest.replace(/^.*\//, '')}.service`;
}

/** Where the first-boot system puts a release archive it downloads and verifies (Ignition). */
export function archiveDownloadPath(url: string): string {
  return `${STATE_DIR}/downloads/${url.replace(/^.*\//, '').replace(/[^A-Za-z0-9._-]/g, '_')}`;
}
