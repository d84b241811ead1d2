/**
 * Docker Engine with cri-dockerd on the cloud-init distros: daemon.json, cri-dockerd's units and
 * flags, the verified download, and the rule that every download carries a checksum.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compile } from '../dist/index.js';
import { doc, fileContent, yumRepo, type CloudConfig } from './cloud-config.js';
import { DISTROS, hasTool, supports, needTool, REQUIRE_TOOLS, runCli, systemdSplit, tempDir, writeTemp } from './helpers.js';

function execStart(dropin: string): string[] {
  const lines = dropin.split('\n').filter((l) => l.startsWith('ExecStart='));
  expect(lines[0]).toBe('ExecStart=');
  return systemdSplit(lines[1]!.slice('ExecStart='.length));
}

describe('docker: daemon.json, units and kubelet wiring', () => {
  for (const d of DISTROS) {
    it(`${d}/docker: daemon.json holds the cgroup driver; kubelet and crictl point at cri-dockerd`, () => {
      for (const driver of ['systemd', 'cgroupfs']) {
        const c = doc(`${d}/docker`, [`runtime.cgroupDriver=${driver}`]);
        const daemon = JSON.parse(fileContent(c, '/etc/docker/daemon.json')!) as Record<string, unknown>;
        expect(daemon['exec-opts']).toEqual([`native.cgroupdriver=${driver}`]);
        const kubelet = parseYaml(fileContent(c, '/etc/kubernetes/kubelet.conf.d/50-crinit-runtime.conf')!) as Record<string, string>;
        expect(kubelet.cgroupDriver).toBe(driver);
        expect(kubelet.containerRuntimeEndpoint).toBe('unix:///run/cri-dockerd.sock');
        expect(fileContent(c, '/etc/kubernetes/kubelet.conf.d/50-crinit-runtime.conf')).toContain('--cri-socket unix:///run/cri-dockerd.sock');
        expect((parseYaml(fileContent(c, '/etc/crictl.yaml')!) as Record<string, string>)['runtime-endpoint']).toBe('unix:///run/cri-dockerd.sock');
        expect(fileContent(c, '/etc/systemd/system/cri-docker.socket')).toMatch(/^ListenStream=\/run\/cri-dockerd\.sock$/m);
        // The cgroup driver is given once: never also as a dockerd flag.
        expect(JSON.stringify(c)).not.toContain('--exec-opt');
      }
    });
  }

  it('the drop-in gives cri-dockerd the pause image as one argument, and --network-plugin=cni', () => {
    const c = doc('ubuntu-24.04/docker', ['runtime.sandboxImage=registry.example.com:5000/k8s/pause:3.10.2@sha256:' + 'ab'.repeat(32)]);
    expect(execStart(fileContent(c, '/etc/systemd/system/cri-docker.service.d/10-crinit-config.conf')!)).toEqual([
      '/usr/local/bin/cri-dockerd',
      '--container-runtime-endpoint',
      'fd://',
      '--network-plugin=cni',
      '--pod-infra-container-image',
      'registry.example.com:5000/k8s/pause:3.10.2@sha256:' + 'ab'.repeat(32),
    ]);
  });

  it('adversarial pause images are refused at line:col or arrive as one exact argument', () => {
    const nasty = fc.constantFrom('"', "'", '\\', ' ', '$', '%', '\n', ';', '`', 'é', ':', '@', '/');
    const image = fc.tuple(fc.constantFrom('registry.k8s.io/pause:3.10', 'r.example.com/p:1'), nasty, fc.nat(20)).map(([b, n, at]) => b.slice(0, at) + n + b.slice(at));
    fc.assert(
      fc.property(image, (img) => {
        const r = compile({ profile: { path: 'n.yaml', text: JSON.stringify({ extends: 'debian-12/docker', runtime: { sandboxImage: img } }) } });
        if (r.output === undefined) {
          const e = r.diagnostics.find((x) => x.severity === 'error')!;
          expect(e.message).toMatch(/sandboxImage/);
          expect(e.file).toBe('n.yaml');
          return;
        }
        const c = parseYaml(r.output, { version: '1.1' }) as CloudConfig;
        expect(execStart(fileContent(c, '/etc/systemd/system/cri-docker.service.d/10-crinit-config.conf')!).at(-1)).toBe(img);
      }),
      { numRuns: 150 },
    );
  });

  it('docker.io mirrors go to daemon.json; a mirror for any other registry is refused at line:col', () => {
    const c = doc('debian-13/docker', ['runtime.registryMirrors={"docker.io": ["https://mirror.example.com"]}']);
    expect((JSON.parse(fileContent(c, '/etc/docker/daemon.json')!) as Record<string, unknown>)['registry-mirrors']).toEqual(['https://mirror.example.com']);
    const file = writeTemp(tempDir(), 'n.yaml', 'extends: debian-13/docker\nruntime:\n  registryMirrors:\n    registry.k8s.io: ["https://m.example.com"]\n');
    const r = runCli(['render', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/n\.yaml:4:22: error E-RULE-UNSUPPORTED: Docker Engine can mirror docker\.io only, not registry\.k8s\.io/);
  });

  it('pins docker-ce with its epoch, installs and holds the CLI and containerd.io, and starts docker before cri-dockerd', () => {
    const ubuntu = JSON.stringify(doc('ubuntu-24.04/docker').runcmd);
    // docker-ce-cli is pinned to docker-ce's version, as Docker's guide does.
    expect(ubuntu).toContain('"docker-ce=5:29.*","docker-ce-cli=5:29.*","containerd.io"');
    expect(ubuntu).toContain('"apt-mark","hold","docker-ce","docker-ce-cli","containerd.io"');
    const rhel = JSON.stringify(doc('rhel-9/docker').runcmd);
    expect(rhel).toContain('"docker-ce-3:29.*","docker-ce-cli-3:29.*","containerd.io"');
    const al = JSON.stringify(doc('amazonlinux-2023/docker').runcmd);
    expect(al).toContain('"docker-25.*"');
    const ids = (doc('debian-12/docker').runcmd as string[][]).map((l) => l[1]);
    const order = ['install-packages', 'install-cri-dockerd', 'restart-docker', 'wait-for-docker-socket', 'restart-cri-docker-socket', 'restart-cri-docker', 'wait-for-cri-docker-socket'];
    expect(order.map((id) => ids.indexOf(id))).toEqual([...order.map((id) => ids.indexOf(id))].sort((a, b) => a - b));
    expect(order.every((id) => ids.includes(id))).toBe(true);
  });

  it('refuses a checksum that is not 64 hex digits, at line:col', () => {
    const file = writeTemp(tempDir(), 'n.yaml', 'extends: ubuntu-22.04/docker\narch: arm64\ncriDockerd:\n  sha256:\n    arm64: sha256:abc\n');
    const r = runCli(['render', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/n\.yaml:5:12: error E-SCHEMA: criDockerd\.sha256\.arm64 /);
  });
});

describe('every download is verified', () => {
  it('every URL a first-boot step fetches carries its sha256; every repository carries its pinned key', () => {
    let checked = 0;
    for (const d of DISTROS) {
      for (const rt of ['containerd', 'docker', 'cri-o', 'mcr']) {
        if (!supports(d, rt)) continue;
        // MCR's repository key is the subscriber's: a fingerprint is all it needs to render.
        const key = rt === 'mcr' ? [`mcr.keyFingerprint=${'AB'.repeat(20)}`] : [];
        for (const arch of ['amd64', 'arm64']) {
          const c = doc(`${d}/${rt}`, [`arch=${arch}`, ...key]);
          for (const line of (c.runcmd as string[][]) ?? []) {
            const urls = line.join(' ').match(/https?:\/\/[^\s'"]+/g) ?? [];
            for (const u of urls) {
              // A download carries its sha256; a repository key its pinned 40-digit fingerprint.
              const pinned = line[1]!.startsWith('fetch-key-') ? /^[0-9A-F]{40}$/ : /^[0-9a-f]{64}$/;
              expect(line.some((w) => pinned.test(w)), `${d}/${rt}: ${u} is not pinned in its step`).toBe(true);
              checked++;
            }
          }
          // Each repository trusts one key: written beside it (armored), or filled by a fetch-key
          // step that checks its fingerprint first.
          expect(c.apt?.sources).toBeUndefined();
          expect(c.yum_repos).toBeUndefined();
          const keyReady = (keyring: string): void => {
            const written = c.write_files.find((f) => f.path === keyring);
            if (written) expect(written.content).toMatch(/BEGIN PGP PUBLIC KEY BLOCK/);
            else expect((c.runcmd as string[][]).some((l) => l[1]!.startsWith('fetch-key-') && l.at(-1) === keyring), keyring).toBe(true);
          };
          // A source whose key is fetched is staged, and placed once the key is in.
          for (const f of c.write_files.filter((x) => /^(\/var\/lib\/crinit\/staged)?\/etc\/apt\/sources\.list\.d\/crinit-[a-z0-9-]+\.list$/.test(x.path))) {
            const keyring = /^deb \[signed-by=(\/etc\/apt\/keyrings\/crinit-[a-z0-9-]+\.asc)\] /m.exec(f.content)?.[1];
            expect(keyring, f.path).toBeDefined();
            keyReady(keyring!);
          }
          for (const f of c.write_files.filter((x) => x.path.startsWith('/etc/yum.repos.d/crinit-'))) {
            const repo = yumRepo(c, f.path.replace(/^.*\/crinit-|\.repo$/g, ''));
            expect(repo.gpgcheck).toBe('1');
            expect(repo.gpgkey).toMatch(/^file:\/\/\/etc\/pki\/rpm-gpg\/crinit-[a-z0-9-]+\.asc$/);
            keyReady(repo.gpgkey!.slice('file://'.length));
          }
        }
      }
    }
    // cri-dockerd on every distro and arch, CRI-O's key on the four CRI-O distros, MCR's on its
    // three, and Docker's for containerd and Docker Engine on the five distros whose packages
    // come from Docker's repository, both archs each.
    expect(checked).toBe(DISTROS.length * 2 + 4 * 2 + 3 * 2 + 5 * 2 * 2);
  });
});

describe('the cri-dockerd install step, run for real', () => {
  it('installs the binary only when the sha256 matches, and refuses another architecture', async (ctx) => {
    needTool(ctx, 'curl');
    if (!hasTool('tar') && REQUIRE_TOOLS) throw new Error('tar missing');
    // A stand-in release tarball with the same layout: cri-dockerd/cri-dockerd.
    const dir = tempDir();
    mkdirSync(join(dir, 'src', 'cri-dockerd'), { recursive: true });
    writeFileSync(join(dir, 'src', 'cri-dockerd', 'cri-dockerd'), '#!/bin/sh\necho stand-in\n');
    expect(spawnSync('tar', ['-czf', join(dir, 'rel.tgz'), '-C', join(dir, 'src'), 'cri-dockerd']).status).toBe(0);
    const sum = createHash('sha256').update(readFileSync(join(dir, 'rel.tgz'))).digest('hex');
    const server = createServer((req, res) => (req.url === '/rel.tgz' ? res.end(readFileSync(join(dir, 'rel.tgz'))) : res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
    try {
      const c = doc('debian-12/docker', [`arch=${arch}`, `criDockerd.url=http://127.0.0.1:${port}/rel.tgz`, `criDockerd.sha256={"${arch}": "${sum}"}`]);
      const line = (c.runcmd as string[][]).find((l) => l[1] === 'install-cri-dockerd')!;
      const argv = line.slice(line.indexOf('--') + 1);
      // Asynchronous, so that this process's server can answer the download.
      const run = (args: string[]) =>
        new Promise<{ status: number | null; stderr: string }>((resolve) => {
          const child = spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('close', (status) => resolve({ status, stderr }));
        });
      const dest = join(dir, 'bin', 'cri-dockerd');
      const withDest = (a: string[]) => [...a.slice(0, -1), dest];
      expect((await run(withDest(argv))).status).toBe(0);
      expect(readFileSync(dest, 'utf8')).toContain('stand-in');
      // A wrong checksum: nothing is installed.
      const bad = withDest(argv).map((w) => (w === sum ? 'f'.repeat(64) : w));
      const dest2 = join(dir, 'bin2', 'cri-dockerd');
      const r = await run([...bad.slice(0, -1), dest2]);
      expect(r.status).not.toBe(0);
      expect(existsSync(dest2)).toBe(false);
      // Another architecture: refused before any download.
      const other = withDest(argv).map((w) => (w === arch ? (arch === 'amd64' ? 'arm64' : 'amd64') : w));
      const o = await run(other);
      expect(o.status).not.toBe(0);
      expect(o.stderr).toContain('but the profile says arch');
    } finally {
      server.close();
    }
  });
});

describe('mcr where Mirantis does not support it', () => {
  it('is refused with its reason at line:col, one reason and no cascade (test/mcr.test.ts has the distros MCR renders on)', () => {
    const file = writeTemp(tempDir(), 'n.yaml', 'extends: debian-12/mcr\nmcr: {keyFingerprint: 77FEDA131A831D29A418D3E899E5FF2E76682BC9}\n');
    const deb = runCli(['render', file]);
    expect(deb.status).toBe(1);
    expect(deb.stderr).toMatch(/^profiles\/distros\/debian-12\.yaml:\d+:7: error E-RULE-UNSUPPORTED: mcr is not supported on debian-12: Mirantis does not support MCR on Debian/m);
    // One reason, not a cascade of follow-on errors.
    expect(deb.stderr.match(/ error /g)).toHaveLength(1);
  });
});
