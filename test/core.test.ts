/**
 * The library API, the NodePlan's origins, determinism, and the pinned signing keys.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compile } from '../dist/index.js';
import { doc } from './cloud-config.js';
import { keyStep } from './key-step.js';
import { DISTROS, MATRIX, ROOT, needTool, runCli, tempDir, writeTemp } from './helpers.js';

describe("import { compile } from 'crinit'", () => {
  it('resolves through the package exports and returns output and diagnostics', async () => {
    const { compile, CRINIT_VERSION } = await import('crinit');
    const r = compile({ profile: 'ubuntu-24.04/containerd' });
    expect(r.output?.startsWith('#cloud-config\n')).toBe(true);
    expect(r.diagnostics).toEqual([]);
    expect(r.chain).toBe('base > ubuntu-24.04 > containerd');
    expect(CRINIT_VERSION).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('reads extended files only through the caller, so it works on paths that exist nowhere on disk', async () => {
    const { compile } = await import('crinit');
    const files: Record<string, string> = { '/virtual/base.yaml': 'extends: rhel-9/containerd\nruntime:\n  cgroupDriver: cgroupfs\n' };
    const asked: string[] = [];
    const r = compile({
      profile: { path: '/virtual/node.yaml', text: 'extends: ./base.yaml\n' },
      readFile: (p) => (asked.push(p), files[p]),
    });
    expect(asked).toEqual(['/virtual/base.yaml']);
    expect(r.output).toContain('SystemdCgroup = false');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['W-RULE-CGROUP']);
  });

  it('returns diagnostics, not exceptions, for bad input', async () => {
    const { compile } = await import('crinit');
    const r = compile({ profile: { path: 'x.yaml', text: 'extends: [' } });
    expect(r.output).toBeUndefined();
    expect(r.diagnostics[0]!.code).toBe('E-LOAD-SYNTAX');
    expect(r.diagnostics[0]!.position).toEqual({ line: 1, col: 11 });
  });
});

describe('NodePlan', () => {
  it('every item carries its origin: the layer and key it came from', async () => {
    const { compile } = await import('crinit');
    const r = compile({
      profile: { path: 'node.yaml', text: 'extends: ubuntu-24.04/containerd\nruntime:\n  sandboxImage: registry.example.com/pause:3.10\nfiles:\n  - path: /etc/motd\n    content: hi\ncommands:\n  - ["true"]\n' },
    });
    const plan = r.plan!;
    const byPath = (p: string) => plan.files.find((f) => f.path === p)!;
    expect(byPath('/etc/modules-load.d/crinit-k8s.conf').origin).toEqual({ layer: 'base', file: 'profiles/base.yaml', pointer: '/kernel/modules' });
    expect(byPath('/etc/motd').origin).toEqual({ layer: 'node.yaml', file: 'node.yaml', pointer: '/files/0' });
    expect(plan.modules.map((m) => m.origin.layer)).toEqual(['base', 'base']);
    expect(plan.sysctls.find((s) => s.key === 'net.ipv4.ip_forward')!.origin.pointer).toBe('/kernel/sysctls/net.ipv4.ip_forward');
    expect(plan.packages[0]!.origin).toEqual({ layer: 'ubuntu-24.04', file: 'profiles/distros/ubuntu-24.04.yaml', pointer: '/packaging/containerd/upstream/version' });
    expect(plan.repos[0]!.origin.layer).toBe('ubuntu-24.04');
    expect(plan.kubelet.origin).toEqual({ layer: 'containerd', file: 'profiles/runtimes/containerd.yaml', pointer: '/runtime/cgroupDriver' });
    expect(plan.steps.find((s) => s.id === 'user-command-1')!.origin).toEqual({ layer: 'node.yaml', file: 'node.yaml', pointer: '/commands/0' });
    for (const item of [...plan.files, ...plan.packages, ...plan.repos, ...plan.services, ...plan.steps, ...plan.directories]) {
      expect(item.origin.layer, JSON.stringify(item).slice(0, 80)).toMatch(/\S/);
    }
  });

  it('the kubelet driver and the runtime driver are one value', async () => {
    const { compile } = await import('crinit');
    for (const driver of ['systemd', 'cgroupfs']) {
      const plan = compile({ profile: 'debian-13/containerd', set: [`runtime.cgroupDriver=${driver}`] }).plan!;
      expect(plan.kubelet.cgroupDriver).toBe(driver);
      const config = plan.files.find((f) => f.path === '/etc/containerd/config.toml')!.contents;
      expect(config).toContain(`SystemdCgroup = ${driver === 'systemd'}`);
      const kubelet = parseYaml(plan.files.find((f) => f.path.endsWith('50-crinit-runtime.conf'))!.contents) as { cgroupDriver: string };
      expect(kubelet.cgroupDriver).toBe(driver);
    }
  });

  it('later layers win, files merge by path, commands append, modules union', async () => {
    const { compile } = await import('crinit');
    const files: Record<string, string> = {
      '/p/a.yaml': 'extends: ubuntu-22.04/containerd\nkernel:\n  modules: [ip_vs, overlay]\nfiles:\n  - {path: /etc/x, content: a}\n  - {path: /etc/y, content: y}\ncommands: [[echo, a]]\n',
    };
    const r = compile({
      profile: { path: '/p/b.yaml', text: 'extends: ./a.yaml\nkernel:\n  modules: [ip_vs, nf_conntrack]\nfiles:\n  - {path: /etc/x, content: b}\ncommands: [[echo, b]]\n' },
      readFile: (p) => files[p],
    });
    const plan = r.plan!;
    expect(plan.modules.map((m) => m.name)).toEqual(['overlay', 'br_netfilter', 'ip_vs', 'nf_conntrack']);
    expect(plan.files.filter((f) => f.path === '/etc/x').map((f) => f.contents)).toEqual(['b']);
    expect(plan.files.find((f) => f.path === '/etc/x')!.origin.layer).toBe('b.yaml');
    expect(plan.files.find((f) => f.path === '/etc/y')!.origin.layer).toBe('a.yaml');
    expect(plan.steps.filter((s) => s.id.startsWith('user-command')).map((s) => s.action)).toEqual([
      { kind: 'run-command', argv: ['echo', 'a'] },
      { kind: 'run-command', argv: ['echo', 'b'] },
    ]);
  });
});

describe('determinism', () => {
  it('the same input gives byte-identical output, in-process and across processes', async () => {
    const { compile } = await import('crinit');
    for (const d of DISTROS) {
      const a = compile({ profile: `${d}/containerd` }).output;
      const b = compile({ profile: `${d}/containerd` }).output;
      expect(a).toBe(b);
    }
    const dir = tempDir();
    writeTemp(dir, 'n.yaml', 'extends: debian-13/containerd\nruntime:\n  registryMirrors:\n    registry.k8s.io: [https://b.example.com]\n    docker.io: [https://a.example.com]\n');
    const runs = [runCli(['render', 'n.yaml'], { cwd: dir }), runCli(['render', 'n.yaml'], { cwd: dir })];
    expect(runs[0]!.status).toBe(0);
    expect(runs[0]!.stdout).toBe(runs[1]!.stdout);
  });

  it('map key order in the profile does not change the output', async () => {
    const { compile } = await import('crinit');
    const one = compile({ profile: { path: 'n.yaml', text: 'extends: debian-13/containerd\nruntime:\n  registryMirrors:\n    docker.io: [https://a.example.com]\n    quay.io: [https://q.example.com]\nkernel:\n  sysctls:\n    vm.a: "1"\n    fs.b: "2"\n' } }).output;
    const two = compile({ profile: { path: 'n.yaml', text: 'extends: debian-13/containerd\nkernel:\n  sysctls:\n    fs.b: "2"\n    vm.a: "1"\nruntime:\n  registryMirrors:\n    quay.io: [https://q.example.com]\n    docker.io: [https://a.example.com]\n' } }).output;
    expect(one).toBeDefined();
    expect(one).toBe(two);
  });
});

describe('repository signing keys', () => {
  it("Docker's keys, as Docker serves them, have the pinned fingerprints (gpg) and pass crinit's own key fetcher", async (ctx) => {
    needTool(ctx, 'gpg', 'gnupg');
    needTool(ctx, 'python3');
    const home = tempDir('crinit-gpg-');
    for (const [name, profile, dest] of [
      ['docker-deb', 'ubuntu-24.04/containerd', '/etc/apt/keyrings/crinit-docker.asc'],
      ['docker-rpm', 'rhel-9/containerd', '/etc/pki/rpm-gpg/crinit-docker.asc'],
    ] as const) {
      const d = doc(profile);
      const step = d.runcmd.find((l) => l[1] === 'fetch-key-docker')!;
      const [url, fingerprint, to] = step.slice(-3);
      expect(url).toMatch(/^https:\/\/download\.docker\.com\/linux\/(ubuntu|rhel)\/gpg$/);
      expect(to).toBe(dest);
      const armored = readFileSync(join(ROOT, `test/fixtures/keys/${name}.asc`), 'utf8');
      const shown = spawnSync('gpg', ['--homedir', home, '--batch', '--with-colons', '--show-keys', '-'], { input: armored, encoding: 'utf8' });
      expect(shown.status, shown.stderr).toBe(0);
      expect(shown.stdout.split('\n').filter((l) => l.startsWith('pub:'))).toHaveLength(1);
      expect(shown.stdout.split('\n').find((l) => l.startsWith('fpr:'))!.split(':')[9], name).toBe(fingerprint);
      // The output's own fetcher, served the key over HTTP, installs it byte for byte.
      const ks = await keyStep(d, 'docker');
      try {
        writeFileSync(join(ks.dir, 'one.asc'), armored);
        const target = join(ks.dir, 'installed', name);
        const r = await ks.run(`${ks.base}/one.asc`, fingerprint!, target);
        expect(r.status, r.stderr).toBe(0);
        expect(readFileSync(target, 'utf8')).toBe(armored);
      } finally {
        ks.close();
      }
    }
  });

  it('every built-in key is pinned by a fingerprint and fetched from https, none embedded', () => {
    for (const row of MATRIX) {
      if (!row.supported) continue;
      // MCR's key is the subscriber's: the fingerprint is all it needs to render.
      const needs = row.sources.find((s) => s.source === row.defaultSource)?.needs;
      const r = compile({ profile: row.profile, set: needs?.includes('mcr.keyFingerprint') ? [`mcr.keyFingerprint=${'AB'.repeat(20)}`] : [] });
      if (r.output === undefined) continue; // a sysext runtime renders once the profile gives its sums
      for (const key of (r.plan?.repos ?? []).map((p) => p.key)) {
        expect(key.fingerprint, row.profile).toMatch(/^[0-9A-F]{40}$/);
        expect('url' in key && key.url, `${row.profile}: ${key.name}`).toMatch(/^https:\/\//);
      }
    }
  });
});
