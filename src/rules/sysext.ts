/**
 * @fileoverview System extension images (Flatcar): the sysext bakery publishes one image per
 * release, and crinit installs one only pinned by the sha256 the profile gives.
 */
import { CODES } from '../diagnostics.js';
import type { Arch, Profile } from '../profile/types.js';
import type { Rule } from './context.js';
import { RUNTIME_RULES } from './runtimes/index.js';

/** A sysext bakery image of one release: its URL ({version}, {arch} filled; the bakery names arches x86-64 and arm64) and file name. */
export function sysextImage(url: string, release: string, arch: Arch): { url: string; file: string } {
  const filled = url.replace(/\{version\}/g, release).replace(/\{arch\}/g, arch === 'amd64' ? 'x86-64' : 'arm64');
  return { url: filled, file: filled.replace(/^.*\//, '') };
}

/** A runtime that comes as a system extension: one image per release, pinned by a sum the profile gives. */
export const runtimeSysext: Rule = {
  name: 'runtime sysext',
  run(ctx) {
    const { packaging, version, rt, distro, arch } = ctx;
    if (!packaging?.sysextUrl || packaging.unsupported || !version) return;
    const module = RUNTIME_RULES[rt.name];
    const sum = module?.sysext?.sums(ctx)?.[arch];
    const sumsKey = module?.sysext?.sumsKey ?? `${rt.name}.sysext.sha256`;
    const name = module?.sysext?.name ?? rt.name;
    const { url: filled, file } = sysextImage(packaging.sysextUrl, version.raw, arch);
    if (version.kind !== 'release') {
      ctx.err(ctx.versionPtr, `${rt.name} on ${distro.id} comes as the sysext bakery's image of one release, and ${JSON.stringify(version.raw)} names ${version.kind === 'minor' ? 'a minor' : 'no release'}`, `set runtime.version to a release, e.g. "${version.major}.${version.minor ?? 0}.1"`, CODES.sysextPin);
    } else if (!sum) {
      ctx.err(
        ctx.versionPtr,
        `the ${rt.name} image for ${distro.id} is pinned by its sha256, and ${sumsKey}.${arch} is not set`,
        `add ${sumsKey}.${arch}: the sum of ${file} from https://extensions.flatcar.org/extensions/${name}/SHA256SUMS (the sysext bakery's release); crinit never installs an unverified download`,
        CODES.sysextPin,
      );
    } else {
      const runtimeSysext: Profile['runtimeSysext'] = { name, url: filled, sha256: sum, file };
      ctx.parts.runtimeSysext = runtimeSysext;
    }
  },
};
