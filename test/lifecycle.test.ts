/**
 * The run semantics of crinit-step, run for real from a rendered output: a new run (a new
 * instance-id, a new boot of crinit-firstboot) starts fresh and keeps the earlier run's record in
 * previous/; it never reports success for a step it did not run; only a run's own planned reboot
 * resumes it; a run that succeeded is recognised by its id.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../dist/index.js';
import { tempDir } from './helpers.js';
import { readCloudConfig } from './cloud-config.js';

function stepRunner(): string {
  const out = compile({ profile: 'debian-12/containerd' }).output!;
  const doc = readCloudConfig(out);
  // cloud-init's runcmd opens every run with --begin, before any step.
  expect(doc.runcmd[0]).toEqual(['/usr/local/sbin/crinit-step', '--begin', 'debian-12/containerd']);
  return doc.write_files.find((f) => f.path === '/usr/local/sbin/crinit-step')!.content;
}

describe('crinit-step runs', () => {
  const dir = tempDir('crinit-lifecycle-');
  const bin = join(dir, 'crinit-step');
  writeFileSync(bin, stepRunner(), { mode: 0o755 });
  const state = join(dir, 'state');
  const step = (...args: string[]) => {
    const r = spawnSync('sh', [bin, ...args], { encoding: 'utf8', env: { ...process.env, CRINIT_STATE_DIR: state } });
    return { status: r.status, stderr: r.stderr };
  };
  const read = (p: string) => (existsSync(join(state, p)) ? readFileSync(join(state, p), 'utf8') : undefined);
  const names = (p: string) => (read(p) ?? '').trim().split('\n').filter(Boolean).map((l) => l.split(' ')[0]);

  it('a failed run stops, and a new run starts fresh with the failure kept in previous/', () => {
    mkdirSync(state, { recursive: true });
    // Files that are not a run's record stay where they are.
    writeFileSync(join(state, 'proxy.env'), '');
    expect(step('--begin', 'p.yaml', 'first').status).toBe(0);
    expect(read('run')).toMatch(/^profile=p\.yaml\nid=first\nstarted=\d{4}-/);
    expect(step('a', '--', 'true').status).toBe(0);
    expect(step('b', '--', 'false').status).toBe(1);
    const skipped = step('c', '--', 'true');
    expect(skipped.status).toBe(1);
    expect(skipped.stderr).toContain('skipped, an earlier step failed');
    expect(step('--finish', 'p.yaml').status).toBe(1);
    expect(read('failed')).toBe('step=b\nexit=1\nattempts=1\n');
    expect(read('done')).toBeUndefined();

    const second = step('--begin', 'p.yaml', 'second');
    expect(second.status).toBe(0);
    expect(second.stderr).toContain('the earlier run\'s record is in');
    expect(read('failed')).toBeUndefined();
    expect(read('steps')).toBeUndefined();
    expect(read('previous/failed')).toBe('step=b\nexit=1\nattempts=1\n');
    expect(names('previous/steps')).toEqual(['a']);
    expect(read('previous/run')).toMatch(/^profile=p\.yaml\nid=first\n/);
    expect(read('proxy.env')).toBe('');
    // Every step of the new run runs in it, the one that passed before too.
    expect(step('a', '--', 'true').status).toBe(0);
    expect(step('b', '--', 'true').status).toBe(0);
    expect(step('--finish', 'p.yaml').status).toBe(0);
    expect(names('steps')).toEqual(['a', 'b']);
    expect(read('done')).toMatch(/^profile=p\.yaml\nfinished=/);
  });

  it('knows a run that succeeded by its id, and a new run replaces the kept record', () => {
    expect(step('--completed', 'second').status).toBe(0);
    expect(step('--completed', 'another').status).toBe(1);
    expect(step('--begin', 'p.yaml', 'third').status).toBe(0);
    expect(step('--completed', 'third').status).toBe(1);
    expect(read('previous/done')).toMatch(/^profile=p\.yaml\n/);
    expect(read('previous/failed')).toBeUndefined();
    expect(read('previous/run')).toMatch(/\nid=second\n/);
  });

  it('resumes only after its own planned reboot, and then skips the steps that passed', () => {
    expect(step('x', '--', 'true').status).toBe(0);
    writeFileSync(join(state, 'resume'), '');
    const resumed = step('--begin', 'p.yaml', 'third');
    expect(resumed.stderr).toContain('resuming the run after its reboot');
    expect(existsSync(join(state, 'resume'))).toBe(false);
    expect(read('run')).toMatch(/\nid=third\n/);
    const again = step('x', '--', 'false');
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('step x: passed earlier in this run');
    // Without the marker, the next --begin is a new run again.
    expect(step('--begin', 'p.yaml', 'third').status).toBe(0);
    expect(read('steps')).toBeUndefined();
    expect(names('previous/steps')).toEqual(['x']);
  });
});
