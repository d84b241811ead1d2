/** @fileoverview The guide's kernel prerequisites: they cannot be switched off. */
import { joinPointer } from '../profile/source.js';
import { REQUIRED_MODULES, REQUIRED_SYSCTLS } from '../profile/normalize.js';
import type { Rule } from './context.js';

export const kernel: Rule = {
  name: 'kernel',
  run(ctx) {
    const sysctls = ctx.data.kernel?.sysctls ?? {};
    for (const [k, v] of Object.entries(REQUIRED_SYSCTLS)) {
      if (sysctls[k] === undefined) ctx.err('/kernel/sysctls', `kernel.sysctls lacks ${k}`, `Kubernetes needs ${k} = ${v}; add it back`);
      else if (sysctls[k] !== v) ctx.err(joinPointer(['kernel', 'sysctls', k]), `${k} must be ${v} on a Kubernetes node`, `set it to "${v}" (Kubernetes container-runtime prerequisite)`);
    }
    const modules = ctx.data.kernel?.modules ?? [];
    for (const m of REQUIRED_MODULES) {
      if (!modules.includes(m)) ctx.err('/kernel/modules', `kernel.modules lacks ${m}`, `Kubernetes needs the ${m} module; add it back`);
    }
    ctx.parts.kernel = {
      modules,
      sysctls: Object.keys(sysctls)
        .sort()
        .map((k) => [k, sysctls[k]!] as const),
    };
  },
};
