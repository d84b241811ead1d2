/**
 * @fileoverview Delivery: fitting rendered user-data into what a platform accepts, and wrapping
 * it for cloud-init (gzip, base64, multipart MIME). Everything here is deterministic: gzip with
 * mtime 0 and no file name, and a MIME boundary derived from the parts' contents.
 */
import type { Contributor } from './backends/shared.js';
import { crypto, zlib } from './builtins.js';
import { CODES, type Diagnostic } from './diagnostics.js';

export type Platform = 'aws' | 'azure' | 'gcp' | 'openstack' | 'none';

export interface PlatformLimit {
  /** Largest accepted size in bytes, measured as `measure` says; undefined for no limit. */
  readonly limit?: number;
  /** `raw`: the bytes before any transport base64; `base64`: after the platform's base64. */
  readonly measure: 'raw' | 'base64';
  /** Whether crinit may gzip to fit: cloud-init decompresses gzip user-data itself. */
  readonly gzipToFit: boolean;
  readonly what: string;
}

/** The user-data limits (sources: docs/sources.md, "User-data size limits"). */
export const PLATFORM_LIMITS: Readonly<Record<Platform, PlatformLimit>> = {
  aws: { limit: 16_384, measure: 'raw', gzipToFit: true, what: 'EC2 user-data: 16,384 bytes before base64' },
  azure: { limit: 65_535, measure: 'raw', gzipToFit: true, what: 'Azure customData: 65,535 bytes decoded' },
  openstack: { limit: 65_535, measure: 'base64', gzipToFit: true, what: 'OpenStack Nova user_data: 65,535 bytes base64-encoded' },
  // A GCE metadata value is text, so gzip (binary) is not used to fit; --gzip --base64 is the user's call.
  gcp: { limit: 262_144, measure: 'raw', gzipToFit: false, what: 'GCE metadata value: 262,144 bytes' },
  none: { measure: 'raw', gzipToFit: false, what: 'no platform limit' },
};


export type { Contributor };

export interface DeliveryOptions {
  readonly platform?: Platform;
  readonly gzip?: boolean;
  readonly base64?: boolean;
  /** false when the consumer cannot read gzip (Ignition); the platform's gzip-to-fit is then off. */
  readonly gzipAccepted?: boolean;
}

export interface Delivered {
  readonly bytes?: Buffer;
  readonly rawBytes: number;
  readonly gzipBytes?: number;
  readonly gzipped: boolean;
  readonly diagnostics: Diagnostic[];
}

/** gzip deterministically: mtime 0, no file name, maximum compression. */
export function gzip(data: Buffer): Buffer {
  return zlib().gzipSync(data, { level: 9 });
}

export function base64Length(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/**
 * deliver applies the platform budget: over it, gzip when the platform takes gzip; still over,
 * an error with the byte counts and the largest contributors.
 */
export function deliver(output: string | Buffer, contributors: readonly Contributor[], opts: DeliveryOptions = {}): Delivered {
  const platform = opts.platform ?? 'none';
  const rule = PLATFORM_LIMITS[platform];
  const raw = Buffer.isBuffer(output) ? output : Buffer.from(output, 'utf8');
  const measure = (b: Buffer) => (rule.measure === 'base64' ? base64Length(b.length) : b.length);
  const diagnostics: Diagnostic[] = [];
  let payload = raw;
  let gzipped = false;
  let gzipBytes: number | undefined;
  if (opts.gzip || (rule.limit !== undefined && rule.gzipToFit && opts.gzipAccepted !== false && measure(raw) > rule.limit)) {
    payload = gzip(raw);
    gzipped = true;
    gzipBytes = payload.length;
    if (!opts.gzip) {
      diagnostics.push({
        severity: 'warning',
        code: CODES.budgetGzip,
        message: `the output is ${raw.length} bytes, over ${rule.what}; it is gzipped to ${payload.length} bytes, which cloud-init decompresses`,
        hint: 'pass --gzip to ask for this explicitly',
      });
    }
  }
  if (rule.limit !== undefined && measure(payload) > rule.limit) {
    const top = [...contributors].sort((a, b) => b.bytes - a.bytes || a.label.localeCompare(b.label)).slice(0, 5);
    diagnostics.push({
      severity: 'error',
      code: CODES.budget,
      message:
        `the output does not fit ${rule.what}: ${raw.length} bytes raw` +
        (gzipBytes !== undefined ? `, ${gzipBytes} gzipped` : '') +
        (rule.measure === 'base64' ? `, ${measure(payload)} as base64` : '') +
        `; the limit is ${rule.limit}`,
      hint:
        `the largest parts: ${top.map((c) => `${c.label} (${c.bytes} bytes)`).join(', ')}. Move large files to an image or fetch them at boot` +
        (opts.gzipAccepted === false ? '; or serve the config over HTTPS and boot a small one that points at it with ignition.config.replace' : ''),
    });
    return { rawBytes: raw.length, ...(gzipBytes !== undefined ? { gzipBytes } : {}), gzipped, diagnostics };
  }
  const bytes = opts.base64 ? Buffer.from(payload.toString('base64'), 'ascii') : payload;
  return { bytes, rawBytes: raw.length, ...(gzipBytes !== undefined ? { gzipBytes } : {}), gzipped, diagnostics };
}

/** One part of a multipart user-data document. */
export interface MimePart {
  readonly contentType: string;
  readonly content: Buffer;
  readonly filename: string;
}

const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

export function isMimeType(value: string): boolean {
  return MIME_TYPE.test(value);
}

/**
 * mimeMultipart writes a cloud-init multipart/mixed document. Parts that are 7-bit text go as
 * they are; anything else (non-ASCII, CR, NUL, long lines) goes base64, which cloud-init decodes.
 * The boundary is derived from the parts, so the same input gives the same bytes, and a
 * boundary that occurs in a part is impossible in practice (it hashes that part).
 */
export function mimeMultipart(parts: readonly MimePart[]): Buffer {
  const hash = crypto().createHash('sha256');
  for (const p of parts) hash.update(p.contentType).update('\0').update(p.filename).update('\0').update(p.content).update('\0');
  const boundary = `==crinit-${hash.digest('hex').slice(0, 32)}==`;
  const chunks: string[] = [
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    'MIME-Version: 1.0',
    '',
  ];
  for (const p of parts) {
    const text = p.content.toString('latin1');
    const sevenBit = /^[\t\n\x20-\x7e]*$/.test(text) && text.split('\n').every((l) => l.length <= 998);
    chunks.push(
      `--${boundary}`,
      `Content-Type: ${p.contentType}; charset="utf-8"`,
      'MIME-Version: 1.0',
      `Content-Transfer-Encoding: ${sevenBit ? '7bit' : 'base64'}`,
      `Content-Disposition: attachment; filename="${p.filename}"`,
      '',
      // The line break before the next boundary belongs to the boundary, so a part's own final
      // newline survives.
      sevenBit ? text : (p.content.toString('base64').match(/.{1,76}/g) ?? []).join('\n'),
    );
  }
  chunks.push(`--${boundary}--`, '');
  return Buffer.from(chunks.join('\n'), 'latin1');
}
