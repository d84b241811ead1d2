/**
 * Hostile input: whatever the profile file holds, crinit answers quickly with a located error and
 * exit 1, prints a bounded report, never an internal error, and writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, writeTemp } from './helpers.js';

function renderText(text: string): { status: number | null; stdout: string; stderr: string } {
  const dir = tempDir();
  writeTemp(dir, 'h.yaml', text);
  return runCli(['render', 'h.yaml'], { cwd: dir });
}

const HEAD = 'extends: debian-12/containerd\n';

describe('hostile profiles', () => {
  const cases: { name: string; text: string; at: string; message: string }[] = [
    { name: 'an alias with no anchor', text: `${HEAD}files:\n  - path: /etc/x\n    content: *nope\n`, at: 'h.yaml:4:14', message: 'YAML alias problem: Unresolved alias' },
    {
      name: 'an alias bomb',
      text: `${HEAD}${Array.from({ length: 30 }, (_, i) => (i === 0 ? 'x-a0: &a0 [x, x, x, x, x, x, x, x, x, x]' : `x-a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`)).join('\n')}\n`,
      at: 'h.yaml:13:14',
      message: 'the profile uses more than 100 YAML aliases',
    },
    { name: 'a custom tag', text: `${HEAD}files:\n  - path: /etc/x\n    content: !foo bar\n`, at: 'h.yaml:4:14', message: 'YAML problem: Unresolved tag: !foo' },
    { name: 'a lone UTF-16 surrogate in file contents (cloud-init)', text: `${HEAD}files:\n  - path: /etc/x\n    content: "a\\ud800b"\n`, at: 'h.yaml:4:14', message: 'E-LOAD-ENCODING: this string holds a lone UTF-16 surrogate' },
    { name: 'a lone UTF-16 surrogate in file contents (Ignition)', text: 'extends: fcos/containerd\nfiles:\n  - path: /etc/x\n    content: "\\udc00"\n', at: 'h.yaml:4:14', message: 'E-LOAD-ENCODING: this string holds a lone UTF-16 surrogate' },
    { name: 'a profile over the size limit', text: `${HEAD}description: "${'x'.repeat(1_000_100)}"\n`, at: 'h.yaml:1:1', message: 'more than the 1000000 a profile may have' },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} at its line:col, not as an internal error`, () => {
      const r = renderText(c.text);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${c.at}`);
      expect(r.stderr).toContain(c.message);
      expect(r.stderr).not.toContain('E-INTERNAL');
    });
  }

  it('refuses a byte that is not UTF-8, in a profile and in an inventory, at its line:col, and writes nothing', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'h.yaml'), Buffer.concat([Buffer.from(`${HEAD}files:\n  - path: /etc/x\n    content: "a`), Buffer.from([0xff]), Buffer.from('b"\n')]));
    const r = runCli(['render', 'h.yaml'], { cwd: dir });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('h.yaml:4:16: error E-LOAD-ENCODING: the profile is not UTF-8 here');
    writeFileSync(join(dir, 'nodes.csv'), Buffer.concat([Buffer.from('name,profile\nw'), Buffer.from([0xc3, 0x28]), Buffer.from(',debian-12/containerd\n')]));
    const i = runCli(['render', '--inventory', 'nodes.csv', '-o', 'out'], { cwd: dir });
    expect(i.status, i.stderr).toBe(1);
    expect(i.stderr).toContain('nodes.csv:2:2: error E-LOAD-ENCODING: the inventory is not UTF-8 here');
    expect(existsSync(join(dir, 'out'))).toBe(false);
    // A paired surrogate escape is one character, written as its UTF-8 bytes.
    const ok = renderText(`${HEAD}files:\n  - path: /etc/x\n    content: "\\ud83d\\ude00"\n`);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('😀');
  });

  it('bounds the report: 2,000 bad escapes on one line print a few kilobytes, not megabytes', () => {
    const r = renderText(`${HEAD}description: "${'\\q'.repeat(2000)}"\n`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('h.yaml:2:15: error E-LOAD-SYNTAX: YAML syntax error: Invalid escape sequence');
    expect(r.stderr).toContain('more YAML problems not shown');
    expect(r.stderr.length).toBeLessThan(20_000);
  });

  it('reads regular files only: a FIFO as the profile, /dev/zero as what it extends', () => {
    const dir = tempDir();
    expect(spawnSync('mkfifo', [`${dir}/fifo.yaml`]).status).toBe(0);
    const fifo = runCli(['render', 'fifo.yaml'], { cwd: dir });
    expect(fifo.status).toBe(1);
    expect(fifo.stderr).toContain('cannot read the profile file "fifo.yaml"');
    writeTemp(dir, 'z.yaml', 'extends: /dev/zero\n');
    const zero = runCli(['render', 'z.yaml'], { cwd: dir });
    expect(zero.status).toBe(1);
    expect(zero.stderr).toContain('z.yaml:1:10: error E-LOAD-NOT-FOUND: cannot read the extended profile "/dev/zero"');
  });
});
