/**
 * Delivery: platform size budgets, deterministic gzip and base64, and multipart MIME read back
 * with Python's email package, the parser cloud-init itself uses.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compile, deliver, mimeMultipart, PLATFORM_LIMITS, type Platform } from '../dist/index.js';
import { needTool, runCli, tempDir, writeTemp } from './helpers.js';

/** n bytes that gzip cannot shrink (a hash chain), and n bytes that it can. */
function incompressible(n: number): Buffer {
  const out = Buffer.alloc(n);
  let block = createHash('sha256').update('crinit').digest();
  for (let i = 0; i < n; i += 32) {
    block.copy(out, i);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}
const compressible = (n: number) => Buffer.alloc(n, 'a');

describe('platform budgets', () => {
  it('know each platform limit', () => {
    expect(PLATFORM_LIMITS.aws).toMatchObject({ limit: 16_384, measure: 'raw', gzipToFit: true });
    expect(PLATFORM_LIMITS.azure).toMatchObject({ limit: 65_535, measure: 'raw', gzipToFit: true });
    expect(PLATFORM_LIMITS.openstack).toMatchObject({ limit: 65_535, measure: 'base64', gzipToFit: true });
    expect(PLATFORM_LIMITS.gcp).toMatchObject({ limit: 262_144, measure: 'raw', gzipToFit: false });
    expect(PLATFORM_LIMITS.none.limit).toBeUndefined();
  });

  const cases: { platform: Platform; fits: number; over: number }[] = [
    { platform: 'aws', fits: 16_384, over: 16_385 },
    { platform: 'azure', fits: 65_535, over: 65_536 },
    // 49,149 raw bytes are 65,532 as base64; 49,150 are 65,536.
    { platform: 'openstack', fits: 49_149, over: 49_150 },
    { platform: 'gcp', fits: 262_144, over: 262_145 },
  ];
  for (const c of cases) {
    it(`${c.platform}: ${c.fits} bytes pass as they are; ${c.over} bytes are gzipped or refused`, () => {
      const exact = deliver(incompressible(c.fits), []);
      expect(exact.diagnostics).toEqual([]);
      const atLimit = deliver(incompressible(c.fits), [], { platform: c.platform });
      expect(atLimit.diagnostics).toEqual([]);
      expect(atLimit.gzipped).toBe(false);
      expect(atLimit.bytes!.length).toBe(c.fits);

      const squeezed = deliver(compressible(c.over), [], { platform: c.platform });
      if (PLATFORM_LIMITS[c.platform].gzipToFit) {
        expect(squeezed.gzipped).toBe(true);
        expect(squeezed.diagnostics.map((d) => d.code)).toEqual(['W-DELIVERY-GZIP']);
        expect(gunzipSync(squeezed.bytes!).equals(compressible(c.over))).toBe(true);
      } else {
        expect(squeezed.bytes).toBeUndefined();
        expect(squeezed.diagnostics.map((d) => d.code)).toEqual(['E-DELIVERY-BUDGET']);
      }

      const parts = [
        { label: 'write_files /etc/big', bytes: c.over - 100 },
        { label: 'runcmd (13 steps)', bytes: 90 },
        { label: 'write_files /etc/small', bytes: 10 },
      ];
      const refused = deliver(incompressible(c.over), parts, { platform: c.platform });
      expect(refused.bytes).toBeUndefined();
      const error = refused.diagnostics.find((d) => d.severity === 'error')!;
      expect(error.code).toBe('E-DELIVERY-BUDGET');
      expect(error.message).toContain(`${c.over} bytes raw`);
      expect(error.message).toContain(`the limit is ${PLATFORM_LIMITS[c.platform].limit}`);
      if (PLATFORM_LIMITS[c.platform].gzipToFit) expect(error.message).toMatch(/, \d+ gzipped/);
      expect(error.hint).toMatch(/^the largest parts: write_files \/etc\/big \(\d+ bytes\), runcmd \(13 steps\) \(90 bytes\), write_files \/etc\/small \(10 bytes\)/);
    });
  }

  it('none has no limit', () => {
    expect(deliver(incompressible(1 << 20), [], { platform: 'none' }).diagnostics).toEqual([]);
  });
});

describe('gzip and base64', () => {
  it('gzip is deterministic (mtime 0, no name) and decompresses to exactly the plain output', () => {
    const plain = compile({ profile: 'ubuntu-24.04/containerd' }).output!;
    const a = deliver(plain, [], { gzip: true }).bytes!;
    const b = deliver(plain, [], { gzip: true }).bytes!;
    expect(a.equals(b)).toBe(true);
    expect([...a.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]); // gzip, deflate, no FNAME/FCOMMENT flags
    expect(a.readUInt32LE(4)).toBe(0); // mtime
    expect(gunzipSync(a).toString('utf8')).toBe(plain);
    const b64 = deliver(plain, [], { gzip: true, base64: true }).bytes!.toString('ascii');
    expect(/^[A-Za-z0-9+/]+=*$/.test(b64)).toBe(true);
    expect(gunzipSync(Buffer.from(b64, 'base64')).toString('utf8')).toBe(plain);
  });

  it('the CLI gzips on request, and on aws only when it must', () => {
    const dir = tempDir();
    const plain = runCli(['render', 'ubuntu-24.04/containerd']).stdout;
    expect(runCli(['render', 'ubuntu-24.04/containerd', '--gzip', '-o', join(dir, 'u.gz')]).status).toBe(0);
    expect(gunzipSync(readFileSync(join(dir, 'u.gz'))).toString('utf8')).toBe(plain);
    const aws = runCli(['render', 'ubuntu-24.04/containerd', '--platform', 'aws']);
    expect(aws.status).toBe(0);
    expect(aws.stdout).toBe(plain);
    expect(aws.stderr).toBe('');
  });

  it('the CLI refuses what cannot fit, names the largest parts, and writes nothing', () => {
    const dir = tempDir();
    const big = incompressible(24_000).toString('base64');
    const r = runCli(['render', 'ubuntu-24.04/containerd', '--platform', 'aws', '--set', `files=[{"path": "/etc/big.bin", "content": "${big}"}]`, '-o', join(dir, 'user-data')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error E-DELIVERY-BUDGET: the output does not fit EC2 user-data: 16,384 bytes before base64: \d+ bytes raw, \d+ gzipped; the limit is 16384/);
    expect(r.stderr).toContain('hint: the largest parts: write_files /etc/big.bin (32000 bytes)');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('multipart MIME', () => {
  const parts = [
    { contentType: 'text/cloud-config', content: Buffer.from(compile({ profile: 'debian-12/containerd' }).output!, 'utf8'), filename: 'crinit.cfg' },
    { contentType: 'text/x-shellscript', content: Buffer.from('#!/bin/sh\necho "héllo, ${USER} %{x}"\n', 'utf8'), filename: 'extra.sh' },
    { contentType: 'text/cloud-config', content: Buffer.from('#cloud-config\nmerge_how:\n - name: list\n   settings: [append]\nruncmd: [[touch, /tmp/x]]', 'utf8'), filename: 'more.cfg' },
    { contentType: 'text/x-shellscript', content: Buffer.from('#!/bin/sh\r\necho crlf\r\n', 'utf8'), filename: 'crlf.sh' },
  ];

  it('is deterministic, and every part reads back byte for byte with Python email (cloud-init\'s parser)', (ctx) => {
    needTool(ctx, 'python3');
    const a = mimeMultipart(parts);
    expect(a.equals(mimeMultipart(parts))).toBe(true);
    const script =
      'import sys, json, email\n' +
      'msg = email.message_from_bytes(sys.stdin.buffer.read())\n' +
      'out = [{"type": p.get_content_type(), "name": p.get_filename(), "hex": p.get_payload(decode=True).hex()} for p in msg.walk() if not p.is_multipart()]\n' +
      'print(json.dumps({"multipart": msg.is_multipart(), "parts": out}))\n';
    const r = spawnSync('python3', ['-c', script], { input: a, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const back = JSON.parse(r.stdout) as { multipart: boolean; parts: { type: string; name: string; hex: string }[] };
    expect(back.multipart).toBe(true);
    expect(back.parts.map((p) => p.type)).toEqual(parts.map((p) => p.contentType));
    expect(back.parts.map((p) => p.name)).toEqual(parts.map((p) => p.filename));
    back.parts.forEach((p, i) => expect(Buffer.from(p.hex, 'hex').toString('utf8')).toBe(parts[i]!.content.toString('utf8')));
    // Non-ASCII and CR parts travel base64, the 7-bit ones as they are.
    expect(a.toString('latin1')).toMatch(/filename="extra.sh"/);
    expect(a.toString('latin1').match(/Content-Transfer-Encoding: base64/g)!.length).toBe(2);
  });

  it('the CLI builds it from --part files, typing them by their first line', () => {
    const dir = tempDir();
    writeTemp(dir, 'extra.sh', '#!/bin/sh\necho hi\n');
    writeTemp(dir, 'notes.txt', 'plain words\n');
    const ok = runCli(['render', 'debian-13/containerd', '--format', 'mime', '--part', 'extra.sh', '--part', 'notes.txt:text/plain'], { cwd: dir });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^Content-Type: multipart\/mixed; boundary="==crinit-[0-9a-f]{32}=="\n/);
    expect(ok.stdout).toContain('Content-Type: text/x-shellscript; charset="utf-8"');
    expect(ok.stdout).toContain('Content-Type: text/plain; charset="utf-8"');
    const untyped = runCli(['render', 'debian-13/containerd', '--format', 'mime', '--part', 'notes.txt'], { cwd: dir });
    expect(untyped.status).toBe(1);
    expect(untyped.stderr).toContain('cannot tell the content type of the part "notes.txt"');
    const missing = runCli(['render', 'debian-13/containerd', '--format', 'mime', '--part', 'nope.sh'], { cwd: dir });
    expect(missing.status).toBe(1);
    const noMime = runCli(['render', 'debian-13/containerd', '--part', 'extra.sh'], { cwd: dir });
    expect(noMime.status).toBe(1);
    expect(noMime.stderr).toContain('--part needs --format mime');
    expect(existsSync(join(dir, 'user-data'))).toBe(false);
  });
});
