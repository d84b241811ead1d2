/**
 * Golden outputs, one per distro. Each file under test/golden/ was read line by line when it was
 * written (see test/golden/README.md); a change to any of them is a change to what nodes run and
 * must be read again. Regenerate with CRINIT_UPDATE_GOLDEN=1 npm test, then review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../dist/index.js';
import { DISTROS, ROOT } from './helpers.js';

const CASES: { name: string; profile: string; set?: string[] }[] = [
  ...DISTROS.map((d) => ({ name: `${d}-containerd`, profile: `${d}/containerd` })),
  {
    name: 'debian-12-containerd-distro-mirrors',
    profile: 'debian-12/containerd',
    set: [
      'runtime.source=distro',
      'runtime.sandboxImage=registry.example.com/k8s/pause:3.10.2',
      'runtime.registryMirrors={"docker.io": ["https://mirror.example.com", "http://10.0.0.5:5000"], "registry.k8s.io": ["https://k8s-mirror.example.com"]}',
    ],
  },
];

describe('golden outputs', () => {
  for (const c of CASES) {
    it(`${c.name} matches test/golden/${c.name}.yaml`, () => {
      const result = compile({ profile: c.profile, ...(c.set ? { set: c.set } : {}) });
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const file = join(ROOT, 'test', 'golden', `${c.name}.yaml`);
      if (process.env.CRINIT_UPDATE_GOLDEN === '1') writeFileSync(file, result.output!);
      expect(existsSync(file), `missing ${file}: render it with CRINIT_UPDATE_GOLDEN=1, then read it`).toBe(true);
      expect(result.output).toBe(readFileSync(file, 'utf8'));
    });
  }
});
