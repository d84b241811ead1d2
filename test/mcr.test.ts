/**
 * Mirantis Container Runtime: refused without the subscriber's key fingerprint; with it, the
 * channel's repository and the key checked on first boot, the packages held, daemon.json, and the
 * CRI socket read on the node by the output's own step, run here against stand-in units.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compile } from '../dist/index.js';
import { doc, fetchedKeySource, fileContent, stepArgv, yumRepo, type CloudConfig } from './cloud-config.js';
import { expectKeyStepInstallsOnlyThePinnedKey, keyStep } from './key-step.js';
import { MATRIX, needTool, runCli, systemdSplit, tempDir, writeTemp } from './helpers.js';

/** A fingerprint as Mirantis' documents print one: groups of four, spaces between. */
const SPACED = '77FE DA13 1A83 1D29 A418 D3E8 99E5 FF2E 7668 2BC9';
const FPR = SPACED.replace(/ /g, '');
const WITH_KEY = [`mcr.keyFingerprint=${SPACED}`];
const SCRIPT = '/usr/local/sbin/crinit-cri-socket';
const DROPIN = '/etc/systemd/system/cri-docker.service.d/10-crinit-config.conf';
const CRICTL = '/etc/crictl.yaml';
const FRAGMENT = '/etc/kubernetes/kubelet.conf.d/50-crinit-runtime.conf';

/** The combinations `crinit list` shows MCR renderable on. */
const MCR_DISTROS = MATRIX.filter((r) => r.runtime === 'mcr' && r.supported).map((r) => r.distro);


describe('mcr: the subscriber gives the key; crinit ships no guess', () => {
  it('crinit list shows MCR renderable on Ubuntu 22.04, 24.04 and RHEL 9 only, each needing mcr.keyFingerprint', () => {
    expect(MCR_DISTROS.sort()).toEqual(['rhel-9', 'ubuntu-22.04', 'ubuntu-24.04']);
    for (const r of MATRIX.filter((x) => x.runtime === 'mcr')) {
      if (r.supported) expect(r.sources.find((s) => s.source === 'upstream')!.needs).toBe('give mcr.keyFingerprint');
      else expect(r.reason).toMatch(/^mcr is not supported on [a-z0-9.-]+: Mirantis does not support MCR on /);
    }
    const list = runCli(['list']);
    // The table numbers what a source needs, and says it under the table.
    const note = /^\[(\d)\] give mcr\.keyFingerprint$/m.exec(list.stdout.replace(/ {3}/g, '\n'))?.[1];
    expect(note).toBeDefined();
    expect(list.stdout).toMatch(new RegExp(`^ubuntu-24\\.04\\/mcr +upstream +docker-ee 25\\.0 \\[${note}\\]`, 'm'));
  });

  it('without mcr.keyFingerprint the profile is refused in the user file, naming the key and where a subscriber finds it', () => {
    const dir = tempDir();
    const path = writeTemp(dir, 'node.yaml', '# an MCR node\nextends: ubuntu-24.04/mcr\n');
    const r = runCli(['render', path]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${path}:2:1: error E-RULE-SUBSCRIPTION: Mirantis Container Runtime needs the fingerprint of its repository's signing key: mcr.keyFingerprint is not set`);
    expect(r.stderr).toContain('which Mirantis gives subscribers');
    // With an mcr: section of the user's own that lacks it, still at the profile's extends: line.
    const withSection = writeTemp(dir, 'section.yaml', 'extends: rhel-9/mcr\nmcr:\n  channel: stable-25.0\n');
    expect(runCli(['render', withSection]).stderr).toContain(`${withSection}:1:1: error E-RULE-SUBSCRIPTION`);
  });

  it('a fingerprint that is not 40 hex digits, or a version that names no line, is refused at line:col', () => {
    const bad = compile({ profile: { path: 'n.yaml', text: 'extends: ubuntu-24.04/mcr\nmcr:\n  keyFingerprint: "77FE DA13"\n' } });
    expect(bad.output).toBeUndefined();
    expect(bad.diagnostics[0]).toMatchObject({ file: 'n.yaml', position: { line: 3, col: 19 } });
    const major = compile({ profile: { path: 'n.yaml', text: `extends: ubuntu-24.04/mcr\nruntime: {version: "25"}\nmcr: {keyFingerprint: ${FPR}}\n` } });
    expect(major.output).toBeUndefined();
    expect(major.diagnostics.find((d) => d.severity === 'error')).toMatchObject({ code: 'E-RULE-VERSION', position: { line: 2, col: 20 } });
  });
});

describe('mcr on its distros', () => {
  for (const distro of ['ubuntu-22.04', 'ubuntu-24.04', 'rhel-9']) {
    it(`${distro}/mcr: the channel's repository, the key checked on first boot, the packages held, daemon.json and the socket step`, () => {
      const d = doc(`${distro}/mcr`, WITH_KEY);
      const os = distro.startsWith('ubuntu') ? 'ubuntu' : 'rhel';
      // The key: fetched from the repository's path and installed only with the subscriber's fingerprint.
      expect(stepArgv(d, 'fetch-key-mcr').slice(2, 4)).toEqual([`https://repos.mirantis.com/${os}/gpg`, FPR]);
      if (os === 'ubuntu') {
        const codename = distro === 'ubuntu-22.04' ? 'jammy' : 'noble';
        expect(fetchedKeySource(d, 'mcr')).toBe(`deb [signed-by=/etc/apt/keyrings/crinit-mcr.asc] https://repos.mirantis.com/ubuntu ${codename} stable-25.0`);
      } else {
        expect(yumRepo(d, 'mcr')).toMatchObject({ baseurl: 'https://repos.mirantis.com/rhel/$releasever/$basearch/stable-25.0', gpgcheck: '1' });
      }
      // The packages come from the channel (the version line), unpinned, and are held.
      const install = stepArgv(d, 'install-packages');
      for (const p of ['docker-ee', 'docker-ee-cli', 'cri-dockerd-ee', 'containerd.io']) expect(install).toContain(p);
      expect(install.join(' ')).not.toMatch(/docker-ee[=-][0-9]/);
      expect(stepArgv(d, 'hold-packages').join(' ')).toMatch(/docker-ee docker-ee-cli cri-dockerd-ee containerd\.io/);
      expect(stepArgv(d, 'remove-conflicting-packages').join(' ')).toMatch(/runc.*docker-ce docker-ce-cli/);
      // daemon.json carries the cgroup driver; never a flag as well.
      expect(JSON.parse(fileContent(d, '/etc/docker/daemon.json'))['exec-opts']).toEqual(['native.cgroupdriver=systemd']);
      expect(JSON.stringify(d)).not.toContain('--exec-opt');
      // The socket step runs after the packages and the drop-in, before systemd reloads; its wait after the restart.
      const ids = d.runcmd.map((l) => l[1]);
      expect(ids.indexOf('install-config-files')).toBeLessThan(ids.indexOf('read-cri-socket'));
      expect(ids.indexOf('read-cri-socket')).toBeLessThan(ids.indexOf('systemd-daemon-reload'));
      expect(ids.indexOf('restart-cri-docker')).toBeLessThan(ids.indexOf('wait-for-cri-socket'));
      expect(stepArgv(d, 'read-cri-socket')).toEqual([SCRIPT, 'wire', '/', 'cri-docker.socket', 'cri-docker.service', DROPIN, CRICTL, FRAGMENT]);
    });
  }

  it('mcr.channel and mcr.repository replace the defaults; a release version picks its own channel', () => {
    const d = doc('ubuntu-24.04/mcr', [...WITH_KEY, 'mcr.channel=stable-29.2.1/fips', 'mcr.repository=https://mcr.mirror.example.com/mirantis']);
    expect(fetchedKeySource(d, 'mcr')).toBe('deb [signed-by=/etc/apt/keyrings/crinit-mcr.asc] https://mcr.mirror.example.com/mirantis/ubuntu noble stable-29.2.1/fips');
    expect(stepArgv(d, 'fetch-key-mcr')[2]).toBe('https://mcr.mirror.example.com/mirantis/ubuntu/gpg');
    expect(yumRepo(doc('rhel-9/mcr', [...WITH_KEY, 'runtime.version=25.0.14']), 'mcr').baseurl).toBe('https://repos.mirantis.com/rhel/$releasever/$basearch/stable-25.0.14');
  });

  it('the output with Kubernetes passes cloud-init schema (test/validators.test.ts runs every MCR variant through it and shellcheck)', (ctx) => {
    needTool(ctx, 'cloud-init');
    for (const distro of MCR_DISTROS) {
      const r = compile({ profile: `${distro}/mcr`, set: [...WITH_KEY, 'kubernetes.version=1.36'] });
      expect(r.output, r.diagnostics.map((x) => x.message).join('; ')).toBeDefined();
      const schema = spawnSync('cloud-init', ['schema', '-c', writeTemp(tempDir(), 'user-data', r.output!)], { encoding: 'utf8' });
      expect(schema.status, schema.stdout + schema.stderr).toBe(0);
    }
  });
});

/**
 * A stand-in root: the package's units as a package might ship them (a non-default socket in a
 * vendor drop-in, a continued ExecStart= with a pause image of its own) and crinit's files as the
 * output writes them.
 */
function standInRoot(d: CloudConfig, socketUnit: string, serviceUnit: string): string {
  const root = tempDir();
  const put = (path: string, text: string, mode = 0o644) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
    chmodSync(join(root, path), mode);
  };
  put('/usr/lib/systemd/system/cri-docker.socket', socketUnit);
  put('/usr/lib/systemd/system/cri-docker.service', serviceUnit);
  for (const path of [SCRIPT, CRICTL, FRAGMENT]) put(path, fileContent(d, path), path === SCRIPT ? 0o755 : 0o644);
  put(DROPIN, fileContent(d, `/var/lib/crinit/staged${DROPIN}`));
  return root;
}

const SOCKET_UNIT = '[Unit]\nDescription=CRI Docker Socket for the API\n\n[Socket]\nListenStream=%t/cri-dockerd.sock\nSocketMode=0660\n\n[Install]\nWantedBy=sockets.target\n';
const SERVICE_UNIT =
  '[Unit]\nDescription=CRI Interface for Docker Application Container Engine\nRequires=cri-docker.socket\n\n[Service]\nType=notify\nExecStart=/usr/bin/cri-dockerd --container-runtime-endpoint fd:// \\\n  --pod-infra-container-image=registry.example.com/old-pause:1 --log-level info\nRestart=always\n';

describe('the socket step, run for real against stand-in units', () => {
  const run = (argv: readonly string[], root: string) => {
    const [script, mode, , ...rest] = argv;
    return spawnSync('sh', [join(root, script!), mode!, root, ...rest], { encoding: 'utf8' });
  };

  it('reads a non-default ListenStream= (a vendor drop-in resetting the list) into crictl.yaml and the kubelet fragment, and carries the unit\'s own flags over', (ctx) => {
    needTool(ctx, 'systemd-analyze', 'systemd');
    const d = doc('ubuntu-24.04/mcr', [...WITH_KEY, 'kubernetes.version=1.36']);
    const root = standInRoot(d, SOCKET_UNIT, SERVICE_UNIT);
    mkdirSync(join(root, '/usr/lib/systemd/system/cri-docker.socket.d'), { recursive: true });
    writeFileSync(join(root, '/usr/lib/systemd/system/cri-docker.socket.d/50-mcr.conf'), '[Socket]\nListenStream=\nListenStream=/run/mcr/cri-dockerd-ee.sock\n');
    const wire = stepArgv(d, 'read-cri-socket');
    const r = run(wire, root);
    expect(r.status, r.stderr).toBe(0);
    const endpoint = 'unix:///run/mcr/cri-dockerd-ee.sock';
    const crictl = parseYaml(readFileSync(join(root, CRICTL), 'utf8')) as Record<string, string>;
    expect(crictl).toMatchObject({ 'runtime-endpoint': endpoint, 'image-endpoint': endpoint });
    const fragmentText = readFileSync(join(root, FRAGMENT), 'utf8');
    expect(parseYaml(fragmentText)).toMatchObject({ kind: 'KubeletConfiguration', cgroupDriver: 'systemd', containerRuntimeEndpoint: endpoint });
    // The kubeadm hint follows the same value.
    expect(fragmentText).toContain(`--cri-socket ${endpoint}`);
    expect(statSync(join(root, FRAGMENT)).mode & 0o777).toBe(0o644);
    // The drop-in: the package's command line, its own pause image taken out, then crinit's.
    const dropin = readFileSync(join(root, DROPIN), 'utf8');
    const exec = dropin.split('\n').filter((l) => l.startsWith('ExecStart='));
    expect(exec[0]).toBe('ExecStart=');
    expect(systemdSplit(exec[1]!.slice('ExecStart='.length))).toEqual(['/usr/bin/cri-dockerd', '--container-runtime-endpoint', 'fd://', '--log-level', 'info', '--pod-infra-container-image', 'registry.k8s.io/pause:3.10.2']);
    expect(dropin).not.toContain('@CRINIT');
    // systemd reads the unit with crinit's drop-in.
    const verify = spawnSync('systemd-analyze', ['verify', '--root', root, '--man=no', 'cri-docker.service'], { encoding: 'utf8' });
    expect(verify.stderr).not.toMatch(/ExecStart|Invalid|Failed to parse/);

    // A re-run (a new instance-id) writes the files anew; the step gives the same result.
    const before = [CRICTL, FRAGMENT, DROPIN].map((p) => readFileSync(join(root, p), 'utf8'));
    writeFileSync(join(root, CRICTL), fileContent(d, CRICTL));
    writeFileSync(join(root, FRAGMENT), fileContent(d, FRAGMENT));
    writeFileSync(join(root, DROPIN), fileContent(d, `/var/lib/crinit/staged${DROPIN}`));
    expect(run(wire, root).status).toBe(0);
    expect([CRICTL, FRAGMENT, DROPIN].map((p) => readFileSync(join(root, p), 'utf8'))).toEqual(before);
    // Run again on files already filled in, it changes nothing.
    expect(run(wire, root).status).toBe(0);
    expect([CRICTL, FRAGMENT, DROPIN].map((p) => readFileSync(join(root, p), 'utf8'))).toEqual(before);
  });

  it('with the default ListenStream=%t/cri-dockerd.sock it writes /run/cri-dockerd.sock; wait finds the socket once it is there', (ctx) => {
    needTool(ctx, 'systemd-analyze', 'systemd');
    needTool(ctx, 'python3');
    const d = doc('rhel-9/mcr', WITH_KEY);
    const root = standInRoot(d, SOCKET_UNIT, SERVICE_UNIT);
    expect(run(stepArgv(d, 'read-cri-socket'), root).status).toBe(0);
    expect((parseYaml(readFileSync(join(root, FRAGMENT), 'utf8')) as Record<string, string>).containerRuntimeEndpoint).toBe('unix:///run/cri-dockerd.sock');
    mkdirSync(join(root, 'run'), { recursive: true });
    const bind = spawnSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', join(root, 'run/cri-dockerd.sock')]);
    expect(bind.status).toBe(0);
    expect(run(stepArgv(d, 'wait-for-cri-socket'), root).status).toBe(0);
  });

  it('fails, naming what it could not read, and leaves the files as they were: no socket, two sockets, a path it will not write', (ctx) => {
    needTool(ctx, 'systemd-analyze', 'systemd');
    const d = doc('ubuntu-22.04/mcr', WITH_KEY);
    const cases: [socketUnit: string, message: string][] = [
      ['[Socket]\nListenStream=\n', 'cri-docker.socket listens on no unix socket'],
      ['[Socket]\nListenStream=/run/a.sock\nListenStream=/run/b.sock\n', 'listens on more than one unix socket'],
      ['[Socket]\nListenStream=/run/a b.sock\n', 'is not a plain path'],
      ['[Socket]\nListenStream=0.0.0.0:2375\n', 'listens on no unix socket'],
    ];
    for (const [unit, message] of cases) {
      const root = standInRoot(d, unit, SERVICE_UNIT);
      const r = run(stepArgv(d, 'read-cri-socket'), root);
      expect(r.status, unit).not.toBe(0);
      expect(r.stderr).toContain(message);
      expect(readFileSync(join(root, FRAGMENT), 'utf8')).toBe(fileContent(d, FRAGMENT));
      expect(readFileSync(join(root, DROPIN), 'utf8')).toContain('@CRINIT_CRI_EXECSTART@');
    }
    const noExec = standInRoot(d, SOCKET_UNIT, '[Service]\nType=notify\n');
    const r = run(stepArgv(d, 'read-cri-socket'), noExec);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('cri-docker.service has no ExecStart= of its own');
    expect(existsSync(join(noExec, `${CRICTL}.crinit-tmp`))).toBe(false);
  });
});

describe('the MCR key step, run for real', () => {
  it('installs the key only when it holds exactly one primary key with the pinned fingerprint', async (ctx) => {
    needTool(ctx, 'gpg', 'gnupg');
    needTool(ctx, 'python3');
    const k = await keyStep(doc('ubuntu-24.04/mcr', WITH_KEY), 'mcr');
    try {
      await expectKeyStepInstallsOnlyThePinnedKey(k);
    } finally {
      k.close();
    }
  });
});
