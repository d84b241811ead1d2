/**
 * The Kubernetes packages (kubernetes:): pkgs.k8s.io per minor with the key pinned, the package
 * pins and holds, swap off, kubelet wired to the runtime through --config-dir, the pause image
 * per minor, and the combinations that cannot work, each refused with its reason.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compile } from '../dist/index.js';
import { doc, fetchedKeySource, fileContent, readCloudConfig, yumRepo, type CloudConfig } from './cloud-config.js';
import { DISTROS, needTool, supportsKubernetes, runCli, tempDir, writeTemp } from './helpers.js';
import { applyIgnition, decodeDataUrl, IGNITION_BIN, withStandInDownload } from './ignition-config.js';

const K8S_DISTROS = DISTROS.filter(supportsKubernetes);
const ALL = '{"version": "1.36", "packages": ["kubelet", "kubeadm", "kubectl", "cri-tools"]}';


/** The runcmd line of a step: the argv after crinit-step's `--`. */
function step(c: CloudConfig, id: string): string[] {
  const line = c.runcmd.find((l) => l[1] === id);
  expect(line, `no step ${id}`).toBeDefined();
  return line!.slice(line!.indexOf('--') + 1);
}

function stepIds(c: CloudConfig): string[] {
  return c.runcmd.map((l) => l[1]!);
}

/** Renders a profile file and returns the CLI's stderr and status. */
function renderFile(body: string): { status: number | null; stderr: string } {
  const file = writeTemp(tempDir(), 'node.yaml', body);
  const r = runCli(['render', file]);
  return { status: r.status, stderr: r.stderr };
}

describe('kubernetes: packages, holds, swap and kubelet wiring', () => {
  for (const d of K8S_DISTROS) {
    it(`${d}: pkgs.k8s.io v1.36 with the pinned key, the four packages pinned and held, swap off, kubelet enabled`, () => {
      const c = doc(`${d}/containerd`, [`kubernetes=${ALL}`]);
      const apt = !d.startsWith('rhel') && !d.startsWith('amazon');
      if (apt) {
        expect(fetchedKeySource(c, 'kubernetes')).toBe('deb [signed-by=/etc/apt/keyrings/crinit-kubernetes.asc] https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /');
      } else {
        expect(yumRepo(c, 'kubernetes')).toMatchObject({
          baseurl: 'https://pkgs.k8s.io/core:/stable:/v1.36/rpm/',
          gpgcheck: '1',
          gpgkey: 'file:///etc/pki/rpm-gpg/crinit-kubernetes.asc',
          exclude: 'kubelet kubeadm kubectl cri-tools kubernetes-cni',
        });
      }
      const key = step(c, 'fetch-key-kubernetes');
      expect(key.slice(-3)).toEqual([
        'https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key',
        'DE15B14486CD377B9E876E1A234654DA9A296436',
        apt ? '/etc/apt/keyrings/crinit-kubernetes.asc' : '/etc/pki/rpm-gpg/crinit-kubernetes.asc',
      ]);
      const install = step(c, 'install-kubernetes-packages');
      const pins = apt
        ? ['kubelet=1.36.*', 'kubeadm=1.36.*', 'kubectl=1.36.*', 'cri-tools=1.36.*']
        : ['kubelet-1.36.*', 'kubeadm-1.36.*', 'kubectl-1.36.*', 'cri-tools-1.36.*'];
      expect(install.slice(-4)).toEqual(pins);
      // dnf: the repository's exclude= is lifted for this install only.
      if (!apt) expect(install).toContain('--disableexcludes=crinit-kubernetes');
      const hold = step(c, 'hold-packages');
      for (const p of ['kubelet', 'kubeadm', 'kubectl', 'cri-tools']) expect(hold).toContain(p);
      expect(hold[0]).toBe(apt ? 'apt-mark' : 'dnf');
      // Order: the key before the index refresh, the packages before the files that replace
      // theirs, swap off before anything installs, kubelet enabled after the runtime is up.
      const ids = stepIds(c);
      const at = (id: string): number => ids.indexOf(id);
      expect(at('disable-swap')).toBeLessThan(at('refresh-package-index'));
      expect(at('fetch-key-kubernetes')).toBeLessThan(at('refresh-package-index'));
      expect(at('install-kubernetes-packages')).toBeLessThan(at('install-config-files-2'));
      expect(at('wait-for-containerd-socket')).toBeLessThan(at('enable-kubelet'));
      expect(step(c, 'enable-kubelet')).toEqual(['systemctl', 'enable', 'kubelet.service']);
      expect(ids).not.toContain('restart-kubelet');
      expect(step(c, 'mask-units')).toEqual(['systemctl', 'mask', '--now', 'swap.target']);
      expect(step(c, 'disable-swap').slice(-2)).toEqual(['sh', '/etc/fstab']);
      // kubelet reads crinit's fragment through its package's EnvironmentFile, placed after the package.
      const defaults = apt ? '/etc/default/kubelet' : '/etc/sysconfig/kubelet';
      expect(fileContent(c, `/var/lib/crinit/staged${defaults}`)).toMatch(/^KUBELET_EXTRA_ARGS=--config-dir=\/etc\/kubernetes\/kubelet\.conf\.d$/m);
      expect(step(c, 'install-config-files-2').slice(-2)).toEqual([`/var/lib/crinit/staged${defaults}`, defaults]);
      // The pause image 1.36 expects.
      expect(fileContent(c, '/var/lib/crinit/staged/etc/containerd/config.toml')).toContain('sandbox = "registry.k8s.io/pause:3.10.2"');
    });
  }

  it('an exact release pins kubelet, kubeadm and kubectl exactly and cri-tools to the minor', () => {
    const c = doc('ubuntu-24.04/containerd', ['kubernetes={"version": "1.35.2-1.1", "packages": ["kubelet", "kubeadm", "kubectl", "cri-tools"]}']);
    expect(step(c, 'install-kubernetes-packages').slice(-4)).toEqual(['kubelet=1.35.2-1.1', 'kubeadm=1.35.2-1.1', 'kubectl=1.35.2-1.1', 'cri-tools=1.35.*']);
    expect(fetchedKeySource(c, 'kubernetes')).toContain('/v1.35/deb/');
    const r = doc('rhel-9/containerd', ['kubernetes.version=1.35.2']);
    expect(step(r, 'install-kubernetes-packages').slice(-3)).toEqual(['kubelet-1.35.2-*', 'kubeadm-1.35.2-*', 'kubectl-1.35.2-*']);
  });

  it('warns that without kubeadm nothing passes KUBELET_EXTRA_ARGS to kubelet', () => {
    const r = compile({ profile: 'ubuntu-24.04/containerd', set: ['kubernetes={"version": "1.36", "packages": ["kubelet", "kubectl"]}'] });
    expect(r.output).toBeDefined();
    expect(r.diagnostics.map((d) => d.code)).toContain('W-RULE-KUBELET-WIRING');
    expect(compile({ profile: 'ubuntu-24.04/containerd', set: ['kubernetes.version=1.36'] }).diagnostics.map((d) => d.code)).not.toContain('W-RULE-KUBELET-WIRING');
  });

  it('hold: false installs the pins without holding them', () => {
    const c = doc('ubuntu-24.04/containerd', ['kubernetes={"version": "1.36", "hold": false}']);
    expect(step(c, 'hold-packages')).toEqual(['apt-mark', 'hold', 'containerd.io']);
  });

  it('the pause image follows the Kubernetes minor unless the profile names one', () => {
    const pause = (set: string[]): string => fileContent(doc('ubuntu-24.04/containerd', set), '/var/lib/crinit/staged/etc/containerd/config.toml').match(/sandbox = "([^"]+)"/)![1]!;
    expect(pause(['kubernetes.version=1.34'])).toBe('registry.k8s.io/pause:3.10.1');
    expect(pause(['kubernetes.version=1.33'])).toBe('registry.k8s.io/pause:3.10');
    expect(pause(['kubernetes.version=1.34', 'runtime.sandboxImage=registry.example.com/pause:9'])).toBe('registry.example.com/pause:9');
    // A minor crinit has no pause image for keeps the runtime's default, with a warning.
    const r = compile({ profile: 'ubuntu-24.04/containerd', set: ['kubernetes.version=1.37'] });
    expect(r.output).toBeDefined();
    expect(r.diagnostics.map((d) => d.code)).toContain('W-RULE-PAUSE');
    expect(r.output).toContain('registry.k8s.io/pause:3.10.2');
  });

  it('CRI-O follows the Kubernetes minor, and refuses a different one at line:col', () => {
    const c = doc('ubuntu-24.04/cri-o', ['kubernetes.version=1.35']);
    expect(fetchedKeySource(c, 'cri-o')).toContain('/isv:/cri-o:/stable:/v1.35/deb/');
    expect(fileContent(c, '/etc/crio/crio.conf.d/90-crinit.conf')).toContain('pause_image = "registry.k8s.io/pause:3.10.1"');
    const r = renderFile('extends: ubuntu-24.04/cri-o\nruntime:\n  version: "1.34"\nkubernetes:\n  version: "1.36"\n');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('node.yaml:3:12: error E-RULE-INCOMPATIBLE: CRI-O 1.34 does not match Kubernetes 1.36');
  });

  it('kubelet 1.36 on containerd 1.x is refused with the reason (KubeletCgroupDriverFromCRI)', () => {
    const r = renderFile('extends: debian-13/containerd\nruntime:\n  source: distro\nkubernetes:\n  version: "1.36"\n');
    expect(r.status).toBe(1);
    // Debian 13 refuses the packages outright; Ubuntu 24.04 with containerd pinned to 1.7 shows the rule.
    const u = renderFile('extends: ubuntu-22.04/containerd\nruntime:\n  version: "1.7"\nkubernetes:\n  version: "1.36"\n');
    expect(u.status).toBe(1);
    expect(u.stderr).toContain('node.yaml:3:12: error E-RULE-INCOMPATIBLE: Kubernetes 1.36 cannot run on containerd 1.7');
    expect(u.stderr).toContain('KubeletCgroupDriverFromCRI');
    // Debian 12's own containerd (1.6) cannot run 1.35 either.
    const d12 = renderFile('extends: debian-12/containerd\nruntime:\n  source: distro\nkubernetes:\n  version: "1.35"\n');
    expect(d12.status).toBe(1);
    expect(d12.stderr).toContain('error E-RULE-INCOMPATIBLE: Kubernetes 1.35 cannot run on containerd 1.6');
  });

  it('a cgroup v1 host is refused on 1.35+ unless failCgroupV1 is false, which the fragment then carries', () => {
    const v1 = 'extends: ubuntu-24.04/containerd\ndistro:\n  cgroupVersion: 1\nruntime:\n  cgroupDriver: cgroupfs\nkubernetes:\n  version: "1.35"\n';
    const r = renderFile(v1);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('node.yaml:7:12: error E-RULE-INCOMPATIBLE: kubelet 1.35 does not start on a cgroup v1 host');
    const c = doc('ubuntu-24.04/containerd', ['distro={"cgroupVersion": 1}', 'runtime.cgroupDriver=cgroupfs', 'kubernetes={"version": "1.35", "failCgroupV1": false}']);
    const fragment = parseYaml(fileContent(c, '/etc/kubernetes/kubelet.conf.d/50-crinit-runtime.conf')) as Record<string, unknown>;
    expect(fragment).toEqual({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      cgroupDriver: 'cgroupfs',
      containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock',
      failCgroupV1: false,
    });
  });

  it('refuses Debian 13, Ignition distros, old minors and a package list without kubelet, each at line:col', () => {
    const cases: [string, string, string][] = [
      ['extends: debian-13/containerd\nkubernetes:\n  version: "1.36"\n', '3:12', 'error E-RULE-UNSUPPORTED: the Kubernetes packages are not supported on debian-13: it is UNCONFIRMED'],
      ['extends: ubuntu-24.04/containerd\nkubernetes:\n  version: "1.30"\n', '3:12', 'error E-RULE-VERSION: Kubernetes 1.30 is older than crinit supports'],
      ['extends: ubuntu-24.04/containerd\nkubernetes:\n  version: "1.36"\n  packages: [kubeadm]\n', '4:13', 'error E-RULE-REQUIRED: kubernetes.packages lacks kubelet'],
      ['extends: ubuntu-24.04/containerd\nkubernetes:\n  version: "v1.36"\n', '3:12', 'error E-SCHEMA: kubernetes.version'],
      ['extends: ubuntu-24.04/containerd\nfiles:\n  - path: /etc/default/kubelet\n    content: "x"\nkubernetes:\n  version: "1.36"\n', '3:11', 'error E-RULE-CONFLICT: /etc/default/kubelet is generated by crinit'],
    ];
    for (const [body, at, text] of cases) {
      const r = renderFile(body);
      expect(r.status, body).toBe(1);
      expect(r.stderr, body).toContain(`node.yaml:${at}: ${text}`);
    }
  });

  it('the swap step turns swap off and comments out exactly the active swap lines of fstab (run for real)', () => {
    const c = doc('ubuntu-24.04/containerd', ['kubernetes.version=1.36']);
    const argv = step(c, 'disable-swap');
    const dir = tempDir();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    // A stand-in swapoff that records its call: the host's swap is not this test's to change.
    writeFileSync(join(bin, 'swapoff'), `#!/bin/sh\necho "$@" > ${dir}/swapoff.called\n`);
    chmodSync(join(bin, 'swapoff'), 0o755);
    const fstab = join(dir, 'fstab');
    const original = [
      '# /etc/fstab: static file system information.',
      'UUID=aaaa / ext4 defaults 0 1',
      '/swap.img none swap sw 0 0',
      '# /old.swap none swap sw 0 0',
      'UUID=bbbb none  swap  defaults,pri=1 0 0',
      'tmpfs /tmp tmpfs defaults,size=1G 0 0',
      '',
    ].join('\n');
    writeFileSync(fstab, original);
    const run = (): void => {
      const r = spawnSync(argv[0]!, [...argv.slice(1, -1), fstab], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
      expect(r.status, r.stderr).toBe(0);
    };
    run();
    expect(readFileSync(join(dir, 'swapoff.called'), 'utf8')).toBe('-a\n');
    const after = readFileSync(fstab, 'utf8').split('\n');
    expect(after).toEqual([
      '# /etc/fstab: static file system information.',
      'UUID=aaaa / ext4 defaults 0 1',
      '# crinit: kubelet needs swap off: /swap.img none swap sw 0 0',
      '# /old.swap none swap sw 0 0',
      '# crinit: kubelet needs swap off: UUID=bbbb none  swap  defaults,pri=1 0 0',
      'tmpfs /tmp tmpfs defaults,size=1G 0 0',
      '',
    ]);
    expect(readFileSync(`${fstab}.crinit`, 'utf8')).toBe(original);
    // Run again (a re-run of first boot): nothing left to change, the backup stays the original.
    run();
    expect(readFileSync(fstab, 'utf8').split('\n')).toEqual(after);
    expect(readFileSync(`${fstab}.crinit`, 'utf8')).toBe(original);
  });

  it('cloud-init schema and shellcheck accept the Kubernetes outputs (with a proxy)', (ctx) => {
    needTool(ctx, 'cloud-init');
    needTool(ctx, 'shellcheck');
    const dir = tempDir();
    for (const d of K8S_DISTROS) {
      for (const rt of ['containerd', 'docker', ...(d === 'amazonlinux-2023' ? [] : ['cri-o'])]) {
        const r = compile({ profile: `${d}/${rt}`, set: [`kubernetes=${ALL}`, 'proxy={"http": "http://proxy.example.com:3128", "https": "http://u:p%40ss@proxy.example.com:3128"}'] });
        expect(r.output, `${d}/${rt}: ${r.diagnostics.map((x) => x.message).join('; ')}`).toBeDefined();
        const file = writeTemp(dir, `${d}-${rt}.yaml`, r.output!);
        const s = spawnSync('cloud-init', ['schema', '-c', file], { encoding: 'utf8' });
        expect(s.status, `${d}/${rt}: ${s.stdout}${s.stderr}`).toBe(0);
        const c = readCloudConfig(r.output!);
        const swap = step(c, 'disable-swap');
        const sc = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: `#!/bin/sh\n${swap[2]}\n`, encoding: 'utf8' });
        expect(sc.status, sc.stdout).toBe(0);
      }
    }
  });
});

describe('kubernetes on Flatcar: the sysext bakery image, pinned by sha256', () => {
  const SUM = 'ab'.repeat(32);
  interface Ign {
    storage: { files: { path: string; contents: { source: string; compression?: string; verification?: { hash: string } } }[]; links?: { path: string; target: string }[] };
    systemd: { units: { name: string; enabled?: boolean; mask?: boolean }[] };
  }

  it('downloads the release image with verification.hash, links it into /etc/extensions, wires kubelet, masks swap', (ctx) => {
    const r = compile({ profile: 'flatcar/containerd', set: [`kubernetes={"version": "1.35.2", "sysext": {"sha256": {"amd64": "${SUM}"}}}`] });
    expect(r.output, r.diagnostics.map((d) => d.message).join('; ')).toBeDefined();
    const ign = JSON.parse(r.output!) as Ign;
    const image = ign.storage.files.find((f) => f.path === '/opt/extensions/kubernetes/kubernetes-v1.35.2-x86-64.raw')!;
    expect(image.contents).toEqual({ source: 'https://extensions.flatcar.org/extensions/kubernetes-v1.35.2-x86-64.raw', verification: { hash: `sha256-${SUM}` } });
    expect(ign.storage.links).toContainEqual(expect.objectContaining({ path: '/etc/extensions/kubernetes.raw', target: '/opt/extensions/kubernetes/kubernetes-v1.35.2-x86-64.raw' }));
    // The image's kubelet.service.d/10-kubeadm.conf reads KUBELET_EXTRA_ARGS from /etc/sysconfig/kubelet.
    const defaults = ign.storage.files.find((f) => f.path === '/etc/sysconfig/kubelet')!;
    expect(decodeDataUrl(defaults.contents.source, defaults.contents.compression)).toMatch(/^KUBELET_EXTRA_ARGS=--config-dir=\/etc\/kubernetes\/kubelet\.conf\.d$/m);
    const units = new Map(ign.systemd.units.map((u) => [u.name, u]));
    expect(units.get('swap.target')?.mask).toBe(true);
    // The image's own Upholds= starts kubelet; crinit does not enable it.
    expect(units.get('kubelet.service')?.enabled).toBeUndefined();
    const firstboot = ign.storage.files.find((f) => f.path === '/opt/bin/crinit-firstboot')!;
    expect(decodeDataUrl(firstboot.contents.source, firstboot.contents.compression)).toContain("'disable-swap'");
    // No package step, no repository: Flatcar has no package manager.
    expect(r.output).not.toContain('pkgs.k8s.io');
    // The pause image of 1.35.
    const config = ign.storage.files.find((f) => f.path === '/etc/containerd/config.toml')!;
    expect(decodeDataUrl(config.contents.source, config.contents.compression)).toContain('sandbox_image = "registry.k8s.io/pause:3.10.1"');
    // arm64 uses the bakery's arm64 image.
    const arm = compile({ profile: 'flatcar/containerd', set: ['arch=arm64', `kubernetes={"version": "1.35.2", "sysext": {"sha256": {"arm64": "${SUM}"}}}`] });
    expect(arm.output).toContain('kubernetes-v1.35.2-arm64.raw');
    needTool(ctx, 'ignition-validate', 'ignition');
    const v = spawnSync('ignition-validate', [writeTemp(tempDir(), 'k.ign', r.output!)], { encoding: 'utf8' });
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(v.stdout + v.stderr).toBe('');
  });

  it('refuses a minor and a missing sha256 (naming where to find it), at line:col', () => {
    const cases: [string, string, string][] = [
      ['extends: flatcar/containerd\nkubernetes:\n  version: "1.36"\n', '3:12', 'error E-RULE-VERSION: the sysext bakery publishes one kubernetes image per release'],
      ['extends: flatcar/containerd\nkubernetes:\n  version: "1.36.1"\n', '3:12', 'error E-RULE-INCOMPLETE: the kubernetes image for Flatcar is pinned by its sha256, and kubernetes.sysext.sha256.amd64 is not set'],
    ];
    for (const [body, at, text] of cases) {
      const r = renderFile(body);
      expect(r.status, body).toBe(1);
      expect(r.stderr, body).toContain(`node.yaml:${at}: ${text}`);
    }
    expect(renderFile(cases[1]![0]).stderr).toContain('kubernetes-v1.36.1-x86-64.raw from https://extensions.flatcar.org/extensions/kubernetes/SHA256SUMS');
  });

  it('the real ignition fetches the image, checks its sum and links it; a wrong sum fails the config', async (ctx) => {
    needTool(ctx, IGNITION_BIN, 'ignition');
    needTool(ctx, 'python3');
    const raw = Buffer.from('a stand-in for the kubernetes system extension image\n');
    await withStandInDownload('https://extensions.flatcar.org/extensions/', 'kubernetes-v1.35.2-x86-64.raw', raw, (mirrors, sum, dir) => {
      const set = (s: string) => [`kubernetes={"version": "1.35.2", "sysext": {"sha256": {"amd64": "${s}"}}}`, mirrors];
      const root = join(dir, 'root');
      applyIgnition(compile({ profile: 'flatcar/containerd', set: set(sum) }).output!, root, join(dir, 'work'));
      expect(readFileSync(join(root, 'opt/extensions/kubernetes/kubernetes-v1.35.2-x86-64.raw'))).toEqual(raw);
      expect(readlinkSync(join(root, 'etc/extensions/kubernetes.raw'))).toBe('/opt/extensions/kubernetes/kubernetes-v1.35.2-x86-64.raw');
      expect(() => applyIgnition(compile({ profile: 'flatcar/containerd', set: set('0'.repeat(64)) }).output!, join(dir, 'bad'), join(dir, 'bad-work'))).toThrow(/hash|mismatch|verification/i);
    });
  });
});
