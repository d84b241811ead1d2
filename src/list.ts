/**
 * @fileoverview The distro × runtime matrix behind `crinit list`, computed by compiling every
 * combination and source, so what it says is what `render` does.
 */
import { CODES } from './diagnostics.js';
import { packageManager } from './os/package-managers.js';
import { compile } from './compile.js';
import { runtimeContributor } from './plan/runtimes/index.js';
import { builtinDistros, builtinRuntimes } from './profile/resolve.js';
import type { RuntimeSource } from './profile/types.js';

/**
 * The combinations that `npm run test:e2e` boots in a real VM (test/e2e/boot.test.ts), by source.
 * Everything else that renders is proven by the validators only (cloud-init schema, shellcheck,
 * parse-back). A unit test keeps this table and the e2e cases in step.
 */
export const PROVEN_BY_BOOT: Readonly<Record<string, readonly RuntimeSource[]>> = {
  'debian-12/containerd': ['distro'],
  'debian-13/containerd': ['distro'],
};

/**
 * The Ignition combinations that the e2e suite applies with the real ignition binary and boots on
 * a stand-in: a Debian root with the runtime in the image, not Fedora CoreOS or Flatcar itself
 * (their images cannot be fetched here). Shown as "stand-in boot".
 */
export const PROVEN_BY_STAND_IN: Readonly<Record<string, readonly RuntimeSource[]>> = {
  'fcos/containerd': ['builtin'],
  'flatcar/containerd': ['builtin'],
};

export interface SourceRow {
  readonly source: RuntimeSource;
  readonly supported: boolean;
  /**
   * `boot` when a VM of that distro boots this output in the e2e suite; `stand-in boot` when the
   * real ignition applies it to a stand-in machine that then boots; `validators` when only
   * validators check it.
   */
  readonly proof?: 'boot' | 'stand-in boot' | 'validators';
  readonly package?: string;
  readonly version?: string;
  /** containerd: the config.toml version written. */
  readonly configVersion?: number;
  /** The runtime comes as a system extension image: it renders once the profile gives a release and the image's sha256. */
  readonly sysext?: boolean;
  /** What the profile must give for it to render (its placeholders were used to check it). */
  readonly needs?: string;
  /** docker: the cri-dockerd release installed with it. */
  readonly criDockerd?: string;
  readonly repository?: string;
  readonly note?: string;
  readonly reason?: string;
}

export interface MatrixRow {
  readonly profile: string;
  readonly distro: string;
  readonly distroName: string;
  readonly runtime: string;
  readonly supported: boolean;
  /** Why the combination does not render at all. */
  readonly reason?: string;
  readonly defaultSource: RuntimeSource;
  readonly sources: readonly SourceRow[];
  readonly backends: readonly string[];
  /** cloud-init distros: the oldest cloud-init their images ship. */
  readonly cloudInitFloor?: string;
  /** The extra runtime-handler kinds (runtime.handlers) the default source takes here. */
  readonly handlers: readonly string[];
  /** Why each other kind is refused here. */
  readonly handlersRefused?: Readonly<Record<string, string>>;
  /** Whether `kubernetes.version: "1.36"` renders on the default source, and why not. */
  readonly kubernetes: { readonly version: string; readonly supported: boolean; readonly via?: 'packages' | 'sysext'; readonly reason?: string };
}

/** The Kubernetes minor `crinit list` checks each combination against. */
export const LIST_KUBERNETES = '1.36';

/**
 * compileListed compiles a combination as `render` would. A runtime that comes as a Flatcar
 * system extension renders only with a release and the image's sum, which the user gives: it is
 * compiled with a placeholder release and sum, and marked as needing them.
 */
const PLACEHOLDER_SUM = '0'.repeat(64);
/** A release and a placeholder sum for a runtime that comes as a sysext image (CRI-O on Flatcar). */
const RUNTIME_SYSEXT_PLACEHOLDERS = ['runtime.version=1.36.0', `crio.sysext={"sha256": {"amd64": "${PLACEHOLDER_SUM}"}}`];
/** A placeholder for a fact only the user's subscription gives (MCR's repository key). */
const SUBSCRIPTION_PLACEHOLDERS = [`mcr.keyFingerprint=${'0'.repeat(40)}`];

/**
 * What the user must give for a combination to render, by the code of the refusal without it:
 * checked with placeholders in its place, and marked as needing it.
 */
const NEEDS: readonly { readonly code: string; readonly set: readonly string[]; readonly needs: string }[] = [
  { code: CODES.sysextPin, set: RUNTIME_SYSEXT_PLACEHOLDERS, needs: 'sysext, give its sha256' },
  { code: CODES.subscription, set: SUBSCRIPTION_PLACEHOLDERS, needs: 'give mcr.keyFingerprint' },
];

function compileListed(profile: string, set: string[]): { result: ReturnType<typeof compile>; sysext: boolean; needs?: string; placeholders: readonly string[] } {
  const first = compile({ profile, set, checkOnly: true });
  const need = first.checked ? undefined : NEEDS.find((n) => first.diagnostics.some((d) => d.code === n.code));
  if (!need) return { result: first, sysext: false, placeholders: [] };
  return { result: compile({ profile, set: [...set, ...need.set], checkOnly: true }), sysext: need.code === CODES.sysextPin, needs: need.needs, placeholders: need.set };
}

export function listMatrix(): MatrixRow[] {
  const rows: MatrixRow[] = [];
  for (const distro of builtinDistros()) {
    for (const runtime of builtinRuntimes()) {
      const profile = `${distro}/${runtime}`;
      const first = compileListed(profile, []);
      const { result: base, placeholders: runtimePlaceholders } = first;
      const sources: SourceRow[] = (['upstream', 'distro', 'builtin'] as const).map((source) => {
        // The profile's own source is what the first compile had: the same verdict and facts.
        const { result: r, sysext, needs } = base.profile?.runtime.source === source ? first : compileListed(profile, [`runtime.source=${source}`]);
        if (!r.profile) {
          const err = r.diagnostics.find((d) => d.severity === 'error');
          return { source, supported: false, reason: err ? `${err.message}${err.hint ? `; ${err.hint}` : ''}` : 'unknown' };
        }
        const p = r.profile;
        return {
          source,
          supported: r.checked === true,
          ...(sysext ? { sysext: true } : {}),
          ...(needs ? { needs } : {}),
          package: p.runtimeSysext ? `${p.runtimeSysext.name} image` : (p.packaging.package ?? '(in the image)'),
          version: p.runtime.version.raw,
          ...runtimeContributor(p).facts(),
          ...('criDockerd' in p.runtime ? { criDockerd: p.runtime.criDockerd.version } : {}),
          proof: (PROVEN_BY_BOOT[profile] ?? []).includes(source)
            ? ('boot' as const)
            : (PROVEN_BY_STAND_IN[profile] ?? []).includes(source)
              ? ('stand-in boot' as const)
              : ('validators' as const),
          ...(p.repos[0] ? { repository: p.repos[0].apt?.uri ?? p.repos[0].yum?.baseurl ?? p.repos[0].id } : {}),
          ...(p.packaging.note ? { note: p.packaging.note } : {}),
        };
      });
      const baseError = base.diagnostics.find((d) => d.severity === 'error');
      // Flatcar takes the sysext bakery's image of one release, pinned by a sum the profile gives:
      // checked here with a release and a placeholder sum.
      const sysext = !!base.profile && packageManager(base.profile.distro.packageManager).extensions;
      const k8s =
        !base.checked
          ? undefined
          : compile({ profile, checkOnly: true, set: [...runtimePlaceholders, sysext ? `kubernetes={"version": "${LIST_KUBERNETES}.0", "sysext": {"sha256": {"amd64": "${PLACEHOLDER_SUM}"}}}` : `kubernetes.version=${LIST_KUBERNETES}`] });
      const k8sError = k8s?.diagnostics.find((d) => d.severity === 'error');
      rows.push({
        ...(!base.checked && baseError ? { reason: `${baseError.message}${baseError.hint ? `; ${baseError.hint}` : ''}` } : {}),
        profile,
        distro,
        distroName: base.profile?.distro.name ?? distro,
        runtime,
        supported: base.checked === true,
        defaultSource: base.profile?.runtime.source ?? 'upstream',
        sources,
        backends: base.checked && base.profile ? [base.profile.distro.backend] : [],
        handlers: base.checked && base.profile ? base.profile.runtime.handlerKinds : [],
        ...(base.checked && base.profile ? { handlersRefused: base.profile.runtime.handlerRefusals } : {}),
        ...(base.profile?.distro.cloudInitFloor ? { cloudInitFloor: base.profile.distro.cloudInitFloor } : {}),
        kubernetes: {
          version: LIST_KUBERNETES,
          supported: k8s?.checked === true,
          ...(k8s?.checked ? { via: sysext ? ('sysext' as const) : ('packages' as const) } : {}),
          ...(!k8s?.checked && k8sError ? { reason: `${k8sError.message}${k8sError.hint ? `; ${k8sError.hint}` : ''}` } : {}),
        },
      });
    }
  }
  return rows;
}
