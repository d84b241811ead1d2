/**
 * The command line runs from one bundled file with V8's code cache (src/cli/bundle.cts,
 * scripts/bundle-cli.mjs). Every CLI test runs through it; these hold it to the modules it was
 * made from, and check that the cache the build made is one this Node takes.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir, writeTemp } from './helpers.js';

/** Runs the program from its modules (dist/cli/program.js), not from the bundle. */
function runModules(args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const program = JSON.stringify(join(ROOT, 'dist', 'cli', 'program.js'));
  const code = `import(${program}).then((m) => m.runProgram(['node', 'crinit', ...JSON.parse(process.argv[1])]))`;
  const r = spawnSync(process.execPath, ['-e', code, JSON.stringify(args)], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the bundled command line', () => {
  it('prints what the modules print, byte for byte, with the same exit code', () => {
    const dir = tempDir();
    writeTemp(dir, 'bad.yaml', 'extends: ubuntu-24.04/containerd\nruntime: {pause: "UPPER::@@"}\n');
    const cases: string[][] = [
      ['render', 'ubuntu-24.04/containerd'],
      ['render', 'fcos/cri-o'],
      ['render', 'flatcar/containerd', '--format', 'butane'],
      ['render', 'debian-12/docker', '--set', 'kubernetes.version=1.36', '--gzip', '--base64'],
      ['list', '--json'],
      ['runtimeclasses', 'ubuntu-24.04/containerd', '--set', 'runtime.handlers={"crun": {"kind": "crun"}}'],
      ['validate', 'bad.yaml', '--json'],
      ['render', 'ubuntu-24.4/containerd'],
    ];
    let failures = 0;
    for (const args of cases) {
      const bundled = runCli(args, { cwd: dir });
      const modules = runModules(args, dir);
      expect({ status: bundled.status, stdout: bundled.stdout, stderr: bundled.stderr }, args.join(' ')).toEqual(modules);
      if (bundled.status !== 0) failures++;
    }
    // The wrong inputs were refused (the comparison covers diagnostics too).
    expect(failures).toBe(2);
  });

  it('is ASCII, and this Node takes the code cache the build made for it', () => {
    expect(readFileSync(join(ROOT, 'dist', 'cli', 'program.bundle.cjs'), 'latin1')).toMatch(/^[\x00-\x7f]*$/);
    const r = spawnSync(process.execPath, ['-e', `const b = require(${JSON.stringify(join(ROOT, 'dist', 'cli', 'bundle.cjs'))}).loadBundle(); console.log(JSON.stringify({ rejected: b.cacheRejected, run: typeof b.program.runProgram }))`], { encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toEqual({ rejected: false, run: 'function' });
  });
});
