/** @fileoverview The guide's kernel prerequisites: the modules and sysctls, and their files. */
import { MODULES_LOAD_PATH, SYSCTL_PATH } from '../../paths.js';
import { joinPointer } from '../../profile/source.js';
import { file } from '../nodes.js';
import type { PlanFile, PlanModule, PlanSysctl } from '../types.js';
import type { BuildContext } from './context.js';

export function kernelNodes({ profile, header, at }: BuildContext): { modules: PlanModule[]; sysctls: PlanSysctl[]; files: PlanFile[] } {
  const modules: PlanModule[] = profile.kernel.modules.map((m, i) => ({ name: m, origin: at(`/kernel/modules/${i}`) }));
  const sysctls: PlanSysctl[] = profile.kernel.sysctls.map(([key, value]) => ({ key, value, origin: at(joinPointer(['kernel', 'sysctls', key])) }));
  return {
    modules,
    sysctls,
    files: [
      file(MODULES_LOAD_PATH, 'modules-load.conf.hbs', { ...header, modules: modules.map((m) => m.name) }, at('/kernel/modules')),
      file(SYSCTL_PATH, 'sysctl.conf.hbs', { ...header, sysctls: sysctls.map((s) => ({ key: s.key, value: s.value })) }, at('/kernel/sysctls')),
    ],
  };
}
