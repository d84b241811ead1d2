/**
 * The real consumers' validators: Debian's cloud-init (`cloud-init schema`) on every output, and
 * shellcheck on every shell step (crinit-step, the runcmd script cloud-init writes, and each
 * `sh -c` script inside it).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readCloudConfig } from './cloud-config.js';
import { compile } from '../dist/index.js';
import { DISTROS, needTool, supports, runcmdScript, tempDir, writeTemp } from './helpers.js';

const VARIANTS: { name: string; set: string[] }[] = [
  { name: 'defaults', set: [] },
  { name: 'cgroupfs', set: ['runtime.cgroupDriver=cgroupfs'] },
  {
    name: 'mirrors, files and commands',
    set: [
      'runtime.registryMirrors={"docker.io": ["https://mirror.example.com"], "_default": ["https://all.example.com"]}',
      'files=[{"path": "/etc/motd", "content": "Managed by crinit\\n", "mode": "0640", "owner": "root:adm"}, {"path": "/etc/late.conf", "content": "x = 1\\n", "when": "after-packages"}]',
      'commands=[["systemctl", "enable", "--now", "fstrim.timer"], "echo \\"node $(hostname) is ready\\" > /etc/crinit-ready"]',
    ],
  },
];

function outputs(): { label: string; text: string }[] {
  const out: { label: string; text: string }[] = [];
  for (const d of DISTROS) {
    for (const v of VARIANTS) {
      const r = compile({ profile: `${d}/containerd`, set: v.set });
      expect(r.output, `${d} ${v.name}: ${r.diagnostics.map((x) => x.message).join('; ')}`).toBeDefined();
      out.push({ label: `${d} (${v.name})`, text: r.output! });
      // Docker Engine with cri-dockerd: the same variants (its mirrors are docker.io's only).
      const set = v.set.map((x) => x.replace(', "_default": ["https://all.example.com"]', ''));
      const dk = compile({ profile: `${d}/docker`, set });
      expect(dk.output, `${d}/docker ${v.name}: ${dk.diagnostics.map((x) => x.message).join('; ')}`).toBeDefined();
      out.push({ label: `${d}/docker (${v.name})`, text: dk.output! });
      // CRI-O where it is supported (not Debian 13 or Amazon Linux 2023); no catch-all mirror.
      if (supports(d, 'cri-o')) {
        const co = compile({ profile: `${d}/cri-o`, set });
        expect(co.output, `${d}/cri-o ${v.name}: ${co.diagnostics.map((x) => x.message).join('; ')}`).toBeDefined();
        out.push({ label: `${d}/cri-o (${v.name})`, text: co.output! });
      }
      // Mirantis Container Runtime where Mirantis supports it, with a subscriber's fingerprint.
      if (supports(d, 'mcr')) {
        const mcr = compile({ profile: `${d}/mcr`, set: [...set, `mcr.keyFingerprint=${'AB'.repeat(20)}`] });
        expect(mcr.output, `${d}/mcr ${v.name}: ${mcr.diagnostics.map((x) => x.message).join('; ')}`).toBeDefined();
        out.push({ label: `${d}/mcr (${v.name})`, text: mcr.output! });
      }
    }
    // The distro's own containerd, where the distro has one.
    const r = compile({ profile: `${d}/containerd`, set: ['runtime.source=distro'] });
    if (r.output) out.push({ label: `${d} (distro source)`, text: r.output });
  }
  return out;
}

describe('cloud-init schema (Debian cloud-init)', () => {
  it('accepts every output of every distro and variant', (ctx) => {
    needTool(ctx, 'cloud-init');
    const dir = tempDir();
    const all = outputs();
    expect(all.length).toBeGreaterThanOrEqual(DISTROS.length * VARIANTS.length * 2);
    for (const [i, o] of all.entries()) {
      const file = writeTemp(dir, `user-data-${i}.yaml`, o.text);
      const r = spawnSync('cloud-init', ['schema', '-c', file], { encoding: 'utf8' });
      expect(r.status, `${o.label}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('Valid');
    }
  });

  it('rejects a document with a wrong key type (the validator is really checking)', (ctx) => {
    needTool(ctx, 'cloud-init');
    const dir = tempDir();
    const good = compile({ profile: 'ubuntu-24.04/containerd' }).output!;
    const bad = good.replace(/^runcmd:/m, 'runcmd: 5\nnot_runcmd:');
    const r = spawnSync('cloud-init', ['schema', '-c', writeTemp(dir, 'bad.yaml', bad)], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
  });
});

describe('shellcheck', () => {
  it('passes crinit-step, every runcmd script, and every sh -c script in them', (ctx) => {
    needTool(ctx, 'shellcheck');
    const dir = tempDir();
    const scripts = new Map<string, string>();
    for (const o of outputs()) {
      const doc = readCloudConfig(o.text);
      scripts.set('crinit-step', doc.write_files.find((f) => f.path === '/usr/local/sbin/crinit-step')!.content);
      const criSocket = doc.write_files.find((f) => f.path === '/usr/local/sbin/crinit-cri-socket');
      if (criSocket) scripts.set('crinit-cri-socket', criSocket.content);
      scripts.set(`runcmd ${o.label}`, runcmdScript(doc.runcmdLines));
      for (const cmd of doc.runcmd) {
        const i = cmd.indexOf('-c');
        if (cmd[i - 1] === 'sh' && i > 0 && !o.label.includes('commands')) scripts.set(`sh -c in ${o.label}: ${cmd[1]}`, `#!/bin/sh\n${cmd[i + 1]}\n`);
      }
    }
    expect(scripts.size).toBeGreaterThan(3);
    for (const [label, text] of scripts) {
      // A runcmd line single-quotes every word that holds a `$`, so a `$` inside a `sh -c`
      // argument is meant to reach sh unexpanded: SC2016 ("expressions don't expand in single
      // quotes") is the intent there. The sh -c scripts themselves are checked in full.
      const exclude = label.startsWith('runcmd') ? ['--exclude=SC2016'] : [];
      const r = spawnSync('shellcheck', ['-s', 'sh', ...exclude, '-'], { input: text, encoding: 'utf8' });
      expect(r.status, `${label}:\n${r.stdout}`).toBe(0);
    }
  });

  it('flags a broken script (shellcheck is really checking)', (ctx) => {
    needTool(ctx, 'shellcheck');
    const r = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: '#!/bin/sh\nrm -rf $1/*\n', encoding: 'utf8' });
    expect(r.status).not.toBe(0);
  });
});
