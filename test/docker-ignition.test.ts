/**
 * Docker Engine with cri-dockerd on Fedora CoreOS and Flatcar: Docker from the image, cri-dockerd
 * downloaded by Ignition itself and checked against its sha256 (verification.hash), then unpacked
 * by a oneshot unit. The real ignition binary fetches a stand-in release archive from a local
 * server into a scratch root, refuses a wrong sum, and the unit's own commands install the binary.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../dist/index.js';
import { hasTool, needTool, runCli, systemdSplit, tempDir, writeTemp } from './helpers.js';
import { applyIgnition, decodeDataUrl, IGNITION_BIN, serveStatic } from './ignition-config.js';

interface Ign {
  storage: { files: { path: string; mode: number; contents: { source: string; compression?: string; verification?: { hash: string } } }[] };
  systemd: { units: { name: string; enabled?: boolean; mask?: boolean; contents?: string; dropins?: { name: string; contents: string }[] }[] };
}

function render(profile: string, set: string[] = []): Ign {
  const r = compile({ profile, set });
  expect(r.output, r.diagnostics.map((d) => d.message).join('; ')).toBeDefined();
  return JSON.parse(r.output!) as Ign;
}

/** The argv of each ExecStart= line of a unit, split by systemd's rules for what crinit writes. */
function execStarts(unit: string): string[][] {
  return unit
    .split('\n')
    .filter((l) => l.startsWith('ExecStart='))
    .map((l) => systemdSplit(l.slice('ExecStart='.length)));
}

/** A release archive standing in for cri-dockerd's: cri-dockerd/cri-dockerd inside a .tgz. */
function standInArchive(dir: string): { file: string; sha256: string } {
  const src = join(dir, 'src', 'cri-dockerd');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'cri-dockerd'), '#!/bin/sh\necho stand-in cri-dockerd\n', { mode: 0o755 });
  const www = join(dir, 'www');
  mkdirSync(www, { recursive: true });
  const file = join(www, 'cri-dockerd-0.3.24.amd64.tgz');
  const r = spawnSync('tar', ['-czf', file, '-C', join(dir, 'src'), 'cri-dockerd/cri-dockerd'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

describe('docker on fcos and flatcar', () => {
  it('renders Docker from the image: no cgroup driver in daemon.json, cri-dockerd fetched by Ignition with its sha256, enabled units', () => {
    for (const [os, bin] of [['fcos', '/usr/local/bin/cri-dockerd'], ['flatcar', '/opt/bin/cri-dockerd']] as const) {
      const ign = render(`${os}/docker`, ['runtime.registryMirrors={"docker.io": ["https://mirror.example.com"]}']);
      const file = (p: string) => ign.storage.files.find((f) => f.path === p)!;
      // dockerd's default on cgroup v2 is systemd; the image's unit may pass the option itself.
      expect(JSON.parse(decodeDataUrl(file('/etc/docker/daemon.json').contents.source))).toEqual({ 'registry-mirrors': ['https://mirror.example.com'] });
      const archive = file('/var/lib/crinit/downloads/cri-dockerd-0.3.24.amd64.tgz');
      expect(archive.contents).toEqual({
        source: 'https://github.com/Mirantis/cri-dockerd/releases/download/v0.3.24/cri-dockerd-0.3.24.amd64.tgz',
        verification: { hash: 'sha256-dd4b7f514c248a3aaca398f467430a4c58aae9a77ea8b96a2f5b5d6fba0948d1' },
      });
      const units = new Map(ign.systemd.units.map((u) => [u.name, u]));
      for (const u of ['docker.service', 'cri-docker.socket', 'cri-docker.service', 'crinit-unpack-cri-dockerd.service']) expect(units.get(u)?.enabled, `${os} ${u}`).toBe(true);
      expect(units.has('docker.socket') && units.get('docker.socket')!.mask).toBe(false);
      const unpack = units.get('crinit-unpack-cri-dockerd.service')!.contents!;
      expect(unpack).toMatch(/^Before=cri-docker\.service$/m);
      expect(unpack).toMatch(/^RequiredBy=cri-docker\.service$/m);
      expect(execStarts(unpack).at(-2)).toEqual(['/usr/bin/install', '-D', '-m', '0755', '/run/crinit-unpack-cri-dockerd/cri-dockerd/cri-dockerd', bin]);
      const flags = units.get('cri-docker.service')!.dropins!.find((d) => d.name === '10-crinit-config.conf')!.contents;
      expect(flags).toContain(`ExecStart="${bin}" --container-runtime-endpoint fd://`);
      // The kubelet fragment points at cri-dockerd; the first-boot service checks both sockets.
      expect(decodeDataUrl(file('/etc/kubernetes/kubelet.conf.d/50-crinit-runtime.conf').contents.source, file('/etc/kubernetes/kubelet.conf.d/50-crinit-runtime.conf').contents.compression)).toContain('containerRuntimeEndpoint: "unix:///run/cri-dockerd.sock"');
      const firstboot = ign.storage.files.find((f) => f.path.endsWith('/crinit-firstboot'))!;
      const script = decodeDataUrl(firstboot.contents.source, firstboot.contents.compression);
      expect(script).toContain("'test' '-S' '/run/docker.sock'");
      expect(script).toContain("'test' '-S' '/run/cri-dockerd.sock'");
      expect(script).not.toContain('systemctl');
    }
  });

  it('refuses cgroupfs and a spec without sha256 hashes, at line:col', () => {
    const dir = tempDir();
    const r = runCli(['render', writeTemp(dir, 'node.yaml', 'extends: fcos/docker\nruntime:\n  cgroupDriver: cgroupfs\n')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('node.yaml:3:17: error E-RULE-UNSUPPORTED: the Docker Engine built into Fedora CoreOS (stable) runs the systemd cgroup driver');
    const v = runCli(['render', writeTemp(dir, 'old.yaml', 'extends: flatcar/docker\nignition:\n  version: "3.0.0"\n')]);
    expect(v.status).toBe(1);
    expect(v.stderr).toContain('old.yaml:3:12: error E-IGNITION-VERSION: a sha256 hash at storage.files');
  });

  it('ignition-validate accepts both at every spec from 3.1.0', (ctx) => {
    needTool(ctx, 'ignition-validate', 'ignition');
    const dir = tempDir();
    for (const os of ['fcos', 'flatcar']) {
      for (const version of ['3.1.0', '3.2.0', '3.3.0']) {
        const r = compile({ profile: `${os}/docker`, set: [`ignition.version=${version}`] });
        const v = spawnSync('ignition-validate', [writeTemp(dir, `${os}-${version}.ign`, r.output!)], { encoding: 'utf8' });
        expect(v.status, v.stdout + v.stderr).toBe(0);
        expect(v.stdout + v.stderr).toBe('');
      }
    }
  });

  describe('the real ignition fetches and verifies the archive; the unit installs it', () => {
    let stop: (() => void) | undefined;
    let port = 0;
    let archive: { file: string; sha256: string };
    let dir = '';
    beforeAll(async () => {
      if (!existsSync(IGNITION_BIN) || !hasTool('python3')) return;
      dir = tempDir();
      archive = standInArchive(dir);
      // A separate process serves the archive: ignition runs synchronously below.
      ({ port, stop } = await serveStatic(join(dir, 'www')));
    });
    afterAll(() => stop?.());

    for (const os of ['fcos', 'flatcar'] as const) {
      it(`${os}: the archive lands verified; a wrong sha256 fails the config; the unit's commands install cri-dockerd`, (ctx) => {
        needTool(ctx, IGNITION_BIN, 'ignition');
        needTool(ctx, 'python3');
        // The release URL redirected to the local server (mirrors:), the stand-in's own sum pinned.
        const set = [`mirrors={"https://github.com/Mirantis/cri-dockerd/releases/download/v0.3.24/": "http://127.0.0.1:${port}/"}`];
        const good = compile({ profile: `${os}/docker`, set: [...set, `criDockerd.sha256={"amd64": "${archive.sha256}"}`] }).output!;
        const root = join(dir, `${os}-root`);
        applyIgnition(good, root, join(dir, `${os}-work`));
        const landed = join(root, 'var/lib/crinit/downloads/cri-dockerd-0.3.24.amd64.tgz');
        expect(createHash('sha256').update(readFileSync(landed)).digest('hex')).toBe(archive.sha256);
        expect(statSync(landed).mode & 0o777).toBe(0o644);

        // A sum that does not match: ignition refuses the whole config.
        const bad = compile({ profile: `${os}/docker`, set: [...set, `criDockerd.sha256={"amd64": "${'0'.repeat(64)}"}`] }).output!;
        expect(() => applyIgnition(bad, join(dir, `${os}-bad-root`), join(dir, `${os}-bad-work`))).toThrow(/hash|mismatch|verification/i);

        // The unpack unit as ignition wrote it, its commands run with the node's paths moved under the scratch root.
        const unit = readFileSync(join(root, 'etc/systemd/system/crinit-unpack-cri-dockerd.service'), 'utf8');
        const under = (w: string): string => w.replace(/^\/(var|run|opt|usr\/local)\//, `${root}/$1/`).replace(/ \/(var)\//g, ` ${root}/$1/`);
        for (const argv of execStarts(unit)) {
          const cmd = argv.map((w, i) => (i === 0 ? w : under(w)));
          const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
          expect(r.status, `${cmd.join(' ')}: ${r.stderr}`).toBe(0);
        }
        const bin = join(root, os === 'fcos' ? 'usr/local/bin/cri-dockerd' : 'opt/bin/cri-dockerd');
        expect(readFileSync(bin, 'utf8')).toBe('#!/bin/sh\necho stand-in cri-dockerd\n');
        expect(statSync(bin).mode & 0o777).toBe(0o755);
        expect(existsSync(`${landed}.installed`)).toBe(true);
        // The unit's sum check refuses a changed archive.
        writeFileSync(landed, 'tampered');
        const check = execStarts(unit)[0]!.map((w, i) => (i === 0 ? w : under(w)));
        expect(spawnSync(check[0]!, check.slice(1), { encoding: 'utf8' }).status).not.toBe(0);
      });
    }
  });
});
