/**
 * @fileoverview crinit's typed model of an Ignition 3.x config: the fields crinit emits, and the
 * rules that make a config valid for one spec version. Field names follow the spec exactly
 * (camelCase), so an object of these types serializes straight to Ignition JSON.
 *
 * Version gating has two parts:
 *   - fields: every field path in a config is looked up in FIELD_SINCE (all of 3.0.0 to 3.5.0);
 *     a field newer than the chosen version, or one that no version has, is an error;
 *   - values: some values are newer than their field (sha256 hashes need 3.1.0, gs:// URLs 3.2.0,
 *     arn: URLs 3.4.0), and setuid, setgid and sticky bits in a mode only take effect from 3.6.0,
 *     so crinit refuses them at every version it writes rather than ship a mode that is dropped.
 */
import { zlib } from '../../builtins.js';
import { SENTINEL } from '../../profile/variables.js';
import { FIELD_SINCE, SPEC_VERSIONS, type SpecVersion } from './fields.js';

export { SPEC_VERSIONS, type SpecVersion };

export interface IgnNodeUser {
  name?: string;
  id?: number;
}

export interface IgnResource {
  source?: string;
  compression?: string;
  verification?: { hash?: string };
  httpHeaders?: { name: string; value?: string }[];
}

export interface IgnFile {
  path: string;
  overwrite?: boolean;
  mode?: number;
  user?: IgnNodeUser;
  group?: IgnNodeUser;
  contents?: IgnResource;
  append?: IgnResource[];
}

export interface IgnDirectory {
  path: string;
  overwrite?: boolean;
  mode?: number;
  user?: IgnNodeUser;
  group?: IgnNodeUser;
}

export interface IgnLink {
  path: string;
  target: string;
  hard?: boolean;
  overwrite?: boolean;
  user?: IgnNodeUser;
  group?: IgnNodeUser;
}

export interface IgnDropin {
  name: string;
  contents?: string;
}

export interface IgnUnit {
  name: string;
  enabled?: boolean;
  mask?: boolean;
  contents?: string;
  dropins?: IgnDropin[];
}

export interface IgnUser {
  name: string;
  sshAuthorizedKeys?: string[];
  groups?: string[];
  [field: string]: unknown;
}

export interface IgnConfig {
  ignition: {
    version: SpecVersion;
    config?: { merge?: IgnResource[]; replace?: IgnResource };
    proxy?: { httpProxy?: string; httpsProxy?: string; noProxy?: string[] };
    [field: string]: unknown;
  };
  storage?: { files?: IgnFile[]; directories?: IgnDirectory[]; links?: IgnLink[]; [field: string]: unknown };
  systemd?: { units?: IgnUnit[] };
  passwd?: { users?: IgnUser[]; [field: string]: unknown };
  kernelArguments?: { shouldExist?: string[]; shouldNotExist?: string[] };
}

/** The version crinit writes unless the profile asks for another (README: "Ignition spec version"). */
export const DEFAULT_SPEC: SpecVersion = '3.3.0';

export function specAtLeast(have: SpecVersion, need: SpecVersion): boolean {
  return SPEC_VERSIONS.indexOf(have) >= SPEC_VERSIONS.indexOf(need);
}

/** One field or value in a config that the chosen spec version cannot carry. */
export interface SpecProblem {
  /** A JSON path into the config, e.g. storage.files[3].contents.verification.hash. */
  readonly path: string;
  readonly message: string;
  readonly since?: SpecVersion;
}

/**
 * checkSpec walks a config (generated, or a user's snippet merged in) and lists every field and
 * value the given version lacks. It is the single gate: no emitter decides versions on its own.
 */
export function checkSpec(config: unknown, version: SpecVersion): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const visit = (value: unknown, schemaPath: string, jsonPath: string): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${schemaPath}[]`, `${jsonPath}[${i}]`));
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const sp = schemaPath ? `${schemaPath}.${k}` : k;
        const jp = jsonPath ? `${jsonPath}.${k}` : k;
        const since = FIELD_SINCE[sp];
        if (since === undefined) {
          problems.push({ path: jp, message: `${jp} is not a field of any Ignition 3.x spec` });
          continue;
        }
        if (!specAtLeast(version, since)) {
          problems.push({ path: jp, since, message: `${jp} needs Ignition spec ${since} or later` });
          continue;
        }
        visit(v, sp, jp);
      }
      return;
    }
    if (typeof value === 'string') checkValue(schemaPath, jsonPath, value, version, problems);
    if (typeof value === 'number' && /\.mode$/.test(schemaPath) && (value & 0o7000) !== 0) {
      problems.push({
        path: jsonPath,
        message: `${jsonPath} sets setuid, setgid or sticky bits (mode ${value.toString(8)}), which Ignition honours only from spec 3.6.0`,
      });
    }
  };
  visit(config, '', '');
  return problems;
}

function checkValue(schemaPath: string, jsonPath: string, value: string, version: SpecVersion, problems: SpecProblem[]): void {
  const gate = (since: SpecVersion, what: string): void => {
    if (!specAtLeast(version, since)) problems.push({ path: jsonPath, since, message: `${what} at ${jsonPath} needs Ignition spec ${since} or later` });
  };
  if (/\.verification\.hash$/.test(schemaPath)) {
    if (/^sha256-/.test(value)) gate('3.1.0', 'a sha256 hash');
    else if (!/^sha512-/.test(value)) problems.push({ path: jsonPath, message: `${jsonPath} is not a sha256- or sha512- hash` });
  }
  if (/\.source$/.test(schemaPath)) {
    if (/^gs:/.test(value)) gate('3.2.0', 'a gs:// URL');
    else if (/^arn:/.test(value)) gate('3.4.0', 'an arn: URL');
    else if (!/^(https?|tftp|s3|data):/.test(value)) problems.push({ path: jsonPath, message: `${jsonPath} is not a URL Ignition can fetch (http, https, tftp, s3, gs, arn or data)` });
  }
}

/**
 * dataUrl puts file contents into a `data:` URL, the shortest of: percent-encoded text,
 * base64, or gzip + base64 with `compression: gzip`. With no compression, `compression` is
 * written as "" so a parent config's compression cannot apply during a merge. The gzip stream
 * is deterministic (mtime 0, no name, the same level every time).
 */
export function dataUrl(contents: string): IgnResource {
  const bytes = Buffer.from(contents, 'utf8');
  const plain = `data:,${percentEncode(bytes)}`;
  // A per-node variable's placeholder must stay readable, to be filled in later (tftpl, fleets).
  if (SENTINEL.test(contents)) return { source: plain, compression: '' };
  const b64 = `data:;base64,${bytes.toString('base64')}`;
  let best: IgnResource = plain.length <= b64.length ? { source: plain, compression: '' } : { source: b64, compression: '' };
  {
    const gz = `data:;base64,${zlib().gzipSync(bytes, { level: 9 }).toString('base64')}`;
    if (gz.length < best.source!.length) best = { source: gz, compression: 'gzip' };
  }
  return best;
}

/**
 * Characters left as they are in a data: URL: RFC 3986's unreserved characters and the
 * sub-delimiters a per-node value may hold (/ : @ + = ,), which carry no meaning after the
 * comma. Everything else (%, #, ?, ;, $, spaces, non-ASCII) is %XX-encoded.
 */
const URL_SAFE = /[A-Za-z0-9\-._~/:@+=,]/;

function percentEncode(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    out += b < 0x80 && URL_SAFE.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** decodeDataUrl reads a data: URL (with its compression) back to text; for verification and tests. */
export function decodeDataUrl(resource: IgnResource): string {
  const src = resource.source ?? '';
  const m = /^data:([^,]*),(.*)$/s.exec(src);
  if (!m) throw new Error(`not a data URL: ${src.slice(0, 40)}`);
  const raw = m[1]!.endsWith(';base64') ? Buffer.from(m[2]!, 'base64') : Buffer.from(decodeURIComponent(m[2]!), 'utf8');
  const bytes = resource.compression === 'gzip' ? zlib().gunzipSync(raw) : raw;
  return bytes.toString('utf8');
}
