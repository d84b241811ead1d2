/**
 * Extra runtime handlers (runtime.handlers): what containerd gets on every distro that has crun,
 * the packages and the first-boot check, the RuntimeClasses and node labels that match, and the
 * refusals, each at the handler's line and column. containerd's own reading of the configs is in
 * test/consumers.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { parse as parseToml } from 'smol-toml';
import { compile } from '../dist/index.js';
import { doc, fileContent, readCloudConfig, stepArgv, type CloudConfig } from './cloud-config.js';
import { applyIgnition, IGNITION_BIN, serveStatic } from './ignition-config.js';
import { MATRIX, needTool, runCli, tempDir, writeTemp } from './helpers.js';

const CRUN = 'runtime.handlers={"crun": {}}';
/** The combinations `crinit list` says take a crun handler. */
const WITH_CRUN = MATRIX.filter((r) => r.runtime === 'containerd' && r.handlers.includes('crun')).map((r) => r.profile);


/** A profile's user-data, after `cloud-init schema` accepted it, read back. */
function checkedUserData(profile: string, set: readonly string[]): CloudConfig {
  const r = compile({ profile, set: [...set] });
  expect(r.output, `${profile}: ${r.diagnostics.map((x) => x.message).join('; ')}`).toBeDefined();
  const schema = spawnSync('cloud-init', ['schema', '-c', writeTemp(tempDir(), 'user-data', r.output!)], { encoding: 'utf8' });
  expect(schema.status, schema.stdout + schema.stderr).toBe(0);
  return readCloudConfig(r.output!);
}

/** A command refused with exit code 1, saying this. */
function expectRefused(r: { status: number | null; stderr: string }, says: string): void {
  expect(r.status, r.stderr).toBe(1);
  expect(r.stderr).toContain(says);
}

/** What `crinit manifest --json` lists for a profile with these settings. */
function manifestArtifacts(profile: string, set: string): { kind: string; url: string; sha256?: string; sha512?: string; fingerprint?: string }[] {
  const m = runCli(['manifest', '--json', profile, '--set', set]);
  expect(m.status, m.stderr).toBe(0);
  return (JSON.parse(m.stdout) as { artifacts: { kind: string; url: string }[] }).artifacts;
}

/** The RuntimeClass `crinit runtimeclasses` prints for a node whose one handler is `name`, with Kubernetes 1.36. */
function expectOneRuntimeClass(profile: string, set: string, name: string): void {
  const rc = runCli(['runtimeclasses', profile, '--set', set, '--set', 'kubernetes.version=1.36']);
  expect(rc.status, rc.stderr).toBe(0);
  expect(parseAllDocuments(rc.stdout).map((x) => x.toJS())).toEqual([
    expect.objectContaining({ kind: 'RuntimeClass', metadata: expect.objectContaining({ name }), handler: name, scheduling: { nodeSelector: { [`runtime.crinit.dev/${name}`]: 'true' } } }),
  ]);
}

describe('runtime.handlers on containerd', () => {
  it('crinit list: crun on containerd wherever the distro packages it, runsc on every cloud-init distro\'s containerd and Fedora CoreOS\'s, kata on every cloud-init distro\'s, nvidia where NVIDIA\'s repository serves it; none on Docker or MCR', () => {
    expect(WITH_CRUN.sort()).toEqual(['debian-12/containerd', 'debian-13/containerd', 'rhel-9/containerd', 'ubuntu-22.04/containerd', 'ubuntu-24.04/containerd']);
    expect(runCli(['list']).stdout).toMatch(/^debian-12\/containerd .* crun,runsc,kata,nvidia$/m);
    // gVisor's runsc is downloaded, so every cloud-init distro's containerd takes it.
    expect(MATRIX.filter((r) => r.handlers.includes('runsc')).map((r) => r.profile).sort()).toEqual([...WITH_CRUN, 'amazonlinux-2023/containerd', 'fcos/containerd'].sort());
    expect(MATRIX.filter((r) => r.runtime !== 'containerd' && r.runtime !== 'cri-o' && r.handlers.length > 0)).toEqual([]);
  });

  for (const profile of WITH_CRUN) {
    it(`${profile}: crun installed from the distro (not held), configured, and checked on first boot`, (ctx) => {
      needTool(ctx, 'cloud-init');
      needTool(ctx, 'shellcheck');
      // With the Kubernetes packages where crinit installs them (not Debian 13: see crinit list).
      const k8s = MATRIX.find((x) => x.profile === profile)!.kubernetes.supported;
      const r = compile({ profile, set: [CRUN, ...(k8s ? ['kubernetes.version=1.36'] : [])] });
      expect(r.output, r.diagnostics.map((d) => d.message).join('; ')).toBeDefined();
      const schema = spawnSync('cloud-init', ['schema', '-c', writeTemp(tempDir(), 'user-data', r.output!)], { encoding: 'utf8' });
      expect(schema.status, schema.stdout + schema.stderr).toBe(0);
      const d = readCloudConfig(r.output!);
      expect(stepArgv(d, 'install-packages')).toContain('crun');
      expect(stepArgv(d, 'hold-packages')).not.toContain('crun');
      // The check runs after containerd restarted, for each handler with its binary.
      const ids = d.runcmd.map((l) => l[1]);
      expect(ids.indexOf('restart-containerd')).toBeLessThan(ids.indexOf('check-runtime-handlers'));
      const check = stepArgv(d, 'check-runtime-handlers');
      expect(check.slice(-2)).toEqual(['crun', '/usr/bin/crun']);
      const sc = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: `#!/bin/sh\n${check[2]}\n`, encoding: 'utf8' });
      expect(sc.status, sc.stdout).toBe(0);
      // The kubelet labels the node for the handler; the RuntimeClass selects that label.
      if (!k8s) return;
      const defaults = d.write_files.find((f) => /\/(default|sysconfig)\/kubelet$/.test(f.path))!.content;
      expect(defaults).toMatch(/^KUBELET_EXTRA_ARGS=--config-dir=\/etc\/kubernetes\/kubelet\.conf\.d --node-labels=runtime\.crinit\.dev\/crun=true$/m);
    });
  }

  it('crinit runtimeclasses prints one RuntimeClass per handler, its handler the configured name, selecting the label the kubelet sets', () => {
    const dir = tempDir();
    const file = writeTemp(dir, 'node.yaml', 'extends: ubuntu-24.04/containerd\nruntime:\n  handlers:\n    crun: {}\n    fast: {kind: crun}\nkubernetes:\n  version: "1.36"\n');
    const r = runCli(['runtimeclasses', file]);
    expect(r.status, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((x) => x.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(docs).toEqual(
      ['crun', 'fast'].map((name) => ({
        apiVersion: 'node.k8s.io/v1',
        kind: 'RuntimeClass',
        metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'crinit', 'runtime.crinit.dev/kind': 'crun' } },
        handler: name,
        scheduling: { nodeSelector: { [`runtime.crinit.dev/${name}`]: 'true' } },
      })),
    );
    // Each handler: is a table of the containerd config crinit writes for the same profile.
    const out = compile({ profile: { path: file, text: 'extends: ubuntu-24.04/containerd\nruntime:\n  handlers:\n    crun: {}\n    fast: {kind: crun}\n' } });
    const dropin = fileContent(readCloudConfig(out.output!), '/var/lib/crinit/staged/etc/containerd/conf.d/10-crinit-handlers.toml');
    for (const c of docs) expect(dropin).toContain(`containerd.runtimes.${c.handler as string}]`);
    // Without Kubernetes packages crinit sets no label, so the RuntimeClass selects none.
    const bare = runCli(['runtimeclasses', '--set', CRUN, 'debian-12/containerd']);
    expect(parseYaml(bare.stdout)).not.toHaveProperty('scheduling');
    const none = runCli(['runtimeclasses', 'debian-12/containerd']);
    expect(none.status).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('has no runtime.handlers');
  });

  it('refuses what is not built or not possible, at the handler, with the reason', () => {
    const at = (extendsName: string, handlers: string) => {
      const r = compile({ profile: { path: 'n.yaml', text: `extends: ${extendsName}\nruntime:\n  handlers:\n${handlers}` } });
      expect(r.output).toBeUndefined();
      return r.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ code: d.code, line: d.position?.line, col: d.position?.col, message: d.message, file: d.file }));
    };
    expect(at('ubuntu-24.04/containerd', '    sandboxed: {kind: runsc}\n')).toEqual([{ code: 'E-RULE-INCOMPLETE', line: 4, col: 16, file: 'n.yaml', message: "gVisor's runsc is downloaded from its project's releases, and the handler names no release (version)" }]);
    expect(at('ubuntu-24.04/docker', '    sandboxed: {kind: runsc}\n')[0]).toMatchObject({ code: 'E-RULE-UNSUPPORTED' });
    expect(at('ubuntu-24.04/containerd', '    kata: {}\n')[0]).toMatchObject({ line: 4, col: 11, message: "Kata Containers is unpacked from its project's release archive, and the handler names no release (version)" });
    expect(at('amazonlinux-2023/containerd', '    crun: {}\n')[0]).toMatchObject({ line: 4, col: 11, message: 'crinit does not install crun on amazonlinux-2023' });
    expect(at('fcos/containerd', '    crun: {}\n')[0]).toMatchObject({ message: 'crinit does not install crun on fcos' });
    expect(at('ubuntu-24.04/docker', '    crun: {}\n')[0]).toMatchObject({ code: 'E-RULE-UNSUPPORTED', line: 4, col: 5, message: expect.stringContaining('creates the pod\'s containers without it') });
    expect(at('ubuntu-24.04/cri-o', '    gvisor: {kind: runsc}\n')[0]).toMatchObject({ line: 4, col: 20, message: "crinit does not configure gVisor's runsc for CRI-O: gVisor calls its CRI-O recipe best-effort, for CRI-O 1.37 and later, with SELinux labelling off for every container" });
    expect(at('ubuntu-24.04/cri-o', '    nvidia: {}\n')[0]).toMatchObject({ line: 4, col: 13, message: expect.stringContaining('crinit does not configure the NVIDIA container toolkit for CRI-O: nvidia-container-runtime runs the first of runc and crun it finds on PATH') });
    expect(at('fcos/cri-o', '    crun: {}\n')[0]).toMatchObject({ line: 4, col: 11, message: 'crinit does not install crun on fcos' });
    expect(at('debian-12/containerd', '    runc: {}\n')[0]).toMatchObject({ code: 'E-RULE-CONFLICT', line: 4, col: 11 });
    expect(at('debian-12/containerd', '    mine: {}\n')[0]).toMatchObject({ code: 'E-RULE-INCOMPLETE', message: 'the handler mine names no kind' });
    expect(at('debian-12/containerd', '    a: {kind: crun, default: true}\n    b: {kind: crun, default: true}\n').map((d) => d.line)).toEqual([4, 5]);
    // A name a RuntimeClass cannot carry is refused by the schema.
    expect(at('debian-12/containerd', '    Crun_1: {}\n')[0]).toMatchObject({ line: 4, col: 5 });
  });

  it('a profile without handlers renders as before: no import, no drop-in, no check', () => {
    const d = doc('ubuntu-24.04/containerd');
    expect(fileContent(d, '/var/lib/crinit/staged/etc/containerd/config.toml')).not.toContain('imports');
    expect(d.write_files.some((f) => f.path.includes('conf.d/10-crinit-handlers'))).toBe(false);
    expect(d.runcmd.some((l) => l[1] === 'check-runtime-handlers')).toBe(false);
  });
});

/** A gVisor handler with made-up sums (only crinit's side is checked with them). */
const RUNSC_SUMS = { runsc: '1a'.repeat(64), 'containerd-shim-runsc-v1': '2b'.repeat(64) };
const GVISOR = `runtime.handlers=${JSON.stringify({ gvisor: { kind: 'runsc', version: '20261012.0', sha512: { amd64: RUNSC_SUMS } } })}`;

describe("gVisor's runsc on containerd", () => {
  it('downloads runsc and its shim from the release the profile names, each checked against its sha512, before containerd restarts', (ctx) => {
    needTool(ctx, 'cloud-init');
    needTool(ctx, 'shellcheck');
    for (const row of MATRIX.filter((x) => x.runtime === 'containerd' && x.handlers.includes('runsc') && x.backends.includes('cloud-init'))) {
      const d = checkedUserData(row.profile, ['runtime.source=' + row.defaultSource, GVISOR]);
      const ids = d.runcmd.map((l) => l[1]);
      for (const [file, sum] of Object.entries(RUNSC_SUMS)) {
        const argv = stepArgv(d, `install-gvisor-${file}`);
        expect(argv.slice(-4), row.profile).toEqual([`https://storage.googleapis.com/gvisor/releases/release/20261012.0/x86_64/${file}`, sum, 'amd64', `/usr/local/bin/${file}`]);
        expect(ids.indexOf(`install-gvisor-${file}`)).toBeLessThan(ids.indexOf('restart-containerd'));
        const sc = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: `#!/bin/sh\n${argv[2]}\n`, encoding: 'utf8' });
        expect(sc.status, sc.stdout).toBe(0);
      }
      expect(stepArgv(d, 'check-runtime-handlers').slice(-2)).toEqual(['gvisor', '/usr/local/bin/runsc']);
      // runsc reads systemd's cgroup paths only with systemd-cgroup, which the systemd driver needs.
      expect(fileContent(d, '/etc/containerd/runsc.toml')).toMatch(/^\[runsc_config\]\n {2}systemd-cgroup = "true"\n$/m);
    }
  });

  it('the download step installs a file only when its sha512 is the pinned one (run for real against a local server)', async (ctx) => {
    needTool(ctx, 'sha512sum', 'coreutils');
    needTool(ctx, 'curl');
    const { createServer } = await import('node:http');
    const body = Buffer.from('#!/bin/sh\necho runsc\n');
    const server = createServer((_req, res) => res.end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/runsc`;
      const d = doc('ubuntu-24.04/containerd', [GVISOR]);
      const script = stepArgv(d, 'install-gvisor-runsc')[2]!;
      const dir = tempDir();
      const run = (sum: string, dest: string) =>
        new Promise<number | null>((resolve) => {
          import('node:child_process').then(({ spawn }) => spawn('sh', ['-c', script, 'sh', url, sum, 'amd64', dest], { stdio: 'ignore' }).on('exit', resolve));
        });
      const good = join(dir, 'bin', 'runsc');
      expect(await run(createHash('sha512').update(body).digest('hex'), good)).toBe(0);
      expect(readFileSync(good)).toEqual(body);
      expect(statSync(good).mode & 0o777).toBe(0o755);
      const bad = join(dir, 'bin', 'other');
      expect(await run('0'.repeat(128), bad)).not.toBe(0);
      expect(existsSync(bad)).toBe(false);
      // Another architecture than the profile's is refused before anything is fetched.
      const arm = await new Promise<number | null>((resolve) => {
        import('node:child_process').then(({ spawn }) => spawn('sh', ['-c', script, 'sh', url, '0'.repeat(128), 'arm64', join(dir, 'x')], { stdio: 'ignore' }).on('exit', resolve));
      });
      expect(arm).not.toBe(0);
    } finally {
      server.close();
    }
  });

  it('Fedora CoreOS: Ignition itself downloads runsc and its shim to /usr/local/bin, each checked against its sha512 (the real ignition binary, against a local server)', async (ctx) => {
    needTool(ctx, 'ignition-validate', 'ignition');
    needTool(ctx, IGNITION_BIN, 'ignition');
    needTool(ctx, 'python3');
    const files = { runsc: Buffer.from('#!/bin/sh\necho runsc\n'), 'containerd-shim-runsc-v1': Buffer.from('#!/bin/sh\necho shim\n') };
    const sums = Object.fromEntries(Object.entries(files).map(([f, b]) => [f, createHash('sha512').update(b).digest('hex')]));
    const www = tempDir('crinit-gvisor-www-');
    mkdirSync(join(www, '20261012.0', 'x86_64'), { recursive: true });
    for (const [f, b] of Object.entries(files)) writeFileSync(join(www, '20261012.0', 'x86_64', f), b);
    const { port, stop } = await serveStatic(www);
    try {
      const mirrors = `mirrors=${JSON.stringify({ 'https://storage.googleapis.com/gvisor/releases/release/': `http://127.0.0.1:${port}/` })}`;
      const render = (s: Record<string, string>) => compile({ profile: 'fcos/containerd', set: [mirrors, `runtime.handlers=${JSON.stringify({ gvisor: { kind: 'runsc', version: '20261012.0', sha512: { amd64: s } } })}`] });
      const r = render(sums);
      expect(r.output, r.diagnostics.map((d) => d.message).join('; ')).toBeDefined();
      const v = spawnSync('ignition-validate', [writeTemp(tempDir(), 'config.ign', r.output!)], { encoding: 'utf8' });
      expect(v.status, v.stdout + v.stderr).toBe(0);
      const config = JSON.parse(r.output!) as { storage: { files: { path: string; mode?: number; contents?: { source?: string; verification?: { hash?: string } } }[] } };
      for (const f of Object.keys(files)) {
        expect(config.storage.files.find((x) => x.path === `/usr/local/bin/${f}`)).toEqual({ path: `/usr/local/bin/${f}`, overwrite: true, mode: 0o755, contents: { source: `http://127.0.0.1:${port}/20261012.0/x86_64/${f}`, verification: { hash: `sha512-${sums[f]}` } } });
      }
      const root = tempDir('crinit-fcos-root-');
      applyIgnition(r.output!, root, tempDir('crinit-ign-work-'));
      for (const [f, b] of Object.entries(files)) {
        expect(readFileSync(join(root, 'usr/local/bin', f))).toEqual(b);
        expect(statSync(join(root, 'usr/local/bin', f)).mode & 0o777).toBe(0o755);
      }
      // A wrong sum: Ignition refuses the config, and writes neither file.
      const wrong = render({ ...sums, runsc: 'c'.repeat(128) });
      const other = tempDir('crinit-fcos-root-');
      expect(() => applyIgnition(wrong.output!, other, tempDir('crinit-ign-work-'))).toThrow(/ignition -stage files failed/);
      expect(existsSync(join(other, 'usr/local/bin/runsc'))).toBe(false);
    } finally {
      stop();
    }
  });

  it('refuses runsc without its release or a file\'s sum, at the handler, naming what to give', () => {
    const dir = tempDir();
    const file = writeTemp(dir, 'n.yaml', `extends: ubuntu-24.04/containerd\nruntime:\n  handlers:\n    gvisor:\n      kind: runsc\n      version: "20261012.0"\n      sha512:\n        amd64: {runsc: "${'1a'.repeat(64)}"}\n`);
    const r = runCli(['render', file]);
    expectRefused(r, `${file}:8:9: error E-RULE-INCOMPLETE: gVisor's runsc is downloaded from its project's releases, and the handler gives no sha512 for containerd-shim-runsc-v1 on amd64`);
    expect(r.stderr).toContain('crinit never installs an unchecked download');
    expectRefused(runCli(['render', 'ubuntu-24.04/containerd', '--set', 'runtime.handlers={"gvisor": {"kind": "runsc"}}']), 'the handler names no release (version)');
    // Not on Flatcar: crinit knows no place there its containerd finds the shim.
    expectRefused(runCli(['render', 'flatcar/containerd', '--set', GVISOR]), "crinit does not install gVisor's runsc on flatcar: Flatcar keeps /usr read-only");
  });

  it('crinit manifest lists each file with its sha512, and runtimeclasses the handler', () => {
    const downloads = manifestArtifacts('ubuntu-24.04/containerd', GVISOR).filter((a) => a.kind === 'download');
    expect(downloads).toEqual(Object.entries(RUNSC_SUMS).map(([f, sum]) => expect.objectContaining({ url: `https://storage.googleapis.com/gvisor/releases/release/20261012.0/x86_64/${f}`, sha512: sum })));
    // The table for people names each file's pin too.
    const table = runCli(['manifest', 'ubuntu-24.04/containerd', '--set', GVISOR]).stdout;
    for (const sum of Object.values(RUNSC_SUMS)) expect(table).toContain(`sha512 ${sum}`);
    expectOneRuntimeClass('ubuntu-24.04/containerd', GVISOR, 'gvisor');
  });
});

const KATA_SUM = '3c'.repeat(32);
const KATA = `runtime.handlers=${JSON.stringify({ kata: { version: '4.1.0', sha256: { amd64: KATA_SUM } } })}`;
const KATA_AND_CRUN = `runtime.handlers=${JSON.stringify({ kata: { version: '4.1.0', sha256: { amd64: '3c'.repeat(32) } }, crun: {} })}`;
const KATA_URL = 'https://github.com/kata-containers/kata-containers/releases/download/4.1.0/kata-static-4.1.0-amd64.tar.zst';

/** A tar.zst of these members (path: contents; a path ending in / is a directory), as tar lists it from ./ */
function tarZst(members: Record<string, string>): Buffer {
  const src = tempDir('crinit-tar-src-');
  for (const [path, contents] of Object.entries(members)) {
    if (path.endsWith('/')) mkdirSync(join(src, path), { recursive: true });
    else {
      mkdirSync(join(src, path, '..'), { recursive: true });
      writeFileSync(join(src, path), contents, { mode: 0o755 });
    }
  }
  const out = join(tempDir('crinit-tar-'), 'a.tar.zst');
  const r = spawnSync('tar', ['--zstd', '-cf', out, '-C', src, '--owner=1234', '--group=1234', ...Object.keys(members).map((p) => `./${p}`)], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(out);
}

describe('Kata Containers on containerd', () => {
  it('crinit list: kata on Ubuntu\'s and Debian\'s containerd and CRI-O; refused elsewhere with the reason', () => {
    const list = JSON.parse(runCli(['list', '--json']).stdout) as { profile: string; supported: boolean; handlers: string[]; handlersRefused?: Record<string, string> }[];
    expect(list.filter((r) => r.handlers.includes('kata')).map((r) => r.profile).sort()).toEqual(
      ['debian-12/containerd', 'debian-12/cri-o', 'debian-13/containerd', 'ubuntu-22.04/containerd', 'ubuntu-22.04/cri-o', 'ubuntu-24.04/containerd', 'ubuntu-24.04/cri-o'],
    );
    // Every other supported combination says why.
    for (const row of list.filter((r) => r.supported && !r.handlers.includes('kata'))) expect(row.handlersRefused?.kata, row.profile).toMatch(/Kata Containers|takes no extra runtime handlers/);
    // RHEL 9 and Amazon Linux 2023: whether their repositories carry zstd under that name is not confirmed.
    for (const p of ['rhel-9/containerd', 'rhel-9/cri-o', 'amazonlinux-2023/containerd']) {
      expect(list.find((r) => r.profile === p)!.handlersRefused!.kata, p).toMatch(/zstd program as the package zstd is UNCONFIRMED/);
    }
  });

  it('checks for KVM first, installs zstd, unpacks the release archive the profile names (checked by its sha256) before containerd restarts, and checks the handler', (ctx) => {
    needTool(ctx, 'cloud-init');
    needTool(ctx, 'shellcheck');
    const rows = MATRIX.filter((x) => x.runtime === 'containerd' && x.handlers.includes('kata'));
    expect(rows.map((r) => r.profile).sort()).toEqual(['debian-12/containerd', 'debian-13/containerd', 'ubuntu-22.04/containerd', 'ubuntu-24.04/containerd']);
    for (const row of rows) {
      const d = checkedUserData(row.profile, ['runtime.source=' + row.defaultSource, KATA]);
      const ids = d.runcmd.map((l) => l[1]);
      const argv = stepArgv(d, 'install-kata');
      expect(argv.slice(-5), row.profile).toEqual([KATA_URL, KATA_SUM, 'amd64', '/opt/kata', '/opt/kata']);
      const sc = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: `#!/bin/sh\n${argv[2]}\n`, encoding: 'utf8' });
      expect(sc.status, sc.stdout).toBe(0);
      // /dev/kvm before anything is installed; zstd with the packages; the archive before containerd restarts.
      expect(stepArgv(d, 'check-kata-needs').slice(-3)).toEqual(['/dev/kvm', expect.stringContaining('KVM'), 'kata']);
      const firstInstall = ids.findIndex((id) => /^install-|^fetch-key/.test(id ?? ''));
      expect(ids.indexOf('check-kata-needs'), row.profile).toBeLessThan(firstInstall);
      expect(ids.indexOf('install-kata'), row.profile).toBeLessThan(ids.indexOf('restart-containerd'));
      expect(d.runcmd.find((l) => l[1] === 'install-packages')!.join(' '), row.profile).toMatch(/\bzstd\b/);
      expect(stepArgv(d, 'check-runtime-handlers').slice(-2)).toEqual(['kata', '/opt/kata/runtime-rs/bin/containerd-shim-kata-v2']);
    }
  });

  it('the install step unpacks a tree only when its sha256 is the pinned one and every member lies under /opt/kata, and replaces the tree a run before left (run for real against a local server)', async (ctx) => {
    needTool(ctx, 'sha256sum', 'coreutils');
    needTool(ctx, 'curl');
    needTool(ctx, 'zstd');
    const { createServer } = await import('node:http');
    const { spawn } = await import('node:child_process');
    const archives: Record<string, Buffer> = {
      good: tarZst({ 'opt/': '', 'opt/kata/': '', 'opt/kata/runtime-rs/bin/containerd-shim-kata-v2': '#!/bin/sh\necho shim\n', 'opt/kata/share/defaults/kata-containers/runtime-rs/configuration-qemu-runtime-rs.toml': '[hypervisor.qemu]\n' }),
      outside: tarZst({ 'opt/kata/runtime-rs/bin/containerd-shim-kata-v2': 'x', 'etc/cron.d/evil': '* * * * * root true\n' }),
      empty: tarZst({ 'opt/': '' }),
    };
    const server = createServer((req, res) => res.end(archives[(req.url ?? '/').slice(1)] ?? ''));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const script = stepArgv(doc('ubuntu-24.04/containerd', [KATA]), 'install-kata')[2]!;
      const sum = (name: string) => createHash('sha256').update(archives[name]!).digest('hex');
      const run = (name: string, s: string, root: string, arch = 'amd64') =>
        new Promise<number | null>((resolve) => spawn('sh', ['-c', script, 'sh', `${base}/${name}`, s, arch, '/opt/kata', root], { stdio: 'ignore' }).on('exit', resolve));
      const top = tempDir('crinit-kata-root-');
      const root = join(top, 'opt', 'kata');
      // A tree a run before left: replaced whole.
      mkdirSync(join(root, 'bin'), { recursive: true });
      writeFileSync(join(root, 'bin', 'stale'), 'old');
      expect(await run('good', sum('good'), root)).toBe(0);
      expect(readFileSync(join(root, 'runtime-rs/bin/containerd-shim-kata-v2'), 'utf8')).toBe('#!/bin/sh\necho shim\n');
      expect(statSync(join(root, 'runtime-rs/bin/containerd-shim-kata-v2')).mode & 0o777).toBe(0o755);
      expect(existsSync(join(root, 'bin', 'stale'))).toBe(false);
      if (process.getuid?.() === 0) expect(statSync(join(root, 'runtime-rs/bin/containerd-shim-kata-v2')).uid).toBe(0);
      // Nothing left beside it.
      expect(readdirSync(join(top, 'opt'))).toEqual(['kata']);
      // A wrong sum, a member outside /opt/kata, an archive without it, another architecture:
      // each fails, and the tree installed stays as it was.
      for (const [name, s, arch] of [['good', '0'.repeat(64), 'amd64'], ['outside', sum('outside'), 'amd64'], ['empty', sum('empty'), 'amd64'], ['good', sum('good'), 'arm64']] as const) {
        expect(await run(name, s, root, arch), name).not.toBe(0);
        expect(readFileSync(join(root, 'runtime-rs/bin/containerd-shim-kata-v2'), 'utf8'), name).toBe('#!/bin/sh\necho shim\n');
        expect(readdirSync(join(top, 'opt')), name).toEqual(['kata']);
      }
      expect(existsSync(join(top, 'etc'))).toBe(false);
    } finally {
      server.close();
    }
  });

  it('refuses Kata without a release of 4.1.0 or later or without the archive\'s sha256, keys that do nothing, and a file under /opt/kata, each at its line', () => {
    const dir = tempDir();
    const render = (body: string) => runCli(['render', writeTemp(dir, 'n.yaml', `extends: ubuntu-24.04/containerd\n${body}`)]);
    const noSum = render('runtime:\n  handlers:\n    kata:\n      version: "4.1.0"\n');
    expectRefused(noSum, ':5:7: error E-RULE-INCOMPLETE: Kata Containers is unpacked from its project\'s release archive, and the handler gives no sha256 for it on amd64');
    expect(noSum.stderr).toContain(`the sha256 of ${KATA_URL} as you vetted it`);
    expectRefused(render(`runtime:\n  handlers:\n    kata:\n      version: "3.20.0"\n      sha256: {amd64: "${KATA_SUM}"}\n`), ':5:16: error E-RULE-UNSUPPORTED: Kata Containers is unpacked from its project\'s release archive, and "3.20.0" is not a release 4.1.0 or later');
    expectRefused(runCli(['render', 'ubuntu-24.04/containerd', '--set', 'runtime.handlers={"kata": {}}']), 'the handler names no release (version)');
    expectRefused(render(`runtime:\n  handlers:\n    kata:\n      version: "4.1.0"\n      sha512: {amd64: {x: "${'1a'.repeat(64)}"}}\n`), ':6:15: error E-RULE-UNSUPPORTED: sha512: is for a handler crinit downloads file by file (runsc), and Kata Containers comes as one release archive, pinned by sha256 here');
    expectRefused(render('runtime:\n  handlers:\n    crun:\n      version: "1.14"\n'), ':5:16: error E-RULE-UNSUPPORTED: version: is for a handler crinit downloads (runsc, kata), and crun comes from the package crun here');
    expectRefused(render(`runtime:\n  handlers:\n    kata:\n      version: "4.1.0"\n      sha256: {amd64: "${KATA_SUM}"}\nfiles:\n  - path: /opt/kata/share/defaults/kata-containers/runtime-rs/configuration.toml\n    content: "x"\n`), ':8:11: error E-RULE-CONFLICT: /opt/kata/share/defaults/kata-containers/runtime-rs/configuration.toml is generated by crinit (the tree the install-kata step installs)');
    // Not on the Ignition distros.
    expectRefused(runCli(['render', 'fcos/containerd', '--set', KATA]), 'crinit does not install Kata Containers on fcos: Ignition writes files but does not unpack archives');
  });

  it('crinit manifest lists the archive with its sha256, and runtimeclasses the handler', () => {
    expect(manifestArtifacts('ubuntu-24.04/containerd', KATA).filter((a) => a.kind === 'download')).toEqual([expect.objectContaining({ url: KATA_URL, sha256: KATA_SUM })]);
    expectOneRuntimeClass('ubuntu-24.04/containerd', KATA, 'kata');
  });
});

const NVIDIA_FINGERPRINT = 'C95B321B61E88C1809C4F759DDCAE044F796ECB0';
/** The combinations `crinit list` says take an nvidia handler. */
const WITH_NVIDIA = MATRIX.filter((r) => r.handlers.includes('nvidia')).map((r) => r.profile);

describe('the NVIDIA container toolkit on containerd', () => {
  it('crinit list: on the distros NVIDIA qualifies its packages for, and Debian 12; refused elsewhere with the reason', () => {
    expect(WITH_NVIDIA.sort()).toEqual(['amazonlinux-2023/containerd', 'debian-12/containerd', 'rhel-9/containerd', 'ubuntu-22.04/containerd', 'ubuntu-24.04/containerd']);
    const rows = JSON.parse(runCli(['list', '--json']).stdout) as { profile: string; handlersRefused?: Record<string, string> }[];
    const reason = (profile: string) => rows.find((r) => r.profile === profile)!.handlersRefused!.nvidia;
    expect(reason('debian-13/containerd')).toMatch(/^crinit does not install the NVIDIA container toolkit on debian-13: whether Debian 13's apt \(sqv\) accepts/);
    expect(reason('fcos/containerd')).toMatch(/rpm-ostree/);
    expect(reason('flatcar/containerd')).toMatch(/nvidia-drivers system extension/);
    expect(reason('ubuntu-24.04/docker')).toMatch(/^Docker Engine takes no extra runtime handlers: cri-dockerd/);
    expect(reason('ubuntu-24.04/containerd')).toBeUndefined();
  });

  for (const profile of ['ubuntu-24.04/containerd', 'debian-12/containerd', 'rhel-9/containerd', 'amazonlinux-2023/containerd', 'ubuntu-22.04/containerd']) {
    it(`${profile}: NVIDIA's repository and key (pinned), its package, the driver checked before anything is installed, and the handler checked on first boot`, (ctx) => {
      needTool(ctx, 'cloud-init');
      needTool(ctx, 'shellcheck');
      const k8s = MATRIX.find((x) => x.profile === profile)!.kubernetes.supported;
      const r = compile({ profile, set: ['runtime.handlers={"nvidia": {}}', ...(k8s ? ['kubernetes.version=1.36'] : [])] });
      expect(r.output, r.diagnostics.map((d) => d.message).join('; ')).toBeDefined();
      const schema = spawnSync('cloud-init', ['schema', '-c', writeTemp(tempDir(), 'user-data', r.output!)], { encoding: 'utf8' });
      expect(schema.status, schema.stdout + schema.stderr).toBe(0);
      const d = readCloudConfig(r.output!);
      const ids = d.runcmd.map((l) => l[1]);
      // The key: fetched from NVIDIA and installed only with its pinned fingerprint.
      const fetch = stepArgv(d, 'fetch-key-nvidia-container-toolkit');
      expect(fetch).toEqual(expect.arrayContaining(['https://nvidia.github.io/libnvidia-container/gpgkey', NVIDIA_FINGERPRINT]));
      const apt = profile.startsWith('ubuntu') || profile.startsWith('debian');
      if (apt) {
        expect(fileContent(d, '/var/lib/crinit/staged/etc/apt/sources.list.d/crinit-nvidia-container-toolkit.list')).toContain('deb [signed-by=/etc/apt/keyrings/crinit-nvidia-container-toolkit.asc] https://nvidia.github.io/libnvidia-container/stable/deb/amd64 /');
      } else {
        // NVIDIA signs the repository's metadata, not each package.
        const repo = fileContent(d, '/etc/yum.repos.d/crinit-nvidia-container-toolkit.repo');
        expect(repo).toMatch(/^baseurl=https:\/\/nvidia\.github\.io\/libnvidia-container\/stable\/rpm\/\$basearch$/m);
        expect(repo).toMatch(/^gpgcheck=0\nrepo_gpgcheck=1\ngpgkey=file:\/\/\/etc\/pki\/rpm-gpg\/crinit-nvidia-container-toolkit\.asc$/m);
      }
      expect(stepArgv(d, 'install-packages')).toContain('nvidia-container-toolkit');
      expect(ids.includes('hold-packages') ? stepArgv(d, 'hold-packages') : []).not.toContain('nvidia-container-toolkit');
      // The driver first: before any key, repository or package.
      const needs = ids.indexOf('check-nvidia-needs');
      expect(needs).toBeGreaterThan(-1);
      for (const later of ['fetch-key-nvidia-container-toolkit', 'refresh-package-index', 'install-packages']) expect(needs).toBeLessThan(ids.indexOf(later));
      const script = stepArgv(d, 'check-nvidia-needs');
      expect(script.slice(3)).toEqual(['sh', '/proc/driver/nvidia/version', 'the NVIDIA GPU driver', 'nvidia']);
      const sc = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: `#!/bin/sh\n${script[2]}\n`, encoding: 'utf8' });
      expect(sc.status, sc.stdout).toBe(0);
      // After the restart: containerd reports the handler, whose binary the package installed.
      expect(stepArgv(d, 'check-runtime-handlers').slice(-2)).toEqual(['nvidia', '/usr/bin/nvidia-container-runtime']);
      expect(ids.indexOf('restart-containerd')).toBeLessThan(ids.indexOf('check-runtime-handlers'));
    });
  }

  it('the driver check fails by name without the driver, and passes with it (run for real)', () => {
    const r = compile({ profile: 'ubuntu-24.04/containerd', set: ['runtime.handlers={"gpu": {"kind": "nvidia"}}'] });
    const script = stepArgv(readCloudConfig(r.output!), 'check-gpu-needs');
    const [, , body, $0, path, what, name] = script;
    const missing = spawnSync('sh', ['-c', body!, $0!, join(tempDir(), 'proc-driver-nvidia-version'), what!, name!], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^crinit: the gpu handler needs the NVIDIA GPU driver \(.*proc-driver-nvidia-version is missing\), which crinit does not install\n$/);
    const present = writeTemp(tempDir(), 'version', 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.00\n');
    const ok = spawnSync('sh', ['-c', body!, $0!, present, what!, name!], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(path).toBe('/proc/driver/nvidia/version');
  });

  it('cdi: true turns CDI on and generates the spec on first boot, a file of the plan that no user file may take', () => {
    const r = compile({ profile: 'ubuntu-24.04/containerd', set: ['runtime.handlers={"nvidia": {"cdi": true}}'] });
    const d = readCloudConfig(r.output!);
    const ids = d.runcmd.map((l) => l[1]);
    expect(stepArgv(d, 'generate-nvidia-cdi-spec').slice(-4)).toEqual(['nvidia-ctk', 'cdi', 'generate', '--output=/etc/cdi/nvidia.yaml']);
    expect(ids.indexOf('install-packages')).toBeLessThan(ids.indexOf('generate-nvidia-cdi-spec'));
    expect(ids.indexOf('generate-nvidia-cdi-spec')).toBeLessThan(ids.indexOf('restart-containerd'));
    expect(fileContent(d, '/var/lib/crinit/staged/etc/containerd/config.toml')).toMatch(/^\[plugins\.'io\.containerd\.cri\.v1\.runtime'\]\n {2}enable_cdi = true\n {2}cdi_spec_dirs = \['\/etc\/cdi', '\/var\/run\/cdi'\]$/m);
    // Without cdi, no spec and no step.
    const plain = readCloudConfig(compile({ profile: 'ubuntu-24.04/containerd', set: ['runtime.handlers={"nvidia": {}}'] }).output!);
    expect(plain.runcmd.map((l) => l[1])).not.toContain('generate-nvidia-cdi-spec');
    // The spec's path is the plan's: a user file there is refused at its line.
    const dir = tempDir();
    const file = writeTemp(dir, 'gpu.yaml', 'extends: ubuntu-24.04/containerd\nruntime:\n  handlers:\n    nvidia: {cdi: true}\nfiles:\n  - path: /etc/cdi/nvidia.yaml\n    content: "x"\n');
    const c = runCli(['render', file]);
    expect(c.status).toBe(1);
    expect(c.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:6:11: error E-RULE-CONFLICT: \\/etc\\/cdi\\/nvidia\\.yaml is generated by crinit \\(the file the generate-nvidia-cdi-spec step writes\\)`, 'm'));
  });

  it('crinit manifest lists NVIDIA\'s repository and key with the pinned fingerprint; runtimeclasses the handler', () => {
    expect(manifestArtifacts('rhel-9/containerd', 'runtime.handlers={"nvidia": {}}')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'repository', url: 'https://nvidia.github.io/libnvidia-container/stable/rpm/$basearch', fingerprint: NVIDIA_FINGERPRINT }),
        expect.objectContaining({ kind: 'key', url: 'https://nvidia.github.io/libnvidia-container/gpgkey', fingerprint: NVIDIA_FINGERPRINT }),
      ]),
    );
    expectOneRuntimeClass('rhel-9/containerd', 'runtime.handlers={"gpu": {"kind": "nvidia"}}', 'gpu');
  });

  it('refuses cdi where it cannot be, and the toolkit where crinit does not install it, each at the handler with the reason', () => {
    expectRefused(runCli(['render', 'ubuntu-24.04/containerd', '--set', 'runtime.handlers={"crun": {"cdi": true}}']), 'cdi: applies to the NVIDIA container toolkit, not to crun');
    expectRefused(runCli(['render', 'debian-12/containerd', '--set', 'runtime.source=distro', '--set', 'runtime.handlers={"nvidia": {"cdi": true}}']), 'containerd cannot hand devices to containers through CDI here: containerd 1.6 has no CDI (enable_cdi came in 1.7)');
    // Without cdi, containerd 1.6 takes the nvidia runtime.
    expect(runCli(['render', 'debian-12/containerd', '--set', 'runtime.source=distro', '--set', 'runtime.handlers={"nvidia": {}}']).status).toBe(0);
    expectRefused(runCli(['render', 'debian-13/containerd', '--set', 'runtime.handlers={"nvidia": {}}']), "crinit does not install the NVIDIA container toolkit on debian-13: whether Debian 13's apt (sqv) accepts");
    const arm = readCloudConfig(compile({ profile: 'ubuntu-24.04/containerd', set: ['arch=arm64', 'runtime.handlers={"nvidia": {}}'] }).output!);
    expect(fileContent(arm, '/var/lib/crinit/staged/etc/apt/sources.list.d/crinit-nvidia-container-toolkit.list')).toContain('https://nvidia.github.io/libnvidia-container/stable/deb/arm64 /');
  });
});

describe('crun on CRI-O', () => {
  it('crinit list: crun on CRI-O where its package bundles it (Ubuntu, Debian 12, RHEL 9)', () => {
    expect(MATRIX.filter((r) => r.runtime === 'cri-o' && r.handlers.includes('crun')).map((r) => r.profile).sort()).toEqual(['debian-12/cri-o', 'rhel-9/cri-o', 'ubuntu-22.04/cri-o', 'ubuntu-24.04/cri-o']);
  });

  for (const profile of ['ubuntu-24.04/cri-o', 'rhel-9/cri-o']) {
    it(`${profile}: a [crio.runtime.runtimes] table per handler, on the package's crun and conmon; default_runtime only for a default handler; checked by name on first boot`, (ctx) => {
      needTool(ctx, 'cloud-init');
      needTool(ctx, 'shellcheck');
      const r = compile({ profile, set: ['kubernetes.version=1.36', 'runtime.handlers={"crun": {}, "fast": {"kind": "crun", "default": true}}'] });
      expect(r.output, r.diagnostics.map((d) => d.message).join('; ')).toBeDefined();
      const schema = spawnSync('cloud-init', ['schema', '-c', writeTemp(tempDir(), 'user-data', r.output!)], { encoding: 'utf8' });
      expect(schema.status, schema.stdout + schema.stderr).toBe(0);
      const d = readCloudConfig(r.output!);
      const dropin = parseToml(fileContent(d, '/etc/crio/crio.conf.d/90-crinit.conf')) as { crio: { runtime: Record<string, any> } }; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(dropin.crio.runtime.default_runtime).toBe('fast');
      for (const name of ['crun', 'fast']) {
        expect(dropin.crio.runtime.runtimes[name]).toEqual({ runtime_path: '/usr/libexec/crio/crun', runtime_type: 'oci', runtime_root: `/run/${name}`, monitor_path: '/usr/libexec/crio/conmon' });
      }
      // Nothing extra is installed: the cri-o package brings crun.
      expect(stepArgv(d, 'install-packages').join(' ')).not.toMatch(/(^| )crun( |$)/);
      const ids = d.runcmd.map((l) => l[1]);
      expect(ids.indexOf('restart-crio')).toBeLessThan(ids.indexOf('check-runtime-handlers'));
      const check = stepArgv(d, 'check-runtime-handlers');
      expect(check.slice(-4)).toEqual(['crun', '/usr/libexec/crio/crun', 'fast', '/usr/libexec/crio/crun']);
      const sc = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: `#!/bin/sh\n${check[2]}\n`, encoding: 'utf8' });
      expect(sc.status, sc.stdout).toBe(0);
      // Without a default handler, the package's own default_runtime stays.
      const plain = readCloudConfig(compile({ profile, set: ['runtime.handlers={"crun": {}}'] }).output!);
      expect(fileContent(plain, '/etc/crio/crio.conf.d/90-crinit.conf')).not.toContain('default_runtime');
    });
  }

  it('Kata on CRI-O: a VM runtime table (Kata\'s CRI-O guide), the same /dev/kvm check, zstd and release archive as on containerd, before crio starts', (ctx) => {
    needTool(ctx, 'cloud-init');
    const rows = MATRIX.filter((r) => r.runtime === 'cri-o' && r.handlers.includes('kata'));
    expect(rows.map((r) => r.profile).sort()).toEqual(['debian-12/cri-o', 'ubuntu-22.04/cri-o', 'ubuntu-24.04/cri-o']);
    for (const row of rows) {
      const d = checkedUserData(row.profile, [KATA_AND_CRUN]);
      const dropin = parseToml(fileContent(d, '/etc/crio/crio.conf.d/90-crinit.conf')) as { crio: { runtime: Record<string, any> } }; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(dropin.crio.runtime.runtimes.kata, row.profile).toEqual({ runtime_path: '/opt/kata/runtime-rs/bin/containerd-shim-kata-v2', runtime_type: 'vm', runtime_root: '/run/vc', privileged_without_host_devices: true });
      expect(dropin.crio.runtime.runtimes.crun.runtime_type, row.profile).toBe('oci');
      const ids = d.runcmd.map((l) => l[1]);
      expect(stepArgv(d, 'install-kata').slice(-5)).toEqual([KATA_URL, KATA_SUM, 'amd64', '/opt/kata', '/opt/kata']);
      expect(ids.indexOf('check-kata-needs')).toBeLessThan(ids.indexOf('install-packages'));
      expect(ids.indexOf('install-kata')).toBeLessThan(ids.indexOf('restart-crio'));
      expect(stepArgv(d, 'install-packages').join(' ')).toMatch(/\bzstd\b/);
      expect(stepArgv(d, 'check-runtime-handlers').slice(-4)).toEqual(['crun', '/usr/libexec/crio/crun', 'kata', '/opt/kata/runtime-rs/bin/containerd-shim-kata-v2']);
    }
  });

  it('the check finds a handler in crio config, commented out or not, and fails by name without it (run for real against a stand-in crio)', () => {
    const r = compile({ profile: 'ubuntu-24.04/cri-o', set: ['runtime.handlers={"crun": {}}'] });
    const [, , body, $0] = stepArgv(readCloudConfig(r.output!), 'check-runtime-handlers');
    const dir = tempDir();
    const bin = writeTemp(dir, 'crun', '#!/bin/sh\n');
    spawnSync('chmod', ['0755', bin]);
    const run = (config: string) => {
      const fake = writeTemp(dir, 'crio', `#!/bin/sh\n[ "$1" = config ] || exit 2\ncat <<'EOF'\n${config}\nEOF\n`);
      spawnSync('chmod', ['0755', fake]);
      return spawnSync('sh', ['-c', body!, $0!, 'crun', bin], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    };
    expect(run('[crio.runtime]\n[crio.runtime.runtimes.crun]\nruntime_path = "/x"').status).toBe(0);
    expect(run('# [crio.runtime.runtimes.crun]\n# runtime_path = "/x"').status).toBe(0);
    const missing = run('[crio.runtime.runtimes.runc]\n[crio.runtime.runtimes.crunx]');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe("crinit: CRI-O's configuration has no crun handler (crio config)\n");
  });
});
