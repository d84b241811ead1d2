/**
 * CRI-O on the cloud-init distros: the crio.conf.d drop-in and the registries drop-in parsed back
 * as TOML, the cgroupfs rule, the per-minor repository, the refusals, and the step that fetches
 * the repository key and installs it only with the pinned fingerprint (run for real against keys
 * made by gpg).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compile } from '../dist/index.js';
import { expectKeyStepInstallsOnlyThePinnedKey, keyStep } from './key-step.js';
import { doc, fetchedKeySource, fileContent, yumRepo, type CloudConfig } from './cloud-config.js';
import { DISTROS, needTool, runCli, supports, tempDir, writeTemp } from './helpers.js';
import { applyIgnition, decodeDataUrl, IGNITION_BIN, withStandInDownload } from './ignition-config.js';

/** The distros where CRI-O renders; Debian 13 and Amazon Linux 2023 are refused (below). */
export const CRIO_DISTROS = DISTROS.filter((d) => supports(d, 'cri-o'));


const DROPIN = '/etc/crio/crio.conf.d/90-crinit.conf';
const REGISTRIES = '/etc/containers/registries.conf.d/90-crinit-mirrors.conf';

describe('cri-o: drop-in, kubelet and crictl', () => {
  for (const d of CRIO_DISTROS) {
    it(`${d}/cri-o: systemd has no conmon_cgroup; cgroupfs has conmon_cgroup = "pod", for crio and the kubelet alike`, () => {
      const sys = doc(`${d}/cri-o`);
      const t = parseToml(fileContent(sys, DROPIN)!) as { crio: { runtime: Record<string, string>; image: Record<string, string> } };
      expect(t.crio.runtime).toEqual({ cgroup_manager: 'systemd' });
      expect(t.crio.image.pause_image).toBe('registry.k8s.io/pause:3.10.2');
      const kubelet = parseYaml(fileContent(sys, '/etc/kubernetes/kubelet.conf.d/50-crinit-runtime.conf')!) as Record<string, string>;
      expect(kubelet).toMatchObject({ cgroupDriver: 'systemd', containerRuntimeEndpoint: 'unix:///var/run/crio/crio.sock' });
      expect((parseYaml(fileContent(sys, '/etc/crictl.yaml')!) as Record<string, string>)['runtime-endpoint']).toBe('unix:///var/run/crio/crio.sock');

      const fs = doc(`${d}/cri-o`, ['runtime.cgroupDriver=cgroupfs']);
      const tf = parseToml(fileContent(fs, DROPIN)!) as { crio: { runtime: Record<string, string> } };
      expect(tf.crio.runtime).toEqual({ cgroup_manager: 'cgroupfs', conmon_cgroup: 'pod' });
      expect((parseYaml(fileContent(fs, '/etc/kubernetes/kubelet.conf.d/50-crinit-runtime.conf')!) as Record<string, string>).cgroupDriver).toBe('cgroupfs');
    });
  }

  it('installs cri-o pinned to its minor from that minor\'s repository, holds it, then starts crio', () => {
    const u = doc('ubuntu-24.04/cri-o', ['runtime.version="1.35"']);
    expect(fetchedKeySource(u, 'cri-o')).toBe('deb [signed-by=/etc/apt/keyrings/crinit-cri-o.asc] https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v1.35/deb/ /');
    const run = JSON.stringify(u.runcmd);
    expect(run).toContain('"cri-o=1.35.*"');
    expect(run).toContain('"apt-mark","hold","cri-o"');
    expect(run).toContain('https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v1.35/deb/Release.key","85B67D5C50100B1AC8CEFE49CBA9C85640A2B579","/etc/apt/keyrings/crinit-cri-o.asc"');
    const ids = (u.runcmd as string[][]).map((l) => l[1]);
    expect(ids.indexOf('fetch-key-cri-o')).toBeLessThan(ids.indexOf('refresh-package-index'));
    expect(ids.slice(-4)).toEqual(['enable-crio', 'restart-crio', 'wait-for-crio-socket', '--finish']);
    const r = doc('rhel-9/cri-o');
    expect(yumRepo(r, 'cri-o')).toMatchObject({
      baseurl: 'https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v1.36/rpm/',
      gpgcheck: '1',
      gpgkey: 'file:///etc/pki/rpm-gpg/crinit-cri-o.asc',
    });
    expect(JSON.stringify(r.runcmd)).toContain('"cri-o-1.36.*","container-selinux"');
    // container-selinux is installed, not held.
    expect(JSON.stringify(r.runcmd)).toContain('"versionlock","add","cri-o"]');
  });

  it('refuses Debian 13 and Amazon Linux 2023 with the reason, and a version that is not a 1.x minor', () => {
    for (const d of ['debian-13', 'amazonlinux-2023']) {
      const r = runCli(['render', `${d}/cri-o`]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`error E-RULE-UNSUPPORTED: cri-o is not supported on ${d}: .*UNCONFIRMED`));
    }
    const file = writeTemp(tempDir(), 'n.yaml', 'extends: ubuntu-24.04/cri-o\nruntime:\n  version: "1"\n');
    const r = runCli(['render', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/n\.yaml:3:12: error E-RULE-VERSION: CRI-O 1 is not a 1\.x minor/);
    const list = JSON.parse(runCli(['list', '--json']).stdout) as { profile: string; supported: boolean; reason?: string }[];
    for (const d of ['debian-13', 'amazonlinux-2023']) {
      const row = list.find((x) => x.profile === `${d}/cri-o`)!;
      expect(row.supported).toBe(false);
      expect(row.reason).toMatch(/UNCONFIRMED/);
    }
    for (const d of CRIO_DISTROS) expect(list.find((x) => x.profile === `${d}/cri-o`)!.supported).toBe(true);
  });
});

describe('cri-o: registry mirrors', () => {
  it('become a registries.conf.d drop-in: a [[registry]] per host, its mirrors in order, http as insecure', () => {
    const c = doc('debian-12/cri-o', ['runtime.registryMirrors={"docker.io": ["https://mirror.example.com/dockerhub/", "http://10.0.0.5:5000"], "registry.k8s.io": ["https://k8s.example.com"]}']);
    const t = parseToml(fileContent(c, REGISTRIES)!) as { registry: { prefix: string; location: string; mirror: { location: string; insecure: boolean }[] }[] };
    expect(t.registry).toEqual([
      { prefix: 'docker.io', location: 'docker.io', mirror: [{ location: 'mirror.example.com/dockerhub', insecure: false }, { location: '10.0.0.5:5000', insecure: true }] },
      { prefix: 'registry.k8s.io', location: 'registry.k8s.io', mirror: [{ location: 'k8s.example.com', insecure: false }] },
    ]);
    // No mirrors, no drop-in.
    expect(((doc('debian-12/cri-o').write_files as { path: string }[]) ?? []).map((f) => f.path)).not.toContain(REGISTRIES);
    const file = writeTemp(tempDir(), 'n.yaml', 'extends: debian-12/cri-o\nruntime:\n  registryMirrors:\n    _default: ["https://m.example.com"]\n');
    const r = runCli(['render', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/n\.yaml:4:15: error E-RULE-UNSUPPORTED: CRI-O has no mirror for every registry/);
  });

  it('adversarial pause images and mirror URLs are refused at their field or round-trip through TOML', () => {
    const nasty = fc.constantFrom('"', "'", '\\', ' ', '$', '%', '\n', ']', '[', '#', 'é', ':', '@', '/', '=');
    const spliced = (base: string) => fc.tuple(nasty, fc.nat(base.length)).map(([n, at]) => base.slice(0, at) + n + base.slice(at));
    fc.assert(
      fc.property(spliced('registry.k8s.io/pause:3.10'), spliced('https://m.example.com/p'), (img, url) => {
        const r = compile({ profile: { path: 'n.yaml', text: JSON.stringify({ extends: 'ubuntu-22.04/cri-o', runtime: { sandboxImage: img, registryMirrors: { 'docker.io': [url] } } }) } });
        if (r.output === undefined) {
          const errors = r.diagnostics.filter((x) => x.severity === 'error');
          expect(errors.length).toBeGreaterThan(0);
          for (const e of errors) {
            expect(e.file).toBe('n.yaml');
            expect(e.message).toMatch(/sandboxImage|registryMirrors/);
          }
          return;
        }
        const c = parseYaml(r.output, { version: '1.1' }) as CloudConfig;
        expect((parseToml(fileContent(c, DROPIN)!) as { crio: { image: { pause_image: string } } }).crio.image.pause_image).toBe(img);
        const u = new URL(url);
        expect((parseToml(fileContent(c, REGISTRIES)!) as { registry: { mirror: { location: string }[] }[] }).registry[0]!.mirror[0]!.location).toBe(`${u.host}${u.pathname.replace(/\/+$/, '')}`);
      }),
      { numRuns: 150 },
    );
  });
});

describe('the repository key step, run for real', () => {
  it('installs the key only when it holds exactly one primary key with the pinned fingerprint', async (ctx) => {
    needTool(ctx, 'gpg', 'gnupg');
    needTool(ctx, 'python3');
    const k = await keyStep(doc('ubuntu-24.04/cri-o'), 'cri-o');
    try {
      await expectKeyStepInstallsOnlyThePinnedKey(k);
    } finally {
      k.close();
    }
  });
});

describe('cri-o on Flatcar: the sysext bakery image, pinned by sha256', () => {
  const SUM = 'cd'.repeat(32);
  interface Ign {
    storage: { files: { path: string; contents: { source: string; compression?: string; verification?: { hash: string } } }[]; links?: { path: string; target: string }[] };
    systemd: { units: { name: string; enabled?: boolean }[] };
  }
  const set = (sum = SUM) => ['runtime.version=1.36.1', `crio.sysext={"sha256": {"amd64": "${sum}"}}`, 'runtime.cgroupDriver=cgroupfs', 'runtime.registryMirrors={"docker.io": ["https://mirror.example.com"]}'];

  it('downloads the release image with verification.hash, links it, switches the built-in runtimes off, and writes the same drop-ins', (ctx) => {
    const r = compile({ profile: 'flatcar/cri-o', set: set() });
    expect(r.output, r.diagnostics.map((d) => d.message).join('; ')).toBeDefined();
    const ign = JSON.parse(r.output!) as Ign;
    const file = (p: string) => ign.storage.files.find((f) => f.path === p)!;
    expect(file('/opt/extensions/crio/crio-v1.36.1-x86-64.raw').contents).toEqual({ source: 'https://extensions.flatcar.org/extensions/crio-v1.36.1-x86-64.raw', verification: { hash: `sha256-${SUM}` } });
    expect(ign.storage.links).toEqual([
      expect.objectContaining({ path: '/etc/extensions/containerd-flatcar.raw', target: '/dev/null' }),
      expect.objectContaining({ path: '/etc/extensions/crio.raw', target: '/opt/extensions/crio/crio-v1.36.1-x86-64.raw' }),
      expect.objectContaining({ path: '/etc/extensions/docker-flatcar.raw', target: '/dev/null' }),
    ]);
    // The image's crio.service reads --config-dir /etc/crio/crio.conf.d/: crinit's drop-in, parsed back.
    const dropin = parseToml(decodeDataUrl(file(DROPIN).contents.source, file(DROPIN).contents.compression)) as { crio: { runtime: Record<string, string>; image: Record<string, string> } };
    expect(dropin.crio.runtime).toEqual({ cgroup_manager: 'cgroupfs', conmon_cgroup: 'pod' });
    expect(dropin.crio.image.pause_image).toBe('registry.k8s.io/pause:3.10.2');
    expect(decodeDataUrl(file(REGISTRIES).contents.source, file(REGISTRIES).contents.compression)).toContain('location = "mirror.example.com"');
    // The image upholds crio; crinit neither enables nor restarts it, and checks its socket.
    expect(ign.systemd.units.find((u) => u.name === 'crio.service')).toBeUndefined();
    const fb = file('/opt/bin/crinit-firstboot');
    const script = decodeDataUrl(fb.contents.source, fb.contents.compression);
    expect(script).toContain("'test' '-S' '/var/run/crio/crio.sock'");
    expect(script).not.toContain('systemctl');
    needTool(ctx, 'ignition-validate', 'ignition');
    const v = spawnSync('ignition-validate', [writeTemp(tempDir(), 'c.ign', r.output!)], { encoding: 'utf8' });
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(v.stdout + v.stderr).toBe('');
  });

  it('refuses a minor and a missing sha256 (naming where to find it), at line:col', () => {
    const dir = tempDir();
    const minor = runCli(['render', writeTemp(dir, 'a.yaml', 'extends: flatcar/cri-o\nruntime:\n  version: "1.36"\n')]);
    expect(minor.stderr).toContain('a.yaml:3:12: error E-RULE-SYSEXT: cri-o on flatcar comes as the sysext bakery\'s image of one release');
    const nosum = runCli(['render', writeTemp(dir, 'b.yaml', 'extends: flatcar/cri-o\nruntime:\n  version: "1.36.1"\n')]);
    expect(nosum.stderr).toContain('b.yaml:3:12: error E-RULE-SYSEXT: the cri-o image for flatcar is pinned by its sha256');
    expect(nosum.stderr).toContain('crio-v1.36.1-x86-64.raw from https://extensions.flatcar.org/extensions/crio/SHA256SUMS');
  });

  it('the real ignition fetches the image, checks its sum and links it; a wrong sum fails the config', async (ctx) => {
    needTool(ctx, IGNITION_BIN, 'ignition');
    needTool(ctx, 'python3');
    const raw = Buffer.from('a stand-in for the crio system extension image\n');
    await withStandInDownload('https://extensions.flatcar.org/extensions/', 'crio-v1.36.1-x86-64.raw', raw, (mirrors, sum, dir) => {
      const root = join(dir, 'root');
      applyIgnition(compile({ profile: 'flatcar/cri-o', set: [...set(sum), mirrors] }).output!, root, join(dir, 'work'));
      expect(readFileSync(join(root, 'opt/extensions/crio/crio-v1.36.1-x86-64.raw'))).toEqual(raw);
      expect(readlinkSync(join(root, 'etc/extensions/crio.raw'))).toBe('/opt/extensions/crio/crio-v1.36.1-x86-64.raw');
      expect(readlinkSync(join(root, 'etc/extensions/containerd-flatcar.raw'))).toBe('/dev/null');
      expect(existsSync(join(root, 'etc/crio/crio.conf.d/90-crinit.conf'))).toBe(true);
      expect(() => applyIgnition(compile({ profile: 'flatcar/cri-o', set: [...set('0'.repeat(64)), mirrors] }).output!, join(dir, 'bad'), join(dir, 'bad-work'))).toThrow(/hash|mismatch|verification/i);
    });
  });
});
