/**
 * Fedora CoreOS: CRI-O and the Kubernetes packages layered with rpm-ostree. Ignition writes the
 * repositories; crinit-firstboot fetches and checks their keys with gpg, layers the packages,
 * reboots once into the new deployment and carries on from there. The key step runs for real
 * against gpg-made keys; the resume runs the generated first-boot script twice, with rpm-ostree
 * and systemctl stood in for, as the two boots would.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../dist/index.js';
import { needTool, tempDir, writeTemp } from './helpers.js';
import { decodeDataUrl, serveStatic } from './ignition-config.js';

interface Ign {
  storage: { files: { path: string; contents: { source: string; compression?: string } }[] };
  systemd: { units: { name: string; enabled?: boolean; mask?: boolean; contents?: string }[] };
}

function render(set: string[] = ['kubernetes.version=1.36']): { text: string; ign: Ign; file: (p: string) => string } {
  const r = compile({ profile: 'fcos/cri-o', set });
  expect(r.output, r.diagnostics.map((d) => d.message).join('; ')).toBeDefined();
  const ign = JSON.parse(r.output!) as Ign;
  const file = (p: string): string => {
    const f = ign.storage.files.find((x) => x.path === p);
    expect(f, p).toBeDefined();
    return decodeDataUrl(f!.contents.source, f!.contents.compression);
  };
  return { text: r.output!, ign, file };
}

/** The argv after `--` of a crinit-step line of the first-boot script, shell-unquoted by sh. */
function stepArgv(script: string, id: string): string[] {
  const start = script.indexOf(`'/usr/local/sbin/crinit-step' '${id}'`);
  expect(start, id).toBeGreaterThan(-1);
  // The line may span several lines (a multi-line sh -c script inside single quotes): let sh split it.
  const rest = script.slice(start);
  const r = spawnSync('sh', ['-c', `set -- ${rest.slice(0, rest.indexOf("\n'/usr/local/sbin/crinit-step'") > 0 ? rest.indexOf("\n'/usr/local/sbin/crinit-step'") : rest.indexOf('\n'))}; shift 2; while [ "$1" != "--" ]; do shift; done; shift; for a in "$@"; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
}

describe('fcos: CRI-O and Kubernetes layered with rpm-ostree', () => {
  it('writes the repositories, masks moby, and orders the first boot: keys, layering, one reboot, then the services', (ctx) => {
    const { text, ign, file } = render();
    expect(file('/etc/yum.repos.d/crinit-cri-o.repo')).toContain('baseurl=https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v1.36/rpm/\nenabled=1\ngpgcheck=1');
    expect(file('/etc/yum.repos.d/crinit-cri-o.repo')).toContain('gpgkey=file:///etc/pki/rpm-gpg/crinit-cri-o.asc');
    expect(file('/etc/yum.repos.d/crinit-kubernetes.repo')).toContain('baseurl=https://pkgs.k8s.io/core:/stable:/v1.36/rpm/');
    // Written before the package is layered; /etc keeps it over the package's copy.
    expect(file('/etc/sysconfig/kubelet')).toMatch(/^KUBELET_EXTRA_ARGS=--config-dir=\/etc\/kubernetes\/kubelet\.conf\.d$/m);
    const units = new Map(ign.systemd.units.map((u) => [u.name, u]));
    expect(units.get('docker.socket')?.mask).toBe(true);
    expect(units.get('docker.service')?.mask).toBe(true);
    expect(units.get('swap.target')?.mask).toBe(true);
    expect(units.get('crinit-firstboot.service')!.contents).toMatch(/^Before=zincati\.service$/m);
    const script = file('/usr/local/sbin/crinit-firstboot');
    const ids = [...script.matchAll(/^'\/usr\/local\/sbin\/crinit-step' '([^']+)'/gm)].map((m) => m[1]);
    expect(ids).toEqual([
      'disable-swap',
      'fetch-key-cri-o',
      'fetch-key-kubernetes',
      'install-packages',
      'install-kubernetes-packages',
      'reboot-into-layered-packages',
      'enable-crio',
      'restart-crio',
      'wait-for-crio-socket',
      'enable-kubelet',
    ]);
    expect(stepArgv(script, 'install-packages')).toEqual(['rpm-ostree', 'install', '--idempotent', '--allow-inactive', 'cri-o']);
    expect(stepArgv(script, 'install-kubernetes-packages')).toEqual(['rpm-ostree', 'install', '--idempotent', '--allow-inactive', 'kubelet', 'kubeadm', 'kubectl']);
    // rpm-ostree has no hold: an exact version is layered as the newest of its minor, with a warning.
    const exact = compile({ profile: 'fcos/cri-o', set: ['kubernetes.version=1.36.1'] });
    expect(exact.diagnostics.map((d) => d.code)).toContain('W-RULE-LAYERED-PIN');
    needTool(ctx, 'ignition-validate', 'ignition');
    const v = spawnSync('ignition-validate', [writeTemp(tempDir(), 'f.ign', text)], { encoding: 'utf8' });
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(v.stdout + v.stderr).toBe('');
  });

  it('the gpg key step installs the key only with exactly one primary key of the pinned fingerprint (run for real)', async (ctx) => {
    needTool(ctx, 'gpg', 'gnupg');
    needTool(ctx, 'curl');
    needTool(ctx, 'python3');
    const dir = tempDir();
    const home = join(dir, 'gnupg');
    mkdirSync(home, { mode: 0o700 });
    const gpg = (...args: string[]) => spawnSync('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { encoding: 'utf8' });
    for (const uid of ['crinit one <one@example.com>', 'crinit two <two@example.com>']) expect(gpg('--quick-gen-key', uid, 'ed25519', 'sign', '1d').status).toBe(0);
    const fprs = gpg('--with-colons', '--list-keys').stdout.split('\n').filter((l) => l.startsWith('fpr:')).map((l) => l.split(':')[9]!);
    const www = join(dir, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'one.asc'), gpg('--armor', '--export', fprs[0]!).stdout);
    writeFileSync(join(www, 'both.asc'), gpg('--armor', '--export').stdout);
    const { port, stop } = await serveStatic(www);
    try {
      const argv = stepArgv(render().file('/usr/local/sbin/crinit-firstboot'), 'fetch-key-cri-o');
      expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
      const run = (file: string, fpr: string, dest: string) => spawnSync('sh', ['-c', argv[2]!, 'sh', `http://127.0.0.1:${port}/${file}`, fpr, dest], { encoding: 'utf8' });
      const good = run('one.asc', fprs[0]!, join(dir, 'out', 'good.asc'));
      expect(good.status, good.stderr).toBe(0);
      expect(readFileSync(join(dir, 'out', 'good.asc'), 'utf8')).toBe(readFileSync(join(www, 'one.asc'), 'utf8'));
      const wrong = run('one.asc', fprs[1]!, join(dir, 'out', 'wrong.asc'));
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toContain('not the pinned');
      expect(existsSync(join(dir, 'out', 'wrong.asc'))).toBe(false);
      const two = run('both.asc', fprs[0]!, join(dir, 'out', 'two.asc'));
      expect(two.status).not.toBe(0);
      expect(two.stderr).toContain('holds 2 primary keys, not 1');
      expect(existsSync(join(dir, 'out', 'two.asc'))).toBe(false);
    } finally {
      stop();
    }
  });

  it('the first-boot script layers, reboots once, and on the next boot carries on from the step after the reboot', async () => {
    const dir = tempDir();
    const state = join(dir, 'state');
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const log = join(dir, 'calls.log');
    for (const tool of ['rpm-ostree', 'systemctl', 'swapoff']) {
      writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> ${log}\n`, { mode: 0o755 });
    }
    const { file } = render();
    const step = join(dir, 'crinit-step');
    writeFileSync(step, file('/usr/local/sbin/crinit-step'), { mode: 0o755 });
    chmodSync(step, 0o755);
    // The socket crio would create, and the resume marker, moved under the scratch directory.
    const socket = join(dir, 'crio.sock');
    const server = createNetServer();
    await new Promise<void>((r) => server.listen(socket, r));
    const resume = join(state, 'resume');
    const script = file('/usr/local/sbin/crinit-firstboot')
      .replaceAll("'/usr/local/sbin/crinit-step'", `'${step}'`)
      .replaceAll("'/var/lib/crinit/resume'", `'${resume}'`)
      .replaceAll("'/var/run/crio/crio.sock'", `'${socket}'`)
      .replaceAll("'/etc/fstab'", `'${join(dir, 'fstab')}'`);
    writeFileSync(join(dir, 'fstab'), 'UUID=x / ext4 defaults 0 1\n');
    // The keys were fetched earlier in this run (that step is tested above): recorded as passed,
    // in a run that resumes.
    mkdirSync(state);
    const runId = /--begin 'fcos\/cri-o' '(ignition-[0-9a-f]{16})'/.exec(script)![1];
    writeFileSync(join(state, 'run'), `profile=fcos/cri-o\nid=${runId}\nstarted=2026-01-01T00:00:00Z\n`);
    writeFileSync(join(state, 'steps'), 'fetch-key-cri-o 1 1\nfetch-key-kubernetes 1 1\n');
    writeFileSync(resume, '');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, CRINIT_STATE_DIR: state };
    const boot = () => {
      const child = spawn('sh', ['-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      return new Promise<{ status: number | null; stderr: string }>((resolve) => child.on('close', (status) => resolve({ status, stderr: err })));
    };
    try {
      // First boot: layer, ask for the reboot, stop.
      const first = await boot();
      expect(first.status, first.stderr).toBe(0);
      expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
        'swapoff -a',
        'rpm-ostree install --idempotent --allow-inactive cri-o',
        'rpm-ostree install --idempotent --allow-inactive kubelet kubeadm kubectl',
        'systemctl reboot',
      ]);
      expect(existsSync(join(state, 'done'))).toBe(false);
      // The reboot step left the marker: the next boot resumes this run.
      expect(existsSync(resume)).toBe(true);
      writeFileSync(log, '');
      const second = await boot();
      expect(second.status, second.stderr).toBe(0);
      expect(second.stderr).toContain('resuming the run after its reboot');
      expect(second.stderr).toContain('step install-packages: passed earlier in this run');
      expect(existsSync(resume)).toBe(false);
      expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['systemctl enable crio.service', 'systemctl restart crio.service', 'systemctl enable kubelet.service']);
      expect(readFileSync(join(state, 'done'), 'utf8')).toMatch(/^profile=fcos\/cri-o\n/);
      // The run was one run, across both boots: no earlier run was set aside.
      expect(existsSync(join(state, 'previous'))).toBe(false);
      // Later boots: this config's run has succeeded, so crinit-firstboot does nothing.
      writeFileSync(log, '');
      const third = await boot();
      expect(third.status, third.stderr).toBe(0);
      expect(readFileSync(log, 'utf8')).toBe('');
    } finally {
      server.close();
    }
  });
});
