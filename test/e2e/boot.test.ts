/**
 * Proof by boot: crinit's output runs in a real Debian VM under real cloud-init, and the
 * machine comes up the way the Kubernetes container-runtime guide asks. Needs root and Debian's
 * qemu-system-x86, qemu-utils, mmdebstrap, cloud-image-utils, e2fsprogs, gnupg and apt-utils.
 *
 * Run with `npm run test:e2e`. Each case prints its wall time; docs/benchmarks.md records them.
 */
import { parse as parseToml } from 'smol-toml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compile } from '../../dist/index.js';
import { REQUIRE_TOOLS } from '../helpers.js';
import { stringify } from 'yaml';
import { decodeDataUrl } from '../ignition-config.js';
import { buildFakeDockerRepo, buildFakeKubernetesRepo } from './apt-repo.js';
import { forwardProxy, type ProxyLog } from './proxy.js';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boot, bootIgnition, CACHE_DIR, decode, ensureIgnitionRootfs, ensureImage, ignitionBinaryPresent, missingRequirements, serve, VM_MAC, type BootResult, type Image } from './vm.js';

const missing = missingRequirements();
if (!ignitionBinaryPresent()) missing.push('/usr/lib/dracut/modules.d/30ignition/ignition (apt-get install ignition)');
if (missing.length > 0) {
  if (REQUIRE_TOOLS) throw new Error(`CRINIT_REQUIRE_TOOLS=1 but the e2e suite lacks: ${missing.join('; ')}`);
  process.stderr.write(`skipping the e2e suite: this machine lacks ${missing.join('; ')}\n`);
}

const SANDBOX = 'registry.example.com/e2e/pause:3.10-crinit';
const timings: string[] = [];

function render(set: string[], profile = 'debian-12/containerd'): string {
  const r = compile({ profile, set: ['runtime.source=distro', `runtime.sandboxImage=${SANDBOX}`, ...set] });
  if (!r.output) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.output;
}

interface CloudInitResult {
  v1: { errors: string[] };
}

function steps(result: BootResult): Map<string, { seconds: number; started: number }> {
  const out = new Map<string, { seconds: number; started: number }>();
  for (const line of (decode(result.report, 'CRINIT_STEPS_B64') ?? '').split('\n')) {
    const [name, seconds, started] = line.split(' ');
    if (name) out.set(name, { seconds: Number(seconds), started: Number(started) });
  }
  return out;
}

/**
 * What the guide asks, on the real machine, whatever provisioned it: kernel modules and sysctls,
 * containerd running on crinit's config, the kubelet fragment, and no failure record.
 */
function expectRuntimeUp(result: BootResult, sandbox = SANDBOX): void {
  const r = result.report;
  const context = `--- console tail ---\n${result.consoleTail}`;
  expect(r.MODULE_overlay, context).toBe('loaded');
  expect(r.MODULE_br_netfilter).toBe('loaded');
  expect(r['SYSCTL_net.bridge.bridge-nf-call-iptables']).toBe('1');
  expect(r['SYSCTL_net.bridge.bridge-nf-call-ip6tables']).toBe('1');
  expect(r['SYSCTL_net.ipv4.ip_forward']).toBe('1');

  expect(r.CONTAINERD_ACTIVE, context).toBe('active');
  expect(r.CONTAINERD_ENABLED).toBe('enabled');
  // containerd's own view of its configuration (containerd config dump), parsed as TOML.
  const dump = parseToml(decode(r, 'CONFIG_DUMP_B64')!) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const cri = dump.plugins['io.containerd.grpc.v1.cri'];
  expect(cri.containerd.runtimes.runc.options.SystemdCgroup).toBe(true);
  expect(cri.sandbox_image).toBe(sandbox);
  expect(dump.disabled_plugins ?? []).not.toContain('cri');
  expect(r.CTR_OK, decode(r, 'CTR_VERSION_B64')).toBe('1');
  expect(decode(r, 'CTR_VERSION_B64')).toMatch(/Server:\s+Version:/);

  const kubelet = parseYaml(decode(r, 'KUBELET_FRAGMENT_B64')!) as Record<string, string>;
  expect(kubelet.cgroupDriver).toBe('systemd');
  expect(kubelet.containerRuntimeEndpoint).toBe('unix:///run/containerd/containerd.sock');
  expect(decode(r, 'CRINIT_FAILED_B64'), 'failure record').toBeUndefined();
}

/** The assertions of a good cloud-init node: expectRuntimeUp, and cloud-init's own record. */
function expectHealthyNode(result: BootResult, profile = 'debian-12/containerd', held = 'containerd'): void {
  expectRuntimeUp(result);
  const r = result.report;
  // The guest is as Debian's cloud images are: gpgv, no gpg.
  expect(r.GPG_PRESENT, 'a stock-faithful image has no gpg').toBe('no');
  // The run that finished is this boot's instance's.
  expect(decode(r, 'CRINIT_RUN_B64')).toMatch(new RegExp(`^profile=${profile.replace('.', '\\.')}\nid=${r.INSTANCE_ID}\nstarted=`));
  expect(decode(r, 'CRINIT_DONE_B64')).toMatch(new RegExp(`^profile=${profile.replace('.', '\\.')}\nfinished=\\d{4}-\\d\\d-\\d\\dT[0-9:]+Z\n$`));
  expect(r.HELD_PACKAGES?.trim()).toBe(held);

  const ci = JSON.parse(decode(r, 'CLOUD_INIT_RESULT_B64')!) as CloudInitResult;
  expect(ci.v1.errors, decode(r, 'CLOUD_INIT_STATUS_B64')).toEqual([]);
  expect(decode(r, 'CLOUD_INIT_STATUS_B64')).toMatch(/status: done/);
}

describe.skipIf(missing.length > 0)('boot debian-12 in a VM (TCG)', () => {
  let image: Image;

  beforeAll(() => {
    image = ensureImage('bookworm');
    timings.push(image.built ? `image build (bookworm): ${image.buildSeconds.toFixed(0)} s` : `image (bookworm): cached ${image.key}`);
  }, 3_600_000);

  it('1. debian-12/containerd (distro containerd, custom sandbox image) comes up right', async () => {
    const result = await boot(image, { name: 'debian-12-containerd', userData: render([]) });
    timings.push(`case 1 (cidata seed): ${result.seconds.toFixed(0)} s, ${result.attempts} boot(s)`);
    expectHealthyNode(result);
  }, 3_600_000);

  it('2. the same, delivered over HTTP by crinit serve from an inventory (ds=nocloud-net, the PXE path)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crinit-serve-e2e-'));
    writeFileSync(join(dir, 'node.yaml'), stringify({ extends: 'debian-12/containerd', runtime: { source: 'distro', sandboxImage: SANDBOX } }));
    writeFileSync(join(dir, 'nodes.yaml'), stringify({ nodes: [{ name: 'e2e-node', mac: VM_MAC, profile: 'node.yaml' }] }));
    let log = '';
    const serve = spawn(process.execPath, [fileURLToPath(new URL('../../dist/cli.cjs', import.meta.url)), 'serve', '--inventory', 'nodes.yaml', '--listen', '127.0.0.1:0'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    serve.stderr.on('data', (d: Buffer) => (log += d.toString()));
    try {
      for (let i = 0; i < 200 && !/127\.0\.0\.1:\d+/.test(log); i++) await new Promise((r) => setTimeout(r, 50));
      const port = /127\.0\.0\.1:(\d+)/.exec(log)![1];
      const result = await boot(image, { name: 'debian-12-containerd-http', userData: '', seedUrl: `http://10.0.2.2:${port}/nocloud/${VM_MAC}/` });
      timings.push(`case 2 (crinit serve, nocloud-net over HTTP): ${result.seconds.toFixed(0)} s, ${result.attempts} boot(s)`);
      expect(log).toContain(`GET /nocloud/${VM_MAC}/user-data 200 e2e-node`);
      expect(log).toContain(`GET /nocloud/${VM_MAC}/meta-data 200 e2e-node`);
      expectHealthyNode(result, 'node.yaml');
    } finally {
      serve.kill('SIGTERM');
    }
  }, 3_600_000);

  it('3. a dpkg lock held for 60 s does not break first boot', async () => {
    const result = await boot(image, { name: 'debian-12-containerd-lock', userData: render([]), kernelArgs: ['crinit.holdlock'] });
    expectHealthyNode(result);
    const hold = Object.fromEntries((decode(result.report, 'HOLDLOCK_B64') ?? '').trim().split('\n').map((l) => l.split('=')));
    expect(hold.acquired, 'the lock holder ran').toBeDefined();
    expect(hold.released).toBeDefined();
    const install = steps(result).get('install-packages')!;
    const refresh = steps(result).get('refresh-package-index')!;
    // The lock was really in the way: taken before the package steps began, released after.
    expect(Number(hold.acquired)).toBeLessThanOrEqual(refresh.started);
    const waited = Number(hold.released) - install.started;
    timings.push(`case 3 (dpkg lock held 60 s): ${result.seconds.toFixed(0)} s; install-packages took ${install.seconds} s, of which ~${Math.max(0, waited)} s waiting for the lock`);
    expect(install.started + install.seconds).toBeGreaterThanOrEqual(Number(hold.released));
  }, 3_600_000);

  it('4. a package that cannot be fetched fails loudly; 11. the same machine, given fixed user-data and a new instance-id, recovers', async () => {
    const name = 'debian-12-containerd-fail-then-recover';
    const runDir = join(CACHE_DIR, 'runs', name);
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });
    try {
      const result = await boot(image, { name, runDir, keepDisk: true, instanceId: 'crinit-e2e-broken', userData: render(['runtime.version=1.6.99-0crinit1']) });
      timings.push(`case 4 (injected failure): ${result.seconds.toFixed(0)} s`);
      const failed = decode(result.report, 'CRINIT_FAILED_B64');
      expect(failed, result.consoleTail).toMatch(/^step=install-packages\nexit=\d+\nattempts=3\n$/);
      expect(decode(result.report, 'CRINIT_DONE_B64')).toBeUndefined();
      expect(steps(result).has('restart-containerd')).toBe(false);
      const ci = JSON.parse(decode(result.report, 'CLOUD_INIT_RESULT_B64')!) as CloudInitResult;
      expect(ci.v1.errors.length).toBeGreaterThan(0);
      expect(decode(result.report, 'CLOUD_INIT_STATUS_B64')).toMatch(/status: error/);

      // The operator fixes the user-data and gives the machine a new instance-id: cloud-init runs
      // again, crinit starts a new run, and the failed one stays readable in previous/.
      const fixed = await boot(image, { name, runDir, keepDisk: true, instanceId: 'crinit-e2e-fixed', userData: render([]) });
      timings.push(`case 11 (recovery: fixed user-data, new instance-id, same disk): ${fixed.seconds.toFixed(0)} s`);
      expect(fixed.report.INSTANCE_ID).toBe('crinit-e2e-fixed');
      expectHealthyNode(fixed);
      expect(decode(fixed.report, 'CRINIT_PREVIOUS_FAILED_B64')).toBe(failed);
      expect(decode(fixed.report, 'CRINIT_PREVIOUS_STEPS_B64')).not.toMatch(/^install-packages /m);
      // Every step of the new run ran in it: nothing was carried over from the failed run.
      const ran = steps(fixed);
      for (const id of ['load-kernel-modules', 'refresh-package-index', 'install-packages', 'install-config-files', 'hold-packages', 'restart-containerd']) expect(ran.has(id), id).toBe(true);
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  }, 3_600_000);

  it('6. debian-13/containerd (trixie, Debian containerd 1.7, cloud-init 25.x) comes up right, with crun as a second runtime handler', async () => {
    const trixie = ensureImage('trixie');
    timings.push(trixie.built ? `image build (trixie): ${trixie.buildSeconds.toFixed(0)} s` : `image (trixie): cached ${trixie.key}`);
    const result = await boot(trixie, { name: 'debian-13-containerd', userData: render(['runtime.handlers={"crun": {}}'], 'debian-13/containerd') });
    timings.push(`case 6 (debian-13, crun handler): ${result.seconds.toFixed(0)} s, ${result.attempts} boot(s)`);
    expectHealthyNode(result, 'debian-13/containerd');
    // crun came from Debian's archive, and the running node's containerd has it as a handler
    // beside runc; the first-boot check of it ran and passed (the run is done).
    const dump = parseToml(decode(result.report, 'CONFIG_DUMP_B64')!) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const runtimes = dump.plugins['io.containerd.grpc.v1.cri'].containerd.runtimes;
    expect(runtimes.crun).toMatchObject({ runtime_type: 'io.containerd.runc.v2', options: { BinaryName: '/usr/bin/crun', SystemdCgroup: true } });
    expect(runtimes.runc.options.SystemdCgroup).toBe(true);
    expect(steps(result).has('check-runtime-handlers')).toBe(true);
  }, 3_600_000);

  it('7. the default upstream path on the stock image: containerd.io from a signed repository, its key written as a file; 10. a re-run after a newer patch release', async () => {
    // A local stand-in for download.docker.com (unreachable here): same layout, a key made for
    // this run, a containerd.io built as Docker's is (containerd and runc in one package).
    const repo = buildFakeDockerRepo('bookworm');
    const requests: string[] = [];
    const { server, port } = await serve(repo.root, requests);
    const name = 'debian-12-containerd-upstream';
    const runDir = join(CACHE_DIR, 'runs', name);
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });
    try {
      // debian-12/containerd's default source is upstream; only the repository and its key differ.
      const profile = stringify({
        extends: 'debian-12/containerd',
        keys: { 'docker-deb': { description: 'crinit e2e stand-in', fingerprint: repo.fingerprint, armored: repo.armoredKey } },
        repos: { docker: { apt: { uri: `http://10.0.2.2:${port}`, suite: repo.suite, components: [repo.component] } } },
        runtime: { version: '1.7', sandboxImage: SANDBOX },
      });
      const r = compile({ profile: { path: 'upstream-e2e.yaml', text: profile } });
      if (!r.output) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
      expect(r.output).toContain('containerd.io=1.7.*');
      const result = await boot(image, { name, runDir, keepDisk: true, instanceId: 'crinit-e2e-upstream-1', userData: r.output });
      timings.push(`case 7 (upstream path, stock image, signed stand-in repository): ${result.seconds.toFixed(0)} s`);
      expectHealthyNode(result, 'upstream-e2e.yaml', 'containerd.io');
      // The source trusts the armored key crinit wrote, and only for this repository; no gpg was needed.
      expect(decode(result.report, 'APT_SOURCE_B64')).toMatch(new RegExp(`^deb \\[signed-by=/etc/apt/keyrings/crinit-docker\\.asc\\] http://10\\.0\\.2\\.2:${port} bookworm stable$`, 'm'));
      expect(decode(result.report, 'APT_KEY_B64')).toBe(repo.armoredKey);
      // Only containerd.io is installed (dpkg-query also names a package it knows without a version).
      const installed = (r: BootResult) => (decode(r.report, 'INSTALLED_B64') ?? '').split('\n').filter((l) => /^\S+ \S+$/.test(l));
      expect(installed(result)).toEqual([`containerd.io ${repo.version}`]);
      expect(requests).toContain('GET /dists/bookworm/InRelease');
      expect(requests.some((q) => q.startsWith('GET /pool/stable/containerd.io_1.7.99'))).toBe(true);

      // A newer patch release appears; the machine is cloned (a new instance-id) and cloud-init
      // runs the same user-data again. crinit crosses its own hold, moves to the newest release of
      // the pin, and holds it again.
      const newer = '1.7.100-1~crinit';
      repo.publish(newer);
      const rerun = await boot(image, { name, runDir, keepDisk: true, instanceId: 'crinit-e2e-upstream-2', userData: r.output });
      timings.push(`case 10 (re-run with a new instance-id after a newer patch): ${rerun.seconds.toFixed(0)} s`);
      expect(rerun.report.INSTANCE_ID).toBe('crinit-e2e-upstream-2');
      expectHealthyNode(rerun, 'upstream-e2e.yaml', 'containerd.io');
      expect(installed(rerun)).toEqual([`containerd.io ${newer}`]);
      expect(requests.some((q) => q.startsWith(`GET /pool/stable/containerd.io_${newer}`))).toBe(true);
      expect(steps(rerun).has('release-holds')).toBe(true);
      // The first run's record is kept; it was a success.
      expect(decode(rerun.report, 'CRINIT_PREVIOUS_DONE_B64')).toMatch(/^profile=upstream-e2e\.yaml\nfinished=/);
      expect(decode(rerun.report, 'CRINIT_PREVIOUS_FAILED_B64')).toBeUndefined();
    } finally {
      server.close();
      rmSync(runDir, { recursive: true, force: true });
    }
  }, 3_600_000);

  it('8. a node behind a proxy that wants credentials, its Kubernetes packages from an internal mirror of pkgs.k8s.io', async () => {
    // A stand-in for pkgs.k8s.io v1.34 (unreachable here) served as the internal mirror, and a
    // forwarding proxy that answers 407 without the right credentials. Everything first boot
    // fetches goes through the proxy: the Debian archive, the mirror's key, index and packages.
    const repo = buildFakeKubernetesRepo('1.34');
    const served: string[] = [];
    const proxied: ProxyLog[] = [];
    const { server, port } = await serve(repo.root, served);
    const proxy = await forwardProxy('crinit', 'e2e@secret', proxied);
    try {
      const proxyUrl = `http://crinit:e2e%40secret@10.0.2.2:${proxy.port}`;
      const profile = stringify({
        extends: 'debian-12/containerd',
        runtime: { source: 'distro' },
        // The stand-in's key replaces the pinned pkgs.k8s.io fingerprint; the fetch-and-check step is the same.
        keys: { kubernetes: { fingerprint: repo.fingerprint } },
        kubernetes: { version: '1.34', packages: ['kubelet', 'kubeadm', 'kubectl', 'cri-tools'], podSubnet: '10.244.0.0/16', controlPlaneEndpoint: 'k8s-api.corp.internal:6443' },
        proxy: { http: proxyUrl, https: proxyUrl, noProxy: ['.cluster.local'] },
        mirrors: { 'https://pkgs.k8s.io/': `http://10.0.2.2:${port}/k8s/`, 'registry.k8s.io/': 'registry.corp.internal/k8s/' },
        // kubeadm would start kubelet; the stand-in records how it was started.
        commands: [['systemctl', 'start', 'kubelet.service']],
      });
      const r = compile({ profile: { path: 'proxy-e2e.yaml', text: profile } });
      if (!r.output) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
      const result = await boot(image, { name: 'debian-12-containerd-proxy-kubernetes', userData: r.output });
      timings.push(`case 8 (proxy with credentials, Kubernetes packages from a mirror): ${result.seconds.toFixed(0)} s`);
      const rep = result.report;
      expectRuntimeUp(result, 'registry.corp.internal/k8s/pause:3.10.1');
      expect(decode(rep, 'CRINIT_DONE_B64')).toMatch(/^profile=proxy-e2e\.yaml\n/);
      expect(JSON.parse(decode(rep, 'CLOUD_INIT_RESULT_B64')!).v1.errors).toEqual([]);

      // The packages: pinned to the minor, held, from the mirror.
      expect(decode(rep, 'K8S_SOURCE_B64')).toMatch(new RegExp(`^deb \\[signed-by=/etc/apt/keyrings/crinit-kubernetes\\.asc\\] http://10\\.0\\.2\\.2:${port}/k8s/core:/stable:/v1\\.34/deb/ /\\s*$`, 'm'));
      expect((decode(rep, 'K8S_INSTALLED_B64') ?? '').trim().split('\n').sort()).toEqual([
        `cri-tools ${repo.criToolsVersion}`,
        `kubeadm ${repo.version}`,
        `kubectl ${repo.version}`,
        `kubelet ${repo.version}`,
      ]);
      expect(rep.HELD_PACKAGES?.trim().split(' ').sort()).toEqual(['containerd', 'cri-tools', 'kubeadm', 'kubectl', 'kubelet']);
      // kubelet: enabled, started with crinit's --config-dir, with the proxy in its environment.
      expect(rep.KUBELET_ENABLED).toBe('enabled');
      expect(rep.KUBELET_ACTIVE).toBe('active');
      expect(decode(rep, 'KUBELET_DEFAULTS_B64')).toMatch(/^KUBELET_EXTRA_ARGS=--config-dir=\/etc\/kubernetes\/kubelet\.conf\.d$/m);
      expect(decode(rep, 'KUBELET_ARGS_B64')).toBe('--config-dir=/etc/kubernetes/kubelet.conf.d\n');
      // The pod subnet, kubeadm's default service subnet and the API endpoint bypass the proxy.
      const noProxy = '.cluster.local,localhost,127.0.0.1,::1,169.254.169.254,10.244.0.0/16,10.96.0.0/12,k8s-api.corp.internal';
      const proxyEnv = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'].map((k) => `${k}=${k.toLowerCase().startsWith('no') ? noProxy : proxyUrl}`);
      expect((decode(rep, 'KUBELET_ENV_B64') ?? '').trim().split('\n').sort()).toEqual(proxyEnv.sort());
      // The services read the proxy from a root-only EnvironmentFile: systemd's Environment
      // property, which any user can read, holds no credentials (the kubelet's own environment
      // above shows the values arrive).
      const env = decode(rep, 'CONTAINERD_ENV_B64') ?? '';
      expect(env).toMatch(/^Environment=/);
      expect(env).not.toContain('secret');
      // Swap off and kept off.
      expect(rep.SWAP_TARGET).toBe('masked');
      expect(rep.SWAPS).toBe('0');
      // The proxy saw the Debian archive, the mirror's key, index and packages, all with credentials.
      expect(proxied.filter((p) => !p.authorized), JSON.stringify(proxied.filter((p) => !p.authorized).slice(0, 5))).toEqual([]);
      const via = proxied.map((p) => p.url);
      expect(via).toContain(`http://10.0.2.2:${port}/${repo.path}Release.key`);
      expect(via).toContain(`http://10.0.2.2:${port}/${repo.path}InRelease`);
      expect(via.some((u) => u.startsWith(`http://10.0.2.2:${port}/${repo.path}./kubelet_`) || u.startsWith(`http://10.0.2.2:${port}/${repo.path}kubelet_`))).toBe(true);
      expect(via.some((u) => /\/pool\/main\/c\/containerd\//.test(u)), 'the Debian archive through the proxy').toBe(true);
      // Nothing reached the mirror around the proxy.
      expect(served.length).toBeGreaterThan(0);
      expect(served.length).toBe(via.filter((u) => u.startsWith(`http://10.0.2.2:${port}/`)).length);
    } finally {
      server.close();
      proxy.server.close();
    }
  }, 3_600_000);

  it('5. fcos/containerd and flatcar/containerd: the real ignition writes the config, and the stand-in boots right', async () => {
    // A Debian root with containerd in the image stands in for Fedora CoreOS and Flatcar, whose
    // runtimes are built in (vm-e2e.md). The real ignition binary applies crinit's config to it,
    // as it does in their initramfs; the machine then boots for the first time.
    const rootfs = ensureIgnitionRootfs('bookworm');
    timings.push(rootfs.built ? `image build (Ignition stand-in): ${rootfs.buildSeconds.toFixed(0)} s` : `image (Ignition stand-in): cached ${rootfs.key}`);
    for (const distro of ['fcos', 'flatcar'] as const) {
      const r = compile({
        profile: `${distro}/containerd`,
        set: [`runtime.sandboxImage=${SANDBOX}`, 'commands=[["sh", "-c", "echo ready > /etc/crinit-ready"]]'],
      });
      if (!r.output) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
      const result = await bootIgnition(rootfs, {
        name: `${distro}-containerd-ignition`,
        config: r.output,
        // Fedora CoreOS does not start containerd by itself: only Ignition's preset may enable it.
        // Flatcar's image starts it, as the Debian package's enablement does here.
        prepare: (root) => {
          if (distro === 'fcos') rmSync(join(root, 'etc/systemd/system/multi-user.target.wants/containerd.service'), { force: true });
        },
      });
      timings.push(`case 5 (${distro}/containerd, Ignition stand-in): ${result.seconds.toFixed(0)} s, ${result.attempts} boot(s)`);
      expectRuntimeUp(result);
      const rep = result.report;
      expect(decode(rep, 'CRINIT_DONE_B64')).toMatch(new RegExp(`^profile=${distro}/containerd\nfinished=`));
      expect(rep.FIRSTBOOT_RESULT).toBe('success');
      expect(decode(rep, 'USER_READY_B64')).toBe('ready\n');
      expect(decode(rep, 'CRINIT_STEPS_B64')).toMatch(/^wait-for-containerd-socket \d+ \d+\nuser-command-1 /);
      if (distro === 'fcos') {
        expect(rep.DOCKER_SOCKET).toBe('masked');
        expect(rep.DOCKER_SERVICE).toBe('masked');
      } else {
        // The drop-in points the image's unit at crinit's config.
        expect(decode(rep, 'CONTAINERD_DROPINS_B64')).toContain('/etc/systemd/system/containerd.service.d/10-crinit-config.conf');
        expect(decode(rep, 'CONTAINERD_EXECSTART_B64')).toMatch(/argv\[\]=\/usr\/bin\/containerd --config \/etc\/containerd\/config\.toml /);
        expect(rep.EXTENSION_LINK).toBe('/dev/null');
      }
    }
  }, 3_600_000);

  it('9. fcos with the Kubernetes packages layered: the first boot layers, reboots once, and the second boot carries on to the end', async () => {
    // The stand-in has no rpm-ostree: a stand-in records each call with the boot it ran in and
    // puts a kubelet unit in place, as the new deployment would. The key step needs gpg and
    // pkgs.k8s.io (neither here; it is run for real in test/fcos-layering.test.ts), so it is
    // recorded as passed beforehand. What runs for real: Ignition, systemd, crinit-firstboot, the
    // reboot the machine makes itself, and the resumed first boot after it.
    const rootfs = ensureIgnitionRootfs('bookworm');
    const r = compile({
      profile: 'fcos/containerd',
      set: [
        `runtime.sandboxImage=${SANDBOX}`,
        'kubernetes.version=1.36',
        'commands=[["sh", "-c", "{ echo booted=$(cat /proc/sys/kernel/random/boot_id); cat /var/lib/crinit-e2e/rpm-ostree.log; echo kubelet=$(systemctl is-enabled kubelet.service); } > /etc/crinit-ready"]]',
      ],
    });
    if (!r.output) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
    const result = await bootIgnition(rootfs, {
      name: 'fcos-containerd-kubernetes-layered',
      config: r.output,
      allowReboot: true,
      prepare: (root) => {
        rmSync(join(root, 'etc/systemd/system/multi-user.target.wants/containerd.service'), { force: true });
        mkdirSync(join(root, 'var/lib/crinit'), { recursive: true });
        // The key step, recorded as passed earlier in this same run (resumed, not a new run).
        const firstboot = (JSON.parse(r.output!) as { storage: { files: { path: string; contents: { source: string; compression?: string } }[] } }).storage.files.find((f) => f.path === '/usr/local/sbin/crinit-firstboot')!;
        const runId = /--begin 'fcos\/containerd' '(ignition-[0-9a-f]{16})'/.exec(decodeDataUrl(firstboot.contents.source, firstboot.contents.compression))![1];
        writeFileSync(join(root, 'var/lib/crinit/run'), `profile=fcos/containerd\nid=${runId}\nstarted=2026-01-01T00:00:00Z\n`);
        writeFileSync(join(root, 'var/lib/crinit/steps'), 'fetch-key-kubernetes 1 1\n');
        writeFileSync(join(root, 'var/lib/crinit/resume'), '');
        writeFileSync(
          join(root, 'usr/bin/rpm-ostree'),
          [
            '#!/bin/sh',
            'mkdir -p /var/lib/crinit-e2e',
            'echo "rpm-ostree $* boot=$(cat /proc/sys/kernel/random/boot_id)" >> /var/lib/crinit-e2e/rpm-ostree.log',
            'printf "[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n" > /etc/systemd/system/kubelet.service',
            '',
          ].join('\n'),
          { mode: 0o755 },
        );
      },
    });
    timings.push(`case 9 (fcos, Kubernetes layered, one reboot): ${result.seconds.toFixed(0)} s`);
    expectRuntimeUp(result);
    const rep = result.report;
    expect(decode(rep, 'CRINIT_DONE_B64')).toMatch(/^profile=fcos\/containerd\nfinished=/);
    expect(rep.FIRSTBOOT_RESULT).toBe('success');
    const ready = decode(rep, 'USER_READY_B64')!;
    const booted = /^booted=(\S+)$/m.exec(ready)![1];
    const installs = [...ready.matchAll(/^rpm-ostree install --idempotent --allow-inactive (.*) boot=(\S+)$/gm)];
    expect(installs.map((m) => m[1])).toEqual(['kubelet kubeadm kubectl']);
    // The packages were layered in another boot than the one that finished: the machine rebooted.
    expect(installs[0]![2]).not.toBe(booted);
    expect(ready).toMatch(/^kubelet=enabled$/m);
    const steps = (decode(rep, 'CRINIT_STEPS_B64') ?? '').trim().split('\n').map((l) => l.split(' ')[0]);
    expect(steps).toEqual([
      'fetch-key-kubernetes',
      'disable-swap',
      'install-kubernetes-packages',
      'reboot-into-layered-packages',
      'enable-containerd',
      'wait-for-containerd-socket',
      'enable-kubelet',
      'user-command-1',
    ]);
  }, 3_600_000);

  it('12. flatcar/containerd: a first boot whose run fails is repaired and rebooted, and crinit-firstboot starts a new run that completes', async () => {
    // The profile's own command needs something that is missing on the first boot. The reporter,
    // seeing the run fail, keeps its record aside, makes the fix (what an operator would do) and
    // reboots. crinit-firstboot runs again at that boot: a new run, the failed one in previous/.
    const rootfs = ensureIgnitionRootfs('bookworm');
    const r = compile({
      profile: 'flatcar/containerd',
      set: [`runtime.sandboxImage=${SANDBOX}`, 'commands=[["test", "-e", "/var/lib/crinit-e2e/repaired"]]'],
    });
    if (!r.output) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
    const result = await bootIgnition(rootfs, { name: 'flatcar-containerd-repair', config: r.output, allowReboot: true, kernelArgs: ['crinit.e2e-repair'] });
    timings.push(`case 12 (Ignition stand-in: failed run, repair, reboot, new run): ${result.seconds.toFixed(0)} s`);
    const rep = result.report;
    const boot1 = decode(rep, 'BOOT1_FAILED_B64');
    expect(boot1, result.consoleTail).toBe('step=user-command-1\nexit=1\nattempts=1\n');
    expect(rep.BOOT1_RESULT).toBe('exit-code');
    expect(rep.BOOT_ID).not.toBe(rep.BOOT1_ID);
    // The second boot's run passed, and the first one's failure is still there to read.
    expectRuntimeUp(result);
    expect(rep.FIRSTBOOT_RESULT).toBe('success');
    expect(decode(rep, 'CRINIT_DONE_B64')).toMatch(/^profile=flatcar\/containerd\nfinished=/);
    expect(decode(rep, 'CRINIT_PREVIOUS_FAILED_B64')).toBe(boot1);
    expect(decode(rep, 'CRINIT_RUN_B64')).toMatch(/^profile=flatcar\/containerd\nid=ignition-[0-9a-f]{16}\nstarted=/);
    const ran = (decode(rep, 'CRINIT_STEPS_B64') ?? '').trim().split('\n').map((l) => l.split(' ')[0]);
    expect(ran).toEqual(['wait-for-containerd-socket', 'user-command-1']);
  }, 3_600_000);

  it('prints the timings', () => {
    process.stdout.write(`\ne2e timings:\n  ${timings.join('\n  ')}\n`);
    expect(timings.length).toBeGreaterThan(0);
  });
});
