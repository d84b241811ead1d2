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

export type Lowered =
  | { readonly kind: 'satisfied'; readonly by: string }
  | { readonly kind: 'firstboot'; readonly lines: readonly Line[] }
  | { readonly kind: 'refused'; readonly reason: string };

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
    case 'install-archive':
      return { kind: 'refused', reason: `step ${step.id} installs a downloaded archive, which the Ignition backend does not lower yet on ${distro.name}` };
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
