#!/usr/bin/env node
// npm run bench: how fast crinit is, and how big its output and install are, each figure beside
// what it must reach, on the machine it runs on. Numbers only: nothing here fails on a time
// (speed is measured here, never asserted in tests). docs/benchmarks.md keeps the current table.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, cpSync, readdirSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, CRINIT_VERSION, listMatrix } from '../dist/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.cjs');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;

/** Median wall time of a command, in paired runs with `node -e 0` (same moment, same machine load). */
function paired(args, runs = 15) {
  const mine = [];
  const bare = [];
  spawnSync(process.execPath, args);
  for (let i = 0; i < runs; i++) {
    let t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    mine.push(ms(t));
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
    t = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0']);
    bare.push(ms(t));
  }
  return { ms: median(mine), node: median(bare), ratio: median(mine.map((m, i) => m / bare[i])) };
}

function inProcess(profile, set = [], runs = 300) {
  for (let i = 0; i < 30; i++) compile({ profile, set });
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    compile({ profile, set });
    times.push(ms(t));
  }
  return median(times);
}

function duBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? duBytes(p) : statSync(p).size;
  }
  return n;
}

const rows = [];
const row = (figure, now, required, how) => rows.push({ figure, now, required, how });

console.log(`crinit ${CRINIT_VERSION}, node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`);

// Start-up.
const render = paired([cli, 'render', 'ubuntu-24.04/containerd']);
row('`crinit render ubuntu-24.04/containerd`, wall ÷ `node -e 0`', `${render.ratio.toFixed(1)}× (${render.ms.toFixed(0)} ms; node ${render.node.toFixed(0)} ms)`, '≤ 2.0×', 'median of 15 paired runs');
const version = paired([cli, '--version']);
row('`crinit --version`, wall ÷ `node -e 0`', `${version.ratio.toFixed(2)}×`, '≤ 1.3×', 'median of 15 paired runs');
const help = paired([cli, '--help']);
row('`crinit --help`, wall ÷ `node -e 0`', `${help.ratio.toFixed(2)}×`, '≤ 1.3×', 'median of 15 paired runs');
const list = paired([cli, 'list'], 7);
row('`crinit list`, wall ÷ one render', `${(list.ms / render.ms).toFixed(1)}× (${list.ms.toFixed(0)} ms)`, '≤ 2×', 'median of 7 runs');

// In-process compile.
row('in-process `compile()` ubuntu-24.04/containerd, median', `${inProcess('ubuntu-24.04/containerd').toFixed(2)} ms`, '≤ 1 ms', 'median of 300 after 30 warm-up');

// Output sizes.
const K8S = ['kubernetes={"version": "1.36", "packages": ["kubelet", "kubeadm", "kubectl"]}'];
const k8sBytes = Buffer.byteLength(compile({ profile: 'ubuntu-24.04/containerd', set: K8S }).output ?? '');
row('ubuntu-24.04/containerd + kubernetes 1.36, raw bytes', `${k8sBytes.toLocaleString('en-US')}`, '≤ 12,288', 'kubelet, kubeadm, kubectl');
let largest = { bytes: 0, profile: '' };
let over = 0;
let combos = 0;
for (const r of listMatrix().filter((x) => x.supported && x.kubernetes.supported && x.kubernetes.via !== 'sysext')) {
  const out = compile({ profile: r.profile, set: K8S }).output;
  if (out === undefined) continue;
  combos++;
  const bytes = Buffer.byteLength(out);
  if (bytes > 16384) over++;
  if (bytes > largest.bytes) largest = { bytes, profile: r.profile };
}
row('every combination with Kubernetes (packages), raw', `largest ${largest.bytes.toLocaleString('en-US')} (${largest.profile}); ${over} of ${combos} over 16,384`, '≤ 16,384, none over', 'kubernetes 1.36 with kubelet, kubeadm, kubectl');

// A fleet. Each run writes into a directory of its own: deleting the last run's 10,000 files
// right before a run makes this VM's disk (mounted with discard) trim them during the run, which
// is not crinit's cost. The same 10,000 files written by a bare loop show the disk's own share,
// and the same run into tmpfs (/dev/shm) shows crinit's.
{
  const dir = mkdtempSync(join(tmpdir(), 'crinit-bench-fleet-'));
  writeFileSync(join(dir, 'node.yaml'), 'extends: ubuntu-24.04/containerd\nfiles:\n  - path: /etc/crinit-role/${role}\n    content: "node ${role}\\n"\n');
  const hex = (n) => n.toString(16).padStart(2, '0');
  const lines = Array.from({ length: 10000 }, (_, i) => `  - {name: n${i}, mac: "52:54:00:${hex((i >> 8) & 255)}:${hex(i & 255)}:01", profile: node.yaml, vars: {role: r${i}}}`);
  writeFileSync(join(dir, 'nodes.yaml'), `nodes:\n${lines.join('\n')}\n`);
  const fleet = (outBase) => {
    const runs = [];
    const rss = [];
    for (let i = 0; i < 3; i++) {
      spawnSync('sync');
      const t = process.hrtime.bigint();
      const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, cli, 'render', '--inventory', join(dir, 'nodes.yaml'), '-o', `${outBase}-${i}`], { encoding: 'utf8' });
      runs.push(ms(t));
      if (r.status !== 0) throw new Error(`render --inventory failed: ${r.stderr}`);
      rss.push(Number(r.stderr.trim().split('\n').at(-1)) / 1024);
    }
    return { s: median(runs) / 1000, rss: median(rss) };
  };
  const disk = fleet(join(dir, 'out'));
  // The disk's floor: the same files (sizes and names), created, written and flushed by a loop.
  const sample = join(dir, 'out-0', 'n0.user-data');
  const floor = [];
  for (let i = 0; i < 3; i++) {
    spawnSync('sync');
    const r = spawnSync(process.execPath, ['-e', `const fs=require('fs');const b=fs.readFileSync(${JSON.stringify(sample)});const d=${JSON.stringify(join(dir, 'floor'))}+'-${i}';fs.mkdirSync(d);const t=process.hrtime.bigint();for(let n=0;n<10000;n++){const fd=fs.openSync(d+'/n'+n+'.user-data','wx',0o600);fs.writeSync(fd,b);fs.closeSync(fd)}require('child_process').spawnSync('sync',['-f',d]);console.log(Number(process.hrtime.bigint()-t)/1e6)`], { encoding: 'utf8' });
    floor.push(Number(r.stdout.trim()));
  }
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/crinit-bench-fleet-') : undefined;
  const mem = shm ? fleet(join(shm, 'out')) : undefined;
  rmSync(dir, { recursive: true, force: true });
  if (shm) rmSync(shm, { recursive: true, force: true });
  row('10,000 nodes with unique per-node values, `render --inventory`', `${disk.s.toFixed(2)} s, ${disk.rss.toFixed(0)} MB RSS`, '≤ 2 s (issue 17), ≤ 3 s (issue 14); ≤ 200 MB', 'median of 3, each into a new directory on the disk');
  row('  of which this disk: the same 10,000 files written by a bare loop', `${(median(floor) / 1000).toFixed(2)} s`, '', 'median of 3: open, write, close, one sync -f');
  if (mem) row('  the same fleet into tmpfs (/dev/shm): crinit without the disk', `${mem.s.toFixed(2)} s, ${mem.rss.toFixed(0)} MB RSS`, '', 'median of 3');
}

// The production install.
{
  const dir = mkdtempSync(join(tmpdir(), 'crinit-bench-install-'));
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  cpSync(join(root, 'package-lock.json'), join(dir, 'package-lock.json'));
  const r = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8' });
  const deps = r.status === 0 ? duBytes(join(dir, 'node_modules')) : undefined;
  const size = deps !== undefined ? `${(deps / 1048576).toFixed(1)} MiB` : `not measured (npm ci: ${r.stderr.split('\n')[0]})`;
  rmSync(dir, { recursive: true, force: true });
  row('production install, `npm ci --omit=dev` node_modules', size, '≤ 6 MiB', 'file sizes summed');
  // crinit itself, as a project that installs it gets it beside those dependencies.
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  const unpacked = pack.status === 0 ? (JSON.parse(pack.stdout)[0]?.unpackedSize ?? 0) : 0;
  row('  and crinit\'s own package, unpacked (with the bundled CLI and its code cache)', unpacked ? `${(unpacked / 1048576).toFixed(1)} MiB; with the dependencies ${(((deps ?? 0) + unpacked) / 1048576).toFixed(1)} MiB` : 'not measured', '', '`npm pack --dry-run --json`');
}

console.log('');
console.log('| figure | now | required | how |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.figure} | ${r.now} | ${r.required} | ${r.how} |`);
