/**
 * Reading crinit's Ignition output back, independently of crinit: data: URLs decoded here
 * (base64, percent-encoding, gzip), and the real ignition binary of Debian's `ignition` package
 * run against a root directory. The unit tests and the e2e suite share both.
 */
import { spawn, spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** The full ignition binary (the initramfs one), which Debian ships in its dracut module. */
export const IGNITION_BIN = '/usr/lib/dracut/modules.d/30ignition/ignition';

/** decodeDataUrl returns the text a data: URL resource carries, after its compression. */
export function decodeDataUrl(source: string, compression?: string): string {
  const m = /^data:([^,]*),(.*)$/s.exec(source);
  if (!m) throw new Error(`not a data: URL: ${source.slice(0, 40)}`);
  const raw = m[1]!.endsWith(';base64') ? Buffer.from(m[2]!, 'base64') : Buffer.from(decodeURIComponent(m[2]!), 'utf8');
  return (compression === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
}

/**
 * applyIgnition runs the real ignition binary's fetch-offline and files stages, as in the
 * initramfs, writing `config` into `root`; `work` holds its cache and state. Debian builds it
 * with SELinux relabelling on: a `none` policy and a no-op setfiles first on PATH let it run on a
 * root without SELinux (vm-e2e.md), and both are removed afterwards. Returns the stages' output,
 * or throws with ignition's error lines.
 */
export function applyIgnition(config: string, root: string, work: string): string {
  const selinux = join(root, 'etc', 'selinux');
  mkdirSync(selinux, { recursive: true });
  writeFileSync(join(selinux, 'config'), 'SELINUXTYPE=none\n');
  mkdirSync(join(work, 'bin'), { recursive: true });
  writeFileSync(join(work, 'bin', 'setfiles'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  writeFileSync(join(work, 'config.ign'), config);
  const env = { ...process.env, IGNITION_CONFIG_FILE: join(work, 'config.ign'), PATH: `${join(work, 'bin')}:${process.env.PATH ?? ''}` };
  const common = ['-platform', 'file', '-root', root, '-config-cache', join(work, 'cache.json'), '-state-file', join(work, 'state'), '-neednet', join(work, 'neednet'), '-log-to-stdout'];
  let log = '';
  for (const stage of ['fetch-offline', 'files']) {
    const r = spawnSync(IGNITION_BIN, ['-stage', stage, ...common], { encoding: 'utf8', env });
    log += r.stdout + r.stderr;
    if (r.status !== 0) {
      const why = log.split('\n').filter((l) => /^(CRITICAL|ERROR)/.test(l));
      throw new Error(`ignition -stage ${stage} failed:\n${why.join('\n') || log.slice(-2000)}`);
    }
  }
  rmSync(selinux, { recursive: true, force: true });
  return log;
}

/**
 * serveStatic serves a directory on 127.0.0.1 from a separate process (python3's http.server),
 * so that the synchronous ignition runs above can fetch from it. Returns its port and a stop.
 */
export async function serveStatic(dir: string): Promise<{ port: number; stop: () => void }> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const child = spawn('python3', ['-m', 'http.server', '--bind', '127.0.0.1', String(port), '--directory', dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, stop: () => child.kill() };
}

/**
 * withStandInDownload serves `contents` as `name` from a local server, a stand-in for a file
 * Ignition downloads, and runs `use` with the `mirrors=` override that points `prefix` at it, the
 * contents' sha256 and a scratch directory.
 */
export async function withStandInDownload(prefix: string, name: string, contents: Buffer, use: (mirrors: string, sha256: string, dir: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'crinit-standin-'));
  const www = join(dir, 'www');
  mkdirSync(www);
  writeFileSync(join(www, name), contents);
  const { port, stop } = await serveStatic(www);
  try {
    use(`mirrors=${JSON.stringify({ [prefix]: `http://127.0.0.1:${port}/` })}`, createHash('sha256').update(contents).digest('hex'), dir);
  } finally {
    stop();
  }
}
