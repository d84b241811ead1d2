/**
 * The package as a user gets it: `npm pack`, unpacked into a fresh project's node_modules with its
 * production dependencies beside it (linked from this checkout: the same pinned versions, and no
 * network), then used with require(), with import, and from TypeScript compiled to CommonJS and
 * with "module": "nodenext". And compile() called from plain JavaScript with wrong options.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers.js';

let project = '';

beforeAll(() => {
  const dir = tempDir('crinit-pack-');
  const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  expect(pack.status, pack.stderr).toBe(0);
  const tarball = join(dir, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);
  project = join(dir, 'project');
  const installed = join(project, 'node_modules', 'crinit');
  mkdirSync(installed, { recursive: true });
  writeFileSync(join(project, 'package.json'), '{"name": "uses-crinit", "version": "1.0.0", "private": true}\n');
  expect(spawnSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']).status).toBe(0);
  const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dep of [...Object.keys(pkg.dependencies), '@types/node']) {
    mkdirSync(join(project, 'node_modules', dep, '..'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dep), join(project, 'node_modules', dep));
  }
}, 120_000);

const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: project, encoding: 'utf8' });

describe('the packed package in a fresh project', () => {
  it("require('crinit') and import from 'crinit' both compile a profile", () => {
    const cjs = node(['-e', "const { compile } = require('crinit'); process.stdout.write(compile({ profile: 'ubuntu-24.04/containerd' }).output.slice(0, 13))"]);
    expect(cjs.status, cjs.stderr).toBe(0);
    expect(cjs.stdout).toBe('#cloud-config');
    const esm = node(['--input-type=module', '-e', "import { compile } from 'crinit'; process.stdout.write(compile({ profile: 'fcos/containerd' }).output.slice(0, 1))"]);
    expect(esm.status, esm.stderr).toBe(0);
    expect(esm.stdout).toBe('{');
    const schema = node(['-e', "process.stdout.write(require('crinit/profile.schema.json').title)"]);
    expect(schema.stdout).toBe('crinit profile layer');
  });

  for (const [module, resolution] of [
    ['commonjs', 'node10'],
    ['nodenext', 'nodenext'],
  ] as const) {
    it(`TypeScript with "module": "${module}" type-checks against the package's types and runs`, () => {
      writeFileSync(
        join(project, 'index.ts'),
        "import { compile, formatDiagnostic, type CompileResult } from 'crinit';\nconst r: CompileResult = compile({ profile: 'debian-12/containerd', set: ['runtime.cgroupDriver=systemd'] });\nconsole.log(r.output !== undefined ? 'ok' : r.diagnostics.map(formatDiagnostic).join('\\n'));\n",
      );
      writeFileSync(join(project, `tsconfig.${module}.json`), JSON.stringify({ compilerOptions: { module, moduleResolution: resolution, target: 'es2022', strict: true, outDir: `out-${module}`, types: ['node'] }, files: ['index.ts'] }));
      const tsc = node([join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', `tsconfig.${module}.json`]);
      expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
      // Both compile to CommonJS (the project has no "type": "module"): require() of the ESM package.
      expect(readFileSync(join(project, `out-${module}`, 'index.js'), 'utf8')).toContain('require("crinit")');
      const run = node([join(`out-${module}`, 'index.js')]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toBe('ok\n');
    });
  }

  it('compile() from plain JavaScript refuses wrong options with diagnostics, never a throw', () => {
    const r = node([
      '-e',
      "const { compile } = require('crinit'); const out = [{ profil: 'ubuntu-24.04/containerd' }, undefined, { profile: 5 }, { profile: 'ubuntu-24.04/containerd', set: 'x' }].map((o) => compile(o).diagnostics.map((d) => d.code + ': ' + d.message + ' | ' + (d.hint ?? ''))); process.stdout.write(JSON.stringify(out))",
    ]);
    expect(r.status, r.stderr).toBe(0);
    const [typo, none, wrongType, wrongSet] = JSON.parse(r.stdout) as string[][];
    expect(typo).toEqual([expect.stringMatching(/^E-OPTIONS: compile\(\) has no option "profil" \| did you mean "profile"\?/), 'E-OPTIONS: compile() needs the option profile | profile: a built-in DISTRO/RUNTIME name, or { path, text } of a profile file']);
    expect(none).toEqual(["E-OPTIONS: compile() takes an options object | call compile({ profile: 'ubuntu-24.04/containerd' })"]);
    expect(wrongType![0]).toMatch(/^E-OPTIONS: compile\(\)'s option profile must be /);
    expect(wrongSet![0]).toMatch(/^E-OPTIONS: compile\(\)'s option set must be an array/);
  });
});
