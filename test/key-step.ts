/**
 * The fetch-key step of an output, run for real against keys made by gpg and served over HTTP:
 * what the CRI-O, pkgs.k8s.io and MCR repositories' keys go through on first boot.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { fileContent, type CloudConfig } from './cloud-config.js';
import { tempDir, writeTemp } from './helpers.js';

export interface KeyStep {
  /** The two primary keys' fingerprints; one.asc holds the first, both.asc both. */
  readonly fprs: readonly [string, string];
  readonly dir: string;
  readonly base: string;
  /** gpg in the throw-away home that made the keys. */
  gpg(...args: string[]): { status: number | null; stdout: string };
  /** Runs the output's key fetcher with this URL, fingerprint and destination. */
  run(url: string, fpr: string, dest: string): Promise<{ status: number | null; stderr: string }>;
  close(): void;
}

/**
 * keyStep makes two keys and serves them, and takes the key fetcher from the output's step
 * `fetch-key-ID` exactly as it is written there.
 */
export async function keyStep(d: CloudConfig, id: string): Promise<KeyStep> {
  const dir = tempDir();
  const home = join(dir, 'gnupg');
  mkdirSync(home, { mode: 0o700 });
  const gpg = (...args: string[]) => spawnSync('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { encoding: 'utf8' });
  for (const uid of ['crinit test one <one@example.com>', 'crinit test two <two@example.com>']) {
    expect(gpg('--quick-gen-key', uid, 'ed25519', 'sign', '1d').status).toBe(0);
  }
  const fprs = gpg('--with-colons', '--list-keys')
    .stdout.split('\n')
    .filter((l) => l.startsWith('fpr:'))
    .map((l) => l.split(':')[9]!);
  expect(fprs).toHaveLength(2);
  writeFileSync(join(dir, 'one.asc'), gpg('--armor', '--export', fprs[0]!).stdout);
  writeFileSync(join(dir, 'both.asc'), gpg('--armor', '--export').stdout);
  const server: Server = createServer((req, res) => {
    const f = join(dir, (req.url ?? '').replace(/^\//, ''));
    if (/^\/(one|both)\.asc$/.test(req.url ?? '') && existsSync(f)) res.end(readFileSync(f));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const line = d.runcmd.find((l) => l[1] === `fetch-key-${id}`)!;
  const argv = line.slice(line.indexOf('--') + 1);
  expect(argv.slice(0, 2)).toEqual(['python3', '/usr/local/sbin/crinit-fetch-key']);
  const script = writeTemp(dir, 'crinit-fetch-key', fileContent(d, '/usr/local/sbin/crinit-fetch-key'));
  const run = (url: string, fpr: string, dest: string) =>
    new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn('python3', [script, url, fpr, dest], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('close', (status) => resolve({ status, stderr }));
    });
  return { fprs: [fprs[0]!, fprs[1]!], dir, base, gpg, run, close: () => server.close() };
}

/** The three cases: the right key is installed; a wrong fingerprint or a second primary key installs nothing. */
export async function expectKeyStepInstallsOnlyThePinnedKey(k: KeyStep): Promise<void> {
  const [one, two] = k.fprs;
  const good = join(k.dir, 'keyrings', 'good.asc');
  expect((await k.run(`${k.base}/one.asc`, one, good)).status).toBe(0);
  expect(readFileSync(good, 'utf8')).toBe(readFileSync(join(k.dir, 'one.asc'), 'utf8').trim() + '\n');
  // gpg reads the installed file as the one key.
  expect(k.gpg('--show-keys', '--with-colons', good).stdout).toContain(`fpr:::::::::${one}:`);

  const wrong = join(k.dir, 'keyrings', 'wrong.asc');
  const w = await k.run(`${k.base}/one.asc`, two, wrong);
  expect(w.status).not.toBe(0);
  expect(w.stderr).toContain(`has fingerprint ${one}, not the pinned ${two}`);
  expect(existsSync(wrong)).toBe(false);

  const both = join(k.dir, 'keyrings', 'both.asc');
  const b = await k.run(`${k.base}/both.asc`, one, both);
  expect(b.status).not.toBe(0);
  expect(b.stderr).toContain('holds 2 primary keys, not 1');
  expect(existsSync(both)).toBe(false);
}
