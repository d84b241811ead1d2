/**
 * @fileoverview The distro × runtime matrix behind `crinit list`, computed by compiling every
 * combination and source, so what it says is what `render` does.
 */
import { compile } from './compile.js';
import { containerdConfigVersion } from './plan/build.js';
import { builtinDistros, builtinRuntimes } from './profile/resolve.js';
import type { RuntimeSource } from './profile/types.js';

export interface SourceRow {
  readonly source: RuntimeSource;
  readonly supported: boolean;
  readonly package?: string;
  readonly version?: string;
  readonly configVersion?: number;
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
  readonly defaultSource: RuntimeSource;
  readonly sources: readonly SourceRow[];
  readonly backends: readonly string[];
  readonly cloudInitFloor: string;
}

export function listMatrix(): MatrixRow[] {
  const rows: MatrixRow[] = [];
  for (const distro of builtinDistros()) {
    for (const runtime of builtinRuntimes()) {
      const profile = `${distro}/${runtime}`;
      const base = compile({ profile });
      const sources: SourceRow[] = (['upstream', 'distro'] as const).map((source) => {
        const r = compile({ profile, set: [`runtime.source=${source}`] });
        if (!r.profile) {
          const err = r.diagnostics.find((d) => d.severity === 'error');
          return { source, supported: false, reason: err ? `${err.message}${err.hint ? `; ${err.hint}` : ''}` : 'unknown' };
        }
        const p = r.profile;
        return {
          source,
          supported: r.output !== undefined,
          package: p.packaging.package,
          version: p.runtime.version.raw,
          configVersion: containerdConfigVersion(p.runtime.version.major),
          ...(p.repo ? { repository: p.repo.apt?.uri ?? p.repo.yum?.baseurl ?? p.repo.id } : {}),
          ...(p.packaging.note ? { note: p.packaging.note } : {}),
        };
      });
      rows.push({
        profile,
        distro,
        distroName: base.profile?.distro.name ?? distro,
        runtime,
        supported: base.output !== undefined,
        defaultSource: base.profile?.runtime.source ?? 'upstream',
        sources,
        backends: base.output !== undefined ? ['cloud-init'] : [],
        cloudInitFloor: base.profile?.distro.cloudInitFloor ?? '',
      });
    }
  }
  return rows;
}
