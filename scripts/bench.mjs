#!/usr/bin/env node
// npm run bench: how fast crinit renders, and how big its output is. Prints numbers only; no
// thresholds (speed is measured here, never asserted in tests).
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { compile, CRINIT_VERSION, gzip } from '../dist/index.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const DISTROS = ['ubuntu-22.04', 'ubuntu-24.04', 'debian-12', 'debian-13', 'rhel-9', 'amazonlinux-2023', 'fcos', 'flatcar'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function timeInProcess(profile, runs = 300, warmup = 30) {
  for (let i = 0; i < warmup; i++) compile({ profile });
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    compile({ profile });
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(ms);
}

function timeProcess(args, runs = 15) {
  spawnSync(process.execPath, args); // warm the file cache
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  }
  return median(ms);
}

console.log(`crinit ${CRINIT_VERSION}, node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`);
console.log('');
console.log('profile                      in-process render (median ms)  output bytes  gzipped');
for (const profile of [...DISTROS.map((d) => `${d}/containerd`), ...DISTROS.map((d) => `${d}/docker`), ...['ubuntu-22.04', 'ubuntu-24.04', 'debian-12', 'rhel-9'].map((d) => `${d}/cri-o`)]) {
  const out = compile({ profile }).output ?? '';
  const raw = Buffer.from(out, 'utf8');
  console.log(`${profile.padEnd(29)}${timeInProcess(profile).toFixed(3).padStart(29)}  ${String(raw.length).padStart(12)}  ${String(gzip(raw).length).padStart(7)}`);
}
// Whole nodes: the Kubernetes packages, and the same behind a proxy from internal mirrors.
const K8S = ['kubernetes={"version": "1.36", "packages": ["kubelet", "kubeadm", "kubectl", "cri-tools"]}'];
const WHOLE = [
  ...K8S,
  'proxy={"http": "http://proxy.corp.internal:3128", "https": "http://proxy.corp.internal:3128", "noProxy": [".corp.internal"]}',
  'mirrors={"https://download.docker.com/": "https://mirror.corp.internal/docker/", "https://pkgs.k8s.io/": "https://mirror.corp.internal/k8s/", "https://github.com/": "https://mirror.corp.internal/github/", "registry.k8s.io/": "registry.corp.internal/k8s/"}',
];
console.log('');
console.log('with kubernetes: 1.36 (k8s), and also proxy: and mirrors: (k8s+proxy+mirrors)');
for (const [profile, set, label] of [
  ...DISTROS.slice(0, 6).filter((d) => d !== 'debian-13').map((d) => [`${d}/containerd`, K8S, 'k8s']),
  ...DISTROS.slice(0, 6).filter((d) => d !== 'debian-13').map((d) => [`${d}/docker`, K8S, 'k8s']),
  ['ubuntu-24.04/containerd', WHOLE, 'k8s+proxy+mirrors'],
  ['rhel-9/containerd', WHOLE, 'k8s+proxy+mirrors'],
  ['ubuntu-24.04/docker', WHOLE, 'k8s+proxy+mirrors'],
  // Flatcar: the sysext bakery's images (placeholder sums).
  ['flatcar/containerd', [`kubernetes={"version": "1.36.1", "sysext": {"sha256": {"amd64": "${'ab'.repeat(32)}"}}}`], 'k8s sysext'],
  ['flatcar/cri-o', ['runtime.version=1.36.1', `crio.sysext={"sha256": {"amd64": "${'cd'.repeat(32)}"}}`, `kubernetes={"version": "1.36.1", "sysext": {"sha256": {"amd64": "${'ab'.repeat(32)}"}}}`], 'crio+k8s sysext'],
]) {
  const out = compile({ profile, set }).output ?? '';
  const raw = Buffer.from(out, 'utf8');
  const times = [];
  for (let i = 0; i < 30; i++) compile({ profile, set });
  for (let i = 0; i < 200; i++) {
    const t = process.hrtime.bigint();
    compile({ profile, set });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  console.log(`${`${profile} ${label}`.padEnd(45)}${median(times).toFixed(3).padStart(13)}  ${String(raw.length).padStart(12)}  ${String(gzip(raw).length).padStart(7)}`);
}
console.log('');
const cliMs = timeProcess([cli, 'render', 'ubuntu-24.04/containerd']);
const nodeMs = timeProcess(['-e', '0']);
console.log('wall time (median of 15, ms)');
console.log(`crinit render ubuntu-24.04/containerd  ${cliMs.toFixed(1)}`);
console.log(`node -e 0                              ${nodeMs.toFixed(1)}`);
console.log(`crinit's own share                     ${(cliMs - nodeMs).toFixed(1)}`);

// A fleet: 10,000 nodes sharing one profile, each with its own value of a per-node variable (so
// every node's values run the whole check), rendered by the CLI into a fresh directory.
{
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'crinit-bench-fleet-'));
  writeFileSync(join(dir, 'node.yaml'), 'extends: ubuntu-24.04/containerd\nfiles:\n  - path: /etc/crinit-role/${role}\n    content: "node ${role}\\n"\n');
  const hex = (n) => n.toString(16).padStart(2, '0');
  const lines = Array.from({ length: 10000 }, (_, i) => `  - {name: n${i}, mac: "52:54:00:${hex((i >> 8) & 255)}:${hex(i & 255)}:01", profile: node.yaml, vars: {role: r${i}}}`);
  writeFileSync(join(dir, 'nodes.yaml'), `nodes:\n${lines.join('\n')}\n`);
  const runs = [];
  for (let i = 0; i < 3; i++) {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [cli, 'render', '--inventory', join(dir, 'nodes.yaml'), '-o', join(dir, 'out')], { encoding: 'utf8' });
    runs.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0) throw new Error(`render --inventory failed: ${r.stderr}`);
  }
  rmSync(dir, { recursive: true, force: true });
  console.log('');
  console.log(`render --inventory, 10,000 nodes with unique per-node values, fresh directory (median of 3): ${(median(runs) / 1000).toFixed(2)} s`);
}

// crinit serve on loopback: a bounded load (8 concurrent clients for 3 s) against one machine's
// user-data, from this process to a `crinit serve` child.
{
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'crinit-bench-'));
  writeFileSync(join(dir, 'nodes.yaml'), 'nodes:\n  - {name: n1, mac: "52:54:00:00:00:01", profile: ubuntu-24.04/containerd}\n');
  const child = spawn(process.execPath, [cli, 'serve', '--inventory', 'nodes.yaml', '--listen', '127.0.0.1:0'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  while (!/127\.0\.0\.1:\d+/.test(log)) await new Promise((r) => setTimeout(r, 20));
  const url = `http://${/127\.0\.0\.1:\d+/.exec(log)[0]}/nocloud/52:54:00:00:00:01/user-data`;
  const until = Date.now() + 3000;
  let count = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (Date.now() < until) {
        const r = await fetch(url);
        await r.arrayBuffer();
        if (r.status === 200) count++;
      }
    }),
  );
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  console.log('');
  console.log(`crinit serve, user-data over loopback (8 clients, 3 s): ${Math.round(count / 3)} requests/s`);
}
