/**
 * @fileoverview Lowering plan steps for Ignition. Ignition writes files, directories, links and
 * units before systemd starts, so most steps need nothing on first boot:
 *   - modules-load.d and sysctl.d files exist before systemd-modules-load and systemd-sysctl run
 *     (systemd-sysctl is ordered after systemd-modules-load, so the br_netfilter sysctls apply):
 *     no modprobe, no `sysctl --system`;
 *   - a unit enabled through Ignition is started by systemd in its normal boot, on the config
 *     that is already in place: no daemon-reload and no restart;
 *   - masks and directories are Ignition's own fields.
 * What remains (a check that the runtime's socket came up, the profile's commands) runs once in
 * crinit-firstboot.service, through the same crinit-step runner as on cloud-init. Package steps
 * have no Ignition form on these distros yet and are refused, naming the step.
 */
import type { PlanStep, RenderedPlan } from '../../plan/types.js';
import { disableSwapLine, type Line } from '../cloud-init/lower.js';
import { STATE_DIR } from '../../paths.js';
import { renderTemplate } from '../../render/handlebars.js';

export type Lowered =
  | { readonly kind: 'satisfied'; readonly by: string }
  /** A download Ignition makes itself (verified by its hash), unpacked by a oneshot unit. */
  | { readonly kind: 'download'; readonly path: string; readonly url: string; readonly sha256: string; readonly unit: { readonly name: string; readonly contents: string } }
  | { readonly kind: 'firstboot'; readonly lines: readonly Line[] }
  | { readonly kind: 'refused'; readonly reason: string };

/** The unpack unit's first command: the machine's arch, then the archive's sum, again. */
const UNPACK_CHECK = [
  'case $(uname -m) in x86_64) have=amd64 ;; aarch64 | arm64) have=arm64 ;; *) have=$(uname -m) ;; esac',
  'if [ "$have" != "$3" ]; then echo "crinit: this machine is $have, but the profile says arch: $3" >&2; exit 1; fi',
  'echo "$1  $2" | sha256sum -c --quiet -',
].join('; ');

export function lowerStepForIgnition(step: PlanStep, plan: RenderedPlan): Lowered {
  const a = step.action;
  const distro = plan.target.distro;
  switch (a.kind) {
    case 'load-modules':
      return { kind: 'satisfied', by: 'systemd-modules-load reads the modules-load.d file Ignition wrote' };
    case 'apply-sysctls':
      return { kind: 'satisfied', by: 'systemd-sysctl reads the sysctl.d file Ignition wrote' };
    case 'place-files':
      return { kind: 'satisfied', by: 'Ignition writes every file before systemd starts' };
    case 'create-directories':
      return { kind: 'satisfied', by: 'storage.directories' };
    case 'daemon-reload':
      return { kind: 'satisfied', by: 'systemd loads the units Ignition wrote when it starts' };
    case 'enable-service':
      return { kind: 'satisfied', by: 'systemd.units[].enabled (a preset applied on first boot)' };
    case 'mask-units':
      return { kind: 'satisfied', by: 'systemd.units[].mask' };
    case 'remove-packages':
    case 'refresh-package-index':
    case 'install-packages':
    case 'hold-packages':
      return {
        kind: 'refused',
        reason: `step ${step.id} installs packages, which the Ignition backend cannot do on ${distro.name} (${distro.packageManager === 'none' ? 'it has no package manager' : 'rpm-ostree layering is not built into crinit yet'})`,
      };
    case 'configure-dnf-proxy':
      return { kind: 'refused', reason: `step ${step.id} configures dnf, which ${distro.name} does not have` };
    case 'disable-swap':
      return { kind: 'firstboot', lines: [disableSwapLine(step.id)] };
    case 'fetch-key':
      return { kind: 'refused', reason: `step ${step.id} sets up a package repository, which the Ignition backend cannot do on ${distro.name}` };
    case 'install-archive': {
      // Ignition downloads the archive and refuses the whole config unless its sha256 matches
      // (verification.hash); a oneshot unit, required by the service that runs the binary,
      // unpacks the one member on first boot and checks the sum again before it does.
      const path = `${STATE_DIR}/downloads/${a.url.replace(/^.*\//, '').replace(/[^A-Za-z0-9._-]/g, '_')}`;
      const name = `crinit-unpack-${a.dest.replace(/^.*\//, '')}.service`;
      const work = `/run/${name.replace(/\.service$/, '')}`;
      const contents = renderTemplate('crinit-unpack.service.hbs', { archive: path, sha256: a.sha256, member: a.member, dest: a.dest, neededBy: a.neededBy, arch: a.arch, work, unpacked: `${work}/${a.member}`, check: UNPACK_CHECK, stamp: `${path}.installed` });
      return { kind: 'download', path, url: a.url, sha256: a.sha256, unit: { name, contents } };
    }
    case 'restart-service':
      return { kind: 'firstboot', lines: [{ id: step.id, argv: ['systemctl', 'restart', a.unit] }] };
    case 'wait-for-socket':
      return { kind: 'firstboot', lines: [{ id: step.id, argv: ['test', '-S', a.path], retries: 30, delay: 2 }] };
    case 'run-command':
      return { kind: 'firstboot', lines: [{ id: step.id, argv: a.argv }] };
    case 'run-shell':
      return { kind: 'firstboot', lines: [{ id: step.id, argv: ['sh', '-c', a.script] }] };
  }
}
