/**
 * Golden outputs, one per distro. Each file under test/golden/ was read line by line when it was
 * written (see test/golden/README.md); a change to any of them is a change to what nodes run and
 * must be read again. Regenerate with CRINIT_UPDATE_GOLDEN=1 npm test, then review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, type IgnConfig } from '../dist/index.js';
import { DISTROS, IGNITION_DISTROS, ROOT } from './helpers.js';
import { decodeDataUrl } from './ignition-config.js';

const CASES: { name: string; profile: string; set?: string[] }[] = [
  ...DISTROS.map((d) => ({ name: `${d}-containerd`, profile: `${d}/containerd` })),
  ...DISTROS.map((d) => ({ name: `${d}-docker`, profile: `${d}/docker` })),
  ...['ubuntu-22.04', 'ubuntu-24.04', 'debian-12', 'rhel-9'].map((d) => ({ name: `${d}-cri-o`, profile: `${d}/cri-o` })),
  {
    name: 'rhel-9-cri-o-cgroupfs-mirrors',
    profile: 'rhel-9/cri-o',
    set: ['runtime.cgroupDriver=cgroupfs', 'runtime.version="1.35"', 'runtime.registryMirrors={"docker.io": ["https://mirror.example.com"]}'],
  },
  {
    name: 'debian-12-containerd-distro-mirrors',
    profile: 'debian-12/containerd',
    set: [
      'runtime.source=distro',
      'runtime.sandboxImage=registry.example.com/k8s/pause:3.10.2',
      'runtime.registryMirrors={"docker.io": ["https://mirror.example.com", "http://10.0.0.5:5000"], "registry.k8s.io": ["https://k8s-mirror.example.com"]}',
    ],
  },
  // A sandboxed node: gVisor's runsc beside runc, downloaded from its release and checked by the
  // sha512 of each file (made-up sums), with crun too; Kubernetes 1.36 labels the node for both.
  {
    name: 'ubuntu-24.04-containerd-gvisor',
    profile: 'ubuntu-24.04/containerd',
    set: [
      'kubernetes.version=1.36',
      `runtime.handlers={"gvisor": {"kind": "runsc", "version": "20261012.0", "sha512": {"amd64": {"runsc": "${'1a'.repeat(64)}", "containerd-shim-runsc-v1": "${'2b'.repeat(64)}"}}}, "crun": {}}`,
    ],
  },
  // A GPU node: NVIDIA's container toolkit as the nvidia handler, with CDI, on RHEL 9 (NVIDIA's
  // repository signs its metadata, not each package) with Kubernetes 1.36.
  {
    name: 'rhel-9-containerd-nvidia',
    profile: 'rhel-9/containerd',
    set: ['kubernetes.version=1.36', 'runtime.handlers={"nvidia": {"cdi": true}}'],
  },
  // A VM-sandboxed node: Kata Containers 4.1.0 as the default handler, unpacked from its release
  // archive (a made-up sha256) after a check for /dev/kvm, on Debian 12 with containerd 1.6 from
  // Debian (config v2: the handler in config.toml).
  {
    name: 'debian-12-containerd-kata',
    profile: 'debian-12/containerd',
    set: ['runtime.source=distro', `runtime.handlers={"kata": {"version": "4.1.0", "default": true, "sha256": {"amd64": "${'3c'.repeat(32)}"}}}`],
  },
  // A whole node behind a proxy, from internal mirrors: Kubernetes 1.35 on both families.
  ...['ubuntu-24.04', 'rhel-9'].map((d) => ({
    name: `${d}-containerd-kubernetes-proxy-mirrors`,
    profile: `${d}/containerd`,
    set: [
      'kubernetes={"version": "1.35", "packages": ["kubelet", "kubeadm", "kubectl", "cri-tools"], "podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12"}',
      'proxy={"http": "http://proxy.corp.internal:3128", "https": "http://proxy.corp.internal:3128", "noProxy": [".corp.internal"]}',
      'mirrors={"https://download.docker.com/": "https://mirror.corp.internal/docker/", "https://pkgs.k8s.io/": "https://mirror.corp.internal/k8s/", "registry.k8s.io/": "registry.corp.internal/k8s/"}',
    ],
  })),
];

/**
 * A reading of an Ignition config for review: each file's path, mode and decoded contents, each
 * link, directory and unit. Decoded here, independently of crinit (base64, percent-encoding, gzip).
 */
function ignitionReview(text: string): string {
  const c = JSON.parse(text) as IgnConfig;
  const out: string[] = [`ignition.version ${c.ignition.version}`];
  for (const d of c.storage?.directories ?? []) out.push(`directory ${d.path} mode ${d.mode!.toString(8)}`);
  for (const l of c.storage?.links ?? []) out.push(`link ${l.path} -> ${l.target}${l.overwrite ? ' (overwrite)' : ''}`);
  for (const f of c.storage?.files ?? []) {
    out.push(`file ${f.path} mode ${f.mode!.toString(8)}${f.overwrite ? ' (overwrite)' : ''}${f.contents?.compression ? ` [${f.contents.compression}]` : ''}`);
    const src = f.contents!.source!;
    if (!src.startsWith('data:')) out.push(`  < fetched by Ignition from ${src}${f.contents?.verification?.hash ? `, verified ${f.contents.verification.hash}` : ' (unverified)'}`);
    else out.push(...decodeDataUrl(src, f.contents!.compression).replace(/\n$/, '').split('\n').map((l) => `  | ${l}`));
  }
  for (const u of c.systemd?.units ?? []) {
    out.push(`unit ${u.name}${u.enabled ? ' enabled' : ''}${u.mask ? ' masked' : ''}`);
    if (u.contents) out.push(...u.contents.replace(/\n$/, '').split('\n').map((l) => `  | ${l}`));
    for (const d of u.dropins ?? []) {
      out.push(`  drop-in ${d.name}`);
      out.push(...(d.contents ?? '').replace(/\n$/, '').split('\n').map((l) => `    | ${l}`));
    }
  }
  return out.join('\n') + '\n';
}

const IGNITION_CASES: { name: string; profile: string; set?: string[] }[] = [
  ...IGNITION_DISTROS.map((d) => ({ name: `${d}-containerd`, profile: `${d}/containerd` })),
  ...IGNITION_DISTROS.map((d) => ({ name: `${d}-docker`, profile: `${d}/docker` })),
  {
    name: 'flatcar-containerd-mirrors-commands',
    profile: 'flatcar/containerd',
    set: [
      'runtime.cgroupDriver=cgroupfs',
      'runtime.registryMirrors={"docker.io": ["https://mirror.example.com"]}',
      'commands=[["systemctl", "enable", "--now", "fstrim.timer"], "echo ready > /etc/crinit-ready"]',
    ],
  },
  {
    // The sum is a placeholder: a real profile copies it from the bakery's SHA256SUMS.
    name: 'flatcar-containerd-kubernetes-sysext',
    profile: 'flatcar/containerd',
    set: [`kubernetes={"version": "1.35.2", "sysext": {"sha256": {"amd64": "${'ab'.repeat(32)}"}}}`, 'proxy={"https": "https://proxy.corp.internal:3129"}'],
  },
  {
    // The sum is a placeholder: a real profile copies it from the bakery's SHA256SUMS.
    name: 'flatcar-cri-o-sysext',
    profile: 'flatcar/cri-o',
    set: ['runtime.version=1.36.1', `crio.sysext={"sha256": {"amd64": "${'cd'.repeat(32)}"}}`],
  },
  { name: 'fcos-cri-o-kubernetes-layered', profile: 'fcos/cri-o', set: ['kubernetes.version=1.36'] },
  {
    name: 'fcos-containerd-proxy-mirrors',
    profile: 'fcos/containerd',
    set: ['proxy={"https": "https://proxy.corp.internal:3129", "noProxy": [".corp.internal"]}', 'mirrors={"registry.k8s.io/": "registry.corp.internal/k8s/"}'],
  },
];

describe('golden Ignition outputs', () => {
  for (const c of IGNITION_CASES) {
    it(`${c.name} matches test/golden/${c.name}.ign, reviewed as ${c.name}.review.txt`, () => {
      const result = compile({ profile: c.profile, ...(c.set ? { set: c.set } : {}) });
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const file = join(ROOT, 'test', 'golden', `${c.name}.ign`);
      const review = join(ROOT, 'test', 'golden', `${c.name}.review.txt`);
      if (process.env.CRINIT_UPDATE_GOLDEN === '1') {
        writeFileSync(file, result.output!);
        writeFileSync(review, ignitionReview(result.output!));
      }
      expect(existsSync(file), `missing ${file}: render it with CRINIT_UPDATE_GOLDEN=1, then read its review file`).toBe(true);
      expect(result.output).toBe(readFileSync(file, 'utf8'));
      expect(ignitionReview(result.output!)).toBe(readFileSync(review, 'utf8'));
    });
  }
});

describe('golden outputs', () => {
  for (const c of CASES) {
    it(`${c.name} matches test/golden/${c.name}.yaml`, () => {
      const result = compile({ profile: c.profile, ...(c.set ? { set: c.set } : {}) });
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const file = join(ROOT, 'test', 'golden', `${c.name}.yaml`);
      if (process.env.CRINIT_UPDATE_GOLDEN === '1') writeFileSync(file, result.output!);
      expect(existsSync(file), `missing ${file}: render it with CRINIT_UPDATE_GOLDEN=1, then read it`).toBe(true);
      expect(result.output).toBe(readFileSync(file, 'utf8'));
    });
  }
});
