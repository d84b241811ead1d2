/**
 * Output size (issue 17): every supported combination with Kubernetes fits EC2's 16,384 bytes of
 * user-data without gzip, and Ubuntu 24.04 with containerd fits 12,288. --annotate writes the
 * notes the compact output leaves out, and only they differ.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compile } from '../dist/index.js';
import { MATRIX, needTool, runCli, tempDir, writeTemp } from './helpers.js';

const withKubernetes = (profile: string) => ({ profile: { path: '/x/node.yaml', text: `extends: ${profile}\nkubernetes: {version: "1.36"}\n` } });

/** Lines that are not comments, per write_files entry or Ignition file, for comparing two outputs. */
function withoutComments(text: string): unknown {
  const doc = parse(text) as { write_files?: { path: string; content: string }[]; runcmd?: unknown };
  return {
    files: (doc.write_files ?? []).map((f) => ({ ...f, content: f.content.split('\n').filter((l) => !/^\s*(#(?!!)|\/\/)/.test(l)).join('\n') })),
    runcmd: doc.runcmd,
  };
}

describe('output size', () => {
  it('every supported combination with Kubernetes 1.36 fits 16,384 bytes raw; ubuntu-24.04/containerd fits 12,288', () => {
    const sizes: Record<string, number> = {};
    for (const row of MATRIX) {
      if (!row.supported || !row.kubernetes.supported || row.sources.find((s) => s.source === row.defaultSource)?.needs) continue;
      const r = compile(withKubernetes(row.profile));
      if (r.output === undefined) continue; // a release-only Kubernetes (Flatcar's sysext) refuses a minor
      sizes[row.profile] = Buffer.byteLength(r.output);
    }
    expect(Object.keys(sizes).length).toBeGreaterThan(10);
    expect(Object.entries(sizes).filter(([, n]) => n > 16_384)).toEqual([]);
    expect(sizes['ubuntu-24.04/containerd']).toBeLessThanOrEqual(12_288);
    // The built-in name with --set, as `npm run bench` measures it (a longer name in the headers).
    const set = compile({ profile: 'ubuntu-24.04/containerd', set: ['kubernetes={"version": "1.36", "packages": ["kubelet", "kubeadm", "kubectl"]}'] });
    expect(Buffer.byteLength(set.output!)).toBeLessThanOrEqual(12_288);
  });

  it('--annotate adds the notes, and nothing but comments differs', (ctx) => {
    const dir = tempDir();
    const file = writeTemp(dir, 'node.yaml', 'extends: ubuntu-24.04/containerd\nkubernetes: {version: "1.36"}\n');
    const plain = runCli(['render', file]);
    const annotated = runCli(['render', file, '--annotate']);
    expect(plain.status).toBe(0);
    expect(annotated.status).toBe(0);
    expect(plain.stdout).not.toContain('Edit the crinit profile (kernel.sysctls), not this file.');
    expect(annotated.stdout).toContain('Edit the crinit profile (kernel.sysctls), not this file.');
    expect(annotated.stdout).toContain('Re-render with crinit rather than editing this file.');
    expect(Buffer.byteLength(annotated.stdout)).toBeGreaterThan(Buffer.byteLength(plain.stdout) + 1000);
    expect(withoutComments(annotated.stdout)).toEqual(withoutComments(plain.stdout));
    needTool(ctx, 'cloud-init');
    const path = writeTemp(dir, 'annotated.yaml', annotated.stdout);
    const schema = spawnSync('cloud-init', ['schema', '--config-file', path], { encoding: 'utf8' });
    expect(schema.status, schema.stderr).toBe(0);
  });

  it('--annotate on an Ignition distro passes ignition-validate', (ctx) => {
    needTool(ctx, 'ignition-validate', 'ignition');
    const dir = tempDir();
    const r = runCli(['render', 'fcos/cri-o', '--annotate']);
    expect(r.status).toBe(0);
    const path = writeTemp(dir, 'a.ign', r.stdout);
    const v = spawnSync('ignition-validate', [path], { encoding: 'utf8' });
    expect(v.status, v.stderr + v.stdout).toBe(0);
  });

  it('--annotate is refused with --inventory', () => {
    const dir = tempDir();
    writeTemp(dir, 'nodes.yaml', 'nodes:\n  - {name: a, profile: debian-12/containerd}\n');
    const r = runCli(['render', '--inventory', 'nodes.yaml', '-o', 'out', '--annotate'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--annotate');
  });
});
