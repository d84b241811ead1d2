/**
 * The import rule the plan redesign starts with: a backend reads the plan and renders it, so it
 * imports the plan's types, the shared lowering helpers and the layers below, never the plan
 * builder, delivery, the CLI, or the other backend.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
}

describe('imports go down', () => {
  it('backends import neither each other nor the plan builder, delivery, compile or the CLI', () => {
    const dir = join(ROOT, 'src', 'backends');
    const offenders: string[] = [];
    let checked = 0;
    for (const backend of ['cloud-init', 'ignition']) {
      for (const f of readdirSync(join(dir, backend)).filter((x) => x.endsWith('.ts'))) {
        for (const spec of imports(join(dir, backend, f))) {
          checked++;
          const other = backend === 'cloud-init' ? 'ignition' : 'cloud-init';
          if (spec.includes(`/${other}/`) || /\/(plan\/build|delivery|compile|cli|fleet|serve)\.js$/.test(spec)) offenders.push(`${backend}/${f} imports ${spec}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });

  it('the shared helpers and the plan import no backend', () => {
    for (const f of ['src/backends/shared.ts', ...readdirSync(join(ROOT, 'src/plan')).map((x) => `src/plan/${x}`)]) {
      for (const spec of imports(join(ROOT, f))) expect(spec, f).not.toMatch(/backends\/(cloud-init|ignition)\//);
    }
  });
});
