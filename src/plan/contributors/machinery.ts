/**
 * @fileoverview What the backend writes from the steps it lowers, keyed here like every other
 * node: Ignition's crinit-firstboot script, unit and state directory, and each release archive's
 * download and unpack unit.
 */
import { archiveDownloadPath, unpackUnitName } from '../../os/first-boot.js';
import { STATE_DIR, UNIT_DIR } from '../../paths.js';
import type { PlanMachinery, PlanStep } from '../types.js';
import type { BuildContext } from './context.js';

export function machineryNodes({ profile, crinit, firstBoot }: BuildContext, steps: readonly PlanStep[]): PlanMachinery[] {
  const machinery: PlanMachinery[] = [];
  const runner = firstBoot.runner?.(profile.distro.binDir);
  if (runner) {
    const origin = crinit('the first-boot runner, crinit-firstboot');
    machinery.push(
      { path: runner.script, role: 'runner-script', what: 'crinit-firstboot, the script that runs the first-boot steps', origin },
      { path: runner.unitPath, role: 'runner-unit', unit: runner.unit, what: `${runner.unit}, the unit that runs crinit-firstboot`, origin },
      { path: STATE_DIR, role: 'state-directory', what: "crinit's first-boot state directory", origin },
    );
  }
  for (const s of steps) {
    const a = s.action;
    if (a.kind !== 'install-archive' || firstBoot.unpacker !== 'unit') continue;
    const unit = unpackUnitName(a.dest);
    machinery.push(
      { path: archiveDownloadPath(a.url), role: 'download', what: `the download of ${a.url}`, origin: s.origin },
      { path: `${UNIT_DIR}/${unit}`, role: 'unpack-unit', unit, what: `${unit}, the unit that unpacks ${a.dest}`, origin: s.origin },
    );
  }
  return machinery;
}
